"""``dadkhahi evidence add | custody | verify-capture | verify``."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from dadkhahi.cli.common import (
    JSON_HELP,
    byte_progress,
    console,
    count_progress,
    current_actor,
    echo_json,
    err_console,
    fail,
    home,
    open_store,
)
from dadkhahi.cli.refs import resolve_source
from dadkhahi.domain.errors import UserError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import (
    CaptureResult,
    Credibility,
    Reliability,
    Sensitivity,
    SourceKind,
)
from dadkhahi.store.blobs import BlobStore
from dadkhahi.store.home import Home

app = typer.Typer(help="Take in files and follow their chain of custody.", no_args_is_help=True)


@app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (recursively)")],
    source: Annotated[str | None, typer.Option(
        help="Existing source: ID, unique ID prefix or exact title (a new one: "
             "--source-title)")] = None,
    source_title: Annotated[
        str | None, typer.Option(help="Register a new source with this title")
    ] = None,
    kind: Annotated[SourceKind, typer.Option(help="Kind of the new source")] = SourceKind.DOCUMENT,
    sensitivity: Annotated[
        Sensitivity, typer.Option(help="Sensitivity of the new source")
    ] = Sensitivity.RESTRICTED,
    reliability: Annotated[Reliability, typer.Option(help="Admiralty A-F")] = Reliability.F,
    credibility: Annotated[Credibility, typer.Option(help="Admiralty 1-6")] = (
        Credibility.CANNOT_JUDGE
    ),
    collected_by: Annotated[str | None, typer.Option(help="Who collected the source")] = None,
    from_party: Annotated[
        str | None, typer.Option("--from", help="Who handed the files over")
    ] = None,
    how: Annotated[str | None, typer.Option(help="How they were obtained")] = None,
    notes: Annotated[str | None, typer.Option(help="Custody notes")] = None,
    stop_on_error: Annotated[bool, typer.Option(
        "--stop-on-error", help="Stop at the first file that cannot be read (default: skip "
                                "it, say why, and go on)")] = False,
    actor: Annotated[str | None, typer.Option(help="Who is taking them in")] = None,
) -> None:
    """Stream files into the blob store with hashes, ledger events and custody entries.

    Every file's outcome is printed (added, already held, skipped and why), then what
    was stored; exit 1 if any file was skipped, 130 if interrupted."""
    from dadkhahi.intake.feed import FileFeed, ProgressHooks, files_to_add

    if source is not None and source_title is not None:
        raise typer.BadParameter("give --source (an existing source) or --source-title "
                                 "(a new one), not both", param_hint="'--source'")
    spec = None if source_title is None else SourceSpec(
        title=source_title,
        kind=kind,
        sensitivity=sensitivity,
        reliability=reliability,
        credibility=credibility,
        collected_by=collected_by,
    )
    with byte_progress() as bar:
        task = bar.add_task("hashing", total=None)
        hooks = ProgressHooks(
            total=lambda _files, size: bar.update(task, total=size),
            file=lambda p: bar.update(task, description=p.name[:40]),
            advance=lambda n: bar.advance(task, n),
        )
        feed = None
        if spec is not None or source is not None:
            # The copying starts now, while the store and its libraries are imported and
            # opened (issue 12 item 17), as the source's sensitivity requires (a protected
            # source's files are sealed as they are copied): a new source's is given, an
            # existing one's read with one query. Only into a home that exists (its blob
            # folder would be made).
            chosen = home()
            chosen.config()
            files = files_to_add(paths)
            ahead = (spec.sensitivity if spec is not None
                     else _sensitivity_ahead(chosen, str(source)))
            if ahead is not None:
                feed = FileFeed(BlobStore(chosen.blob_dir), files, ahead, hooks)
        with feed or nullcontext():
            from dadkhahi.intake.evidence import Receipt, add_evidence

            store = open_store()
            if source is not None:
                source = str(resolve_source(store, None, source)["id"])
            receipt = Receipt(actor=current_actor(actor), from_party=from_party, how=how,
                              notes=notes)
            report = add_evidence(store, paths, receipt, source_id=source, new_source=spec,
                                  hooks=hooks, stop_on_error=stop_on_error, feed=feed)
    for outcome in report.outcomes:
        # Text(): file names are data, never Rich markup.
        if outcome.status == "skipped":
            line = Text(f"skipped   {outcome.path}: {outcome.reason}", style="yellow")
        else:
            word = "added    " if outcome.status == "added" else "held     "
            line = Text(f"{word} {outcome.item_id}  {outcome.path}"
                        + ("" if outcome.status == "added" else " (already held)"))
        console.print(line, highlight=False, soft_wrap=True)
    if report.stopped:
        err_console.print(Text(f"the add stopped early: {report.stopped}", style="yellow"),
                          soft_wrap=True)
    where = (f"source {report.source_id}" + (" (new)" if report.source_created else "")
             if report.source_id else "no source was registered")
    stored = "nothing was stored; " if not report.added and not report.duplicates else ""
    console.print(
        f"{stored}{len(report.added)} added, {len(report.duplicates)} already held, "
        f"{len(report.skipped)} skipped, {report.derivatives} metadata-stripped copies, "
        f"{report.bytes:,} bytes; {where}", highlight=False, soft_wrap=True,
    )
    if report.stopped == "interrupted":
        raise typer.Exit(130)
    if report.skipped:
        raise typer.Exit(1)


def _sensitivity_ahead(chosen: Home, ref: str) -> Sensitivity | None:
    """The sensitivity of the existing source ``ref``, read before the store is opened
    (one query, the store's own look-up), or None when it cannot be told so (no such
    source, a database still to be migrated): then the copying waits for the store, whose
    look-up says what is wrong. Whatever this reads, the add checks again against the
    store (``add_evidence`` starts the copying again if the source changed meanwhile)."""
    from sqlalchemy.exc import SQLAlchemyError

    from dadkhahi.store.db import DatabaseReader

    reader = DatabaseReader(chosen.database_url())
    try:
        return Sensitivity(resolve_source(reader, None, ref)["sensitivity"])
    except (UserError, SQLAlchemyError, ValueError):
        return None
    finally:
        reader.close()


@app.command("custody")
def custody(
    item: Annotated[str, typer.Argument(help="Item ID, or SHA-256 (prefix)")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Print an item's chain of custody (its derivatives and, for the holder of the
    home's keys, the metadata removed from its public copy)."""
    from dadkhahi.intake.capture_checks import verifications_in
    from dadkhahi.intake.evidence import custody_chain, derivatives_of, removed_metadata

    store = open_store()
    row, chain = custody_chain(store, item)
    derivatives = derivatives_of(store, str(row["id"]))
    with store.reading() as conn:
        removed = removed_metadata(store, conn, str(row["id"]))
        # The command line holds the home's keys: a protected item's are opened.
        checks = store.keys.open_rows(conn, verifications_in(conn, [str(row["id"])]))
    if as_json:
        echo_json({
            "item": {k: row[k] for k in ("id", "original_name", "sha256", "size", "media_type",
                                         "derived_from", "derivation")},
            "derivatives": [{k: d[k] for k in ("id", "derivation", "media_type", "sha256",
                                               "size")} for d in derivatives],
            "removed_metadata": removed or {},
            "custody": [{k: c[k] for k in ("at", "action", "actor", "from_party", "how",
                                           "location", "ledger_index")} for c in chain],
            "capture_verifications": [{k: c.get(k) for k in _CHECK_FIELDS} for c in checks],
        })
        return
    console.print(
        f"[bold]{row['id']}[/bold] {row['original_name'] or ''}  sha256:{row['sha256']}  "
        f"{row['size']:,} bytes  {row['media_type']}",
        highlight=False,
    )
    if row["derived_from"]:
        console.print(f"derived from {row['derived_from']} ({row['derivation']})")
    for d in derivatives:
        console.print(f"derivative {d['id']} ({d['derivation']}, {d['media_type']}, "
                      f"sha256:{d['sha256']}, {d['size']:,} bytes)", highlight=False)
    if removed:
        # The command line runs with the home's keys: whoever holds them may read it.
        meta = Table("metadata removed from the public copy (protected)", "value")
        for key, value in sorted(removed.items()):
            meta.add_row(Text(key), Text(value))
        console.print(meta)
    table = Table("when", "action", "by", "from", "how", "stored at", "event")
    for c in chain:
        table.add_row(
            c["at"], c["action"], c["actor"], c["from_party"] or "", c["how"] or "",
            c["location"] or "", str(c["ledger_index"]),
        )
    console.print(table)
    if checks:
        verified = Table("verified", "by", "time found", "place found", "result", "method",
                         "event", title="capture time and place verified")
        for c in checks:
            verified.add_row(*(Text(str(c.get(k) or "")) for k in (
                "at", "actor", "time", "place", "result", "method", "ledger_index")))
        console.print(verified)


