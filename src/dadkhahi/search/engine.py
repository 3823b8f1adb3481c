"""Full-text search over extracted text, on SQLite (FTS5) and PostgreSQL (``simple``).

Both engines match the same tokens (``dadkhahi.search.tokens``), so they return the same
set of hits; ranking may differ (bm25 on SQLite, RUM's rank on PostgreSQL, where a phrase
is ranked by its words: see ``postgres_statement``).

What the caller may see is decided **before** anything is ranked, by the one visibility
rule (``access.policy.visible`` on ``items``): only rows of visible items are matched and
ranked, and on SQLite only the FTS5 tables of partitions the caller may see are queried at
all, so neither a protected testimony's words nor its statistics reach a reader without
the grant (see ``dadkhahi.search.index``). Hits on protected items are written to the
audit trail before they are returned.

Each hit carries its page and a snippet cut from the exact extracted text, with the
matched words located by the token spans stored at indexing (for protected rows, which
store none, by tokenizing the decrypted text again, with the same tokenizer).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    Float,
    Select,
    Text,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
)

from dadkhahi.access.audit import record_reads
from dadkhahi.access.policy import Principal, params, visible
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.search.index import (
    PUBLIC,
    RESTRICTED,
    fts_exists,
    fts_table,
    is_protected,
)
from dadkhahi.search.query import Query, Term, parse
from dadkhahi.search.tokens import tokenize
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

MAX_LIMIT = 100
#: Characters of context on each side of the first match in a snippet.
CONTEXT = 80


@dataclass(frozen=True)
class Hit:
    """One matching page (or part of a long page)."""

    item_id: str
    source_id: str
    text_item_id: str
    page: int
    score: float
    snippet: str
    #: [start, end) of each matched word or phrase within ``snippet``.
    highlights: list[tuple[int, int]]
    #: Where ``snippet`` starts in the page's exact text.
    offset: int

    def to_json(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "source_id": self.source_id,
                "text_item_id": self.text_item_id, "page": self.page,
                "score": round(self.score, 6), "snippet": self.snippet,
                "highlights": [list(h) for h in self.highlights], "offset": self.offset}


@dataclass
class SearchResult:
    """The hits, best first, and anything the caller should know about the search."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "hits": [h.to_json() for h in self.hits],
                "notes": self.notes}


def _visible_items(principal: Principal | None) -> Select[Any] | None:
    if principal is None:
        return None
    return select(s.items.c.id).where(visible(principal, s.items))


def _partitions(conn: Connection, principal: Principal | None) -> list[str]:
    """Partitions the caller may see: public, restricted for the team, granted protected."""
    src = s.sources.c
    stmt = select(src.id).where(src.sensitivity == str(Sensitivity.PROTECTED))
    bind: dict[str, str] = {}
    if principal is not None:
        stmt = stmt.where(visible(principal, s.sources))
        bind = params(principal)
    protected = [f"p_{sid}" for sid in conn.execute(stmt.order_by(src.id), bind).scalars()]
    team = principal is None or principal.team
    return [PUBLIC, *([RESTRICTED] if team else []), *protected]


def _sqlite_hits(
    conn: Connection, partition: str, match: str, items: Select[Any] | None,
    bind: dict[str, str], limit: int,
) -> list[tuple[int, float]]:
    name = fts_table(partition)
    fts = table(name, column("rowid"))
    g = s.search_segments.c
    rows = select(g.id).where(g.partition == partition)
    if items is not None:
        rows = rows.where(g.item_id.in_(items))
    rank = func.bm25(literal_column(name))
    stmt = (select(fts.c.rowid, rank.label("score"))
            # "rowid + 0": without it SQLite walks the visible rows and evaluates the
            # MATCH once per row; with it the match runs once and the rows filter it.
            .where(literal_column(name).op("MATCH")(bindparam("fts_match")),
                   (fts.c.rowid + 0).in_(rows))
            .order_by(rank, fts.c.rowid).limit(limit))
    found = conn.execute(stmt, {**bind, "fts_match": match}).all()
    return [(int(r), -float(sc)) for r, sc in found]  # bm25: lower is better


