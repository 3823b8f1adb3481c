"""``dadkhahi documents reindex``: the search index's common-word pairs written again, and
testimonies' passages recorded before they were indexed indexed (issue 15)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, text
from typer.testing import CliRunner

from dadkhahi.cli.main import app
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake import testimonies as tm
from dadkhahi.intake.documents import extract_items
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.search.engine import search
from dadkhahi.search.index import pairs_ready
from dadkhahi.store import schema as s
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


def test_reindex_marks_an_index_made_without_the_pairs(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = Store.init(Home(home), "cli.test/ledger", "t")
    path = tmp_path / "page.txt"
    path.write_text("SYNTHETIC: held in the prison of Evin.\n", "utf-8")
    report = add_evidence(store, [path], Receipt(actor="t"),
                          new_source=SourceSpec(title="SYNTHETIC page",
                                                sensitivity=Sensitivity.PUBLIC))
    extract_items(store, [item for _, item in report.added], "t")
    made = tm.add_testimony(store, tm.TestimonySpec(title="SYNTHETIC interview"), "t")
    tm.add_segments(store, made["testimony_id"], [
        tm.SegmentSpec("SYNTHETIC qzreindexed passage.", "direct", 5.0)], "t")
    with store.engine.begin() as conn:
        conn.execute(delete(s.fulltext_state))  # as an index made before the pairs
        # and before testimonies' passages were indexed (their FTS5 rows taken out too)
        fts = f"search_fts_p_{made['source_id']}"
        conn.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('delete-all')"))
        conn.execute(delete(s.search_segments).where(
            s.search_segments.c.testimony_id.is_not(None)))
    store.engine.dispose()
    done = CliRunner().invoke(app, ["--home", str(home), "documents", "reindex"])
    assert done.exit_code == 0, done.output
    assert "1 testimony passage(s) indexed" in done.output
    assert "0 index row(s) rewritten" in done.output  # its rows held this code's pairs
    store = Store.open(Home(home))
    with store.reading() as conn:
        assert pairs_ready(conn)
    [hit] = search(store, None, "qzreindexed").hits
    assert hit.passage is not None and hit.passage.start == 5.0
    store.engine.dispose()
