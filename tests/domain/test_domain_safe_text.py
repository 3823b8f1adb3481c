"""Unsafe text out (issue 11 item 14): names that display as other names, terminal escape
sequences in stored text, and CSV cells a spreadsheet would run, each reproduced."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from dadkhahi.cli.common import SafeConsole
from dadkhahi.cli.main import app as cli
from dadkhahi.domain.safe_text import safe_display_name, spreadsheet_cell, terminal_safe
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.lists import import_list
from dadkhahi.linkage.service import run_linkage
from dadkhahi.linkage.views import export_links
from dadkhahi.store.store import Store

ESCAPES = "\x1b[2J\x1b]0;SYNTHETIC pwned\x07\x1b[1A\r"


def test_names_lose_overrides_and_invisibles_but_keep_persian_zwnj() -> None:
    assert safe_display_name("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert safe_display_name("state\u200bment\u2066.pdf\u2069") == "statement.pdf"
    assert safe_display_name("\ufeffa\x00b\x1b.txt") == "ab.txt"
    persian = "محمد\u200cرضا.pdf"
    assert safe_display_name(persian) == persian


def test_terminal_text_is_shown_never_obeyed() -> None:
    shown = terminal_safe(f"title{ESCAPES}\u202eend\nnext\tcell")
    assert "\x1b" not in shown and "\x07" not in shown and "\r" not in shown
    assert "\u202e" not in shown and "\nnext\tcell" in shown and "\ufffd" in shown
    assert terminal_safe("plain ASCII") == "plain ASCII"


def test_spreadsheet_cells_cannot_be_formulas() -> None:
    for cell in ("=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert spreadsheet_cell(cell) == "'" + cell
    assert spreadsheet_cell("L-12") == "L-12" and spreadsheet_cell(7) == 7


def test_rich_tables_and_messages_strip_escapes(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    with out.open("w") as handle:
        console = SafeConsole(file=handle, force_terminal=True, width=100)
        from rich.table import Table
        from rich.text import Text

        table = Table("title")
        table.add_row(f"SYNTHETIC{ESCAPES}")
        table.add_row(Text(f"text object{ESCAPES}"))
        console.print(table)
        console.print(f"message {ESCAPES}", markup=False)
    written = out.read_text()
    assert "\x1b[2J" not in written and "\x1b]0;" not in written and "\x07" not in written
    assert "\x1b[1A" not in written and "SYNTHETIC" in written
    assert "\x1b[" in written  # Rich's own styling still works


def test_lists_show_and_link_export_through_the_cli(store: Store, tmp_path: Path) -> None:
    listing = tmp_path / "list.csv"
    with listing.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([
            ["ID", "Full name", "Date of execution"],
            ["=HYPERLINK(\"http://evil.test\",\"open\")", "Karimi, Ali", "1367/05/12"],
            ["@SUM(1+1)", "Karimi, Ali Reza", "1367/05/12"]])
    import_list(store, listing, actor="setup", id_column="ID", source=SourceSpec(
        title=f"SYNTHETIC list{ESCAPES}", kind=SourceKind.LIST,
        sensitivity=Sensitivity.PUBLIC))
    other = tmp_path / "other.csv"
    with other.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([
            ["ID", "Full name", "Date of execution"],
            ["-2+3", "Moradi, Zahra", "1367/05/20"], ["M2", "Moradi, Zohreh", "1367/05/20"]])
    import_list(store, other, actor="setup", id_column="ID", source=SourceSpec(
        title="SYNTHETIC second list", kind=SourceKind.LIST, sensitivity=Sensitivity.PUBLIC))
    run_linkage(store, "setup")
    runner = CliRunner()
    shown = runner.invoke(cli, ["--home", str(store.home.path), "lists", "show"])
    assert shown.exit_code == 0, shown.output
    assert "\ufffd" in shown.output and "\x1b" not in shown.output and "\x07" not in shown.output
    exported = tmp_path / "links.csv"
    report = export_links(store, exported)
    with exported.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    ids = [row["record_id"] for row in rows]
    assert report.escaped == 3
    # The file says which of its cells carry the apostrophe (issue 11 item 14).
    said = {row["record_id"]: row["escaped_with_apostrophe"] for row in rows}
    assert said["M2"] == "" and said["'-2+3"] == "record_id"
    assert said["'@SUM(1+1)"] == "record_id"
    assert sorted(ids) == ["'-2+3", "'=HYPERLINK(\"http://evil.test\",\"open\")", "'@SUM(1+1)",
                           "M2"]
