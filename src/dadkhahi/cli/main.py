"""The ``dadkhahi`` command: thin shells over the services below it."""

from __future__ import annotations

import sys
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from dadkhahi.cli.values import plain_values
from dadkhahi.domain.errors import IntegrityError, UserError, ValidationError

if TYPE_CHECKING:
    # The Click that Typer bundles (its commands and contexts are not ``click``'s).
    from typer import _click as click

# Start-up (issue 12 item 17): ``dadkhahi --help`` and a usage error must not import
# every command module (and through them SQLAlchemy, pandas, the services). Each module
# of ``dadkhahi.cli`` registers its commands with ``register(root)``, and is imported
# only when one of them runs; the root's help lists them from COMMANDS, which
# tests/cli/test_cli_startup.py checks against the real commands so the two cannot drift.

#: Every top-level command, in the order ``--help`` lists them: the module of
#: ``dadkhahi.cli`` that registers it, and its summary (the first paragraph of its help).
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("setup", "Create a new ledger: database, blob store, signing and master keys."),
    "status": ("setup", "Counts of what the ledger holds and its latest checkpoint."),
    "demo": ("setup", "Build a demo ledger from clearly labelled synthetic data, then verify "
                      "it."),
    "master-key": ("setup", "Keep the master key off disk."),
    "evidence": ("evidence", "Take in files and follow their chain of custody."),
    "documents": ("documents", "Documents: take files in and extract their text (PDF, "
                               "scans through OCR, DOCX, ODT, HTML, plain text)."),
    "search": ("documents", "Search the extracted text of every document and testimony "
                            "(Persian and English alike)."),
    "mentions": ("documents", "Mentions found in texts, and the claims proposed from them "
                              "for review."),
    "testimonies": ("testimonies", "Testimonies: protected witnesses, interviews, "
                                   "transcripts."),
    "consent": ("testimonies", "Consent per recipient for each testimony."),
    "lists": ("lists", "Import lists (CSV, XLSX), say what they list, see what was "
                       "imported."),
    "link": ("link", "Link records into persons, with human review."),
    "estimate": ("estimate", "Estimate how many people in all, documented or not, with an "
                             "interval."),
    "persons": ("objects", "Persons: the people linkage found, and the one person search."),
    "sources": ("objects", "Sources: where information came from (lists, documents, "
                           "testimony)."),
    "items": ("objects", "Evidence items: the files taken in, by SHA-256."),
    "records": ("objects", "Records: what one source says about one person."),
    "acts": ("objects", "Acts: who did what to whom, where and when."),
    "claims": ("objects", "Claims: sourced statements about persons, places, acts, "
                          "organisations."),
    "places": ("objects", "Places: prisons, cities, burial sites."),
    "case": ("cases", "Cases for court: charges, the evidence matrix, gaps, bundles."),
    "bundle": ("cases", "Court bundles: verify one offline."),
    "perpetrators": ("cases", "The perpetrator registry: named officials, positions, acts, "
                              "sources (allegations)."),
    "publish": ("publish", "The public memorial: a static, bilingual, signed site of the "
                           "approved victims."),
    "ledger": ("ledger", "The tamper-evident log: checkpoints, proofs, verification."),
    "users": ("users", "Team members, their roles and their access to protected data."),
    "audit": ("audit", "Every audited read of protected data (each entry is a ledger "
                       "event)."),
    "serve": ("serve", "Serve the workspace's pages and the API with uvicorn (TLS needed "
                       "off loopback)."),
    "worker": ("jobs", "Run queued jobs (linkage, estimates, extraction, bundles…) one at a "
                       "time, at low priority, until stopped (Ctrl-C or SIGTERM lets the "
                       "job in hand finish)."),
    "jobs": ("jobs", "Background jobs: what is queued, running and done."),
}

_loaded: dict[str, dict[str, click.Command]] = {}


def registered(module: str) -> dict[str, click.Command]:
    """Every top-level command ``dadkhahi.cli.<module>`` registers (imports it)."""
    holder = typer.Typer()
    import_module(f"dadkhahi.cli.{module}").register(holder)
    return dict(typer.main.get_group(holder).commands)


