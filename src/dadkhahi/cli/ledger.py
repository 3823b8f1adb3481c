"""``dadkhahi ledger verify | checkpoint | key | prove | consistency | verify-proof | export``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dadkhahi.cli.common import console, count_progress, fail, open_store
from dadkhahi.domain.errors import UserError
from dadkhahi.domain.files import open_private, write_private_text

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass

app = typer.Typer(help="The tamper-evident log: checkpoints, proofs, verification.",
                  no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Recompute every hash, check every signature, replay every event against the tables."""
    from dadkhahi.store.verify import verify_ledger

    store = open_store()
    with count_progress() as bar, store.reading() as conn:
        task = bar.add_task("verifying", total=None)
        report = verify_ledger(conn, store.verifier_key(), lambda _s, n: bar.advance(task, n))
    if not report.ok:
        for finding in report.findings:
            console.print(f"[red]FAIL[/red] {finding.check}: {finding.message}", highlight=False)
        first = report.first_bad_event()
        where = f"; first bad event: {first}" if first is not None else ""
        raise fail(f"ledger verification failed{where}")
    console.print(
        f"[green]OK[/green] {report.size:,} events, root {report.root_hash.hex()}, "
        f"{report.checkpoints} signed checkpoint(s), {report.rows_compared:,} rows match a replay"
    )


@app.command("checkpoint")
def checkpoint(
    out: Annotated[Path | None, typer.Option(help="Also write the note to this file")] = None,
) -> None:
    """Sign a checkpoint of the current log and print the signed note."""
    note = open_store().checkpoint()
    if out is not None:
        out.write_text(note, "utf-8")
    typer.echo(note, nl=False)


@app.command("key")
def key() -> None:
    """Print the verifier key (give it to anyone who checks proofs)."""
    typer.echo(open_store().verifier_key())


# A negative index is an argument (refused below with the range), not an unknown option.
@app.command("prove", context_settings={"ignore_unknown_options": True})
def prove(
    index: Annotated[int, typer.Argument(
        help="Event index: events are numbered from 0 (the ledger's creation); "
             "'dadkhahi status' shows how many there are", show_default=False)],
    out: Annotated[Path | None, typer.Option(help="Write the proof bundle here")] = None,
) -> None:
    """An offline-verifiable inclusion proof of one event against the latest checkpoint."""
    from dadkhahi.ledger.proofs import make_bundle
    from dadkhahi.store import ledger_log

    store = open_store()
    size = store.size()
    if not 0 <= index < size:
        raise typer.BadParameter(
            f"{index} is not an event of this ledger: its {size} events are numbered "
            f"0 to {size - 1}", param_hint="'INDEX'")
    store.checkpoint()
    with store.reading() as conn:
        latest = ledger_log.latest_checkpoint(conn)
        assert latest is not None
        size, note = latest
        event = ledger_log.get_event(conn, index)
        proof = ledger_log.inclusion_proof(conn, index, size)
    _emit(make_bundle(index, event.body, proof, note, event.leaf_hash), out)


