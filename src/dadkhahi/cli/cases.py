"""``dadkhahi case create|list|show|charge|link|gaps|mark-gap|bundle``, ``bundle verify``,
``sources link`` and ``perpetrators``: thin shells over ``dadkhahi.cases`` and ``facts``."""

from __future__ import annotations

import json
from contextlib import suppress
from pathlib import Path
from typing import Annotated, Any

import typer

from dadkhahi.cli.common import console, current_actor, fail, open_store
from dadkhahi.cli.refs import resolve_id, resolve_source
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.vocab import (
    Credibility,
    Direction,
    GapStatus,
    Reliability,
    SourceLinkKind,
)

app = typer.Typer(help="Cases for court: charges, the evidence matrix, gaps, bundles.",
                  no_args_is_help=True)
bundle_app = typer.Typer(help="Court bundles: verify one offline.", no_args_is_help=True)
sources_app = typer.Typer(help="Sources: provenance links for independence.",
                          no_args_is_help=True)

INCRIMINATING = Direction.INCRIMINATING
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
Frameworks = Annotated[list[Path] | None, typer.Option(
    "--frameworks", help="A folder of extra framework files (dadkhahi-framework/v1)")]


def _fws(extra: list[Path] | None) -> Any:
    from dadkhahi.cases.frameworks import frameworks

    return frameworks(extra or ())


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True))


