"""Writing and removing full-text index rows, the same rows on SQLite and PostgreSQL.

Each page of a text derivative becomes one or more rows of ``search_segments`` (a page
longer than :data:`MAX_SEGMENT_TOKENS` is cut into parts) holding the page's tokens from
the one tokenizer, joined by spaces; so does each passage of a testimony's transcript
(a segment) and each translation of one (:func:`index_passages`: the row names the
testimony, segment and translation instead of an item, and ``page`` holds the segment's
order), in the testimony's partition. PostgreSQL keeps ``to_tsvector('simple', tokens)``
in a stored generated column ``tsv`` under a RUM index (made by the migration); SQLite
with FTS5 tables over
the same column, tokenizer ``ascii`` (which splits on the spaces only, since every token
is already normalised).

**Common pairs.** After a row's words come the pair lexemes of its adjacent pairs holding
a very common word (:mod:`dadkhahi.search.grams`): ``token_count`` counts the words only,
and ``spans`` has one span per word. ``fulltext_state`` says which common words the rows'
pairs were made with (:func:`pairs_ready`); :func:`reindex` rewrites them.

**Partitions.** FTS5's bm25 ranks with corpus-wide statistics (how many rows hold a word,
the mean row length), so an index shared by public and protected text would let a
protected testimony's words move the ranking a public reader sees. Each *visibility
partition* therefore has an FTS5 table of its own: ``public``, ``restricted`` and, for
every protected source, ``p_<source id>`` (grants are given per source, so a reader sees
a partition whole or not at all). PostgreSQL's rank (RUM's, as ``ts_rank``) uses no corpus
statistics, so one RUM index serves every partition there.

**Protected text at rest.** A protected row stores keyed hashes of its tokens (HMAC-SHA256
under a key derived from the master key and the source ID), no text and no spans: a copy
of the database alone does not give a testimony's words. Exact words and phrases are
found (the query is hashed with the same key, for readers holding the grant); prefixes
are not. Erasing an item removes its rows and rebuilds the partition's FTS5 table
(``optimize``), so no deleted token stays in the index's pages.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.search.grams import VERSION, pairing
from dadkhahi.search.tokens import tokenize
from dadkhahi.store import schema as s
from dadkhahi.store.db import write_transaction

if TYPE_CHECKING:
    from dadkhahi.store.store import Store

#: Tokens in one index row at most; longer pages are cut into parts.
MAX_SEGMENT_TOKENS = 4000
PUBLIC = "public"
RESTRICTED = "restricted"
_PARTITION = re.compile(r"^(public|restricted|p_[a-z]{3}_[0-9a-f]{20})$")
#: Letters standing for hex digits, so a hashed token is a plain word to every parser.
_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def partition_for(item_sensitivity: str, source_sensitivity: str, source_id: str) -> str:
    """The visibility partition of an item's text (the stricter of item and source)."""
    levels = {item_sensitivity, source_sensitivity}
    if str(Sensitivity.PROTECTED) in levels:
        return f"p_{source_id}"
    if str(Sensitivity.RESTRICTED) in levels:
        return RESTRICTED
    return PUBLIC


def is_protected(partition: str) -> bool:
    """True for a protected source's partition (its tokens are keyed hashes)."""
    return partition.startswith("p_")


def fts_table(partition: str) -> str:
    """The SQLite FTS5 table of a partition (the name is checked before it is used)."""
    if not _PARTITION.match(partition):
        raise ValueError(f"not a search partition: {partition!r}")
    return f"search_fts_{partition}"


def hash_token(key: bytes, token: str) -> str:
    """A protected token as stored and searched: 20 letters of HMAC-SHA256."""
    digest = hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()[:20]
    return digest.translate(_LETTERS)


