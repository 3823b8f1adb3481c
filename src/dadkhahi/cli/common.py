"""What every command shares: the home, the console, and one-line errors."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment

from dadkhahi.domain.safe_text import terminal_safe

if TYPE_CHECKING:
    from rich.progress import Progress
    from rich.table import Table

    from dadkhahi.store.home import Home
    from dadkhahi.store.migrate import Upgraded
    from dadkhahi.store.store import Store


class SafeConsole(Console):
    """A console that shows stored text and never obeys it.

    Every string a command prints, table cells included, passes through
    :meth:`render` as segments; the text of each (not Rich's own styling) loses its
    control characters and direction overrides (``domain.safe_text.terminal_safe``),
    so a title set through the API cannot clear the screen or rewrite what is shown.

    Tables wrap their cells instead of cutting them (issue 12 item 19: at 80 columns IDs
    and times were shown cut with an ellipsis, which loses the very thing to copy). A table
    with a header row that cannot fit without breaking a word (an ID, a time) is shown as
    one block per row, ``field: value`` a line (:func:`stacked`): ten columns folded into
    a few characters each cannot be read.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Rich reads COLUMNS once, when a console is made: the module's consoles are made
        # at import, so a width given later (a test runner's COLUMNS=…, a caller setting
        # it before running a command in process) was ignored for good. Unless a width
        # was given here, it is read at each print, as Rich does for a terminal's.
        if kwargs.get("width") is None:
            self._width = None

    def render(self, renderable: RenderableType,
               options: ConsoleOptions | None = None) -> Iterable[Segment]:
        # A table exists only once rich.table is loaded: a command that prints none
        # (init) need not import it (start-up, issue 12).
        tables = sys.modules.get("rich.table")
        if tables is not None and isinstance(renderable, tables.Table):
            for column in renderable.columns:
                if column.overflow == "ellipsis":
                    column.overflow = "fold"
            if _breaks_words(self, renderable, options or self.options):
                renderable = stacked(renderable)
        for segment in super().render(renderable, options):
            if segment.control is None and segment.text:
                yield Segment(terminal_safe(segment.text), segment.style)
            else:
                yield segment


def _breaks_words(console: Console, table: Table, options: ConsoleOptions) -> bool:
    """True for a table with a header row whose narrowest layout (each column as wide as
    its longest word) is wider than the console: it could only be shown by cutting words."""
    if not table.show_header or len(table.columns) < 2 or not table.row_count:
        return False
    return table.__rich_measure__(console, options).minimum > options.max_width


#: Widest a field's name is shown in a block of :func:`stacked` (half of 80 columns).
_LABEL_WIDTH = 40


def stacked(table: Table) -> RenderableType:
    """``table`` as one block per row: each column's header, a colon and the row's value,
    a line each (values wrap, never cut), blocks apart by a blank line. A column with no
    header (the field names of a side-by-side comparison) heads its row's block."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    cells = [list(column.cells) for column in table.columns]
    parts: list[RenderableType] = []
    if table.title:
        parts.append(table.title)
    for row in range(table.row_count):
        if parts:
            parts.append(Text(""))
        block = Table.grid(padding=(0, 1))
        # A header can be as long as the line (a list's title heads the columns of
        # `link stats`' overlap matrix): unbounded, it left the value no room and both
        # were cut at the edge; at most half the line, it wraps between words.
        block.add_column(style="bold", ratio=None, max_width=_LABEL_WIDTH)
        block.add_column(overflow="fold")
        for column, values in zip(table.columns, cells, strict=True):
            header = column.header
            # A text header is markup in a table: the same here.
            label = header.copy() if isinstance(header, Text) else Text.from_markup(str(header))
            if not label.plain:
                parts.append(values[row])
                continue
            label.append(":")
            block.add_row(label, values[row])
        parts.append(block)
    if table.caption:
        parts.extend((Text(""), table.caption))
    return Group(*parts)


console = SafeConsole()
err_console = SafeConsole(stderr=True)


class State:
    """Options given before the sub-command (``dadkhahi --home DIR …``)."""

    home_path: Path | None = None


state = State()


def home() -> Home:
    """The data directory chosen by --home / DADKHAHI_HOME / default."""
    # Imported here: a usage error, which prints through this module, needs no home.
    from dadkhahi.store.home import resolve_home

    return resolve_home(state.home_path)


def open_store() -> Store:
    """The store of the chosen home (clear error if it was never initialised).

    Warns on stderr when parts of the home were readable by others (now put right).
    """
    # Imported here: the store pulls in SQLAlchemy, which --help and usage errors
    # should not wait for (issue 12 item 17).
    from dadkhahi.store.store import Store, mode_warning, scrub_warning

    store = Store.open(home(), ask=ask_passphrase)
    if store.mode_fixes:
        err_console.print(f"[yellow]warning:[/yellow] {mode_warning(store.mode_fixes)}",
                          highlight=False, soft_wrap=True)
    if store.upgraded:
        for line in upgrade_notes(store.upgraded):
            err_console.print(line, highlight=False, soft_wrap=True)
    if store.scrub_left:
        err_console.print(f"[yellow]warning:[/yellow] {scrub_warning(store.scrub_left)}",
                          highlight=False, soft_wrap=True)
    return store


def upgrade_notes(done: Upgraded) -> list[str]:
    """What a command says on stderr when opening the home upgraded its database
    (:meth:`Upgraded.notes`, which the API logs too)."""
    return [f"note: {line}" for line in done.notes()]


def ask_passphrase() -> str:
    """Ask for the master key's passphrase on the terminal (never echoed)."""
    return getpass.getpass("Passphrase of the master key: ")


CLEAR_KEY_WARNING = (
    "warning: the master key sits in clear in the home ({path}): anyone who copies the "
    "home can unseal every protected field. Seal it with `dadkhahi master-key protect`, or "
    "hand it to the server through DADKHAHI_MASTER_KEY_FD (or DADKHAHI_MASTER_KEY) and "
    "remove the file."
)


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
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

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
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


#: The ``--json`` option of commands that print a table (JSON for scripts instead).
JSON_HELP = "Print JSON instead of a table (JSON Lines for a list)"


def echo_json(value: Any) -> None:
    """Print one JSON document for a script: every value kept as stored (no terminal
    shaping: JSON escapes control characters), dates and other types as text."""
    typer.echo(json.dumps(value, ensure_ascii=False, default=str))


def cell_text(value: Any) -> str:
    """A stored value as the text of one cell: nothing for None, JSON for a list or
    mapping, else the value as text."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def fields_table(obj: Mapping[str, Any]) -> Table:
    """One object a field a line: what every ``… show`` prints without ``--json``. A list
    of mappings (an object's records, a testimony's segments) shows one per line. Values
    are text, never Rich markup (a stored "[protected]" is shown, not swallowed)."""
    from rich.table import Table
    from rich.text import Text

    table = Table("field", "value", show_header=False)
    table.columns[1].overflow = "fold"
    for key, value in obj.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            shown = "\n".join(cell_text(v) for v in value)
        else:
            shown = cell_text(value)
        table.add_row(Text(str(key)), Text(shown))
    return table


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one red line and return the exit to raise."""
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