@app.command("prove-record")
def prove_record(
    record: Annotated[str, typer.Argument(
        help="Record ID (rec_…) of a list import, or a unique prefix of it")],
    fields: Annotated[bool, typer.Option(
        "--fields/--no-fields",
        help="Also disclose the row's sealed fields (a protected record's values)")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the selective proof here")] = None,
) -> None:
    """A selective proof of one imported row: the row and its path to the import's root,
    and the import event's inclusion, without any other row of the list."""
    from sqlalchemy import select

    from dadkhahi.cli.refs import resolve_id
    from dadkhahi.store import ledger_log
    from dadkhahi.store import schema as s
    from dadkhahi.store.selective import prove_rows

    store = open_store()
    record = resolve_id(store, None, record, "record")
    note = store.checkpoint()
    with store.reading() as conn:
        index = conn.execute(select(s.records.c.ledger_index)
                             .where(s.records.c.id == record)).scalar_one_or_none()
        if index is None:
            raise UserError(f"no record {record!r}")
        if not ledger_log.get_event(conn, int(index)).body.endswith(b',"v":2}'):
            raise UserError(f"record {record} was imported before selective proofs: prove "
                            f"its whole event with 'dadkhahi ledger prove {index}'")
        _emit(prove_rows(conn, store.keys, int(index), [record], note, fields=fields), out)


@app.command("consistency")
def consistency(
    old_size: Annotated[int, typer.Argument(help="Size of the older checkpoint")],
    new_size: Annotated[int | None, typer.Argument(help="Newer size (default: latest)")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the proof bundle here")] = None,
) -> None:
    """An offline-verifiable proof that the log only grew between two checkpoints."""
    from dadkhahi.ledger.proofs import make_consistency_bundle
    from dadkhahi.store import ledger_log

    store = open_store()
    with store.reading() as conn:
        latest = ledger_log.latest_checkpoint(conn)
        if latest is None:
            raise UserError("no checkpoint yet; run `dadkhahi ledger checkpoint`")
        new = new_size if new_size is not None else latest[0]
        old_note = ledger_log.checkpoint_at(conn, old_size)
        new_note = ledger_log.checkpoint_at(conn, new)
        proof = ledger_log.consistency_proof(conn, old_size, new)
    _emit(make_consistency_bundle(old_note, new_note, proof), out)


@app.command("verify-proof")
def verify_proof(
    bundle: Annotated[Path, typer.Argument(
        help="Proof bundle (JSON) from `prove`/`prove-record`/`consistency`")],
    key: Annotated[str | None, typer.Option(help="Verifier key text")] = None,
    key_file: Annotated[Path | None, typer.Option(help="File holding the verifier key")] = None,
    event: Annotated[
        Path | None, typer.Option(help="The event bytes to check (default: those in the bundle)")
    ] = None,
) -> None:
    """Check a proof offline: needs only the bundle and the verifier key, no database."""
    from dadkhahi.ledger.errors import VerificationError
    from dadkhahi.ledger.proofs import verify_bundle, verify_consistency_bundle
    from dadkhahi.ledger.selective import SELECTIVE_FORMAT, verify_selective

    vkey = key or (key_file.read_text("utf-8").strip() if key_file else None)
    if vkey is None:
        raise UserError("give the verifier key with --key or --key-file")
    try:
        data: dict[str, Any] = json.loads(bundle.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"{bundle}: not a readable proof bundle ({exc})") from None
    try:
        if data.get("format") == SELECTIVE_FORMAT:
            found = verify_selective(data, vkey)
            console.print(f"[green]OK[/green] event {found['index']} is in the log; "
                          f"{len(found['rows'])} row(s) and {len(found['fields'])} sealed "
                          "field(s) disclosed match its commitments")
        elif "inclusion" in data:
            cp = verify_bundle(data, vkey, event.read_bytes() if event else None,
                               allow_redacted=True)
            console.print(f"[green]OK[/green] event {data['index']} is in {cp.origin} "
                          f"at tree size {cp.size}")
            if isinstance(data.get("redacted"), dict):
                # Its leaf is proven; its body, redacted since, is not covered by it.
                fields = ", ".join(map(str, data["redacted"].get("fields") or ()))
                console.print(f"the event is redacted ({fields} removed): its leaf hash is "
                              "proven, not the body the bundle carries")
        else:
            old, new = verify_consistency_bundle(data, vkey)
            console.print(f"[green]OK[/green] {new.origin} grew append-only from size "
                          f"{old.size} to {new.size}")
    except VerificationError as exc:
        raise fail(f"proof does not verify: {exc}") from None


@app.command("export")
def export(out: Annotated[Path, typer.Option(help="JSON Lines file to write")]) -> None:
    """Write every event, in log order, as JSON Lines (index, leaf_hash, type, event).

    A batch event (version 2) also carries ``leaf_event``, its committed form (rows
    replaced by their Merkle root): the leaf hash is taken over that. A redacted event
    carries ``redacted``: its body (which says what was removed) no longer hashes to its
    leaf, which a later ``event.redacted`` names.
    """
    from dadkhahi.ledger.events import leaf_bytes
    from dadkhahi.ledger.redaction import redaction_of
    from dadkhahi.store import ledger_log

    store = open_store()
    n = 0
    with store.reading() as conn, open_private(out, "w", encoding="utf-8") as f:
        for ev in ledger_log.iter_events(conn):
            line = {
                "index": ev.index,
                "leaf_hash": ev.leaf_hash.hex(),
                "type": ev.type,
                "event": ev.body.decode("utf-8"),
            }
            if redaction_of(ev.body) is not None:
                line["redacted"] = True  # its body no longer hashes to its leaf
            else:
                committed = leaf_bytes(ev.body)
                if committed != ev.body:
                    line["leaf_event"] = committed.decode("utf-8")
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
            n += 1
    console.print(f"wrote {n:,} events to {out}")


def _emit(bundle: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_private_text(out, text)
        console.print(f"wrote {out}")


def register(root: typer.Typer) -> None:
    """Add ``ledger`` to the ``dadkhahi`` app."""
    root.add_typer(app, name="ledger")