#: What ``custody --json`` shows of each verification of the item's capture.
_CHECK_FIELDS = ("id", "at", "actor", "method", "result", "time", "place", "note",
                 "ledger_index", "erased")


@app.command("verify-capture")
def verify_capture(
    item: Annotated[str, typer.Argument(help="Item ID, or SHA-256 (prefix)")],
    method: Annotated[str, typer.Option(
        help="How it was verified (geolocation from landmarks, shadows, metadata …)")],
    result: Annotated[CaptureResult, typer.Option(
        help="Is what was found consistent with the source's claim?")],
    time: Annotated[str | None, typer.Option(help="The capture time found")] = None,
    place: Annotated[str | None, typer.Option(help="The capture place found")] = None,
    note: Annotated[str | None, typer.Option(help="A note on the verification")] = None,
    actor: Annotated[str | None, typer.Option(help="Who verified it")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Record a verification of an original item's capture time and/or place (a ledger
    event; sealed with a protected item's fields). Court bundles show it beside the
    source's claim."""
    from dadkhahi.intake.capture_checks import verify_capture as record
    from dadkhahi.intake.evidence import resolve_item

    store = open_store()
    with store.reading() as conn:
        item_id = str(resolve_item(conn, item)["id"])
    done = record(store, current_actor(actor), item_id, method=method, result=result,
                  time=time, place=place, note=note)
    if as_json:
        echo_json(done)
        return
    found = " and ".join(f"{k} {done[k]!r}" for k in ("time", "place") if done[k])
    console.print(Text(f"recorded {done['id']} (event {done['event']}): item {item_id}, "
                       f"{found} {done['result']} with the claim, by {done['method']}"),
                  highlight=False, soft_wrap=True)


@app.command("verify")
def verify() -> None:
    """Re-hash every stored file; report changed or missing ones (exit 1 if any)."""
    from dadkhahi.intake.evidence import verify_blobs

    store = open_store()
    with count_progress() as bar:
        task = bar.add_task("re-hashing", total=None)
        check = verify_blobs(store, lambda n: bar.advance(task, n))
    for sha, ids in check.changed:
        console.print(f"[red]CHANGED[/red] sha256:{sha}  items {ids}", highlight=False)
    for sha, ids in check.missing:
        console.print(f"[red]MISSING[/red] sha256:{sha}  items {ids}", highlight=False)
    if check.orphans:
        console.print(f"{len(check.orphans)} blob(s) not referenced by any item "
                      "(left by an interrupted intake; harmless)")
    if check.incomplete:
        console.print(f"{check.incomplete} half-written temporary file(s) in blobs/tmp")
    if not check.ok:
        raise fail(f"{len(check.changed)} changed and {len(check.missing)} missing file(s)")
    console.print(f"[green]OK[/green] {check.checked} blob(s), {check.bytes:,} bytes re-hashed")


def register(root: typer.Typer) -> None:
    """Add ``evidence`` to the ``dadkhahi`` app."""
    root.add_typer(app, name="evidence")
