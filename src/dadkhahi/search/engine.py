"""Full-text search over extracted text, on SQLite (FTS5) and PostgreSQL (``simple``).

Both engines match the same tokens (``dadkhahi.search.tokens``), so they return the same
set of hits; ranking may differ (bm25 on SQLite, RUM's rank on PostgreSQL, where a phrase
is ranked by its words: see ``postgres_statement``).

What the caller may see is decided **before** anything is ranked, by the one visibility
rule (``access.policy.visible`` on ``items``, and for a testimony's passages on its
``sources``, as the testimony itself is shown): only rows of visible items and
testimonies are matched and ranked, and on SQLite only the FTS5 tables of partitions the
caller may see are queried at all, so neither a protected testimony's words nor its
statistics reach a reader without the grant (see ``dadkhahi.search.index``). Hits on
protected items and testimonies are written to the audit trail before they are
returned.

Each hit carries its page (a passage: its testimony, segment, translation, time code and
language) and a snippet cut from the exact extracted text (or passage), with the matched
words located by the token spans stored at indexing (for protected rows, which store
none, by tokenizing the decrypted text again, with the same tokenizer).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)

from dadkhahi.access.audit import record_reads
from dadkhahi.access.policy import Principal, params, visible
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.search.index import (
    MAX_SEGMENT_TOKENS,
    PUBLIC,
    RESTRICTED,
    fts_exists,
    fts_table,
    is_protected,
    pairs_ready,
    words_of,
)
from dadkhahi.search.query import Query, Term, parse
from dadkhahi.search.tokens import tokenize
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

MAX_LIMIT = 100
#: Sources one search may be narrowed to.
MAX_SOURCE_FILTERS = 50
#: Matches ranked at most for one query, per engine call: a query that matches more pages
#: than this is ranked among the first this many in index order (the oldest indexed
#: first), and its result says so. Both engines' ranks saturate with a word's count
#: (RUM's adds 1/k^2 for its k-th occurrence; bm25's term frequency is damped by k1 and
#: its weight near zero for a word on most pages), so for a word on most pages the best of
#: the first thousand score all but the same as the best of all of them; ranking all of
#: them cost 190 ms (a word) and 2.8 s (a phrase of two such words) at 100,000 pages.
CANDIDATES = 1000
#: The same on PostgreSQL for a very common query (:func:`very_common`), the only one it
#: caps: each candidate's stored vector is read there (twice: to match, then to rank),
#: about 0.1-0.4 ms a row under load, where FTS5's bm25 costs a rare word little.
COMMON_CANDIDATES = 200
#: PostgreSQL's uncapped statement first reads this many times the limit of the index's
#: best matches, then (a run of equal distances going on past them) FETCH_GROWTH times
#: more each time, and past FETCH_MAX every match (see ``postgres_statement``).
FETCH_FIRST = 2
FETCH_GROWTH = 4
FETCH_MAX = 20_000


def capped_note(count: int) -> str:
    """The note of a search capped at ``count`` (no query word in it: notes can be logged)."""
    return (f"{count:,} or more pages match: the best of the first {count:,} (in the order "
            "they were indexed) are shown; add words to narrow the search")
#: Characters of context on each side of the first match in a snippet.
CONTEXT = 80


@dataclass(frozen=True)
class Passage:
    """Where a hit in a testimony stands: its segment (and translation, if the words are
    a translation's), the segment's order, its time code in seconds of the recording
    (None where it has none) and the words' language (the testimony's for a segment,
    the translation's own for a translation)."""

    testimony_id: str
    segment_id: str
    translation_id: str | None
    seq: int
    start: float | None
    end: float | None
    language: str | None

    def to_json(self) -> dict[str, Any]:
        return {"testimony_id": self.testimony_id, "segment_id": self.segment_id,
                "translation_id": self.translation_id, "seq": self.seq,
                "start": self.start, "end": self.end, "language": self.language}


@dataclass(frozen=True)
class Hit:
    """One matching page (or part of a long page), or passage of a testimony."""

    #: The item (None for a testimony's passage: see ``passage``).
    item_id: str | None
    source_id: str
    text_item_id: str | None
    #: The page (None for a passage).
    page: int | None
    score: float
    snippet: str
    #: [start, end) of each matched word or phrase within ``snippet``.
    highlights: list[tuple[int, int]]
    #: Where ``snippet`` starts in the page's (or passage's) exact text.
    offset: int
    passage: Passage | None = None

    def to_json(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "source_id": self.source_id,
                "text_item_id": self.text_item_id, "page": self.page,
                "passage": None if self.passage is None else self.passage.to_json(),
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


#: What a search may be narrowed to: pages of documents, or passages of testimonies.
KINDS = ("document", "testimony")


@dataclass(frozen=True)
class Filters:
    """What the caller narrows a search to, applied to the index rows before anything is
    ranked (so a page of hits is the best of what is asked, and what is left out is never
    ranked or counted): these sources only (``source_ids``), and documents' pages or
    testimonies' passages only (``kind``). Visibility is decided as without them."""

    source_ids: tuple[str, ...] = ()
    kind: str | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise ValidationError(f"kind {self.kind!r}: choose one of {', '.join(KINDS)}")
        if len(self.source_ids) > MAX_SOURCE_FILTERS:
            raise ValidationError(f"source: at most {MAX_SOURCE_FILTERS} sources")

    def condition(self) -> ColumnElement[bool] | None:
        """The condition on ``search_segments`` (None: nothing narrowed)."""
        g = s.search_segments.c
        found: list[ColumnElement[bool]] = []
        if self.source_ids:
            found.append(g.source_id.in_(sorted(set(self.source_ids))))
        if self.kind == "document":
            found.append(g.testimony_id.is_(None))
        elif self.kind == "testimony":
            found.append(g.testimony_id.is_not(None))
        return and_(*found) if found else None


def _visible_items(principal: Principal | None) -> Select[Any] | None:
    if principal is None:
        return None
    return select(s.items.c.id).where(visible(principal, s.items))


def _visible_sources(principal: Principal | None) -> Select[Any] | None:
    """Sources whose testimonies the caller may see (a testimony is shown as its source
    may be: ``services.testimonies``)."""
    if principal is None:
        return None
    return select(s.sources.c.id).where(visible(principal, s.sources))


def _seen(items: Select[Any], sources: Select[Any] | None) -> ColumnElement[bool]:
    """A row of a visible item, or a passage of a visible testimony (correlated EXISTS:
    an index lookup per match read)."""
    g = s.search_segments.c
    item_ok = items.where(s.items.c.id == g.item_id).exists()
    if sources is None:
        return item_ok
    return or_(item_ok, and_(g.testimony_id.is_not(None),
                             sources.where(s.sources.c.id == g.source_id).exists()))


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
    bind: dict[str, str], limit: int, sources: Select[Any] | None = None,
    where: ColumnElement[bool] | None = None,
) -> tuple[list[tuple[int, float]], bool]:
    """The partition's best hits by bm25 among its first :data:`CANDIDATES` visible
    matches (by rowid) meeting ``where`` (the caller's filters), and whether there were
    that many."""
    name = fts_table(partition)
    fts = table(name, column("rowid"))
    g = s.search_segments.c
    # Visibility checked row by row for the matches read (an index lookup each), not by
    # listing every visible row first (a scan of the whole index at 100,000 pages).
    seen = select(g.id).where(g.id == fts.c.rowid, g.partition == partition)
    if items is not None:
        seen = seen.where(_seen(items, sources))
    if where is not None:
        seen = seen.where(where)
    matched = literal_column(name).op("MATCH")(bindparam("fts_match"))
    # FTS5 reads its doclists in rowid order and stops at the limit, so a word on every
    # page costs what a word on CANDIDATES pages does: bm25 is computed for the rows
    # ranked only (up to the last candidate's rowid), each costing its word's count.
    first = (select(fts.c.rowid.label("r")).where(matched, seen.exists())
             .order_by(fts.c.rowid).limit(CANDIDATES).cte("first")
             .prefix_with("MATERIALIZED"))
    rank = func.bm25(literal_column(name))
    count = select(func.count()).select_from(first).scalar_subquery()
    stmt = (select(fts.c.rowid, rank.label("score"), count.label("candidates"))
            # "rowid + 0": the candidates filter the match (run once), not the reverse.
            .where(matched, fts.c.rowid <= select(func.max(first.c.r)).scalar_subquery(),
                   (fts.c.rowid + 0).in_(select(first.c.r)))
            .order_by(rank, fts.c.rowid).limit(limit))
    found = conn.execute(stmt, {**bind, "fts_match": match}).all()
    # bm25: lower is better
    return ([(int(r), -float(sc)) for r, sc, _ in found],
            bool(found) and int(found[0][2]) >= CANDIDATES)


def postgres_statement(
    partitions: Sequence[str], items: Select[Any] | None, limit: int, *,
    capped: bool = False, checked: bool = False, sources: Select[Any] | None = None,
    where: ColumnElement[bool] | None = None,
) -> Select[Any]:
    """PostgreSQL's statement: segment IDs and RUM distances, best first, and (``capped``)
    how many matches were ranked.

    Rows are matched by ``:ts_query`` and ranked by ``:ts_rank_query``, the same words
    with every phrase loosened to AND (:func:`postgres_params` gives both); a phrase with a
    common word is matched and ranked by its pair lexemes (:mod:`dadkhahi.search.grams`),
    and, when those alone are not exact (``checked``: three words or more), each row the
    index gives is checked against the phrase itself, ``:ts_check``, on its stored vector.

    The RUM index (migration 0001) holds every lexeme's positions, so ``tsv <=> query``
    (the distance, 1 / rank) is read from the index and the rows come out of it best first,
    without reading any row's stored vector. But RUM computes the distance of *every*
    match before it gives the first (it sorts them all), so the cost grows with the
    number of matches: 190 ms for a word on each of 100,000 pages. ``capped`` (chosen by
    :func:`very_common` from the column's statistics, for words on most pages) ranks the
    first :data:`COMMON_CANDIDATES` matches by ID instead (as SQLite ranks its first
    :data:`CANDIDATES` by rowid), reading their stored vectors: the planner finds them by
    walking the primary key and checking each row (about two rows per candidate for such
    words), so the cost no longer grows with the number of matches, and the same query
    on the same rows ranks the same candidates, ties broken by ID.

    The score is a function of the row alone (no corpus statistics), and the visibility
    conditions drop rows the caller may not see before the limit (and before the cap),
    so the hits are exactly those of ranking the visible rows only: ``items`` (visible
    items) and ``sources`` (sources whose testimonies are visible; without it no passage
    is), both None for the home's operator; ``where`` (the caller's :class:`Filters`)
    likewise.
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
    conditions = [vector.op("@@")(match), g.partition.in_(list(partitions))]
    if checked:
        # The function, not the operator: a condition on the row the index gave (its
        # pairs matched), never a second index condition, which would read the posting
        # lists of the phrase's common words again.
        conditions.append(func.ts_match_vq(
            vector, func.to_tsquery(simple, bindparam("ts_check", type_=Text))))
    if where is not None:
        conditions.append(where)
    rows: Any = s.search_segments
    if items is not None:
        if sources is None:
            conditions.append(g.item_id.in_(items))
        else:
            # A page's row is seen through its item, a passage's (no item) through its
            # testimony's source. The item is joined (its rule in the join, an index
            # lookup per row read, as the IN above becomes), not asked in an OR
            # (``item_id IN (…) OR …``): PostgreSQL cannot make a join of an IN under
            # an OR, and hashed the visibility of every item of the store first (a scan
            # of all items per query: 15.5 ms at 2,000 items).
            rule = items.whereclause
            assert rule is not None, "items: a SELECT of item IDs under the rule"
            rows = s.search_segments.outerjoin(
                s.items, and_(s.items.c.id == g.item_id, rule))
            conditions.append(or_(s.items.c.id.is_not(None), and_(
                g.testimony_id.is_not(None), g.source_id.in_(sources))))
    if capped:
        # The first matches by ID (the order they were indexed, as FTS5's rowids on
        # SQLite): rows walked along the primary key and each checked, about two per
        # candidate for such a query, stopping at the last one (the visibility
        # conditions checked for those rows only). Not "the first the scan gives": that
        # order is the heap's, which a rewrite of the rows (``documents reindex``, an
        # update) or a synchronised scan changes, and the page shown with it.
        first = (select(g.id, vector.label("tsv")).select_from(rows).where(*conditions)
                 .order_by(g.id).limit(COMMON_CANDIDATES).cte("candidates"))
        ranked = first.c.tsv.op("<=>", return_type=Float)(rank)
        count = select(func.count()).select_from(first).scalar_subquery()
        return (select(first.c.id, ranked.label("distance"), count.label("candidates"))
                .order_by(ranked, first.c.id).limit(limit))
    distance = vector.op("<=>", return_type=Float)(rank)
    # Ties broken by ID, not by the order the index gives equal distances in (the
    # heap's, which a rewrite of the table changes, and the page with it). Asked as
    # ORDER BY distance, id, PostgreSQL 15 takes no order from the index (an index's
    # ordering operator must match every sort key) and sorts every match; so the index
    # gives its best ``:fetch`` matches by the distance alone in a subquery, and those
    # are put in (distance, ID) order on top. The subquery's LIMIT tells the planner how
    # few rows are wanted: without it (an OFFSET 0 fence, stop 29) the planner costed
    # reading every match and chose a scan of the table and a sort of all of them for a
    # phrase on half the pages (2,000 documents: 16.6 ms of server CPU a query against
    # 1.4 ms). ``fetched`` and ``deepest`` (how many rows the subquery gave, and the
    # largest distance among them) tell :func:`_postgres_hits` whether the run of equal
    # distances at the cut may go on past the fetched rows: then it asks again for more.
    ordered = (select(g.id.label("id"), distance.label("distance")).select_from(rows)
               .where(*conditions).order_by(distance)
               .limit(bindparam("fetch", value=limit * FETCH_FIRST, type_=Integer))
               .subquery("ranked"))
    return (select(ordered.c.id, ordered.c.distance,
                   literal_column("0").label("candidates"),
                   func.count().over().label("fetched"),
                   func.max(ordered.c.distance).over().label("deepest"))
            .order_by(ordered.c.distance, ordered.c.id).limit(limit))


def postgres_params(query: Query, key: bytes | None = None, *,
                    pairs: bool = True) -> dict[str, str]:
    """The values of :func:`postgres_statement`'s ``ts_query``, ``ts_rank_query`` and (when
    checked) ``ts_check``, for an index with pair lexemes (``pairs``) or without."""
    written = query.written(key, pairs=pairs)
    values = {"ts_query": written.match, "ts_rank_query": written.rank}
    if written.check is not None:
        values["ts_check"] = written.check
    return values


#: Share of the pages the query's rarest word must be on (PostgreSQL's estimate) for its
#: matches to be ranked among the first COMMON_CANDIDATES (``capped``) rather than all of them
#: from the index. At a half or more, the capped plan reads about two rows per candidate
#: wherever it starts (it may walk the table in order, checking each row's vector).
VERY_COMMON = 0.5

# The share of rows holding each of the words, from the statistics ANALYZE keeps on the
# tsv column (its most common lexemes and their frequencies), and the table's rows: NULL
# when a word is not among the most common (then it is rarer than all of those).
_ESTIMATE = text("""
SELECT min(e.f) * CASE WHEN count(DISTINCT e.w) = :n THEN 1 END, max(c.reltuples)
FROM pg_class c
JOIN pg_stats st ON st.schemaname = current_schema() AND st.tablename = 'search_segments'
    AND st.attname = 'tsv'
