"""Search queries: words, "quoted phrases" and prefixes*, all required (AND).

A query is tokenized by the one tokenizer, exactly as the documents were, then written
for each engine: an FTS5 match expression for SQLite and a ``tsquery`` for PostgreSQL's
``simple`` configuration. A word that the tokenizer splits (``خانواده‌ها`` is two tokens)
is a phrase, as it is in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dadkhahi.domain.errors import ValidationError
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
class Query:
    """A parsed query."""

    terms: tuple[Term, ...]

    @property
    def has_prefix(self) -> bool:
        return any(t.prefix for t in self.terms)

    def fts5(self, key: bytes | None = None) -> str:
        """The FTS5 MATCH expression (tokens hashed with ``key`` for a protected partition)."""
        parts = []
        for term in self.terms:
            words = [hash_token(key, t) if key else t for t in term.tokens]
            parts.append('"' + " ".join(words) + '"' + (" *" if term.prefix else ""))
        return " AND ".join(parts)

    def tsquery(self, key: bytes | None = None, *, phrases: bool = True) -> str:
        """The text for ``to_tsquery('simple', …)``.

        ``phrases=False`` gives the same words with each phrase loosened to AND (its
        words anywhere in the row): what PostgreSQL ranks by, while it matches by the
        phrases (see :func:`dadkhahi.search.engine.postgres_statement`).
        """
        parts = []
        for term in self.terms:
            words = [f"'{hash_token(key, t) if key else t}'" for t in term.tokens]
            if term.prefix:
                words[-1] += ":*"
            parts.append("(" + (" <-> " if phrases else " & ").join(words) + ")")
        return " & ".join(parts)


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