def ensure_fts(conn: Connection, partition: str) -> str:
    """Create the partition's FTS5 table if it is missing (SQLite only); returns its name."""
    name = fts_table(partition)
    conn.execute(text(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5(tokens, "
        "content='search_segments', content_rowid='id', tokenize='ascii', detail=full)"))
    return name


def fts_exists(conn: Connection, partition: str) -> bool:
    """Whether SQLite has an FTS5 table for the partition (nothing indexed there yet if not)."""
    found = conn.execute(text("SELECT 1 FROM sqlite_master WHERE type='table' AND name=:n"),
                         {"n": fts_table(partition)}).first()
    return found is not None


def with_pairs(words: Sequence[str], key: bytes | None = None) -> str:
    """A row's ``tokens``: its words, then the pair lexemes of its common words
    (:mod:`dadkhahi.search.grams`; ``key`` for a protected row, whose words are hashed)."""
    return " ".join([*words, *pairing(key).pairs(words)])


def words_of(tokens: str, token_count: int) -> list[str]:
    """A row's words (its tokens without the pair lexemes that follow them)."""
    return tokens.split(" ")[:token_count]


@dataclass(frozen=True)
class PageText:
    """One page to index: its number and exact text."""

    number: int
    text: str


def segment_rows(
    pages: Iterable[PageText], *, protected: bool, token_key: bytes | None = None,
) -> list[dict[str, object]]:
    """The ``search_segments`` values of some pages (without item, source and partition).

    A protected row gets keyed hashes of its tokens (``token_key``), no spans, no text.
    """
    if protected and token_key is None:
        raise ValueError("a protected partition needs its token key")
    rows: list[dict[str, object]] = []
    for page in pages:
        tokens = tokenize(page.text)
        for part, first in enumerate(range(0, max(len(tokens), 1), MAX_SEGMENT_TOKENS)):
            chunk = tokens[first:first + MAX_SEGMENT_TOKENS]
            if not chunk:
                continue
            if protected:
                assert token_key is not None
                words = [hash_token(token_key, t.text) for t in chunk]
                spans, page_text = None, None
            else:
                words = [t.text for t in chunk]
                spans = [n for t in chunk for n in (t.start, t.end)]
                page_text = page.text if part == 0 else None
            rows.append({"page": page.number, "part": part,
                         "tokens": with_pairs(words, token_key if protected else None),
                         "token_count": len(chunk), "spans": spans, "text": page_text})
    return rows


def index_pages(
    conn: Connection, *, item_id: str, text_item_id: str, source_id: str, partition: str,
    pages: Iterable[PageText], token_key: bytes | None = None,
) -> int:
    """Write the index rows of one text derivative; returns how many rows were written.

    ``token_key`` is required for a protected partition (its tokens are stored hashed).
    Runs inside the caller's transaction, so the rows land with the extraction's events.
    """
    rows = segment_rows(pages, protected=is_protected(partition), token_key=token_key)
    return _write(conn, partition, [
        {"item_id": item_id, "text_item_id": text_item_id, "source_id": source_id,
         "partition": partition, **row} for row in rows])


@dataclass(frozen=True)
class Passage:
    """One passage of a testimony to index: a segment's exact words (``translation_id``
    None) or a translation of them, and the segment's order in the transcript."""

    segment_id: str
    seq: int
    text: str
    translation_id: str | None = None


def index_passages(
    conn: Connection, *, testimony_id: str, source_id: str, partition: str,
    passages: Iterable[Passage], token_key: bytes | None = None,
) -> int:
    """Write the index rows of some passages of one testimony (its segments or their
    translations), in the testimony's partition; returns how many rows were written.

    As :func:`index_pages` (one row per passage, or per part of a long one; a protected
    partition's tokens hashed with ``token_key``), inside the caller's transaction, so
    the rows land with the segments' or translation's event."""
    protected = is_protected(partition)
    values: list[dict[str, object]] = []
    for passage in passages:
        values += [{"item_id": None, "text_item_id": None, "testimony_id": testimony_id,
                    "segment_id": passage.segment_id,
                    "translation_id": passage.translation_id, "source_id": source_id,
                    "partition": partition, **row}
                   for row in segment_rows([PageText(passage.seq, passage.text)],
                                           protected=protected, token_key=token_key)]
    return _write(conn, partition, values)


def _write(conn: Connection, partition: str, values: list[dict[str, object]]) -> int:
    """Insert index rows of one partition (and, on SQLite, into its FTS5 table)."""
    fts = ensure_fts(conn, partition) if conn.dialect.name == "sqlite" else None
    if not values:
        return 0
    claim_empty(conn)
    # One statement for all the pages (SQLAlchemy sends an executemany as multi-row
    # INSERTs), not one round trip per page.
    if fts is None:
        conn.execute(insert(s.search_segments), values)
        return len(values)
    ids = conn.execute(insert(s.search_segments).returning(s.search_segments.c.id),
                       values).scalars().all()
    # The table name was checked by fts_table(); the IDs are bound.
    conn.execute(text(f"INSERT INTO {fts}(rowid, tokens) "  # noqa: S608
                      "SELECT id, tokens FROM search_segments WHERE id IN :ids")
                 .bindparams(bindparam("ids", expanding=True)), {"ids": list(ids)})
    return len(values)


def remove_items(conn: Connection, item_ids: Sequence[str]) -> int:
    """Remove every index row of these items (originals or their text derivatives).

    On SQLite each touched FTS5 table is then optimised (rebuilt in one b-tree), so the
    removed tokens do not linger in its pages. Returns the number of rows removed.
    """
    if not item_ids:
        return 0
    g = s.search_segments.c
    return _remove(conn, g.item_id.in_(list(item_ids)) | g.text_item_id.in_(list(item_ids)))


def remove_testimonies(conn: Connection, testimony_ids: Sequence[str]) -> int:
    """Remove every index row of these testimonies' segments and translations (their
    erasure), as :func:`remove_items` does an item's. Returns the number of rows removed."""
    if not testimony_ids:
        return 0
    return _remove(conn, s.search_segments.c.testimony_id.in_(list(testimony_ids)))


def _remove(conn: Connection, which: ColumnElement[bool]) -> int:
    g = s.search_segments.c
    rows = conn.execute(select(g.id, g.partition, g.tokens).where(which)).all()
    if conn.dialect.name == "sqlite":
        touched: set[str] = set()
        for row_id, partition, words in rows:
            name = fts_table(str(partition))
            conn.execute(text(f"INSERT INTO {name}({name}, rowid, tokens) "  # noqa: S608
                              "VALUES ('delete', :id, :t)"), {"id": row_id, "t": words})
            touched.add(name)
        for name in sorted(touched):
            conn.execute(text(f"INSERT INTO {name}({name}) VALUES ('optimize')"))  # noqa: S608
    conn.execute(delete(s.search_segments).where(which))
    return len(rows)


# --- which pairs the index holds (search.grams) ---
_STATE_ID = 1
#: Rows rewritten per transaction by :func:`reindex` (no long transaction on a server).
REINDEX_BATCH = 500


def pairs_ready(conn: Connection) -> bool:
    """Whether every index row holds the pair lexemes of this code's common words
    (``fulltext_state`` names :data:`dadkhahi.search.grams.VERSION`). When not (an index
    made before the pairs, or with another list), phrases are found by positions alone."""
    made = conn.execute(select(s.fulltext_state.c.pairs)
                        .where(s.fulltext_state.c.id == _STATE_ID)).scalar()
    return made == VERSION


def _mark_pairs(conn: Connection) -> None:
    table = s.fulltext_state
    dialect: Callable[..., Any] = (sqlite.insert if conn.dialect.name == "sqlite"
                                   else postgresql.insert)
    conn.execute(dialect(table).values(id=_STATE_ID, pairs=VERSION)
                 .on_conflict_do_update(index_elements=[table.c.id], set_={"pairs": VERSION}))


def claim_empty(conn: Connection) -> None:
    """Before the first rows of an empty index: say it is made with this code's pairs
    (every row written from now on holds them). An index with rows and no such mark
    keeps it until :func:`reindex`."""
    state = select(s.fulltext_state.c.id).where(s.fulltext_state.c.id == _STATE_ID)
    if (conn.execute(state).first() is None
            and conn.execute(select(s.search_segments.c.id).limit(1)).first() is None):
        _mark_pairs(conn)


def reindex(store: Store, progress: Callable[[int, int], None] | None = None) -> int:
    """Write every index row's pair lexemes again from its stored words, with this code's
    common words, then mark the index as holding them; returns the rows changed.

    For an index made before the pairs, or with another list (``dadkhahi documents
    reindex``). A protected row's words are keyed hashes: its pairs are made from them
    with its partition's key, no text decrypted. Rows are rewritten a batch per
    transaction (indexing may go on meanwhile: it writes this code's pairs already); on
    SQLite each row's old tokens leave its FTS5 table and the new ones enter it.
    """
    g = s.search_segments.c
    with store.engine.begin() as conn:
        s.fulltext_state.create(conn, checkfirst=True)  # a home made before the table
        total = conn.execute(select(func.count()).select_from(s.search_segments)).scalar_one()
    changed, seen, after = 0, 0, 0
    keys: dict[str, bytes | None] = {}
    while True:
        with write_transaction(store.engine) as conn:
            rows = conn.execute(select(g.id, g.partition, g.tokens, g.token_count)
                                .where(g.id > after).order_by(g.id).limit(REINDEX_BATCH)).all()
            if not rows:
                break
            new = []
            for row_id, partition, tokens, count in rows:
                if partition not in keys:
                    keys[partition] = (store.keys.subkey(f"search-tokens {partition[2:]}")
                                       if is_protected(partition) else None)
                made = with_pairs(words_of(tokens, count), keys[partition])
                if made != tokens:
                    new.append((row_id, partition, tokens, made))
            _rewrite(conn, new)
            changed += len(new)
            seen += len(rows)
            after = rows[-1][0]
        if progress is not None:
            progress(seen, int(total))
    with write_transaction(store.engine) as conn:
        _mark_pairs(conn)
    return changed


def _rewrite(conn: Connection, rows: list[tuple[int, str, str, str]]) -> None:
    """New tokens for some rows (id, partition, old tokens, new tokens)."""
    if not rows:
        return
    g = s.search_segments.c
    conn.execute(update(s.search_segments).where(g.id == bindparam("row_id"))
                 .values(tokens=bindparam("new_tokens")),
                 [{"row_id": r, "new_tokens": new} for r, _, _, new in rows])
    if conn.dialect.name != "sqlite":
        return  # the generated tsv column and its RUM index follow the row
    for row_id, partition, old, new in rows:
        name = fts_table(partition)
        conn.execute(text(f"INSERT INTO {name}({name}, rowid, tokens) "  # noqa: S608
                          "VALUES ('delete', :id, :t)"), {"id": row_id, "t": old})
        conn.execute(text(f"INSERT INTO {name}(rowid, tokens) "  # noqa: S608
                          "VALUES (:id, :t)"), {"id": row_id, "t": new})
