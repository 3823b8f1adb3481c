"""``dadkhahi lists import | show``: victim lists in, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from dadkhahi.cli.common import console, current_actor, err_console, open_store
from dadkhahi.domain.errors import UserError, ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Credibility, Reliability, Sensitivity, SourceKind
from dadkhahi.intake.list_columns import parse_mapping
from dadkhahi.intake.lists import import_list, list_imports, resolve_source

app = typer.Typer(help="Import victim lists (CSV, XLSX) and see what was imported.",
                  no_args_is_help=True)



@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8, UTF-16, Windows-1256) or XLSX")],
    source: Annotated[str | None, typer.Option(
        help="Source ID, ID prefix or exact title; a new list source is registered if none "
             "matches")] = None,
    source_title: Annotated[str | None, typer.Option(
        help="Title of the new source (default: --source); alone, always a new source")]
    = None,
    id_column: Annotated[str | None, typer.Option(
        help="Column holding the list's own record ids (must be unique)")] = None,
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="FIELD=COLUMN (repeatable): full_name, given_name, family_name, "
                      "father_name, sex, birth_year, age, city, province, prison, death_date, "
                      "burial_place, affiliation, id_number, notes")] = None,
    sensitivity: Annotated[Sensitivity | None, typer.Option(
        help="Sensitivity of the records (default: the source's; restricted for a new one)")]
    = None,
    reliability: Annotated[Reliability, typer.Option(help="New source: Admiralty A-F")] = (
        Reliability.F
    ),
    credibility: Annotated[Credibility, typer.Option(help="New source: Admiralty 1-6")] = (
        Credibility.CANNOT_JUDGE
    ),
    encoding: Annotated[str | None, typer.Option(
        help="Text encoding of a CSV (default: detected)")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet (default: the first)")] = None,
    actor: Annotated[str | None, typer.Option(help="Who is importing")] = None,
) -> None:
    """Import one list: the file is kept, each row becomes a record, in one ledger event."""
    store = open_store()
    who = current_actor(actor)
    if source is None and source_title is None:
        raise UserError("name the list's source: --source NAME (or --source-title T for a new one)")
    existing = None
    if source is not None:
        with store.reading() as conn:
            existing = resolve_source(conn, source)
    target: str | SourceSpec = source or ""
    if existing is None:
        target = SourceSpec(
            title=source_title or source or "", kind=SourceKind.LIST,
            sensitivity=sensitivity or Sensitivity.RESTRICTED,
            reliability=reliability, credibility=credibility,
        )
    elif source_title is not None:
        err_console.print(f"note: using existing source {existing['id']}; --source-title ignored")
    try:
        with err_console.status("importing…") as status:
            report = import_list(
                store, file, source=target, actor=who, id_column=id_column,
                mapping=parse_mapping(map_ or []), sensitivity=sensitivity, encoding=encoding,
                sheet=sheet, progress=lambda msg: status.update(msg),
            )
    except ValidationError as exc:
        err_console.print(f"[red]error:[/red] {file.name}: {exc}", highlight=False)
        for problem in exc.problems:
            err_console.print(f"  {problem}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    for name, column in report.columns.items():
        console.print(f"  {name:<13} ← {column}", highlight=False, markup=False)
    if report.unmapped:
        console.print("  not mapped (kept verbatim): " + ", ".join(report.unmapped),
                      highlight=False, markup=False)
    for warning in report.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    created = " (new source)" if report.source_created else ""
    console.print(
        f"imported {report.rows:,} records from {file.name} ({report.format}, "
        f"{report.encoding or 'xlsx'}) as import {report.import_id}, item {report.item_id}, "
        f"source {report.source_id}{created}; ledger event {report.ledger_index}; "
        f"{report.seconds:.1f} s",
        highlight=False,
    )


@app.command("show")
def show() -> None:
    """Every imported list with its record count and linked persons."""
    store = open_store()
    rows = list_imports(store)
    if not rows:
        console.print("no lists imported yet")
        return
    table = Table("import", "source", "title", "file", "format", "records", "persons",
                  "sensitivity", "imported at")
    for r in rows:
        # Text(): titles and file names are data, never Rich markup ("[protected]").
        table.add_row(r.import_id, r.source_id, Text(r.source_title), Text(r.original_name or ""),
                      f"{r.format} {r.encoding or ''}".strip(), f"{r.rows:,}",
                      f"{r.linked_persons:,}", r.sensitivity, r.imported_at)
    console.print(table)
    console.print(f"{len(rows)} import(s), {sum(r.rows for r in rows):,} records")


def register(main: typer.Typer) -> None:
    """Add ``lists`` to the main command."""
    main.add_typer(app, name="lists")
