"""Writing index rows: a text's pages go to the database in one statement, not one per
page, and are found exactly as before (pages, parts, spans, SQLite's FTS5 table)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.search.engine import search
from dadkhahi.search.index import PUBLIC, PageText, index_pages, segment_rows
from dadkhahi.store import schema as s
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