def postgres_statement(
    partitions: Sequence[str], items: Select[Any] | None, limit: int,
) -> Select[Any]:
    """PostgreSQL's statement: segment IDs and RUM distances, best first.

    Rows are matched by ``:ts_query`` and ranked by ``:ts_rank_query``, the same words
    with every phrase loosened to AND (:func:`postgres_params` gives both).

    The RUM index (migration 0001) holds every lexeme's positions, so ``tsv <=> query``
    (the distance, 1 / rank) is read from the index and the rows come out of it best first:
    a common word's top hits cost the same as a rare word's, where ``ts_rank`` had to
    read (and decompress) every matching row's stored vector to sort them. The score is
    a function of the row alone (no corpus statistics), and the visibility conditions
    drop rows the caller may not see before the limit, so the hits are exactly those of
    ranking the visible rows only.
    """
    g = s.search_segments.c
    simple: Any = literal_column("'simple'::regconfig")
    # The stored generated column under the RUM index: matched and ranked without
    # parsing any row's tokens again.
    vector: Any = literal_column("search_segments.tsv")
    match = func.to_tsquery(simple, bindparam("ts_query", type_=Text))
    # Ranked by the AND form of the query, matched by the query itself (so the hit set
    # is the phrase's, as on SQLite). RUM computes the ordering distance of every row
    # the index condition matches before the limit, and a phrase's distance costs far
    # more than its words' AND: a phrase of two words present in every one of 20,000
    # documents took 6.3-7.9 s ordered by the phrase, 379 ms ordered by the AND (stop
    # 24's measurement). The price: the AND's distance is the cover density of the words
    # wherever they stand together, in either order, so a phrase's hits are ordered by
    # how often and how closely its words meet on the page, no longer by how often the
    # phrase itself occurs (which RUM's phrase distance follows exactly).
    rank = func.to_tsquery(simple, bindparam("ts_rank_query", type_=Text))
    distance = vector.op("<=>", return_type=Float)(rank)
    stmt = (select(g.id, distance.label("distance"))
            .where(vector.op("@@")(match), g.partition.in_(list(partitions)))
            # The distance alone: with a second key PostgreSQL cannot take the order
            # from the index and sorts every match again. Ties at the cut are broken by
            # the index's scan order (the same for the same database, not by ID); the
            # page itself is put in (score, ID) order by the caller.
            .order_by(distance).limit(limit))
    if items is not None:
        stmt = stmt.where(g.item_id.in_(items))
    return stmt


def postgres_params(query: Query, key: bytes | None = None) -> dict[str, str]:
    """The values of :func:`postgres_statement`'s ``ts_query`` and ``ts_rank_query``."""
    return {"ts_query": query.tsquery(key), "ts_rank_query": query.tsquery(key, phrases=False)}


def _postgres_hits(
    conn: Connection, partitions: Sequence[str], query: Query, key: bytes | None,
    items: Select[Any] | None, bind: dict[str, str], limit: int,
) -> list[tuple[int, float]]:
    stmt = postgres_statement(partitions, items, limit)
    found = conn.execute(stmt, {**bind, **postgres_params(query, key)})
    # Distance is 1 / rank (infinite for rank 0): give the rank, higher is better.
    return [(int(r), 1.0 / float(d) if d else 0.0) for r, d in found]


