"""``init``, ``status`` and ``demo``."""

from __future__ import annotations

import getpass
import secrets
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dadkhahi.cli.common import JSON_HELP, console, current_actor, echo_json, home, open_store
from dadkhahi.domain.errors import UserError
from dadkhahi.store.home import Home

if TYPE_CHECKING:
    pass


def register(app: typer.Typer) -> None:
    """Attach the top-level set-up commands."""
    app.command()(init)
    app.command()(status)
    app.command()(demo)
    master_key = typer.Typer(help="Keep the master key off disk.", no_args_is_help=True)
    master_key.command("protect")(protect_master_key)
    master_key.command("rotate")(rotate_master_key)
    app.add_typer(master_key, name="master-key")


def protect_master_key() -> None:
    """Seal the home's master key with a passphrase (asked twice); the clear file goes.

    From then on every command asks for the passphrase, unless the key is handed in
    through DADKHAHI_MASTER_KEY_FD or DADKHAHI_MASTER_KEY (services).
    """
    target = home()
    target.config()
    first = getpass.getpass("New passphrase for the master key (12 characters or more): ")
    if getpass.getpass("The same passphrase again: ") != first:
        raise UserError("the two passphrases differ; nothing was changed")
    target.protect_master_key(first)
    console.print(f"The master key is sealed in {target.sealed_master_key_path}; "
                  "the clear key file was overwritten and removed.")


def rotate_master_key(
    actor: Annotated[str | None, typer.Option(help="Who is acting (default: OS user)")] = None,
) -> None:
    """Re-wrap every data key under a new master key; the old key file then opens nothing.

    A sealed key asks for its passphrase, then for a new one (twice). A crash at any
    point leaves the old key or the new one working (the next command finishes the swap).
    Backups taken before still open with the old key: erase them, or keep them as safe.
    """
    from dadkhahi.store.rotate import rotate_master_key as rotate

    target = home()
    target.config()
    store = open_store()
    store.keys  # noqa: B018 -- asks for the current passphrase first
    passphrase: str | None = None
    if target.sealed_master_key_path.is_file():
        passphrase = getpass.getpass("New passphrase for the master key (12 characters or "
                                     "more): ")
        if getpass.getpass("The same passphrase again: ") != passphrase:
            raise UserError("the two passphrases differ; nothing was changed")
    index = rotate(store, current_actor(actor), passphrase)
    console.print(f"Every data key is wrapped under a new master key (ledger event {index}); "
                  "the old key file opens nothing in this database. Backups taken before "
                  "still open with the old key.")


def init(
    origin: Annotated[
        str | None,
        typer.Option(help="Log origin, a unique name such as example.org/1988-ledger "
                          "(default: dadkhahi.local/HOSTNAME-RANDOM)"),
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Who is acting (default: OS user)")] = None,
) -> None:
    """Create a new ledger: database, blob store, signing and master keys."""
    from dadkhahi.store.store import Store

    target = home()
    name = origin or f"dadkhahi.local/{socket.gethostname()}-{secrets.token_hex(4)}"
    store = Store.init(target, name, current_actor(actor))
    console.print(f"Initialised ledger [bold]{name}[/bold] in {target.path}")
    console.print("Verifier key (give it to anyone who checks proofs; "
                  "`dadkhahi ledger key` prints it again):")
    # On a line of its own and never wrapped by the console: a key broken at the
    # terminal's width is copied broken (issue 12).
    typer.echo(store.verifier_key())


def status(as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False) -> None:
    """Counts of what the ledger holds and its latest checkpoint."""
    from rich.table import Table

    from dadkhahi.store.status import summarize

    store = open_store()
    summary = summarize(store)
    database = store.engine.url.render_as_string(hide_password=True)
    if as_json:
        echo_json({"origin": summary.origin, "home": str(store.home.path),
                   "database": database, "events": summary.size,
                   "root_hash": summary.root_hex, "checkpoint_size": summary.checkpoint_size,
                   "counts": dict(summary.counts)})
        return
    table = Table(title=f"Dadkhahi ledger {summary.origin}", show_header=False)
    table.add_row("home", str(store.home.path))
    table.add_row("database", database)
    table.add_row("events", f"{summary.size:,}")
    table.add_row("root hash", summary.root_hex)
    table.add_row("last checkpoint", f"size {summary.checkpoint_size:,}"
                  if summary.checkpoint_size is not None else "none")
    for name, count in summary.counts.items():
        table.add_row(name, f"{count:,}")
    console.print(table)


def demo(
    target: Annotated[
        Path | None, typer.Option("--dir", help="Fresh home for the demo (default: --home)")
    ] = None,
) -> None:
    """Build a demo ledger from clearly labelled synthetic data, then verify it."""
    from dadkhahi.demo.run import run_demo

    run_demo(Home(target.resolve()) if target else home(), console)