def load_unit(module: str) -> dict[str, click.Command]:
    """The commands COMMANDS gives to ``module``, built once per process."""
    if module not in _loaded:
        _loaded[module] = {name: _plain_flags(cmd) for name, cmd in registered(module).items()
                           if COMMANDS.get(name, ("",))[0] == module}
    return _loaded[module]


def summary(command: click.Command) -> str:
    """A command's line in the root's help: the first paragraph of its help, on one line."""
    text = command.short_help or command.help or ""
    return " ".join(text.split("\n\n")[0].split())


class LazyGroup(TyperGroup):
    """The root command: each sub-command is imported only when it is run.

    Its help lists the commands from :data:`COMMANDS` (their summaries) without
    importing any of them.
    """

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        unit, line = COMMANDS[cmd_name]
        if self._listing:  # the help's list of commands: the summary is enough
            return TyperCommand(cmd_name, help=line)
        command = load_unit(unit)[cmd_name]
        self.commands[cmd_name] = command
        return command

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        _plain_flags(self)

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        from typer._click.exceptions import UsageError

        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            # Typer suggests only among the commands already built: none, here.
            from difflib import get_close_matches

            matches = get_close_matches(args[0], COMMANDS) if args else []
            if matches and "Did you mean" not in exc.message:
                suggestions = ", ".join(repr(m) for m in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="dadkhahi",
    cls=LazyGroup,
    help="Dadkhahi: an evidence ledger for documenting mass atrocities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # -h as well as --help, on every command (sub-apps inherit the context settings).
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"dadkhahi {version('dadkhahi')}")
        raise typer.Exit()


@app.callback()
def main(
    home: Annotated[
        Path | None,
        typer.Option("--home", help="Data directory (default: $DADKHAHI_HOME or ./dadkhahi-home)"),
    ] = None,
    version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True,
        help="Print the version and exit")] = False,
) -> None:
    """Dadkhahi: every fact a sourced statement in a tamper-evident ledger."""
    from dadkhahi.cli.common import state
    from dadkhahi.domain.files import owner_only_umask

    # Whatever this command writes (the home, exports, SQLite's WAL, spill files of
    # DuckDB or Spark) is owner-only: witness data must not be readable by other users.
    owner_only_umask()
    _log_without_values()
    state.home_path = home


def _log_without_values() -> None:
    """Log lines of a command (a job failing in ``dadkhahi worker``, or run at once) say
    a failure by type and stack, never by message, as the server's do.

    A command configures no logging, so Python's last-resort handler writes warnings and
    errors to stderr, which a service manager keeps for a worker: with the traceback
    whole, an exception's message too (a file name, a value it choked on). ``dadkhahi
    serve`` configures its own handlers (the same formatter) and never reaches it.
    """
    import logging

    from dadkhahi.http.access_log import NoValuesFormatter

    if logging.lastResort is not None:
        logging.lastResort.setFormatter(NoValuesFormatter("%(levelname)s %(name)s: %(message)s"))


def usage_error(exc: BaseException) -> int | None:
    """Print a command-line usage error as one line of usage and one of the problem.

    Typer bundles its own copy of Click, whose exceptions are not ``click``'s: both are
    recognised (by their shape: a message, an exit code, maybe a context). Returns the
    exit code (2 for usage errors), or None when ``exc`` is not such an error.
    """
    import click

    from dadkhahi.cli.common import err_console

    if not isinstance(exc, click.ClickException | typer.TyperException):
        return None
    format_message = getattr(exc, "format_message", None)
    if format_message is None:
        return None
    code = getattr(exc, "exit_code", 2)
    code = code if isinstance(code, int) else 2
    _plain_problem(exc)
    message = format_message()
    if not message:  # a command given no arguments: its help was shown already
        return code
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        err_console.print(ctx.get_usage(), highlight=False, soft_wrap=True, markup=False)
        hint = f" (see '{ctx.command_path} --help')"
    else:
        hint = ""
    err_console.print(f"[red]error:[/red] {message}{hint}", highlight=False,
                      soft_wrap=True)
    return code