@app.command("create")
def create(
    title: Annotated[str, typer.Option(help="The case's title (sealed by default)")],
    suspect: Annotated[list[str] | None, typer.Option(
        help="A suspect's person ID (or unique prefix)")] = None,
    act: Annotated[list[str] | None, typer.Option(
        help="An act in scope (ID or unique prefix)")] = None,
    place: Annotated[list[str] | None, typer.Option(
        help="A place in scope (ID or unique prefix)")] = None,
    period_from: Annotated[str | None, typer.Option(help="Start of period (YYYY-MM-DD)")] = None,
    period_to: Annotated[str | None, typer.Option(help="End of period (YYYY-MM-DD)")] = None,
    member: Annotated[list[str] | None, typer.Option(help="A team member (user)")] = None,
    unsealed: Annotated[bool, typer.Option(
        help="Keep title, charges, links in clear (public facts only)")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Open a case: its scope and its team (a case is a grant scope)."""
    from dadkhahi.cases.case import Scope, create_case

    store = open_store()

    def whole(refs: list[str] | None, kind: str) -> tuple[str, ...]:
        return tuple(resolve_id(store, None, ref, kind) for ref in refs or ())

    scope = Scope(whole(suspect, "person"), whole(act, "act"), whole(place, "place"),
                  period_from, period_to)
    try:
        case_id = create_case(store, current_actor(), title, scope,
                              members=member or (), sealed=not unsealed)
    except UserError as exc:
        raise fail(str(exc)) from None
    if as_json:
        _print_json({"id": case_id})
    else:
        typer.echo(case_id)


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Every case (title, charges, links)."""
    from dadkhahi.cases.case import list_cases

    store = open_store()
    with store.reading() as conn:
        cases = [c.summary() for c in list_cases(store, conn)]
    if as_json:
        _print_json(cases)
        return
    for c in cases:
        console.print(f"{c['id']}  {c['title']}  ({c['charges']} charges, {c['links']} links)",
                      highlight=False, markup=False)


def _matrix(case_ref: str, threshold: int, extra: list[Path] | None
            ) -> tuple[Any, Any]:
    from dadkhahi.cases.case import load_case
    from dadkhahi.cases.matrix import element_rows

    store = open_store()
    try:
        with store.reading() as conn:
            case = load_case(store, conn, case_ref)
            rows = element_rows(store, conn, case, available=_fws(extra))
    except UserError as exc:
        raise fail(str(exc)) from None
    return case, rows


@app.command("show")
def show(
    case: Annotated[str, typer.Argument(help="Case ID (or prefix)")],
    threshold: Annotated[int, typer.Option(help="Independent sources an element needs")] = 2,
    frameworks: Frameworks = None,
    as_json: JsonOpt = False,
) -> None:
    """A case: scope, charges and the evidence matrix (one line per element)."""
    from dadkhahi.cases.matrix import matrix_records

    found, rows = _matrix(case, threshold, frameworks)
    if as_json:
        _print_json({**found.summary(),
                     "charges": [vars(c) for c in found.charges],
                     "matrix": matrix_records(rows, threshold)})
        return
    console.print(f"[bold]{found.id}[/bold]  {found.title}", highlight=False)
    for charge in found.charges:
        console.print(f"  charge {charge.id}: {charge.suspect_id} — {charge.framework_id} "
                      f"{charge.crime_id} — mode {charge.mode_id}", highlight=False, markup=False)
    for r in rows:
        console.print(f"  {r.gap_line(threshold)}", highlight=False, markup=False)


@app.command("charge")
def charge(
    case: Annotated[str, typer.Argument(help="Case ID (or prefix)")],
    suspect: Annotated[str, typer.Option(
        help="The suspect's person ID or unique prefix (in the scope)")],
    framework: Annotated[str, typer.Option(help="Framework ID")],
    crime: Annotated[str, typer.Option(help="Crime ID in that framework")],
    mode: Annotated[str, typer.Option(help="Mode of liability ID")],
    frameworks: Frameworks = None,
    as_json: JsonOpt = False,
) -> None:
    """Charge a suspect: a crime of a framework under a mode of liability."""
    from dadkhahi.cases.case import add_charge

    store = open_store()
    try:
        charge_id = add_charge(store, current_actor(), case,
                               resolve_id(store, None, suspect, "person"), framework, crime,
                               mode, available=_fws(frameworks))
    except UserError as exc:
        raise fail(str(exc)) from None
    _print_json({"id": charge_id}) if as_json else typer.echo(charge_id)


@app.command("link")
def link(
    case: Annotated[str, typer.Argument(help="Case ID (or prefix)")],
    charge: Annotated[str, typer.Option(help="Charge ID (or prefix)")],
    element: Annotated[str, typer.Option(help="Element ID (ctx:<id> for contextual ones)")],
    fact: Annotated[str, typer.Option(
        help="KIND:ID, KIND one of act, involvement, claim (ID or unique prefix)")],
    how: Annotated[str, typer.Option(help="How the fact proves the element")],
    reliability: Annotated[Reliability, typer.Option(help="Admiralty reliability A–F")],
    credibility: Annotated[Credibility, typer.Option(help="Admiralty credibility 1–6")],
    direction: Annotated[Direction, typer.Option(help="Which way it points")] = INCRIMINATING,
    frameworks: Frameworks = None,
    as_json: JsonOpt = False,
) -> None:
    """Link a fact to an element of a charge (a ledger event with who and when)."""
    from dadkhahi.cases.case import FACT_KINDS, link_fact

    kind, sep, fact_id = fact.partition(":")
    if not sep:
        raise fail("--fact is KIND:ID, e.g. involvement:involvement_…")
    store = open_store()
    if kind in FACT_KINDS:
        with suppress(NotFoundError):  # the service names what is missing, the charge first
            fact_id = resolve_id(store, None, fact_id, kind)
    try:
        link_id = link_fact(store, current_actor(), case, charge, element, kind, fact_id,
                            reliability=reliability, credibility=credibility, how=how,
                            direction=direction, available=_fws(frameworks))
    except UserError as exc:
        raise fail(str(exc)) from None
    _print_json({"id": link_id}) if as_json else typer.echo(link_id)


@app.command("gaps")
def gaps(
    case: Annotated[str, typer.Argument(help="Case ID (or prefix)")],
    threshold: Annotated[int, typer.Option(help="Independent sources an element needs")] = 2,
    frameworks: Frameworks = None,
    as_json: JsonOpt = False,
) -> None:
    """The gap report: every element with fewer independent sources than the threshold
    or linked to a fact withdrawn since, each with the team's mark on it (status and
    note), if any."""
    from dadkhahi.cases.gaps import gap_entries, gap_marks

    found, rows = _matrix(case, threshold, frameworks)
    store = open_store()
    with store.reading() as conn:
        entries = gap_entries(rows, threshold, gap_marks(store, conn, found))
    if as_json:
        _print_json(entries)
        return
    for entry in entries:
        console.print(entry["line"], highlight=False, markup=False)
        mark = entry["mark"]
        if mark is not None:
            console.print(f"    marked {mark['status']} by {mark['marked_by']} "
                          f"({mark['marked_at'][:10]}): {mark['note']}",
                          highlight=False, markup=False)
    if not entries:
        console.print(f"no gaps at a threshold of {threshold}", highlight=False)
    if found.erased_marks:
        console.print(f"gap marks erased with a link on their element: "
                      f"{len(found.erased_marks)} (nothing of them is shown)",
                      highlight=False, markup=False)


@app.command("mark-gap")
def mark_gap(
    case: Annotated[str, typer.Argument(help="Case ID (or prefix)")],
    charge: Annotated[str, typer.Option(help="Charge ID (or prefix)")],
    element: Annotated[str, typer.Option(help="Element ID (ctx:<id> for contextual ones)")],
    status: Annotated[GapStatus, typer.Option(help="What is done about the gap")],
    note: Annotated[str, typer.Option(help="Why, or what is being done (sealed)")],
    frameworks: Frameworks = None,
    as_json: JsonOpt = False,
) -> None:
    """Mark a gap: investigating, unobtainable or accepted, with a note (a ledger event,
    sealed with the case; never support, never in a court bundle)."""
    from dadkhahi.cases.gaps import mark_gap as mark

    try:
        mark_id = mark(open_store(), current_actor(), case, charge, element, status, note,
                       available=_fws(frameworks))
    except UserError as exc:
        raise fail(str(exc)) from None
    _print_json({"id": mark_id}) if as_json else typer.echo(mark_id)


@app.command("bundle")
def bundle(
    case: Annotated[str, typer.Argument(help="Case ID (or prefix)")],
    recipient: Annotated[str, typer.Option(help="Who receives the bundle (named in custody)")],
    out: Annotated[Path, typer.Option(help="New folder to write the bag into")],
    scope: Annotated[str, typer.Option(help="Disclosure scope")] = "court",
    threshold: Annotated[int, typer.Option(help="Independent sources an element needs")] = 2,
    frameworks: Frameworks = None,
    encrypt_to: Annotated[str | None, typer.Option(
        help="Encrypt the bag for this age recipient (age1…) or SSH public key")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the court bundle (BagIt 1.0, proofs, custody, matrix, report, offline verifier)."""
    from dadkhahi.cases.bundle import write_bundle

    try:
        result = write_bundle(open_store(), current_actor(), case, out, recipient=recipient,
                              scope=scope, threshold=threshold, available=_fws(frameworks),
                              encrypt_to=encrypt_to)
    except UserError as exc:
        raise fail(str(exc)) from None
    summary = {"path": str(result.path), "export_id": result.export_id,
               "exhibits": result.exhibits, "withheld": result.withheld,
               "files": result.files, "bytes": result.bytes,
               "checkpoint_size": result.checkpoint_size,
               "encrypted": None if result.encrypted is None else str(result.encrypted)}
    if as_json:
        _print_json(summary)
    elif result.encrypted is not None:
        console.print(f"wrote {result.encrypted}: {result.exhibits} exhibits, "
                      f"{result.withheld} withheld, {result.files} files, encrypted for its "
                      f"recipient (see {result.path}/DECRYPT.txt)", highlight=False,
                      markup=False)
    else:
        console.print(f"wrote {result.path}: {result.exhibits} exhibits, {result.withheld} "
                      f"withheld, {result.files} files; verify with: python3 "
                      f"{result.path}/verify_bundle.py {result.path} --key VKEY",
                      highlight=False, markup=False)


@bundle_app.command("verify")
def bundle_verify(
    folder: Annotated[Path, typer.Argument(help="The bundle's folder")],
    key: Annotated[str, typer.Option(help="Verifier key text (or a file holding it)")],
) -> None:
    """Check a bundle offline: bag, hashes, signature, proofs, custody, export event."""
    from dadkhahi.cases.bundle_verify import verify

    if Path(key).is_file():
        key = Path(key).read_text("utf-8").strip()
    problems = verify(folder, key)
    for problem in problems:
        console.print(f"[red]FAIL[/red] {problem}", highlight=False)
    if problems:
        raise fail(f"the bundle does not verify ({len(problems)} problem(s))")
    console.print("[green]OK[/green] bag, hashes, checkpoint signature, inclusion proofs, "
                  "intake hashes, capture claims and verifications, custody, export event "
                  "and linkage decisions all verify", highlight=False)


@bundle_app.command("verifier")
def bundle_verifier(
    sha256: Annotated[bool, typer.Option(
        "--sha256", help="Its SHA-256 instead, as sha256sum prints it (to publish with each "
                         "release)")] = False,
    out: Annotated[Path | None, typer.Option(help="Write it to this file (default: print it)")
                   ] = None,
) -> None:
    """The verify_bundle.py every court bundle of this release carries, or (--sha256) its
    SHA-256: published with each release, so that a court's technician can check a
    bundle's script against it (VERIFY.txt, step 2) without trusting the bundle."""
    from dadkhahi.cases.bundle import verifier_script, verifier_sha256

    text = f"{verifier_sha256()}  verify_bundle.py\n" if sha256 else verifier_script()
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, "utf-8")
    if not sha256:
        out.chmod(0o755)
    console.print(f"wrote {out}", highlight=False, markup=False)


@sources_app.command("link")
def sources_link(
    source: Annotated[str, typer.Argument(
        help="The dependent source: ID, unique ID prefix or exact title")],
    other: Annotated[str, typer.Argument(
        help="The source it depends on: ID, unique ID prefix or exact title")],
    kind: Annotated[SourceLinkKind, typer.Option(help="How they depend on each other")],
    note: Annotated[str | None, typer.Option(help="A note")] = None,
) -> None:
    """Record that two sources are not independent (derived from, cites, …)."""
    from dadkhahi.intake.provenance import link_sources

    store = open_store()
    source, other = (str(resolve_source(store, None, ref)["id"]) for ref in (source, other))
    try:
        with store.transaction(current_actor()) as tx:
            link_id = link_sources(tx, source, other, kind, note)
    except UserError as exc:
        raise fail(str(exc)) from None
    typer.echo(link_id)


def perpetrators(as_json: JsonOpt = False) -> None:
    """The perpetrator registry: named officials, positions, acts, sources (allegations)."""
    from dadkhahi.facts.registry import perpetrator_registry

    store = open_store()
    with store.reading() as conn:
        entries = perpetrator_registry(conn, keys=store.keys)
    if as_json:
        _print_json([e.as_dict() for e in entries])
        return
    for e in entries:
        console.print(f"[bold]{e.label}[/bold] ({e.person_id})", highlight=False)
        for stmt in [*e.positions, *e.acts]:
            console.print(f"  {stmt.text}", highlight=False, markup=False)


def register(root: typer.Typer) -> None:
    """Add the commands to the ``dadkhahi`` app (``sources link`` joins the other
    ``sources`` commands: ``objects.register``)."""
    root.add_typer(app, name="case")
    root.add_typer(bundle_app, name="bundle")
    root.command("perpetrators")(perpetrators)
