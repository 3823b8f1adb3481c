"""What every command shares: the home, the console, and one-line errors."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from dadkhahi.store.home import Home, resolve_home
from dadkhahi.store.store import Store

console = Console()
err_console = Console(stderr=True)


class State:
    """Options given before the sub-command (``dadkhahi --home DIR …``)."""

    home_path: Path | None = None


state = State()


def home() -> Home:
    """The data directory chosen by --home / DADKHAHI_HOME / default."""
    return resolve_home(state.home_path)


def open_store() -> Store:
    """The store of the chosen home (clear error if it was never initialised)."""
    return Store.open(home())


def current_actor(explicit: str | None = None) -> str:
    """Who is acting: --actor, else DADKHAHI_ACTOR, else the OS user."""
    if explicit:
        return explicit
    env = os.environ.get("DADKHAHI_ACTOR")
    if env:
        return env
    try:
        return getpass.getuser()
    except OSError:
        return "unknown"


def byte_progress() -> Progress:
    """A progress bar for streaming bytes."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def count_progress() -> Progress:
    """A progress bar for counting things."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one red line and return the exit to raise."""
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
