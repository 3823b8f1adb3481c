"""``dadkhahi link run | review | decide | apply | export | stats | audit``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Column, Table
from rich.text import Text

from dadkhahi.cli.common import (
    JSON_HELP,
    console,
    current_actor,
    echo_json,
    err_console,
    open_store,
)
from dadkhahi.domain.errors import UserError

if TYPE_CHECKING:
    from dadkhahi.linkage.service import RunReport
    from dadkhahi.linkage.views import ReviewPair
    from dadkhahi.store.store import Store

# The linkage services are imported inside each command: they pull in pandas, SciPy
# and Splink, which every other ``dadkhahi`` command would otherwise pay for.

app = typer.Typer(help="Link records into persons, with human review.", no_args_is_help=True)

_SHOWN = (
    ("name", ("given_name", "family_name")),
    ("full name", ("full_name",)),
    ("father", ("father_name",)),
    ("sex", ("sex",)),
    ("birth year", ("birth_year",)),
    ("age", ("age",)),
    ("death date", ("death_date",)),
    ("death interval", ("death_earliest", "death_latest")),
    ("prison", ("prison",)),
    ("city", ("city",)),
    ("province", ("province",)),
    ("burial place", ("burial_place",)),
    ("affiliation", ("affiliation",)),
    ("notes", ("notes",)),
)


def _phases() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn(),
                    console=err_console, transient=True)


def _print_run(store: Store, report: RunReport) -> None:
    from dadkhahi.linkage.views import pending_review

    # One definition of "to review" (linkage.views.pending_review), as link stats says it:
    # an apply run scores nothing, but the model run's undecided pairs are still waiting.
    pending = pending_review(store)
    console.print(
        f"{report.kind} run {report.run_id}: {report.records:,} records → "
        f"{report.persons:,} persons ({report.new_persons:,} new, {report.reused_persons:,} "
        f"kept their id); {report.assigned:,} records assigned, {report.moved:,} moved; "
        f"{report.claims_added:,} claims added, {report.claims_retired:,} superseded; "
        f"{report.pairs:,} scored pairs; {pending:,} pairs to review (link review); "
        f"{report.decisions:,} human decisions applied"
        + (f", {report.conflicts} contradictory 'same' decisions left unmet"
           if report.conflicts else "")
        + f"; ledger event {report.ledger_index}; {report.seconds:.1f} s",
        highlight=False,
    )


@app.command("run")
def run(
    backend: Annotated[str, typer.Option(
        help="duckdb (default) or spark (local). DuckDB links a few hundred thousand "
             "records in minutes on one machine; Spark pays 20-60 s to start its JVM and "
             "runs training as many small jobs, so it is worth it only for millions of "
             "records or a cluster (it is sized for the input and kept quiet unless "
             "--verbose)")] = "duckdb",
    threshold: Annotated[float | None, typer.Option(
        min=0.01, max=0.99,
        help="Match probability at which a pair links (default: the tuned 0.05; clusters "
             "stay one-record-per-list, so links are accepted below 50/50)")] = None,
    seed: Annotated[int | None, typer.Option(
        help="Seed of the model's sampling (default 1); recorded with the run, so the "
             "same lists, decisions and seed give the same persons in any home")] = None,
    actor: Annotated[str | None, typer.Option(help="Who runs the linkage")] = None,
    verbose: Annotated[bool, typer.Option(
        help="Show Splink's training messages (and Spark's warnings and progress bars)")]
    = False,
    queue: Annotated[bool, typer.Option(
        "--queue", help="Queue the run as a job for `dadkhahi worker` (or a server's "
                        "worker thread) and print its ID, instead of running it here")] = False,
) -> None:
    """Link every imported list record into persons (human decisions always hold)."""
    if backend not in ("duckdb", "spark"):
        raise UserError(f"unknown backend {backend!r}: duckdb or spark")
    if queue:
        from dadkhahi.jobs.queue import enqueue
        from dadkhahi.linkage.jobs import KIND, job_params

        store = open_store()
        job = enqueue(store, KIND, job_params(store, current_actor(actor), backend,
                                              threshold, seed))
        typer.echo(job.id)
        err_console.print(f"queued; follow it with: dadkhahi jobs show {job.id}",
                          highlight=False)
        return
    if not verbose:
        from dadkhahi.linkage.service import quiet_splink

        quiet_splink()
    from dadkhahi.linkage.service import run_linkage

    store = open_store()
    with _phases() as bar:
        task = bar.add_task("starting", total=None)
        report = run_linkage(store, current_actor(actor), backend=backend, threshold=threshold,
                             seed=seed, progress=lambda msg: bar.update(task, description=msg),
                             verbose=verbose)
    _print_run(store, report)


def _value(record: dict[str, Any], keys: tuple[str, ...]) -> str:
    norm = record.get("normalized") or {}
    parts = [str(norm[k]) for k in keys if norm.get(k) not in (None, "")]
    return (" … " if keys[0] == "death_earliest" else " ").join(parts)


def _pair_table(pair: ReviewPair, position: int, total: int) -> Table:
    left, right = pair.left, pair.right
    scored = ("not scored by the model" if pair.probability is None
              else f"match probability {pair.probability:.2f}")
    table = Table(title=f"pair {position} of {total}: {scored}", show_lines=False)
    table.add_column("")
    table.add_column("record A", overflow="fold")
    table.add_column("record B", overflow="fold")
    table.add_row("list", left["source_title"], right["source_title"])
    table.add_row("record", str(left["id"]), str(right["id"]))
    table.add_row("list id / line", f"{left['external_id'] or '-'} / {left['row_number']}",
                  f"{right['external_id'] or '-'} / {right['row_number']}")
    for label, keys in _SHOWN:
        a, b = _value(left, keys), _value(right, keys)
        if a or b:
            mark = "[yellow]≠[/yellow] " if a and b and a != b else ""
            table.add_row(f"{mark}{label}", a, b)
    verbatim = [
        "; ".join(f"{k}: {v}" for k, v in (r.get("verbatim") or {}).items())
        for r in (left, right)
    ]
    table.add_row("as written", verbatim[0], verbatim[1])
    if pair.previous is not None:
        before = pair.previous
        # A new list version changed a linkage field: the old answer is shown, not in force.
        table.add_row("[yellow]decided before[/yellow]",
                      Text(f"{before['decision']} by {before['actor']} on "
                           f"{before['decided_at']} (a list's new version changed a record; "
                           "decide again)"), "")
    return table


@app.command("review")
def review(
    limit: Annotated[int | None, typer.Option(help="Stop after this many pairs")] = None,
    apply: Annotated[bool, typer.Option(help="Apply the decisions when done (re-cluster)")]
    = True,
    actor: Annotated[str | None, typer.Option(help="Who is deciding")] = None,
) -> None:
    """Decide uncertain pairs one by one: s(ame), d(ifferent), k (skip), q(uit).

    Each answer is a ledger event at once; quitting keeps every answer given.
    """
    from dadkhahi.linkage.service import apply_decisions, decide
    from dadkhahi.linkage.views import review_queue

    store = open_store()
    who = current_actor(actor)
    queue = review_queue(store, limit)
    if not queue:
        console.print("nothing to review")
        return
    decided = 0
    for position, pair in enumerate(queue, start=1):
        console.print(_pair_table(pair, position, len(queue)))
        answer = _ask()
        if answer == "q":
            break
        if answer == "k":
            continue
        decision = "same" if answer == "s" else "different"
        decision_id = decide(store, who, pair.left["id"], pair.right["id"], decision,
                             run_id=pair.run_id, probability=pair.probability)
        decided += 1
        console.print(f"recorded: {decision} ({decision_id})", highlight=False)
    console.print(f"{decided} decision(s) recorded")
    if decided and apply:
        with _phases() as bar:
            task = bar.add_task("applying decisions", total=None)
            report = apply_decisions(store, who,
                                     progress=lambda msg: bar.update(task, description=msg))
        _print_run(store, report)


def _ask() -> str:
    while True:
        try:
            text = input("same (s) / different (d) / skip (k) / quit (q)? ").strip().lower()
        except EOFError:
            console.print()
            return "q"
        if text[:1] in ("s", "d", "k", "q") and text in (
            "s", "d", "k", "q", "same", "different", "skip", "quit"
        ):
            return text[:1]
        console.print("answer s, d, k or q")


def record_ref(store: Store, ref: str, list_ref: str | None) -> str:
    """Our record ID for ``ref``: a record ID or unique prefix (``rec_…``), or a list's own
    ID qualified by its list (``LIST:ID``, the list named by ``lst_…``/``imp_…`` ID or
    prefix or by its source's ID or exact title; or ``--list``). Only the list's current
    version is searched."""
    from sqlalchemy import select

    from dadkhahi.cli.refs import resolve_id
    from dadkhahi.intake.list_description import resolve_list
    from dadkhahi.store import schema as s

    if ref.startswith("rec_") and list_ref is None:
        return resolve_id(store, None, ref, "record")
    if list_ref is None:
        list_ref, sep, ref = ref.partition(":")
        if not sep:
            raise UserError(f"{list_ref!r}: give a record ID (rec_…), LIST:ID with the "
                            "list's own ID, or --list LIST")
    with store.reading() as conn:
        found = resolve_list(conn, list_ref)
        r = s.records.c
        rows = conn.execute(select(r.id).where(r.import_id == found["current_import_id"],
                                               r.external_id == ref).limit(2)).scalars().all()
    if not rows:
        raise UserError(f"list {found['id']} has no record {ref!r} in its current version")
    if len(rows) > 1:
        raise UserError(f"list {found['id']} has two records {ref!r}: give the record ID")
    return str(rows[0])


@app.command("decide")
def decide_command(
    record_a: Annotated[str, typer.Argument(
        metavar="RECORD_A", help="A record: rec_ ID (or unique prefix), or the list's own ID "
                                 "as LIST:ID (e.g. M5:F-04, the list by name or ID)")],
    record_b: Annotated[str, typer.Argument(metavar="RECORD_B", help="The other record, "
                                                                     "likewise")],
    decision: Annotated[str, typer.Argument(metavar="DECISION", help="same or different")],
    list_: Annotated[str | None, typer.Option(
        "--list", metavar="LIST", help="Read both records as this list's own IDs (list ID, "
                                       "prefix, or its source's ID or exact title)")] = None,
    note: Annotated[str | None, typer.Option(help="Why")] = None,
    actor: Annotated[str | None, typer.Option(help="Who is deciding")] = None,
) -> None:
    """Record one decision without the interactive loop (applied on the next run/apply)."""
    from dadkhahi.linkage.service import decide

    store = open_store()
    a, b = record_ref(store, record_a, list_), record_ref(store, record_b, list_)
    decision_id = decide(store, current_actor(actor), a, b, decision, note=note)
    console.print(f"recorded {decision_id}: {a} and {b} are {decision}", highlight=False)


@app.command("apply")
def apply_command(
    actor: Annotated[str | None, typer.Option(help="Who applies the decisions")] = None,
) -> None:
    """Re-cluster the last run's pairs with every decision so far (no retraining)."""
    from dadkhahi.linkage.service import apply_decisions

    store = open_store()
    _print_run(store, apply_decisions(store, current_actor(actor)))


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write")],
) -> None:
    """Write one row per linked record: record_id (the list's own ID), person_id, list_id,
    list (its name), source_id and internal_record_id (the rec_ ID link decide takes).

    For spreadsheets: ids a spreadsheet would run as formulas get a leading ', and the
    last column, escaped_with_apostrophe, names the cells of its row so written."""
    from dadkhahi.linkage.views import export_links

    store = open_store()
    report = export_links(store, out)
    console.print(f"wrote {report.rows:,} rows to {out}", highlight=False)
    if report.unlinked:
        err_console.print(f"note: {report.unlinked:,} records imported since the last run are "
                          "not linked yet (dadkhahi link run)")
    if report.duplicate_ids:
        err_console.print(f"note: {report.duplicate_ids:,} list ids occur in more than one "
                          "list; the list_id and source_id columns tell them apart")
    if report.escaped:
        err_console.print(f"note: {report.escaped:,} list ids began with = + - @ or a control "
                          "character and were written with a leading ' so that a spreadsheet "
                          "shows them instead of running them as formulas (the "
                          "escaped_with_apostrophe column names them)")


