"""``dadkhahi testimonies segment|translate|show|erase``: segments from a JSON file, a bad one
named by number and field, translations beside them (issue 15)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from dadkhahi.cli.main import app
from dadkhahi.intake import testimonies as tm
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


def test_segments_and_translations_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = Store.init(Home(home), "cli.test/ledger", "t")
    made = tm.add_testimony(store, tm.TestimonySpec(title="SYNTHETIC interview"), "t")
    store.engine.dispose()
    runner = CliRunner()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"text": "SYNTHETIC", "knowledge": "direct"},
                               {"text": "SYNTHETIC", "knowledge": "direct", "start": "x"}]))
    refused = runner.invoke(app, ["--home", str(home), "testimonies", "segment",
                                  made["pseudonym"], "--file", str(bad)])
    assert refused.exit_code != 0 and "segment 2: 'start'" in refused.output
    good = tmp_path / "segments.json"
    good.write_text(json.dumps([
        {"text": "SYNTHETIC من دیدم.", "knowledge": "direct", "start": 0, "end": 4},
        {"text": "SYNTHETIC شنیدم.", "knowledge": "hearsay"}], ensure_ascii=False), "utf-8")
    done = runner.invoke(app, ["--home", str(home), "testimonies", "segment",
                               made["testimony_id"], "--file", str(good)])
    assert done.exit_code == 0, done.output
    first = done.stdout.split()[1]
    text = tmp_path / "en.txt"
    text.write_text("SYNTHETIC I saw.", "utf-8")
    translated = runner.invoke(app, ["--home", str(home), "testimonies", "translate", first,
                                     "--language", "en", "--file", str(text)])
    assert translated.exit_code == 0, translated.output
    shown = json.loads(runner.invoke(app, ["--home", str(home), "testimonies", "show",
                                           made["pseudonym"], "--json"]).stdout)
    assert [g["knowledge"] for g in shown["segments"]] == ["direct", "hearsay"]
    assert shown["segments"][0]["text"] == "SYNTHETIC من دیدم."
    assert shown["segments"][0]["translations"][0]["text"] == "SYNTHETIC I saw."
    # Without --json, a field a line as other show commands print (issue 12).
    table = runner.invoke(app, ["--home", str(home), "testimonies", "show",
                                made["testimony_id"]], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert re.search(rf"\bid\W+{made['testimony_id']}\b", table.stdout), table.stdout
    assert re.search(r"\bsegments\W+\{", table.stdout), table.stdout
    # `dadkhahi search` finds the segment (its time code; the testimony gave no language)
    # and the translation (its language, its segment's time code).
    found = runner.invoke(app, ["--home", str(home), "search", "دیدم"], env={"COLUMNS": "200"})
    assert found.exit_code == 0, found.output
    assert f"{made['testimony_id']}  segment 1  0:00:00.0-0:00:04.0  [?]" in found.stdout
    hits = json.loads(runner.invoke(app, ["--home", str(home), "search", '"i saw"',
                                          "--json"]).stdout)["hits"]
    assert [(h["passage"]["segment_id"], h["passage"]["language"], h["passage"]["start"])
            for h in hits] == [(first, "en", 0.0)] and hits[0]["passage"]["translation_id"]
    erased = runner.invoke(app, ["--home", str(home), "testimonies", "erase",
                                 made["pseudonym"], "--reason", "SYNTHETIC withdrawal"])
    assert erased.exit_code == 0 and "erased: 4 keys destroyed" in erased.stdout, erased.output
    after = json.loads(runner.invoke(app, ["--home", str(home), "testimonies", "show",
                                           made["pseudonym"], "--json"]).stdout)
    assert "SYNTHETIC" not in json.dumps([g.get("text") for g in after["segments"]])
    gone = runner.invoke(app, ["--home", str(home), "search", "دیدم", "--json"])
    assert json.loads(gone.stdout)["hits"] == []
    assert all(g.get("erased") for g in after["segments"])


def test_the_interview_changed_from_the_command_line(tmp_path: Path) -> None:
    """``testimonies interview`` changes the interview through the function the API's
    PATCH and the page reach (``intake.testimonies.change_interview``): the fields from a
    JSON file, the version ``show --json`` printed required, a stale one refused, a bad
    field named with nothing changed."""
    home = tmp_path / "home"
    store = Store.init(Home(home), "cli.test/ledger", "t")
    made = tm.add_testimony(store, tm.TestimonySpec(
        title="SYNTHETIC interview", interview_place="SYNTHETIC first place"), "t")
    store.engine.dispose()
    runner = CliRunner()

    def show() -> dict[str, object]:
        done = runner.invoke(app, ["--home", str(home), "testimonies", "show",
                                   made["pseudonym"], "--json"])
        assert done.exit_code == 0, done.output
        shown: dict[str, object] = json.loads(done.stdout)
        return shown

    def change(fields: object, version: object) -> Result:
        path = tmp_path / "interview.json"
        path.write_text(json.dumps(fields, ensure_ascii=False), "utf-8")
        return runner.invoke(app, ["--home", str(home), "testimonies", "interview",
                                   made["testimony_id"], "--details", str(path),
                                   "--if-version", str(version), "--actor", "t"])

    first = show()["version"]
    bad = change({"interview_place": "SYNTHETIC", "language": "x" * 40}, first)
    assert bad.exit_code != 0 and "language: a code of at most 35" in bad.output
    assert "x" * 40 not in bad.output
    assert show()["interview_place"] == "SYNTHETIC first place"
    done = change({"interview_place": "SYNTHETIC دفتر", "interview_date": "1399/02/10",
                   "others_present": ["SYNTHETIC sister"]}, first)
    assert done.exit_code == 0, done.output
    shown = show()
    assert shown["interview_place"] == "SYNTHETIC دفتر"
    assert shown["others_present"] == ["SYNTHETIC sister"]
    assert f"version {shown['version']}" in done.stdout
    # The version read before the change is stale now: refused, nothing changed.
    stale = change({"interview_place": "SYNTHETIC later"}, first)
    # (a user error: ``dadkhahi`` prints it as one line, as every other).
    assert stale.exit_code != 0 and "changed since version" in str(stale.exception)
    assert show()["interview_place"] == "SYNTHETIC دفتر"
    # null clears a field; the witness is no field of the interview.
    assert change({"others_present": None}, shown["version"]).exit_code == 0
    assert show().get("others_present") is None
    other = change({"witness_name": "SYNTHETIC"}, show()["version"])
    assert other.exit_code != 0 and "witness_name: not a field" in other.output
