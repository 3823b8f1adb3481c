"""Search queries: words, "quoted phrases" and prefixes*, all required (AND).

A query is tokenized by the one tokenizer, exactly as the documents were, then written
for each engine: an FTS5 match expression for SQLite and a ``tsquery`` for PostgreSQL's
``simple`` configuration. A word that the tokenizer splits (``خانواده‌ها`` is two tokens)
is a phrase, as it is in the text.

A phrase holding a very common word is written through its pair lexemes
(:mod:`dadkhahi.search.grams`) when the index has them (:meth:`Query.written`): a phrase of
two words is exactly its pair; a longer one is found by its pairs and checked as the
phrase it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dadkhahi.domain.errors import ValidationError
from dadkhahi.search.grams import pairing
from dadkhahi.search.index import hash_token
from dadkhahi.search.tokens import tokenize

#: Longest query accepted (characters) and most terms in it.
MAX_QUERY_CHARS = 500
MAX_TERMS = 16
_PART = re.compile(r'"([^"]*)"(\*?)|(\S+)')


@dataclass(frozen=True)
class Term:
    """One required term: a token sequence (one token for a word), the last maybe a prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Written:
    """A query as the engines ask it of an index (one partition group, one key).

    ``fts5`` is SQLite's match expression. PostgreSQL matches rows by ``match``, ranks them
    by ``rank`` (phrases without pairs loosened to their words' AND) and, when ``match``
    alone is not exact (a phrase of three words or more found by its pairs), keeps only
    the rows that also match ``check``, the query itself. ``lexemes``: what ``match`` asks
    for when it is lexemes only (no phrase, no prefix, no check), else empty.
    """

    fts5: str
    match: str
    rank: str
    check: str | None
    lexemes: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    """A parsed query."""

    terms: tuple[Term, ...]

    @property
    def has_prefix(self) -> bool:
        return any(t.prefix for t in self.terms)

    def written(self, key: bytes | None = None, *, pairs: bool = True) -> Written:
        """The query for an index whose tokens are hashed with ``key`` (a protected
        partition) and which holds pair lexemes (``pairs``) or not (made before them)."""
        fts5, match, rank, lexemes = [], [], [], []
        exact, bare = True, True
        for term in self.terms:
            words = [hash_token(key, t) if key else t for t in term.tokens]
            # A prefix's last token is not a word: no pair ends in it.
            found = pairing(key).pairs(words[:-1] if term.prefix else words) if pairs else []
            if not found:
                fts5.append(_fts5_phrase(words, term.prefix))
                match.append(_ts_phrase(words, term.prefix, " <-> "))
                rank.append(_ts_phrase(words, term.prefix, " & "))
                bare &= len(words) == 1 and not term.prefix
                lexemes += words
                continue
            both = " & ".join(f"'{p}'" for p in found)
            # Two words and their pair: the pair is written where, and only where, the
            # two stand side by side. Longer: the pairs may stand apart; the phrase too.
            whole = len(words) == 2 and not term.prefix
            exact &= whole
            fts5 += [f'"{p}"' for p in found] + ([] if whole else
                                                  [_fts5_phrase(words, term.prefix)])
            match.append(f"({both})")
            rank.append(f"({both})")
            lexemes += found
        check = None if exact else self.tsquery(key)
        return Written(" AND ".join(fts5), " & ".join(match), " & ".join(rank), check,
                       tuple(lexemes) if bare and exact else ())

    def tsquery(self, key: bytes | None = None) -> str:
        """The text for ``to_tsquery('simple', …)`` of the words themselves, phrases
        by positions, without pairs (tokens hashed with ``key`` for a protected
        partition)."""
        return " & ".join(
            _ts_phrase([hash_token(key, t) if key else t for t in term.tokens], term.prefix,
                       " <-> ") for term in self.terms)


def _fts5_phrase(words: list[str], prefix: bool) -> str:
    return '"' + " ".join(words) + '"' + (" *" if prefix else "")


def _ts_phrase(words: list[str], prefix: bool, joined: str) -> str:
    quoted = [f"'{w}'" for w in words]
    if prefix:
        quoted[-1] += ":*"
    return "(" + joined.join(quoted) + ")"


def parse(q: str) -> Query:
    """Parse a query; a clear error for an empty, too long or too large one."""
    if len(q) > MAX_QUERY_CHARS:
        raise ValidationError(f"the query is {len(q)} characters; at most {MAX_QUERY_CHARS}")
    terms: list[Term] = []
    for match in _PART.finditer(q):
        phrase, star, word = match.group(1), match.group(2), match.group(3)
        raw = phrase if phrase is not None else word
        prefix = bool(star) if phrase is not None else raw.endswith("*")
        tokens = tuple(t.text for t in tokenize(raw))
        if tokens:
            terms.append(Term(tokens, prefix))
    if not terms:
        raise ValidationError("the query has no words to search for")
    if len(terms) > MAX_TERMS:
        raise ValidationError(f"the query has {len(terms)} terms; at most {MAX_TERMS}")
    return Query(tuple(terms))
