"""The one tokenizer for full-text search, in Persian and any Latin-script language.

Neither SQLite nor PostgreSQL knows Persian (PostgreSQL has no Persian configuration, and
Python's sqlite3 cannot register an FTS5 tokenizer), so text is tokenized here, the tokens
are stored as one space-joined string, and each engine indexes that string with its
simplest tokenizer: both engines then see exactly the same tokens and return the same
hits. Each token keeps its span in the original text, so a hit is shown with the exact
words the document holds, never with the normalised form.

Rules, the same for documents and queries:

* a token is a run of letters, digits and combining marks; everything else separates;
* ZWNJ separates too (``خانواده‌ها`` is ``خانواده`` + ``ها``, as typed with a space), the
  project's ZWNJ rule for names (see :mod:`dadkhahi.persian.normalize`);
* Persian script is normalised (Arabic ي ك → ی ک, diacritics and tatweel dropped);
  Persian and Arabic-Indic digits become ASCII digits;
* Latin script is case-folded and stripped of accents (``Ḥosayn`` → ``hosayn``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from dadkhahi.persian.normalize import normalize_script, to_ascii_latin

# Letters, digits, combining marks (harakat), tatweel; ZWNJ is deliberately not in it.
_WORD = re.compile(r"[^\W_]+(?:[\u064b-\u065f\u0670\u0640\u0300-\u036f]+[^\W_]*)*")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")


@dataclass(frozen=True)
class Token:
    """A normalised token and where it stands in the original text (``text[start:end]``)."""

    text: str
    start: int
    end: int


@functools.lru_cache(maxsize=1 << 16)
def _normal(word: str) -> str:
    # Cached: text repeats its words (Zipf), and normalising one costs ~0.1 ms.
    if _LATIN.search(word):
        return to_ascii_latin(word).casefold() or normalize_script(word).casefold()
    return normalize_script(word).casefold()


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` with their spans in it."""
    tokens: list[Token] = []
    for match in _WORD.finditer(text):
        normal = _normal(match.group())
        # Normalising can split a word (a presentation-form ligature, say) or empty it.
        for part in normal.split():
            if part:
                tokens.append(Token(part, match.start(), match.end()))
    return tokens


def index_text(text: str) -> str:
    """What the engines index: the tokens joined by single spaces."""
    return " ".join(t.text for t in tokenize(text))
