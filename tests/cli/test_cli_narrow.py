"""What a terminal of 80 columns shows (issue 12): a table too wide to fit without breaking
its IDs becomes one block per record, and the verifier key printed by ``init`` is whole.
All data here are SYNTHETIC."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.table import Table
from rich.text import Text
from typer.testing import CliRunner, Result

from dadkhahi.cli.common import SafeConsole
from dadkhahi.cli.main import app
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("narrow")
    path = tmp / "home"
    Store.init(Home(path), "narrow.test/ledger", "t").engine.dispose()
    listing = tmp / "list.csv"
    listing.write_text("ID,Full name\nM1,Hosein Rezaei\nM2,Zahra Moradi\n", "utf-8")
    done = _dk(path, 200, "lists", "import", str(listing), "--source-title",
               "SYNTHETIC Memorial list", "--id-column", "ID")
    assert done.exit_code == 0, done.output
    return path


def _dk(home: Path, columns: int, *args: str) -> Result:
    return CliRunner().invoke(app, ["--home", str(home), *args],
                              env={"COLUMNS": str(columns)})


def test_lists_show_is_one_block_per_list_at_80_columns_and_a_table_when_wide(
        home: Path) -> None:
    listed = json.loads(_dk(home, 200, "lists", "show", "--json").output)
    list_id, import_id = listed[0]["id"], listed[0]["current_import_id"]
    narrow = _dk(home, 80, "lists", "show")
    assert narrow.exit_code == 0, narrow.output
    lines = narrow.output.splitlines()
    assert all(len(line) <= 80 for line in lines)
    # Each field on a line of its own, its value whole: the IDs can be copied.
    for field, value in (("list", list_id), ("kind", "victims"),
                         ("title", "SYNTHETIC Memorial list"), ("records", "2"),
                         ("version", f"1 ({import_id})")):
        assert any(re.fullmatch(rf"\s*{field}:\s+{re.escape(value)}\s*", line)
                   for line in lines), (field, narrow.output)
    wide = _dk(home, 250, "lists", "show")
    assert wide.exit_code == 0, wide.output
    assert not re.search(r"^\s*kind:", wide.output, re.MULTILINE)
    header = next(line for line in wide.output.splitlines() if "sensitivity" in line)
    assert re.search(r"\blist\b.*\bkind\b.*\btitle\b.*\bprovenance\b", header), header
    assert list_id in wide.output and import_id in wide.output


def _shown(table: Table, width: int) -> str:
    out = io.StringIO()
    SafeConsole(file=out, width=width, color_system=None).print(table)
    return out.getvalue()


def test_a_table_that_fits_stays_a_table_and_a_column_without_header_heads_its_block(
        ) -> None:
    ids = ["rec_5f1c0e9a2b7d4c3e8a61", "rec_0b1c0e9a2b7d4c3e8a99"]
    pair = Table(title="pair 1 of 1")
    for header in ("", "record A", "record B", "also", "more"):
        pair.add_column(header)
    pair.add_row("record", *ids, "x" * 20, "y" * 20)
    pair.add_row("name", Text("[protected] Ali"), "Ali", "", "")
    narrow = _shown(pair, 80)
    assert "pair 1 of 1" in narrow
    for expected in (r"record", rf"record A:\s+{ids[0]}", rf"record B:\s+{ids[1]}",
                     r"name", r"record A:\s+\[protected\] Ali"):
        assert re.search(rf"^\s*{expected}\s*$", narrow, re.MULTILINE), (expected, narrow)
    wide = _shown(pair, 200)
    assert "record A:" not in wide and ids[0] in wide
    # Two short columns with a header: a table at any width that fits them.
    small = Table("field", "value")
    small.add_row("state", "done")
    assert "field:" not in _shown(small, 40) and "state" in _shown(small, 40)


def test_a_header_as_long_as_the_line_leaves_its_value_shown_in_a_block() -> None:
    # `link stats` at 80 columns: its overlap matrix is headed by the lists' titles, and
    # each block showed the titles cut at the edge and no count at all.
    titles = ["SYNTHETIC Persian list typed on an Arabic keyboard (Windows-1256) and "
              f"international organisation's spellings {n}" for n in range(5)]
    matrix = Table("persons on both", *titles)
    matrix.add_row(titles[0], "313", "165", "119", "72", "58")
    narrow = _shown(matrix, 80)
    assert "persons on both:" in narrow  # one block per row: the table could not fit
    assert max(len(line) for line in narrow.splitlines()) <= 80
    for count in ("313", "165", "119", "72", "58"):
        assert re.search(rf"\b{count}\b", narrow), narrow
    assert " ".join(narrow.split()).count("organisation's spellings 4:") == 1, narrow


def test_init_prints_the_verifier_key_whole_on_one_line_at_80_columns(tmp_path: Path) -> None:
    home = tmp_path / "home"
    origin = "narrow.test/a-ledger-with-a-rather-long-origin-name"
    done = _dk(home, 80, "init", "--origin", origin)
    assert done.exit_code == 0, done.output
    key = _dk(home, 80, "ledger", "key").output.strip()
    assert key.startswith(origin + "+") and len(key) > 80
    assert key in done.output.splitlines(), done.output


def test_the_width_is_read_when_printing_not_when_the_console_was_made(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' consoles are made at import: a COLUMNS set then (pytest-xdist's
    workers set one) must not fix the width of every later command."""
    monkeypatch.setenv("COLUMNS", "80")
    made_then = SafeConsole(color_system=None)
    monkeypatch.setenv("COLUMNS", "200")
    assert made_then.width == 200
    assert SafeConsole(width=60, color_system=None).width == 60
