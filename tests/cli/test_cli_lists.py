"""``dadkhahi lists …`` and ``dadkhahi link …`` as real processes (SYNTHETIC lists only)."""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook


def dk(home: Path, *args: str, ok: bool = True, stdin: str | None = None,
       ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "dadkhahi", "--home", str(home), *args],
        capture_output=True, text=True, input=stdin, check=False,
        env={**os.environ, "COLUMNS": "200", "DADKHAHI_ACTOR": "cli-tester"},
    )
    if ok:
        assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture
def cli_home(tmp_path: Path, backend: str) -> Path:
    home = tmp_path / "home"
    dk(home, "init", "--origin", "cli.test/lists")
    return home


@pytest.fixture
def sqlite_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An embedded home only: the linkage commands read the store through the same
    services the store tests already run on PostgreSQL, and each process costs a second."""
    monkeypatch.delenv("DADKHAHI_DATABASE_URL", raising=False)
    home = tmp_path / "home"
    dk(home, "init", "--origin", "cli.test/link")
    return home


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _lists(tmp_path: Path) -> tuple[Path, Path, Path]:
    persian = _csv(tmp_path / "synthetic_fa.csv", [
        ["شماره", "نام", "نام خانوادگی", "نام پدر", "تاریخ اعدام", "زندان", "شهر"],
        ["1", "علی", "کریمی", "رضا", "۱۳۶۷/۰۵/۱۲", "اوین", "تهران"],
        ["2", "زهرا", "مرادی", "حسن", "۱۳۶۷/۰۶/۰۱", "اوین", "تهران"],
        ["3", "جواد", "نجفی", "احمد", "۱۳۶۷/۰۵/۲۰", "گوهردشت", "رشت"],
    ], encoding="utf-16")
    latin = _csv(tmp_path / "synthetic_en.csv", [
        ["Nr", "Full name", "Father", "Date of execution", "Prison", "City"],
        ["L1", "Karimi, Ali", "Reza", "12 Mordad 1367", "Evin", "Tehran"],
        ["L2", "Moradi, Zahra", "Hassan", "1 Shahrivar 1367", "Evin", "Tehran"],
        ["L3", "Sadeghi, Maryam", "Nasser", "Mordad 1367", "Evin", "Tehran"],
    ])
    book = Workbook()
    sheet = book.active
    sheet.append(["Code", "Name", "City"])
    for row in (["W1", "Ali Karimi", "Tehran"], ["W2", "Javad Najafi", "Rasht"],
                ["W3", "Maryam Sadeghi", "Tehran"]):
        sheet.append(row)
    workbook = tmp_path / "synthetic_names.xlsx"
    book.save(workbook)
    return persian, latin, workbook


def _ledger_size(home: Path, backend: str) -> int | None:
    if backend != "sqlite":
        return None
    with sqlite3.connect(home / "dadkhahi.sqlite") as conn:
        return int(conn.execute("select size from ledger_head").fetchone()[0])


def test_import_refuse_reimport_and_show(cli_home: Path, tmp_path: Path, backend: str) -> None:
    persian, latin, workbook = _lists(tmp_path)
    out = dk(cli_home, "lists", "import", str(persian), "--source-title", "SYNTHETIC Persian list",
             "--id-column", "شماره").stdout
    assert "imported 3 records" in out and "utf-16" in out and "(new source)" in out
    assert "death_date" in out and "تاریخ اعدام" in out
    dk(cli_home, "lists", "import", str(workbook), "--source-title", "SYNTHETIC names",
       "--id-column", "Code", "--map", "full_name=Name")
    before = _ledger_size(cli_home, backend)

    bad = _csv(tmp_path / "bad.csv", [["Nr", "Name", "Date of execution", "Age"],
                                       ["1", "Ali Karimi", "1367/13/40", "20"],
                                       ["1", "Reza Moradi", "", "old"]])
    refused = dk(cli_home, "lists", "import", str(bad), "--source-title", "SYNTHETIC bad",
                 "--id-column", "Nr", ok=False)
    assert refused.returncode == 2
    assert "nothing was stored" in refused.stderr
    # One space after "error:", as every other error line has (two before).
    assert refused.stderr.startswith(f"error: {bad.name}: "), refused.stderr
    assert "line 2, field death_date: '1367/13/40' is not a date" in refused.stderr
    assert "line 3, field Age: " not in refused.stderr
    assert "line 3, field age: 'old' is not a number of years" in refused.stderr
    assert "line 3, field Nr: duplicate id '1' (first on line 2)" in refused.stderr
    unknown = dk(cli_home, "lists", "import", str(latin), "--source-title", "SYNTHETIC x",
                 "--map", "death_date=Died", ok=False)
    assert "--map names column 'Died'" in unknown.stderr
    again = dk(cli_home, "lists", "import", str(persian), "--source-title", "SYNTHETIC again",
               ok=False)
    assert again.returncode == 2 and "already imported: import imp_" in again.stderr
    nameless = dk(cli_home, "lists", "import", str(latin), ok=False)
    assert nameless.returncode == 2 and "--source NAME" in nameless.stderr
    assert _ledger_size(cli_home, backend) == before

    # The contract shared with `evidence add`: --source-title T --sensitivity protected.
    protected = dk(cli_home, "lists", "import", str(latin), "--source-title",
                   "SYNTHETIC protected list", "--sensitivity", "protected",
                   "--id-column", "Nr").stdout
    assert "imported 3 records" in protected and "(new source)" in protected

    shown = dk(cli_home, "lists", "show").stdout
    assert "SYNTHETIC Persian list" in shown and "SYNTHETIC names" in shown
    assert "[protected]" in shown  # a protected source's title is sealed
    assert "3 list(s), 9 records in their current versions; 3 import(s)" in shown
    assert "OK" in dk(cli_home, "ledger", "verify").stdout


def test_a_list_says_what_it_lists_covers_and_came_from(sqlite_home: Path,
                                                        tmp_path: Path) -> None:
    persian, latin, _ = _lists(tmp_path)
    first = dk(sqlite_home, "lists", "import", str(latin), "--source-title", "SYNTHETIC national",
               "--id-column", "Nr").stdout
    assert re.search(r"as list lst_\w+ of victims", first)  # the default, said aloud
    national = re.search(r"list (lst_\w+)", first)
    assert national is not None
    out = dk(sqlite_home, "lists", "import", str(persian), "--source-title", "SYNTHETIC register",
             "--list-kind", "detainees", "--province", "Tehran", "--province", "گیلان",
             "--period", "1367/05/01..1367/06/31", "--derived-from", national.group(1)[:8],
             "--compiled-by", "SYNTHETIC national").stdout
    assert "of detainees" in out
    assert "detainees" in dk(sqlite_home, "lists", "show").stdout
    listed = json.loads(dk(sqlite_home, "lists", "show", "--json").stdout)
    assert [x["kind"] for x in listed] == ["victims", "detainees"]
    register = listed[1]
    assert register["provinces"] == ["Tehran", "گیلان"]
    assert (register["period_from"], register["period_to"]) == ("1988-07-23", "1988-09-22")
    assert register["derived_from"] == [national.group(1)]
    assert register["compiled_by"] == [listed[0]["source_id"]]
    bad = dk(sqlite_home, "lists", "describe", "SYNTHETIC register", "--period", "soon",
             ok=False)
    assert bad.returncode == 2 and "'soon' is not a date" in bad.stderr
    changed = dk(sqlite_home, "lists", "describe", "SYNTHETIC register", "--list-kind",
                 "victims", "--all-provinces", "--no-provenance").stdout
    assert "changed provinces, kind, derived_from, compiled_by" in changed
    detail = json.loads(dk(sqlite_home, "lists", "show", "SYNTHETIC register", "--json").stdout)
    assert detail["kind"] == "victims" and detail["provinces"] is None
    assert detail["derived_from"] == [] and detail["period_from"] == "1988-07-23"
    assert [v["list_version"] for v in detail["imports"]] == [1]

    # A quote left open would glue rows into one cell: refused, naming the lines.
    glued = tmp_path / "glued.csv"
    glued.write_text('Nr,Full name,City\nG1,"Karimi Ali,Tehran\nG2,Moradi Zahra,Rasht"\n',
                     "utf-8")
    refused = dk(sqlite_home, "lists", "import", str(glued), "--source-title", "SYNTHETIC glued",
                 ok=False)
    assert refused.returncode == 2 and "line 3: reads as a row of the file" in refused.stderr
    kept = dk(sqlite_home, "lists", "import", str(glued), "--source-title", "SYNTHETIC glued",
              "--multiline-cells")
    assert "imported 1 records" in kept.stdout and "kept as one cell" in kept.stderr
    assert "G2,Moradi Zahra,Rasht" in kept.stderr  # the lines are shown
    assert "OK" in dk(sqlite_home, "ledger", "verify").stdout


def test_link_run_review_export_stats(sqlite_home: Path, tmp_path: Path) -> None:
    cli_home = sqlite_home
    persian, latin, workbook = _lists(tmp_path)
    dk(cli_home, "lists", "import", str(persian), "--source-title", "SYNTHETIC fa",
       "--id-column", "شماره")
    dk(cli_home, "lists", "import", str(latin), "--source-title", "SYNTHETIC en",
       "--id-column", "Nr")
    dk(cli_home, "lists", "import", str(workbook), "--source-title", "SYNTHETIC xlsx",
       "--id-column", "Code")
    ran = dk(cli_home, "link", "run").stdout
    assert "model run run_" in ran and "9 records" in ran

    first = dk(cli_home, "link", "review", stdin="")  # no answer at all: quits cleanly
    answered = dk(cli_home, "link", "review", stdin="x\ns\nd\nq\n").stdout
    # The pairs shown, in order (list ids of records A and B), and what was recorded.
    shown = re.findall(r"list id / line\s*│\s*(\S+) / \d+\s*│\s*(\S+) / \d+", answered)
    recorded = re.findall(r"recorded: (same|different)", answered)
    if "nothing to review" in first.stdout:
        assert not shown
    else:
        assert "0 decision(s) recorded" in first.stdout
        assert "answer s, d, k or q" in answered  # 'x' is refused and asked again
        assert recorded == ["same", "different"][: len(shown)]
        assert f"{len(recorded)} decision(s) recorded" in answered
        assert "decisions run run_" in answered

    out = tmp_path / "links.csv"
    dk(cli_home, "link", "export", "--out", str(out))
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["record_id", "person_id", "list_id", "list", "source_id",
                       "internal_record_id", "escaped_with_apostrophe"]
    by_id = {r[0]: r[1] for r in rows[1:]}
    # Lists are told apart by name (issue 12 item 13), record IDs shown for link decide.
    assert {r[3] for r in rows[1:]} == {"SYNTHETIC fa", "SYNTHETIC en", "SYNTHETIC xlsx"}
    assert set(by_id) == {"1", "2", "3", "L1", "L2", "L3", "W1", "W2", "W3"}
    for (a, b), decision in zip(shown, recorded, strict=False):
        assert (by_id[a] == by_id[b]) == (decision == "same"), (a, b, decision)

    stats = dk(cli_home, "link", "stats").stdout
    persons = len(set(by_id.values()))
    assert f"persons: {persons}" in stats and "records: 9 (9 linked)" in stats
    assert "list overlap" in stats and "SYNTHETIC xlsx" in stats
    shown = dk(cli_home, "lists", "show").stdout
    assert "SYNTHETIC en" in shown
    assert "OK" in dk(cli_home, "ledger", "verify").stdout


def test_link_commands_explain_what_is_missing(sqlite_home: Path) -> None:
    cli_home = sqlite_home
    empty = dk(cli_home, "link", "run", ok=False)
    assert empty.returncode == 2 and "import lists first" in empty.stderr
    assert "nothing to review" in dk(cli_home, "link", "review").stdout
    applied = dk(cli_home, "link", "apply", ok=False)
    assert "run dadkhahi link run first" in applied.stderr


def test_a_list_imported_without_its_id_column_gets_a_new_version(
    sqlite_home: Path, tmp_path: Path
) -> None:
    """Issue 12 item 4: forgetting --id-column is corrected by re-importing the same file
    as version 2; lists versions and lists show say so."""
    path = _csv(tmp_path / "synthetic_x.csv", [
        ["ID", "Full name", "Father", "City"],
        ["X1", "Ali Karimi", "Reza", "Tehran"], ["X2", "Zahra Moradi", "Hassan", "Tehran"]])
    first = dk(sqlite_home, "lists", "import", str(path), "--source-title", "SYNTHETIC x").stdout
    list_id = re.search(r"as list (lst_\w+)", first)
    assert list_id is not None
    again = dk(sqlite_home, "lists", "import", str(path), "--source", "SYNTHETIC x",
               "--id-column", "ID", ok=False)
    assert again.returncode != 0 and "already imported" in again.stderr
    # Walked as a newcomer: the refusal did not say how to read the file again with the
    # option forgotten the first time.
    assert (f"import it as that list's next version: --new-version-of {list_id[1]}"
            in " ".join(again.stderr.split()))
    refused = dk(sqlite_home, "lists", "import", str(path), "--source", "SYNTHETIC x",
                 "--id-column", "ID", "--new-version-of", list_id[1], ok=False)
    assert refused.returncode == 2 and "--new-version-of keeps the list's source" in refused.stderr
    out = dk(sqlite_home, "lists", "import", str(path), "--id-column", "ID",
             "--new-version-of", list_id[1][:9]).stdout
    assert f"as version 2 of list {list_id[1]}" in out
    assert "matched by row contents: 0 added, 0 removed, 2 changed" in out
    versions = json.loads(dk(sqlite_home, "lists", "versions", list_id[1], "--json").stdout)
    assert [(v["list_version"], v["id_column"], v["changed"]) for v in versions] == [
        (1, None, None), (2, "ID", 2)]
    assert versions[0]["superseded_by"] == versions[1]["import_id"]
    table = dk(sqlite_home, "lists", "versions", "SYNTHETIC x").stdout
    assert "current" in table and f"superseded by {versions[1]['import_id']}" in table
    shown = json.loads(dk(sqlite_home, "lists", "show", list_id[1], "--json").stdout)
    assert (shown["versions"], shown["current_import_id"]) == (2, versions[1]["import_id"])
    same = dk(sqlite_home, "lists", "import", str(path), "--id-column", "ID",
              "--new-version-of", list_id[1], ok=False)
    assert same.returncode != 0 and "nothing changed" in same.stderr
    # Item 12 as a newcomer types it: a list by a short name (M5:F-04) named nothing,
    # and nothing said which lists there are.
    short = dk(sqlite_home, "link", "decide", "SYNTHETIC:X1", "SYNTHETIC x:X2", "same",
               ok=False)
    assert short.returncode == 2 and "no list or source 'SYNTHETIC'" in short.stderr
    assert "lists titled 'SYNTHETIC x': give the exact title" in " ".join(
        short.stderr.split())
    assert "OK" in dk(sqlite_home, "ledger", "verify").stdout