CROSS JOIN LATERAL unnest(st.most_common_elems::text::text[], st.most_common_elem_freqs)
    AS e(w, f)
WHERE c.oid = 'search_segments'::regclass AND e.w = ANY(:words)
""")


def very_common(conn: Connection, query: Query, key: bytes | None, *,
                pairs: bool = True) -> bool:
    """Whether even the query's rarest lexeme is on VERY_COMMON of the pages or more (and
    on more than COMMON_CANDIDATES pages).

    Lexemes only: words, and the pair lexemes of a phrase of two words with a common one
    (the pair's statistics are the phrase's own). A phrase without a pair, a longer one
    (checked as a phrase after its pairs) or a prefix is never taken as very common: a
    phrase of common words can be rare (two words on 90% of pages each met side by side on
    1% of them), and the statistics know lexemes, not how often they meet: the capped
    plan would then read most of the table to find its candidates (2.5 s at 20,000 pages,
    against 147 ms for the index's exact order). No statistics yet (a new database), or a
    lexeme not among the most common: not very common.
    """
    words = sorted(set(query.written(key, pairs=pairs).lexemes))
    if not words:
        return False
    share, rows = conn.execute(_ESTIMATE, {"words": words, "n": len(words)}).one()
    return (share is not None and float(share) >= VERY_COMMON
            and float(share) * float(rows) > COMMON_CANDIDATES)


def _postgres_hits(
    conn: Connection, partitions: Sequence[str], query: Query, key: bytes | None,
    items: Select[Any] | None, bind: dict[str, str], limit: int, pairs: bool,
    sources: Select[Any] | None = None, where: ColumnElement[bool] | None = None,
) -> tuple[list[tuple[int, float]], bool]:
    capped = very_common(conn, query, key, pairs=pairs)
    values = postgres_params(query, key, pairs=pairs)
    stmt = postgres_statement(partitions, items, limit, capped=capped,
                              checked="ts_check" in values, sources=sources, where=where)
    if capped:
        found = conn.execute(stmt, {**bind, **values}).all()
        hits = [(int(r[0]), _rank(r[1])) for r in found]
        return hits, bool(found) and int(found[0][2]) >= COMMON_CANDIDATES
    fetch: int | None = limit * FETCH_FIRST
    while True:
        found = conn.execute(stmt, {**bind, **values, "fetch": fetch}).all()
        # Exact when every match was read, or when the run of equal distances at the cut
        # ends among the rows read (a row of that distance not read would be a tie the
        # order by ID must see); else read more, up to every match.
        if (not found or fetch is None or int(found[0][3]) < fetch
                or len(found) < limit or float(found[-1][1]) < float(found[0][4])):
            break
        fetch = fetch * FETCH_GROWTH if fetch * FETCH_GROWTH <= FETCH_MAX else None
    return [(int(r[0]), _rank(r[1])) for r in found], False


def _rank(distance: Any) -> float:
    # Distance is 1 / rank (infinite for rank 0): give the rank, higher is better.
    return 1.0 / float(distance) if distance else 0.0


def search(
    store: Store, principal: Principal | None, q: str, *, limit: int = 20,
    filters: Filters | None = None,
) -> SearchResult:
    """Search every text the caller may see; ``principal`` None is the home's operator
    (the command line, which holds the keys and sees everything). ``filters`` narrow it
    (sources, documents or testimonies) before anything is ranked."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")
    query = parse(q)
    result = SearchResult(q)
    items = _visible_items(principal)
    sources = _visible_sources(principal)
    bind = params(principal) if principal is not None else {}
    where = None if filters is None else filters.condition()
    scored: list[tuple[int, float]] = []
    capped = False
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
        pairs = pairs_ready(conn)
        for group, key in groups:
            if sqlite:
                for partition in group:
                    if fts_exists(conn, partition):
                        found, cut = _sqlite_hits(conn, partition,
                                                  query.written(key, pairs=pairs).fts5,
                                                  items, bind, limit, sources, where)
                        scored += found
                        capped |= cut
            else:
                found, cut = _postgres_hits(conn, group, query, key, items, bind, limit,
                                            pairs, sources, where)
                scored += found
                capped |= cut
        if capped:
            result.notes.append(capped_note(CANDIDATES if sqlite else COMMON_CANDIDATES))
        scored.sort(key=lambda pair: (-pair[1], pair[0]))
        scored = scored[:limit]
        rows = {int(r["id"]): dict(r) for r in conn.execute(
            select(s.search_segments).where(s.search_segments.c.id.in_(
                [i for i, _ in scored]))).mappings()} if scored else {}
        texts: dict[tuple[str, int], str] = {}
        touched: list[tuple[str, str]] = []
        passages, passage_texts = _passages(store, conn, [
            r for r in rows.values() if r["testimony_id"] is not None])
        for seg_id, score in scored:
            row = rows[seg_id]
            passage = passages.get(seg_id)
            if is_protected(str(row["partition"])):
                touched.append(("item", str(row["item_id"])) if passage is None
                               else ("testimony", passage.testimony_id))
            if passage is None:
                page_text, spans, tokens = _page_tokens(store, conn, row, texts)
            else:
                page_text, spans, tokens = _row_tokens(row, passage_texts[seg_id])
            snippet, offset, marks = snippet_for(page_text, spans, tokens, query)
            result.hits.append(Hit(
                None if passage else str(row["item_id"]), str(row["source_id"]),
                None if passage else str(row["text_item_id"]),
                None if passage else int(row["page"]), score, snippet, marks, offset,
                passage))
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
        return _row_tokens(row, str(text))
    key = (str(row["item_id"]), page)
    if key not in cache:
        pages = read_text(store, conn, str(row["item_id"])).get("pages", [])
        cache[key] = next((p["text"] for p in pages if p["number"] == page), "")
    return _row_tokens(row, cache[key])