@app.command("stats")
def stats(as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False) -> None:
    """Records, persons, per-list counts and the list-overlap matrix."""
    from dadkhahi.linkage.views import link_stats

    store = open_store()
    result = link_stats(store)
    if as_json:
        echo_json({
            "records": result.records, "linked_records": result.linked_records,
            "persons": result.persons, "decisions": result.decisions,
            "review_pending": result.review_pending, "last_run": result.last_run,
            # pandas writes its own JSON (native numbers, text keys); read back to nest it.
            "lists": json.loads(result.lists.to_json(orient="records")),
            "overlap": json.loads(result.overlap.to_json(orient="index")),
        })
        return
    console.print(f"records: {result.records:,} ({result.linked_records:,} linked)   "
                  f"persons: {result.persons:,}   human decisions: {result.decisions:,}   "
                  f"pairs to review: {result.review_pending:,}", highlight=False)
    if result.last_run:
        run_ = result.last_run
        console.print(f"last run: {run_['id']} ({run_['kind']}, {run_['backend']}, threshold "
                      f"{run_['threshold']}) finished {run_['finished_at']}", highlight=False)
    per_list = Table("list", "source", "records", "persons", title="per list")
    for row in result.lists.itertuples(index=False):
        per_list.add_row(Text(str(row.list)), str(row.source_id), f"{row.records:,}",
                         f"{row.persons:,}")
    console.print(per_list)
    if not result.overlap.empty:
        headers = [Column(header=Text(str(c))) for c in result.overlap.columns]
        matrix = Table("persons on both", *headers, title="list overlap (persons)")
        for name, values in result.overlap.iterrows():
            matrix.add_row(Text(str(name)), *[f"{int(v):,}" for v in values])
        console.print(matrix)


