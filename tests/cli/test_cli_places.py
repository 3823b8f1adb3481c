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


def _home_with_a_list(tmp_path: Path, title: str) -> Path:
    """A new home holding a public list (its source titled ``title``)."""
    home = tmp_path / "home"
    Store.init(Home(home), "places.test/ledger", "t").engine.dispose()
    listing = tmp_path / "list.csv"
    listing.write_text("ID,Full name\nM1,Hosein Rezaei\n", "utf-8")
    assert _dk(home, "lists", "import", str(listing), "--source-title", title,
               "--id-column", "ID", "--sensitivity", "public").exit_code == 0
    return home


def test_a_status_is_stated_with_its_date_and_source_and_the_history_lists_them(
        tmp_path: Path) -> None:
    home = _home_with_a_list(tmp_path, "SYNTHETIC site photographs")
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


def test_an_act_is_corrected_and_a_person_withdrawn(tmp_path: Path) -> None:
    """`acts change` (the options given replace, the rest stay; a claim of the source) and
    `acts withdraw`, by ID prefixes and the source's title."""
    from dadkhahi.domain.vocab import InvolvementRole, Sensitivity
    from dadkhahi.facts import entities
    from dadkhahi.facts.entities import Support

    home = _home_with_a_list(tmp_path, "SYNTHETIC memorial list")
    added = _dk(home, "acts", "add", "--type", "execution", "--date", "Mordad 1367",
                "--description", "SYNTHETIC act", "--sensitivity", "public",
                "--source", "SYNTHETIC memorial list", "--json")
    act = json.loads(added.output)["id"]
    changed = _dk(home, "acts", "change", act[:9], "--type", "torture", "--source",
                  "SYNTHETIC memorial list", "--locator", "row 1", "--json")
    assert changed.exit_code == 0, changed.output
    shown = json.loads(changed.output)
    assert shown["type"] == "torture" and shown["date_text"] == "Mordad 1367"
    assert shown["description"] == "SYNTHETIC act"
    same = _dk(home, "acts", "change", act, "--source", "SYNTHETIC memorial list")
    assert same.exit_code != 0 and "nothing to change" in same.output + str(same.exception)
    store = Store.open(Home(home))
    try:
        with store.transaction("t") as tx:
            person = entities.create_person(tx, "SYNTHETIC person",
                                            sensitivity=Sensitivity.PUBLIC)
            source = str(tx.conn.exec_driver_sql("SELECT id FROM sources").scalar_one())
            inv = entities.add_involvement(tx, act, InvolvementRole.VICTIM, person_id=person,
                                           sensitivity=Sensitivity.PUBLIC,
                                           support=[Support(source)])
    finally:
        store.engine.dispose()
    gone = _dk(home, "acts", "withdraw", inv[:10])
    assert gone.exit_code == 0 and f"withdrew {inv}" in gone.output
    again = _dk(home, "acts", "withdraw", inv)
    assert again.exit_code != 0