def search(
    store: Store, principal: Principal | None, q: str, *, limit: int = 20,
) -> SearchResult:
    """Search every text the caller may see; ``principal`` None is the home's operator
    (the command line, which holds the keys and sees everything)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")
    query = parse(q)
    result = SearchResult(q)
    items = _visible_items(principal)
    bind = params(principal) if principal is not None else {}
    scored: list[tuple[int, float]] = []
    with store.reading() as conn:
        partitions = _partitions(conn, principal)
        clear = [p for p in partitions if not is_protected(p)]
        protected = [p for p in partitions if is_protected(p)]
        if protected and query.has_prefix:
            result.notes.append("prefix searches do not reach protected documents (their "
                                "index holds keyed hashes of whole words)")
            protected = []
        sqlite = conn.dialect.name == "sqlite"
        groups: list[tuple[list[str], bytes | None]] = [(clear, None)] + [
            ([p], store.keys.subkey(f"search-tokens {p[2:]}")) for p in protected]
        for group, key in groups:
            if sqlite:
                for partition in group:
                    if fts_exists(conn, partition):
                        scored += _sqlite_hits(conn, partition, query.fts5(key), items, bind,
                                               limit)
            else:
                scored += _postgres_hits(conn, group, query, key, items, bind, limit)
        scored.sort(key=lambda pair: (-pair[1], pair[0]))
        scored = scored[:limit]
        rows = {int(r["id"]): dict(r) for r in conn.execute(
            select(s.search_segments).where(s.search_segments.c.id.in_(
                [i for i, _ in scored]))).mappings()} if scored else {}
        texts: dict[tuple[str, int], str] = {}
        touched: list[tuple[str, str]] = []
        for seg_id, score in scored:
            row = rows[seg_id]
            if is_protected(str(row["partition"])):
                touched.append(("item", str(row["item_id"])))
            page_text, spans, tokens = _page_tokens(store, conn, row, texts)
            snippet, offset, marks = snippet_for(page_text, spans, tokens, query)
            result.hits.append(Hit(str(row["item_id"]), str(row["source_id"]),
                                   str(row["text_item_id"]), int(row["page"]), score,
                                   snippet, marks, offset))
    if principal is not None and touched:
        record_reads(store, principal, "search", touched)
    return result


def _page_tokens(
    store: Store, conn: Connection, row: dict[str, Any], cache: dict[tuple[str, int], str],
) -> tuple[str, list[tuple[int, int]], list[str]]:
    """The page's exact text, and the row's token spans and (clear) tokens."""
    from dadkhahi.intake.documents import read_text

    page = int(row["page"])
    if row["spans"] is not None:
        text = row["text"]
        if text is None:  # a later part of a long page: the text is on part 0
            text = conn.execute(select(s.search_segments.c.text).where(
                s.search_segments.c.text_item_id == row["text_item_id"],
                s.search_segments.c.page == page, s.search_segments.c.part == 0)).scalar_one()
        flat = row["spans"]
        spans = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
        return str(text), spans, str(row["tokens"]).split(" ")
    key = (str(row["item_id"]), page)
    if key not in cache:
        pages = read_text(store, conn, str(row["item_id"])).get("pages", [])
        cache[key] = next((p["text"] for p in pages if p["number"] == page), "")
    from dadkhahi.search.index import MAX_SEGMENT_TOKENS

    first = int(row["part"]) * MAX_SEGMENT_TOKENS
    found = tokenize(cache[key])[first:first + MAX_SEGMENT_TOKENS]
    return cache[key], [(t.start, t.end) for t in found], [t.text for t in found]


def _matches(term: Term, tokens: Sequence[str]) -> list[tuple[int, int]]:
    """(first, last) token indexes where ``term`` occurs."""
    n, want = len(term.tokens), term.tokens
    last = n - 1
    if n == 1:
        if term.prefix:
            return [(i, i) for i, t in enumerate(tokens) if t.startswith(want[0])]
        return [(i, i) for i, t in enumerate(tokens) if t == want[0]]
    found = []
    # Candidates by the first token (a C-speed scan), then the rest of the phrase.
    for i in (i for i, t in enumerate(tokens) if t == want[0]):
        if i + last >= len(tokens) or list(tokens[i + 1:i + last]) != list(want[1:last]):
            continue
        tail = tokens[i + last]
        if tail.startswith(want[last]) if term.prefix else tail == want[last]:
            found.append((i, i + last))
    return found


def snippet_for(
    text: str, spans: Sequence[tuple[int, int]], tokens: Sequence[str], query: Query,
) -> tuple[str, int, list[tuple[int, int]]]:
    """A window of the exact text around the first match, and every match inside it."""
    marks = sorted((spans[a][0], spans[b][1]) for term in query.terms
                   for a, b in _matches(term, tokens))
    if not marks:
        return text[:2 * CONTEXT], 0, []
    start, end = marks[0]
    lo, hi = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
    # Widen to whole words: never cut a word (or a name) in half.
    while lo > 0 and not text[lo - 1].isspace():
        lo -= 1
    while hi < len(text) and not text[hi].isspace():
        hi += 1
    inside = [(a - lo, b - lo) for a, b in marks if a >= lo and b <= hi]
    return text[lo:hi], lo, inside


def dumps(result: SearchResult) -> str:
    """The result as JSON text (the CLI's ``--json``)."""
    return json.dumps(result.to_json(), ensure_ascii=False, indent=2)