audit_app = typer.Typer(
    help="Measure the last run's error: a blind sample of links and non-links, labelled "
    "by people, gives precision and recall with intervals.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("draw")
def audit_draw(
    out: Annotated[Path, typer.Option("--out", help="CSV sheet to write for the reviewers")],
    size: Annotated[int, typer.Option(help="About this many pairs, split over the strata")]
    = 200,
    seed: Annotated[int, typer.Option(help="Seed of the draw (recorded)")] = 1,
    actor: Annotated[str | None, typer.Option(help="Who draws the audit")] = None,
) -> None:
    """Draw a seeded random sample of the last model run's links and of its non-links near
    the threshold, stratified by match probability, into a CSV sheet.

    The sheet shows both records of each pair and nothing of the model (blind, shuffled).
    Reviewers fill in decision (same, different, unsure) and reviewer; two people labelling
    separately is best. Then: dadkhahi link audit record AUDIT_ID SHEET [SHEET...]."""
    from dadkhahi.linkage.audit import draw_audit

    store = open_store()
    drawn = draw_audit(store, current_actor(actor), out, size=size, seed=seed)
    console.print(f"audit {drawn.audit_id} of run {drawn.run_id}: {drawn.pairs} pairs written "
                  f"to {out} (ledger event {drawn.ledger_index})", highlight=False)
    table = Table("stratum", "pairs in the run", "drawn", title="strata")
    for name, counts in drawn.strata.items():
        table.add_row(name, f"{counts['population']:,}", f"{counts['drawn']:,}")
    console.print(table)
    if drawn.protected_pairs:
        err_console.print(
            f"[yellow]warning:[/yellow] {drawn.protected_pairs} of the pairs show a record "
            "of a protected list, opened (a witness's name in clear): give the sheet only to "
            "reviewers granted those lists, and delete it once recorded", highlight=False,
            soft_wrap=True)


@audit_app.command("record")
def audit_record(
    audit_id: Annotated[str, typer.Argument(
        help="The audit (aud_…, or a unique prefix) the sheets belong to")],
    sheets: Annotated[list[Path], typer.Argument(help="Labelled CSV sheet(s)")],
    seed: Annotated[int, typer.Option(help="Seed of the interval's posterior draws")] = 1,
    actor: Annotated[str | None, typer.Option(help="Who records the audit")] = None,
) -> None:
    """Read labelled sheets, estimate the run's precision and recall with 95% intervals
    (Wilson per stratum), and record them in the ledger (link.audited)."""
    from dadkhahi.cli.refs import resolve_id
    from dadkhahi.linkage.audit import record_audit

    store = open_store()
    audit_id = resolve_id(store, None, audit_id, "audit")
    result = record_audit(store, current_actor(actor), audit_id, sheets, seed=seed)
    table = Table("stratum", "pairs in the run", "labelled", "same", "share same (95% Wilson)",
                  title=f"audit {audit_id}")
    for name, h in result.strata.items():
        share = ("-" if h["share_same"] is None
                 else f"{h['share_same']:.3f} [{h['low']:.3f}, {h['high']:.3f}]")
        table.add_row(name, f"{h['population']:,}", str(h["labelled"]), str(h["same"]), share)
    console.print(table)
    for label, value in (("precision", result.precision), ("recall", result.recall)):
        if value["estimate"] is None:
            console.print(f"{label}: not estimable from these labels")
        else:
            console.print(f"{label}: {value['estimate']:.3f} (95% interval {value['low']:.3f}"
                          f"–{value['high']:.3f})", highlight=False)
    console.print("recall counts only the non-links near the threshold: an upper bound")
    agreement = ("" if result.agreement is None
                 else f"; reviewers agreed on {100 * result.agreement:.0f}% of shared pairs")
    console.print(f"{result.labelled} pairs labelled by {len(result.reviewers)} reviewer(s), "
                  f"{result.disputed} disputed, {result.unsure} unsure{agreement} "
                  f"(ledger event {result.ledger_index})", highlight=False)


def register(main: typer.Typer) -> None:
    """Add ``link`` to the main command."""
    main.add_typer(app, name="link")
