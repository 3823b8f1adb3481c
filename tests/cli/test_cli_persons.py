"""``dadkhahi persons search``: the one person search from the command line (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dadkhahi.cli.main import app
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.lists import import_list
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


def test_a_persian_name_finds_the_latin_spelling_and_says_why(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = Store.init(Home(home), "cli.test/ledger", "t")
    path = tmp_path / "list.csv"
    path.write_text("ID,Full name\nA1,Hosein Rezaei\nA2,Zahra Moradi\n", encoding="utf-8")
    import_list(store, path, actor="t", id_column="ID", source=SourceSpec(
        title="SYNTHETIC list", kind=SourceKind.LIST, sensitivity=Sensitivity.RESTRICTED))
    store.engine.dispose()
    runner = CliRunner()
    shown = runner.invoke(app, ["--home", str(home), "persons", "search", "حسین رضایی"],
                          env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "Hosein Rezaei" in shown.output and "same name: hossein" in shown.output
    assert "Moradi" not in shown.output
    found = runner.invoke(app, ["--home", str(home), "persons", "search", "زهرا مرادی",
                                "--json"])
    body = json.loads(found.output)
    assert [r["external_id"] for r in body["hits"][0]["records"]] == ["A2"]
    assert body["hits"][0]["person_id"] is None  # not linked yet
