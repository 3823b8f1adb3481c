"""`places status` and `places history`: a site's status as dated, sourced claims.

The list, source and site are SYNTHETIC.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from dadkhahi.cli.main import app
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


def _dk(home: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--home", str(home), *args], env={"COLUMNS": "200"})


def test_a_status_is_stated_with_its_date_and_source_and_the_history_lists_them(
        tmp_path: Path) -> None:
    home = tmp_path / "home"
    Store.init(Home(home), "places.test/ledger", "t").engine.dispose()
    listing = tmp_path / "list.csv"
    listing.write_text("ID,Full name\nM1,Hosein Rezaei\n", "utf-8")
    assert _dk(home, "lists", "import", str(listing), "--source-title",
               "SYNTHETIC site photographs", "--id-column", "ID",
               "--sensitivity", "public").exit_code == 0
    added = _dk(home, "places", "add", "SYNTHETIC plot", "--kind", "burial_site",
                "--status", "intact")
    assert added.exit_code == 0, added.output
    place = added.output.split()[1]
    said = _dk(home, "places", "status", place[:8], "destroyed", "--date", "1387/10",
               "--source", "SYNTHETIC site photographs", "--json")
    assert said.exit_code == 0, said.output
    claim = json.loads(said.output)
    assert claim["value"] == "destroyed" and claim["date_earliest"] == "2008-12-21"
    older = _dk(home, "places", "status", place, "damaged", "--date", "1380",
                "--source", "SYNTHETIC site photographs")
    assert older.exit_code == 0, older.output
    shown = json.loads(_dk(home, "places", "show", place, "--json").output)
    assert shown["status"] == "destroyed"  # the latest by date, not the last entered
    history = json.loads(_dk(home, "places", "history", place, "--json").output)
    assert [(h["status"], h["date_text"], h["current"]) for h in history] == [
        ("damaged", "1380", False), ("destroyed", "1387/10", True)]
    table = _dk(home, "places", "history", place)
    assert table.exit_code == 0 and "1387/10" in table.output and "*" in table.output
    bad = _dk(home, "places", "status", place, "burnt", "--source",
              "SYNTHETIC site photographs")
    assert bad.exit_code != 0
    assert "status must be one of" in bad.output + str(bad.exception)
    assert len(json.loads(_dk(home, "places", "history", place, "--json").output)) == 2
