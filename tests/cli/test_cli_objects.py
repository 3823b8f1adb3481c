"""Finding things from the command line (issue 12 item 9): every kind listed and shown
with --json, unique ID prefixes, --source by ID or exact title everywhere, a --source
matching nothing refused with the nearest titles."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from dadkhahi.cli.main import app


def _dk(home: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--home", str(home), *args], env={"COLUMNS": "200"})


def _refused(done: Result) -> str:
    """What a refused command says: a usage error's output, or the user error that the
    entry point prints as one line (the runner calls the app below the entry point)."""
    assert done.exit_code != 0
    return done.output + str(done.exception or "")


def _json(home: Path, *args: str) -> object:
    done = _dk(home, *args, "--json")
    assert done.exit_code == 0, done.output
    return json.loads(done.output)


def test_a_source_that_matches_nothing_is_refused_with_the_nearest_titles(
        list_home: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("ID,Full name\nN1,Ali Karimi\n", "utf-8")
    typo = _dk(list_home, "lists", "import", str(other), "--source", "SYNTHETIC Memorial lst",
               "--id-column", "ID")
    said = _refused(typo)
    assert "no source 'SYNTHETIC Memorial lst'" in said
    assert "nearest titles: 'SYNTHETIC Memorial list'" in said
    assert "--source-title" in said
    sources = _json(list_home, "sources", "list")
    assert isinstance(sources, dict) and sources["total"] == 1  # no second source made
    # The exact title and a unique ID prefix name the same source, for files too.
    source_id = sources["data"][0]["id"]
    by_title = _dk(list_home, "lists", "import", str(other), "--source", "SYNTHETIC Memorial list",
                   "--id-column", "ID")
    assert by_title.exit_code == 0 and source_id in by_title.output
    note = tmp_path / "note.txt"
    note.write_text("SYNTHETIC note", "utf-8")
    added = _dk(list_home, "evidence", "add", str(note), "--source", source_id[:8])
    assert added.exit_code == 0 and source_id in added.output, added.output


def test_every_kind_is_listed_and_shown_with_json_and_id_prefixes(list_home: Path) -> None:
    place = _dk(list_home, "places", "add", "Evin", "--kind", "prison", "--name-fa", "اوین",
                "--sensitivity", "public")
    assert place.exit_code == 0, place.output
    place_id = place.output.split()[1]
    act = _json(list_home, "acts", "add", "--type", "execution", "--place", place_id[:7],
                "--date", "Mordad 1367", "--source", "SYNTHETIC Memorial list")
    assert isinstance(act, dict) and act["place_id"] == place_id
    assert act["date_earliest"] == "1988-07-23"
    source_id = _json(list_home, "sources", "list")["data"][0]["id"]  # type: ignore[index]
    claim = _json(list_home, "claims", "add", "--about", act["id"][:8], "--property", "victims",
                  "--value", "12", "--source", "SYNTHETIC Memorial list")
    assert isinstance(claim, dict) and claim["value"] == 12
    assert claim["support"][0]["source_id"] == source_id
    for kind, wanted in (("places", place_id), ("acts", act["id"]), ("claims", claim["id"]),
                         ("sources", source_id)):
        listed = _json(list_home, kind, "list")
        assert wanted in {o["id"] for o in listed["data"]}  # type: ignore[index]
        table = _dk(list_home, kind, "list")
        assert table.exit_code == 0 and wanted in table.output
    shown = _json(list_home, "places", "show", place_id[:6])
    assert isinstance(shown, dict) and shown["name_fa"] == "اوین"
    about = _json(list_home, "claims", "list", "--about", act["id"][:8])
    assert sorted((c["property"], c["id"] == claim["id"])  # type: ignore[index]
                  for c in about["data"]) == [("account", False), ("victims", True)]
    items = _json(list_home, "items", "list")
    item_id = items["data"][0]["id"]  # type: ignore[index]
    assert _json(list_home, "items", "show", item_id[:9])["id"] == item_id  # type: ignore[index]
    record = _json(list_home, "sources", "show", source_id[:9])
    assert isinstance(record, dict) and record["title"] == "SYNTHETIC Memorial list"
    ambiguous = _dk(list_home, "records", "show", "rec_")
    assert "is ambiguous" in _refused(ambiguous)
    persons = _json(list_home, "persons", "list")
    assert isinstance(persons, dict) and persons["total"] == 0  # nothing linked yet
    missing = _dk(list_home, "acts", "show", "act_nosuch")
    assert "no act 'act_nosuch'" in _refused(missing)


def test_tables_wrap_at_80_columns_instead_of_cutting(list_home: Path) -> None:
    # Issue 12 item 19: IDs and times were cut with an ellipsis at 80 columns.
    for args in (("lists", "show"), ("sources", "list"), ("items", "list")):
        done = CliRunner().invoke(app, ["--home", str(list_home), *args],
                                  env={"COLUMNS": "80"})
        assert done.exit_code == 0, done.output
        assert "…" not in done.output, done.output
        assert "SYNTH" in done.output or args[0] == "items"  # the rows are there



def test_a_claim_added_from_the_command_line_is_raised_to_its_strictest_support(
        list_home: Path, tmp_path: Path) -> None:
    """Issue 11 item 4 through the command line: a claim asked for as public but resting
    on a protected source is stored protected (the API's test is
    tests/api/test_api_disclosure.py::test_a_claim_is_raised_to_its_strictest_support)."""
    secret = tmp_path / "password"
    secret.write_text("SYNTHETIC correct horse battery staple\n", "utf-8")
    assert _dk(list_home, "users", "add", "nasrin", "--role", "investigator",
               "--password-file", str(secret)
               ).exit_code == 0
    statement = tmp_path / "statement.txt"
    statement.write_text("SYNTHETIC protected statement", "utf-8")
    added = _dk(list_home, "evidence", "add", str(statement), "--source-title",
                "SYNTHETIC protected statements", "--sensitivity", "protected")
    assert added.exit_code == 0, added.output
    source_id = next(w for w in added.output.split() if w.startswith("src_")).strip(",;()")
    assert _dk(list_home, "users", "grant", "nasrin", source_id).exit_code == 0
    act = _json(list_home, "acts", "add", "--type", "execution", "--date", "Mordad 1367",
                "--sensitivity", "public", "--source", "SYNTHETIC Memorial list")
    assert isinstance(act, dict)
    asked = ("claims", "add", "--about", act["id"], "--property", "victims",
             "--sensitivity", "public", "--as-user", "nasrin")
    public = _json(list_home, *asked, "--value", "3", "--source", "SYNTHETIC Memorial list")
    raised = _json(list_home, *asked, "--value", "4", "--source", source_id)
    assert isinstance(public, dict) and isinstance(raised, dict)
    assert public["sensitivity"] == "restricted"  # the list's own level (its default)
    assert raised["sensitivity"] == "protected"


def test_an_act_without_a_source_is_refused_and_nothing_is_written(list_home: Path) -> None:
    """`acts add` without --source exits non-zero naming it, and adds no act: nothing would
    tie the act's words to a source, so no erasure of that source would find them."""
    def acts() -> int:
        listed = _json(list_home, "acts", "list")
        assert isinstance(listed, dict)
        return int(listed["total"])

    before = acts()
    refused = _refused(_dk(list_home, "acts", "add", "--type", "execution",
                           "--description", "SYNTHETIC words of a witness"))
    assert "--source" in refused
    assert acts() == before
    told = _json(list_home, "acts", "add", "--type", "execution", "--source",
                 "SYNTHETIC Memorial list", "--locator", "row 2")
    assert isinstance(told, dict) and acts() == before + 1
    claims = _json(list_home, "claims", "list", "--about", told["id"])
    assert [(x["property"], x["support"][0]["locator"])
            for x in claims["data"]] == [("account", "row 2")]  # type: ignore[index]
