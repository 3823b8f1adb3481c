"""``dadkhahi documents reindex``: the search index's common-word pairs written again
(issue 15)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete
from typer.testing import CliRunner

from dadkhahi.cli.main import app
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.documents import extract_items
from dadkhahi.intake.evidence import Receipt, add_evidence
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
    with store.engine.begin() as conn:
        conn.execute(delete(s.fulltext_state))  # as an index made before the pairs
    store.engine.dispose()
    done = CliRunner().invoke(app, ["--home", str(home), "documents", "reindex"])
    assert done.exit_code == 0, done.output
    assert "0 index row(s) rewritten" in done.output  # its rows held this code's pairs
    store = Store.open(Home(home))
    with store.reading() as conn:
        assert pairs_ready(conn)
    store.engine.dispose()