#: Pydantic's words for a value Typer refused (Typer 0.29 coerces every option through a
#: Pydantic ``TypeAdapter``), as a command line says them; ``{value}`` is what was typed.
_PROBLEMS = {
    "int_parsing": "{value!r} is not a whole number",
    "int_from_float": "{value!r} is not a whole number",
    "float_parsing": "{value!r} is not a number",
    "finite_number": "{value!r} is not a finite number",
    "bool_parsing": "{value!r} is not true or false",
    "greater_than_equal": "must be at least {ge}, not {value}",
    "greater_than": "must be more than {gt}, not {value}",
    "less_than_equal": "must be at most {le}, not {value}",
    "less_than": "must be less than {lt}, not {value}",
}


def _plain_problem(exc: BaseException) -> None:
    """Reword a problem Typer took from a Pydantic validation error.

    Typer passes on Pydantic's message: "Value error, 'boss' is not one of …", "Input
    should be a valid integer, unable to parse string as an integer" (issue 12). The
    error's type, input and limits give the same problem in a command line's words;
    the option is named by the exception's hint, as for every other usage error.
    """
    cause = exc.__cause__
    if cause is None or "pydantic_core" not in sys.modules:  # not loaded: not its error
        return
    from pydantic_core import ValidationError as PydanticError

    if not isinstance(cause, PydanticError) or not hasattr(exc, "message"):
        return
    errors = cause.errors(include_url=False)
    if not errors:
        return
    error = errors[0]
    context = error.get("ctx") or {}
    if error["type"] == "value_error" and "error" in context:
        exc.message = str(context["error"])  # a validator's own words
    elif error["type"] in _PROBLEMS:
        exc.message = _PROBLEMS[error["type"]].format(value=error["input"], **context)
    elif error["msg"].startswith("Input should be"):
        exc.message = f"{error['input']!r} should be{error['msg'].removeprefix('Input should be')}"


def _usage_name(param: Any) -> str:
    """An argument in a usage line as Click and man pages write it: ``PATHS...``,
    ``[LIST]`` (Typer 0.29 writes ``{paths}...``, which reads as a set or a template)."""
    name = param.metavar or str(param.name or "").upper()
    name = name if param.required or name.startswith("[") else f"[{name}]"
    return f"{name}..." if param.nargs != 1 else name


def _error_hint(param: Any) -> str:
    return f"'{param.metavar or str(param.name or '').upper()}'"


def _plain_flags(command: Any) -> Any:
    """Show on/off flags as ``--json``, not ``--json <bool>``, and arguments as ``NAME``,
    not ``{name}`` (issue 12 item 20); read text, paths and choices without Pydantic
    (:mod:`dadkhahi.cli.values`)."""
    for param in getattr(command, "params", ()):
        plain_values(param)
        if getattr(param, "is_flag", False):
            param.metavar = ""
        if getattr(param, "param_type_name", "") == "argument" and hasattr(
                param, "_usage_display_name"):
            param._usage_display_name = partial(_usage_name, param)
            # Errors name an argument as its usage line does: 'INDEX', not 'index'.
            param.get_error_hint = partial(_error_hint, param)
    make_help_option = command.get_help_option

    def plain_help_option(ctx: Any) -> Any:
        option = make_help_option(ctx)  # made when first asked for: -h/--help is a flag too
        if option is not None:
            option.metavar = ""
            plain_values(option)
        return option

    command.get_help_option = plain_help_option
    for sub in getattr(command, "commands", {}).values():
        _plain_flags(sub)
    return command


def run() -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit."""
    try:
        # Without standalone mode click returns (not raises) the exit code of typer.Exit.
        # The program is "dadkhahi" in usage lines and hints, however it was started
        # (Click would say "python -m pytest" or "python -m dadkhahi").
        code = typer.main.get_command(app)(prog_name="dadkhahi", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except (UserError, IntegrityError) as exc:
        from rich.text import Text

        from dadkhahi.cli.common import err_console

        # Text, not markup: a message may quote the user's own data ("[protected]").
        err_console.print("[red]error:[/red]", Text(str(exc)), highlight=False,
                          soft_wrap=True)
        if isinstance(exc, ValidationError):
            for problem in exc.problems:  # every problem, each naming its line and field
                err_console.print(f"  {problem}", highlight=False, markup=False,
                                  soft_wrap=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        from dadkhahi.cli.common import err_console

        err_console.print("aborted")
        sys.exit(130)
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(130)
    except Exception as exc:  # usage errors of either Click
        code = usage_error(exc)
        if code is None:
            raise
        sys.exit(code)
