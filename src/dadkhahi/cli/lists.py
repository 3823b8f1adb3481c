"""``dadkhahi lists import | show | describe``: lists in, all or nothing, and what they are."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from dadkhahi.cli import refs
from dadkhahi.cli.common import console, current_actor, err_console, open_store
from dadkhahi.domain.errors import UserError, ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Credibility, ListKind, Reliability, Sensitivity, SourceKind

if TYPE_CHECKING:
    from dadkhahi.intake.list_description import (
        ListDescription,
        ListInfo,
    )
    from dadkhahi.intake.list_versions import VersionChanges
    from dadkhahi.store.store import Store

app = typer.Typer(help="Import lists (CSV, XLSX), say what they list, see what was imported.",
                  no_args_is_help=True)

_KIND_HELP = ("What the list lists: victims (the dead), detainees (survivors too), "
              "perpetrators or other; only the right kind enters an estimate")
_PROVINCE_HELP = ("A province the list covers (repeatable, or comma-separated; any script); "
                  "none: not limited to some provinces")
_PERIOD_HELP = ("Period of the events listed: FROM..TO, either end open "
                "(1367/04/01..1367/09/30, 1988-07..1988-12, ..1988), Solar Hijri or Gregorian")
_DERIVED_HELP = ("A list (lst_/imp_ ID or unique prefix) or source (ID, unique prefix or exact "
                 "title) this list was copied or extracted from (repeatable): it is not an "
                 "independent list")
_COMPILED_HELP = ("A list or source (ID, unique prefix or exact title) that compiled this list "
                  "(repeatable)")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8, UTF-16, Windows-1256) or XLSX")],
    source: Annotated[str | None, typer.Option(
        help="The list's existing source: ID, unique ID prefix or exact title (one that "
             "matches nothing is refused, with the nearest titles)")] = None,
    source_title: Annotated[str | None, typer.Option(
        help="Register a new list source with this title (instead of --source)")]
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
    multiline_cells: Annotated[bool, typer.Option(
        "--multiline-cells", help="Accept quoted cells whose lines read as rows of the file "
                                  "(shown as warnings); without it such a file is refused, "
                                  "as a quote left open would swallow rows")] = False,
    list_kind: Annotated[ListKind | None, typer.Option(
        help=_KIND_HELP + " (default: victims; a new version keeps its list's)")] = None,
    province: Annotated[list[str] | None, typer.Option(help=_PROVINCE_HELP)] = None,
    period: Annotated[str | None, typer.Option(help=_PERIOD_HELP)] = None,
    derived_from: Annotated[list[str] | None, typer.Option(help=_DERIVED_HELP)] = None,
    compiled_by: Annotated[list[str] | None, typer.Option(help=_COMPILED_HELP)] = None,
    new_version_of: Annotated[str | None, typer.Option(
        metavar="LIST", help="Import the file as the next version of this list (lst_/imp_ ID "
                             "or prefix, or its source), superseding the current one: a "
                             "corrected file, or the same file with other options. Records "
                             "match by --id-column, else by row; see lists versions")] = None,
    actor: Annotated[str | None, typer.Option(help="Who is importing")] = None,
) -> None:
    """Import one list: the file is kept, each row becomes a record, in one ledger event."""
    from dadkhahi.intake.list_columns import parse_mapping
    from dadkhahi.intake.list_description import ListDescription, resolve_list
    from dadkhahi.intake.lists import import_list

    store = open_store()
    who = current_actor(actor)
    target: str | SourceSpec | None = None
    version_of: str | None = None
    description: ListDescription | None = ListDescription(
        kind=list_kind or ListKind.VICTIMS, provinces=province, period=period,
        derived_from=derived_from or (), compiled_by=compiled_by or ())
    if new_version_of is not None:
        if source is not None or source_title is not None:
            raise UserError("--new-version-of keeps the list's source: leave out --source "
                            "and --source-title")
        with store.reading() as conn:
            version_of = str(resolve_list(conn, new_version_of)["id"])
        # A new version keeps what the list says it is; lists describe changes that.
        if (list_kind is not None or province or period is not None or derived_from
                or compiled_by):
            raise UserError("a new version keeps its list's description: change it with "
                            "dadkhahi lists describe")
        description = None
    else:
        target = _import_source(store, source, source_title, sensitivity, reliability,
                                credibility)
    try:
        with err_console.status("importing…") as status:
            report = import_list(
                store, file, source=target, actor=who, id_column=id_column,
                mapping=parse_mapping(map_ or []), sensitivity=sensitivity, encoding=encoding,
                sheet=sheet, progress=lambda msg: status.update(msg),
                multiline_cells=multiline_cells, description=description,
                new_version_of=version_of,
            )
    except ValidationError as exc:
        said = str(exc) if str(exc).startswith(f"{file.name}:") else f"{file.name}: {exc}"
        err_console.print("[red]error:[/red]", Text(said), highlight=False, soft_wrap=True)
        for problem in exc.problems:
            err_console.print(f"  {problem}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    for name, column in report.columns.items():
        console.print(f"  {name:<13} ← {column}", highlight=False, markup=False)
    if report.unmapped:
        console.print("  not mapped (kept verbatim): " + ", ".join(report.unmapped),
                      highlight=False, markup=False)
    for warning in report.warnings:
        # markup=False: a warning may quote the file's own text.
        err_console.print("warning: " + warning, style="yellow", highlight=False,
                          markup=False, soft_wrap=True)
    created = " (new source)" if report.source_created else ""
    as_what = (f"as list {report.list_id}" if report.version is None
               else f"as version {report.list_version} of list {report.list_id}")
    console.print(
        f"imported {report.rows:,} records from {file.name} ({report.format}, "
        f"{report.encoding or 'xlsx'}) {as_what} of {report.kind} "
        f"(import {report.import_id}), item {report.item_id}, "
        f"source {report.source_id}{created}; ledger event {report.ledger_index}; "
        f"{report.seconds:.1f} s",
        highlight=False, soft_wrap=True,
    )
    if report.version is not None:
        _print_changes(report.version)


def _print_changes(v: VersionChanges) -> None:
    how = "the list's own IDs" if v.matched_by == "external_id" else "row contents"
    console.print(
        f"  supersedes version {v.previous_version} ({v.previous_import}); records matched "
        f"by {how}: {v.added:,} added, {v.removed:,} removed, {v.changed:,} changed "
        f"({v.linkage_changed:,} in linkage fields), {v.unchanged:,} unchanged",
        highlight=False, soft_wrap=True)
    console.print(
        f"  review decisions: {v.decisions_carried:,} carried over, {v.decisions_returned:,} "
        f"returned to the review queue (a linkage field changed), {v.decisions_lapsed:,} "
        f"lapsed (a record removed); {v.persons_kept:,} records keep their person. "
        "Run dadkhahi link run to link the new version",
        highlight=False, soft_wrap=True)


def _import_source(
    store: Store, source: str | None, source_title: str | None,
    sensitivity: Sensitivity | None, reliability: Reliability, credibility: Credibility,
) -> str | SourceSpec:
    """An existing source (--source: ID, unique prefix or exact title; nothing matching
    is refused with the nearest titles) or a new one (--source-title)."""
    if source is None and source_title is None:
        raise UserError("name the list's source: --source NAME (an existing source) or "
                        "--source-title T (a new one)")
    if source is not None and source_title is not None:
        raise typer.BadParameter("give --source (an existing source) or --source-title "
                                 "(a new one), not both", param_hint="'--source'")
    if source is not None:
        return str(refs.resolve_source(store, None, source)["id"])
    return SourceSpec(
        title=source_title or "", kind=SourceKind.LIST,
        sensitivity=sensitivity or Sensitivity.RESTRICTED,
        reliability=reliability, credibility=credibility,
    )


def _provenance(info: ListInfo) -> str:
    parts = []
    if info.derived_from:
        parts.append("derived from " + ", ".join(info.derived_from))
    if info.compiled_by:
        parts.append("compiled by " + ", ".join(info.compiled_by))
    return "; ".join(parts) or "-"


def _info_json(info: ListInfo) -> dict[str, Any]:
    return dataclasses.asdict(info)


@app.command("show")
def show(
    list_ref: Annotated[str | None, typer.Argument(
        metavar="[LIST]", help="One list (lst_/imp_ ID or prefix, or its source): its "
                               "description and every version")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Every list: what it lists, covers and came from, its current version and counts."""
    from dadkhahi.intake.list_description import list_catalogue
    from dadkhahi.intake.lists import list_imports

    store = open_store()
    if list_ref is not None:
        _show_one(store, list_ref, json_)
        return
    with store.reading() as conn:
        infos = list_catalogue(store, conn)
    if json_:
        console.print_json(json.dumps([_info_json(i) for i in infos]))
        return
    if not infos:
        console.print("no lists imported yet")
        return
    table = Table("list", "kind", "title", "file", "version", "records", "persons",
                  "coverage", "provenance", "sensitivity")
    for i in infos:
        # Text(): titles and file names are data, never Rich markup ("[protected]").
        table.add_row(i.id, i.kind, Text(i.source_title), Text(i.original_name or ""),
                      f"{i.versions} ({i.current_import_id})", f"{i.rows:,}",
                      f"{i.linked_persons:,}", Text(i.coverage_text()), _provenance(i),
                      i.sensitivity)
    console.print(table)
    imports = list_imports(store)
    console.print(f"{len(infos)} list(s), {sum(i.rows for i in infos):,} records in their "
                  f"current versions; {len(imports)} import(s)")


