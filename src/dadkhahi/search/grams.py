"""Common grams: adjacent pairs holding a very common word, indexed as one lexeme each.

A phrase of common words (``"in the"``, ``"و در"``) is matched on most pages, and both
engines check its positions on every page holding its words: on PostgreSQL, RUM computed
the positions and the distance of every match before the limit (3.0-3.5 s p50 for two
common words at 100,000 pages, stop 26). The classic answer (Lucene's CommonGramsFilter,
Elasticsearch's ``common_grams``): at indexing, besides each token, every adjacent pair
in which either word is very common is written as one more lexeme, ``a`` + :data:`JOIN`
+ ``b``; a phrase holding such a pair is then searched through the pair's one posting
list. A phrase of two words with a pair lexeme is exactly that lexeme (the pair is written
wherever and only where the two words stand side by side); a longer phrase is found
through its pairs and then checked as a phrase.

The pairs are appended to a row's tokens after its ``token_count`` words (so every word
keeps its position and its span, and a phrase of words never reaches a pair: no word
holds :data:`JOIN`), on both engines through the same ``tokens`` column, so SQLite FTS5
and PostgreSQL index the same lexemes. A protected row's pairs are keyed hashes of its
words' keyed hashes (made from the stored tokens alone, as ``documents reindex`` needs).

**The list is fixed and shipped** (:data:`COMMON_WORDS`), never taken from a store: every
home and both engines pair the same words, and a query is written the same way
everywhere. It is every word of wordfreq 3.1.1's Persian and English frequency lists
used at least once in a thousand words (on about 86% of 2,000-word pages), through the
project's tokenizer (a word it splits is left out): 192 words, most frequent first
(``benchmarks/documents/make_common_words.py`` prints it from the data). A different list
is a different :data:`VERSION`: the index is then made again (``dadkhahi documents
reindex``), and until it is, searches check phrases by positions, without pairs.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

#: Joins a pair's two words: ARABIC TATWEEL, which the tokenizer removes from every token
#: (so no document word and no query word holds it) and which both engines keep inside a
#: word (FTS5's ``ascii`` tokenizer: any non-ASCII character; PostgreSQL's parser: a
#: letter).
JOIN = "\u0640"

#: wordfreq 3.1.1, ``fa`` and ``en``, frequency >= 0.001, most frequent first.
COMMON_WORDS: tuple[str, ...] = (
    "the", "و", "به", "to", "در", "and", "of", "از", "a", "که",
    "in", "این", "i", "با", "is", "for", "that", "را", "you", "است",
    "it", "on", "with", "رو", "this", "was", "من", "be", "تو", "as",
    "برای", "are", "have", "بود", "at", "هم", "he", "not", "by", "تا",
    "یک", "but", "from", "ها", "ایران", "my", "شده", "ما", "or", "we",
    "آن", "an", "your", "all", "so", "his", "they", "شد", "می", "یا",
    "me", "بر", "شما", "if", "one", "can", "will", "just", "like", "همه",
    "about", "سال", "کرد", "up", "خود", "out", "what", "هر", "has", "when",
    "یه", "more", "do", "no", "were", "who", "چه", "had", "their", "های",
    "there", "نه", "her", "which", "کار", "time", "get", "been", "would", "باید",
    "she", "دو", "پس", "new", "people", "اما", "how", "اون", "ای", "فقط",
    "دست", "یکی", "داره", "کرده", "some", "also", "them", "now", "دارد", "چرا",
    "کردن", "other", "اگه", "روز", "فیلم", "its", "our", "قرار", "نام", "کنم",
    "than", "استفاده", "بعد", "good", "only", "او", "مورد", "after", "first", "him",
    "into", "دارم", "کشور", "know", "see", "two", "الان", "اگر", "باشه", "make",
    "over", "think", "any", "then", "خیلی", "هست", "could", "بازی", "نیست", "انجام",
    "داشته", "back", "these", "us", "want", "تهران", "خوب", "کنید", "گفت", "because",
    "go", "well", "راه", "روی", "نیز", "چون", "وجود", "said", "way", "سر",
    "مردم", "چند", "1", "2", "most", "much", "very", "where", "اول", "حالا",
    "دیگر", "فکر",
)
COMMON: frozenset[str] = frozenset(COMMON_WORDS)
#: Names the list (and the pairing rule) an index was made with: see ``search_state``.
VERSION = "1:" + hashlib.sha256(" ".join(COMMON_WORDS).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Pairing:
    """How one partition writes its pairs: which of its tokens are common, and how a
    pair becomes a lexeme (in clear, or a keyed hash for a protected partition)."""

    common: frozenset[str]
    key: bytes | None = None

    def pair(self, first: str, second: str) -> str:
        """The lexeme of ``first second`` (tokens as stored: clear or keyed hashes)."""
        joined = first + JOIN + second
        if self.key is None:
            return joined
        from dadkhahi.search.index import hash_token

        return hash_token(self.key, joined)

    def pairs(self, tokens: Sequence[str]) -> list[str]:
        """The pair lexemes of a run of tokens, in order (one per adjacent common pair)."""
        common = self.common
        return [self.pair(a, b) for a, b in itertools.pairwise(tokens)
                if a in common or b in common]


@functools.lru_cache(maxsize=256)
def pairing(key: bytes | None = None) -> Pairing:
    """The pairing of a partition: clear (``key`` None) or protected under ``key`` (the
    common words hashed with it, as its tokens are)."""
    if key is None:
        return Pairing(COMMON)
    from dadkhahi.search.index import hash_token

    return Pairing(frozenset(hash_token(key, w) for w in COMMON_WORDS), key)
