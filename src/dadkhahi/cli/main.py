"""The ``dadkhahi`` command: thin shells over the services below it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from dadkhahi.cli import (
    audit,
    cases,
    documents,
    evidence,
    jobs,
    ledger,
    link,
    lists,
    objects,
    persons,
    publish,
    serve,
    setup,
    testimonies,
    users,
)
from dadkhahi.cli.common import err_console, state
from dadkhahi.cli.estimate import StoreRequest, make_estimate_command, release_command
from dadkhahi.domain.errors import IntegrityError, UserError, ValidationError
from dadkhahi.domain.files import owner_only_umask

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from dadkhahi.estimate import EstimateResult

app = typer.Typer(
    name="dadkhahi",
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
    # Whatever this command writes (the home, exports, SQLite's WAL, spill files of
    # DuckDB or Spark) is owner-only: witness data must not be readable by other users.
    owner_only_umask()
    state.home_path = home


setup.register(app)
app.add_typer(evidence.app, name="evidence")
app.add_typer(documents.app, name="documents")
app.command("search")(documents.search)
app.add_typer(testimonies.testimonies_app, name="testimonies")
app.add_typer(testimonies.consent_app, name="consent")
app.add_typer(ledger.app, name="ledger")
lists.register(app)
link.register(app)
app.add_typer(users.app, name="users")
app.add_typer(persons.app, name="persons")
app.command("serve")(serve.serve)
app.command("audit")(audit.audit)
app.command("worker")(jobs.worker)
app.add_typer(jobs.app, name="jobs")
cases.register(app)
objects.register(app, persons.app)  # after cases: its 'sources link' joins 'sources list'
publish.register(app)


def _linked_histories(language: str) -> pd.DataFrame:
    """Capture histories of the linked store, with every stratum column (issue 4)."""
    from dadkhahi.cli.common import open_store
    from dadkhahi.linkage.views import capture_histories

    return capture_histories(open_store(), "all", language)


def _store_estimate(
    request: StoreRequest, progress: Callable[[str, int, int], None]
) -> tuple[EstimateResult, str, pd.DataFrame]:
    """Estimate the store's lists (over drawn linkages if asked) and record it (issue 13)."""
    from dadkhahi.analysis.estimates import estimate_store, record_estimate
    from dadkhahi.cli.common import current_actor, open_store
    from dadkhahi.linkage.draws import DrawSettings

    store = open_store()
    done = estimate_store(
        store, request.method, request.options, by=request.by, language=request.language,
        merge_below=request.merge_below,
        uncertainty=None if request.draws is None else DrawSettings(draws=request.draws),
        progress=progress,
    )
    return done.result, record_estimate(store, current_actor(), done), done.table


estimate_app = typer.Typer(invoke_without_command=True)
estimate_app.callback(invoke_without_command=True)(
    make_estimate_command(_linked_histories, _store_estimate))


estimate_app.command("release")(release_command)
app.add_typer(estimate_app, name="estimate")


def usage_error(exc: BaseException) -> int | None:
    """Print a command-line usage error as one line of usage and one of the problem.

    Typer bundles its own copy of Click, whose exceptions are not ``click``'s: both are
    recognised (by their shape: a message, an exit code, maybe a context). Returns the
    exit code (2 for usage errors), or None when ``exc`` is not such an error.
    """
    import click

    if not isinstance(exc, click.ClickException | typer.TyperException):
        return None
    format_message = getattr(exc, "format_message", None)
    if format_message is None:
        return None
    code = getattr(exc, "exit_code", 2)
    code = code if isinstance(code, int) else 2
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


def _plain_flags(command: Any) -> Any:
    """Show on/off flags as ``--json``, not ``--json <bool>`` (issue 12 item 20)."""
    for param in getattr(command, "params", ()):
        if getattr(param, "is_flag", False):
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _plain_flags(sub)
    return command


def run() -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit."""
    try:
        # Without standalone mode click returns (not raises) the exit code of typer.Exit.
        code = _plain_flags(typer.main.get_command(app))(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except (UserError, IntegrityError) as exc:
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
        err_console.print("aborted")
        sys.exit(130)
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(130)
    except Exception as exc:  # usage errors of either Click
        code = usage_error(exc)
        if code is None:
            raise
        sys.exit(code)