def _show_one(store: Store, ref: str, json_: bool) -> None:
    from dadkhahi.intake.list_description import list_catalogue, resolve_list
    from dadkhahi.intake.lists import list_imports

    with store.reading() as conn:
        found = resolve_list(conn, ref)
        info = list_catalogue(store, conn, [str(found["id"])])[0]
    versions = [v for v in list_imports(store) if v.list_id == info.id]
    if json_:
        console.print_json(json.dumps({
            **_info_json(info), "imports": [dataclasses.asdict(v) for v in versions]}))
        return
    console.print(f"list {info.id}: {info.kind}", highlight=False)
    console.print(Text(f"source {info.source_id}: {info.source_title}"))
    console.print(Text(f"coverage: {info.coverage_text()}"
                       + (f" (given as {info.period_text!r})" if info.period_text else "")))
    console.print(f"provenance: {_provenance(info)}", highlight=False)
    table = Table("version", "import", "file", "records", "format", "imported at",
                  "superseded by")
    for v in versions:
        table.add_row(str(v.list_version), v.import_id, Text(v.original_name or ""),
                      f"{v.rows:,}", f"{v.format} {v.encoding or ''}".strip(), v.imported_at,
                      v.superseded_by or "(current)")
    console.print(table)


@app.command("versions")
def versions_command(
    list_ref: Annotated[str, typer.Argument(
        metavar="LIST", help="The list: lst_/imp_ ID or prefix, or its source (ID or title)")],
    json_: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Every version of one list, oldest first: its file and what it changed."""
    from dadkhahi.intake.list_description import resolve_list
    from dadkhahi.intake.lists import list_imports

    store = open_store()
    with store.reading() as conn:
        found = resolve_list(conn, list_ref)
    versions = [v for v in list_imports(store) if v.list_id == found["id"]]
    if json_:
        console.print_json(json.dumps([dataclasses.asdict(v) for v in versions]))
        return
    table = Table("version", "import", "file", "records", "id column", "matched by",
                  "added", "removed", "changed", "imported at", "status")

    def count(n: int | None) -> str:
        return "-" if n is None else f"{n:,}"

    for v in versions:
        table.add_row(str(v.list_version), v.import_id, Text(v.original_name or ""),
                      f"{v.rows:,}", Text(v.id_column or "-"),
                      {"external_id": "list id", "row": "row"}.get(v.matched_by or "", "-"),
                      count(v.added), count(v.removed), count(v.changed), v.imported_at,
                      f"superseded by {v.superseded_by}" if v.superseded_by else "current")
    console.print(table)


@app.command("describe")
def describe(
    list_ref: Annotated[str, typer.Argument(
        metavar="LIST", help="The list: lst_/imp_ ID or prefix, or its source (ID or title)")],
    list_kind: Annotated[ListKind | None, typer.Option(help=_KIND_HELP)] = None,
    province: Annotated[list[str] | None, typer.Option(
        help="Provinces covered (replaces the ones given before); repeatable")] = None,
    all_provinces: Annotated[bool, typer.Option(
        "--all-provinces", help="Not limited to some provinces")] = False,
    period: Annotated[str | None, typer.Option(help=_PERIOD_HELP)] = None,
    no_period: Annotated[bool, typer.Option("--no-period", help="Period not stated")] = False,
    derived_from: Annotated[list[str] | None, typer.Option(
        help=_DERIVED_HELP + "; replaces the ones given before")] = None,
    compiled_by: Annotated[list[str] | None, typer.Option(
        help=_COMPILED_HELP + "; replaces the ones given before")] = None,
    no_provenance: Annotated[bool, typer.Option(
        "--no-provenance", help="Neither derived from nor compiled by anything recorded")]
    = False,
    actor: Annotated[str | None, typer.Option(help="Who is describing")] = None,
) -> None:
    """Change what a list lists, covers or came from (one ledger event; old values stay in
    the ledger)."""
    from dadkhahi.intake.list_description import KEEP, DescriptionChange, describe_list

    if province and all_provinces:
        raise UserError("give --province or --all-provinces, not both")
    if period is not None and no_period:
        raise UserError("give --period or --no-period, not both")
    if (derived_from or compiled_by) and no_provenance:
        raise UserError("give --derived-from/--compiled-by or --no-provenance, not both")
    change = DescriptionChange(
        kind=list_kind if list_kind is not None else KEEP,
        provinces=None if all_provinces else (province if province else KEEP),
        period=None if no_period else (period if period is not None else KEEP),
        derived_from=() if no_provenance else (derived_from if derived_from else KEEP),
        compiled_by=() if no_provenance else (compiled_by if compiled_by else KEEP),
    )
    store = open_store()
    row, changed, index = describe_list(store, list_ref, change, current_actor(actor))
    if not changed:
        console.print(f"list {row['id']} already says so; nothing recorded", highlight=False)
        return
    console.print(f"list {row['id']}: changed {', '.join(changed)}; ledger event {index}",
                  highlight=False)


def register(main: typer.Typer) -> None:
    """Add ``lists`` to the main command."""
    main.add_typer(app, name="lists")