def _row_tokens(
    row: dict[str, Any], text: str,
) -> tuple[str, list[tuple[int, int]], list[str]]:
    """The exact text of a row's page or passage, and the row's token spans and (clear)
    tokens: stored with a clear row, found again by the one tokenizer for a protected
    one (which stores keyed hashes only)."""
    if row["spans"] is not None:
        flat = row["spans"]
        spans = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
        return text, spans, words_of(str(row["tokens"]), int(row["token_count"]))
    first = int(row["part"]) * MAX_SEGMENT_TOKENS
    found = tokenize(text)[first:first + MAX_SEGMENT_TOKENS]
    return text, [(t.start, t.end) for t in found], [t.text for t in found]


def _passages(
    store: Store, conn: Connection, rows: Sequence[dict[str, Any]],
) -> tuple[dict[int, Passage], dict[int, str]]:
    """For each index row of a testimony's passage among the hits (by row ID): where it
    stands (segment, translation, time code, language) and its exact words. Sealed
    fields are opened: the rows passed the visibility rule already."""
    if not rows:
        return {}, {}
    g, tr, tm = s.testimony_segments.c, s.segment_translations.c, s.testimonies.c

    def opened(stmt: Select[Any]) -> dict[str, dict[str, Any]]:
        return {str(r["id"]): store.keys.open_row(conn, dict(r))
                for r in conn.execute(stmt).mappings()}

    segments = opened(select(g.id, g.sealed, g.seq, g.text, g.start, g.end).where(
        g.id.in_(sorted({str(r["segment_id"]) for r in rows}))))
    translations = opened(select(tr.id, tr.sealed, tr.language, tr.text).where(
        tr.id.in_(sorted({str(r["translation_id"]) for r in rows
                          if r["translation_id"] is not None}))))
    testimonies = opened(select(tm.id, tm.sealed, tm.language).where(
        tm.id.in_(sorted({str(r["testimony_id"]) for r in rows}))))
    found: dict[int, Passage] = {}
    texts: dict[int, str] = {}
    for row in rows:
        segment = segments[str(row["segment_id"])]
        translation = (None if row["translation_id"] is None
                       else translations[str(row["translation_id"])])
        words = segment if translation is None else translation
        language = (testimonies[str(row["testimony_id"])] if translation is None
                    else translation).get("language")
        found[int(row["id"])] = Passage(
            str(row["testimony_id"]), str(row["segment_id"]),
            None if translation is None else str(row["translation_id"]), int(segment["seq"]),
            _seconds(segment.get("start")), _seconds(segment.get("end")),
            None if words.get("erased") or language is None else str(language))
        texts[int(row["id"])] = "" if words.get("erased") else str(words["text"])
    return found, texts


def _seconds(value: Any) -> float | None:
    return None if value is None else float(value)


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
