"""``dadkhahi audit [--user U] [--since T]``: who read protected data, when, from where."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from dadkhahi.cli.common import console, open_store
from dadkhahi.cli.refs import filter_id
from dadkhahi.domain.errors import UserError


def since_utc(text: str) -> str:
    """``--since`` as the ledger's UTC text (``…Z``), so it compares with stored times.

    A date means its midnight UTC; a time without an offset is taken as UTC.
    """
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"--since: {text!r} is not an ISO date or date and time "
                        "(2026-11-01 or 2026-11-01T09:30+03:30)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def audit(
    user: Annotated[str | None, typer.Option(
        help="Only this user (name, or ID or unique prefix)")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only from this ISO date/time on, e.g. 2026-11-01")
    ] = None,
    object_id: Annotated[str | None, typer.Option(
        "--object", help="Only this object (ID or unique prefix)")] = None,
    limit: Annotated[int, typer.Option(help="At most this many entries")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines output")] = False,
    sign_ins: Annotated[bool, typer.Option(
        "--sign-ins", help="Failed sign-ins instead of reads")] = False,
) -> None:
    """Every audited read of protected data (each entry is a ledger event)."""
    from dadkhahi.access.audit import query_audit, query_failed_sign_ins

    since = None if since is None else since_utc(since)
    if limit < 1:
        raise UserError(f"--limit must be at least 1, not {limit}")
    store = open_store()
    if sign_ins:
        with store.reading() as conn:
            failed = query_failed_sign_ins(conn, since=since, limit=limit)
        if as_json:
            for r in failed:
                typer.echo(json.dumps(r, ensure_ascii=False))
            return
        listing = Table("when", "account", "why", "event")
        for r in failed:
            listing.add_row(r["at"], r["user_id"] or "(no such account)", r["reason"],
                            str(r["ledger_index"]))
        console.print(listing)
        console.print(f"{len(failed)} failed sign-in(s)")
        return
    user = None if user is None else filter_id(store, user)
    object_id = None if object_id is None else filter_id(store, object_id)
    with store.reading() as conn:
        rows = query_audit(conn, user=user, since=since, object_id=object_id, limit=limit)
    if as_json:
        for r in rows:
            typer.echo(json.dumps(r, ensure_ascii=False))
        return
    table = Table("when", "who", "from", "action", "object", "event")
    for r in rows:
        # Entries since pseudonyms name the reader by user ID and pseudonym, and the
        # address by a keyed hash (store.actors); older ones by name and address.
        who = r["username"] or r["user_id"] or r["actor"] or "anonymous"
        table.add_row(r["at"], who, r["ip"] or r["ip_hash"] or "", r["action"],
                      f"{r['object_kind']} {r['object_id']}", str(r["ledger_index"]))
    console.print(table)
    console.print(f"{len(rows)} audited read(s)")


def register(root: typer.Typer) -> None:
    """Add ``audit`` to the ``dadkhahi`` app."""
    root.command("audit")(audit)
