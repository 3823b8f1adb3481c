"""Writing index rows: a text's pages go to the database in one statement, not one per
page, and are found exactly as before (pages, parts, spans, SQLite's FTS5 table); each
row's common-word pairs, and ``reindex`` for an index made without them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, event, select, text

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.documents import extract_items
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.search.engine import search
from dadkhahi.search.grams import JOIN, pairing
from dadkhahi.search.index import (
    PUBLIC,
    PageText,
    _rewrite,
    fts_table,
    index_pages,
    pairs_ready,
    reindex,
    segment_rows,
    words_of,
)
from dadkhahi.store import schema as s
from dadkhahi.store.db import write_transaction
from dadkhahi.store.store import Store


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    """Every statement the engine sends while the block runs (an executemany once)."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_the_pages_of_a_text_are_written_in_one_statement(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "pages.txt"
    path.write_text("SYNTHETIC placeholder\n", "utf-8")
    report = add_evidence(store, [path], Receipt(actor="tester"),
                          new_source=SourceSpec(title="SYNTHETIC pages",
                                                sensitivity=Sensitivity.PUBLIC))
    [(_, item)] = report.added
    assert report.source_id is not None
    pages = [PageText(n, f"SYNTHETIC page {n}: zanjir{n} in Evin, صفحه {n}")
             for n in range(1, 11)]
    with _statements(store.engine) as sent, store.transaction("tester") as tx:
        written = index_pages(tx.conn, item_id=item, text_item_id=item,
                              source_id=report.source_id, partition=PUBLIC, pages=pages)
    assert written == 10
    inserts = [q for q in sent if q.startswith("INSERT INTO search_")]
    # One INSERT of the rows (and on SQLite one into the FTS5 table), not one per page.
    per_engine = 1 if store.engine.dialect.name == "postgresql" else 2
    assert len(inserts) == per_engine, inserts
    g = s.search_segments.c
    with store.reading() as conn:
        stored = conn.execute(select(g.page, g.part, g.tokens, g.token_count, g.spans, g.text)
                              .where(g.item_id == item).order_by(g.page)).mappings().all()
    expected = segment_rows(pages, protected=False)
    assert [dict(r) for r in stored] == expected
    for n in (1, 7, 10):
        [hit] = search(store, None, f"zanjir{n}").hits
        assert (hit.item_id, hit.page) == (item, n)
        assert [hit.snippet[a:b] for a, b in hit.highlights] == [f"zanjir{n}"]
    assert len(search(store, None, '"in evin"', limit=50).hits) == 10


def test_a_row_holds_its_words_then_their_common_pairs(store: Store, tmp_path: Path) -> None:
    [row] = segment_rows([PageText(1, "SYNTHETIC: held in the prison of Evin")],
                         protected=False)
    words = ["synthetic", "held", "in", "the", "prison", "of", "evin"]
    assert row["tokens"] == " ".join([*words, *pairing().pairs(words)])
    assert row["token_count"] == len(words) == len(row["spans"]) // 2  # type: ignore[arg-type]
    assert f"held{JOIN}in in{JOIN}the the{JOIN}prison prison{JOIN}of of{JOIN}evin" in str(
        row["tokens"])


def test_reindex_gives_an_index_made_without_pairs_its_pairs(
    store: Store, tmp_path: Path,
) -> None:
    """An index made before the pairs (or with another list): phrases are still found,
    by positions, until ``reindex`` writes every row's pairs (protected rows' from their
    hashes) and marks the index; then the same hits, through the pairs."""
    bodies = {"public": ("SYNTHETIC: held in the prison of Evin in the summer.",
                         Sensitivity.PUBLIC),
              "protected": ("SYNTHETIC testimony: in the cell of Qezel, in the dark.",
                            Sensitivity.PROTECTED),
              "persian": ("گزارش ساختگی: در زندان و در تابستان.", Sensitivity.RESTRICTED)}
    for name, (body, level) in bodies.items():
        path = tmp_path / f"{name}.txt"
        path.write_text(body + "\n", "utf-8")
        report = add_evidence(store, [path], Receipt(actor="tester"),
                              new_source=SourceSpec(title=f"SYNTHETIC {name}",
                                                    sensitivity=level))
        extract_items(store, [item for _, item in report.added], "tester")
    queries = ['"in the"', '"the prison of"', '"و در"', '"in the cell"', '"of qezel"']
    expected = {q: {h.item_id for h in search(store, None, q, limit=50).hits} for q in queries}
    assert all(expected.values()) and len(expected['"in the"']) == 2
    g = s.search_segments.c
    with store.reading() as conn:
        made = conn.execute(select(g.id, g.tokens).order_by(g.id)).all()
    # The index as a home made before the pairs has it: words only, no mark.
    with write_transaction(store.engine) as conn:
        rows = conn.execute(select(g.id, g.partition, g.tokens, g.token_count)).all()
        _rewrite(conn, [(i, p, t, " ".join(words_of(t, n))) for i, p, t, n in rows])
        conn.execute(delete(s.fulltext_state))
    with store.reading() as conn:
        assert not pairs_ready(conn)
    for q in queries:
        assert {h.item_id for h in search(store, None, q, limit=50).hits} == expected[q], q
    assert reindex(store) == len(rows) == 3
    with store.reading() as conn:
        assert pairs_ready(conn)
        assert conn.execute(select(g.id, g.tokens).order_by(g.id)).all() == made
        if store.engine.dialect.name == "sqlite":
            for (partition,) in conn.execute(select(g.partition).distinct()):
                name = fts_table(partition)
                conn.execute(text(f"INSERT INTO {name}({name}) VALUES ('integrity-check')"))
    for q in queries:
        assert {h.item_id for h in search(store, None, q, limit=50).hits} == expected[q], q
    assert reindex(store) == 0  # nothing left to write
