"""Usage errors: one line of usage and one of the problem, exit 2, never a traceback
(issue 12 item 1: Typer raises its own bundled Click exceptions, not ``click``'s)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dadkhahi.cli.main import run
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["dadkhahi", *args])
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exited:
        run()
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), out, err


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("usage") / "home"
    Store.init(Home(path), "usage.test/ledger", "t").engine.dispose()
    return path


@pytest.mark.parametrize(("args", "problem"), [
    (["nosuchcmd"], "No such command 'nosuchcmd'"),
    (["link", "export"], "Missing option '--out'"),
    (["ledger", "prove", "-1"], "-1 is not an event of this ledger: its 1 events are "
                                "numbered 0 to 0"),
    (["ledger", "prove", "42"], "42 is not an event of this ledger"),
    (["--nosuchoption"], "No such option: --nosuchoption"),
    # Typer coerces options through Pydantic, whose words ("Value error, …", "Input
    # should be …") are said as a command line says them, naming the option or argument.
    (["users", "add"], "Missing argument 'NAME'"),
    (["users", "add", "x1", "--role", "boss"], "Invalid value for '--role': 'boss' is not "
                                               "one of 'viewer'"),
    (["ledger", "prove", "abc"], "Invalid value for 'INDEX': 'abc' is not a whole number"),
    (["persons", "list", "--limit", "0"], "Invalid value for '--limit': must be at least 1, "
                                          "not 0"),
    (["persons", "list", "--limit", "1.5"], "Invalid value for '--limit': '1.5' is not a "
                                            "whole number"),
    (["persons", "search", "x", "--min-score", "2"], "Invalid value for '--min-score': must "
                                                     "be at most 1.0, not 2"),
    (["persons", "search", "x", "--min-score", "high"], "Invalid value for '--min-score': "
                                                        "'high' is not a number"),
])
def test_a_usage_error_is_one_line_of_usage_and_the_problem(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], home: Path,
        args: list[str], problem: str) -> None:
    code, out, err = _run(monkeypatch, capsys, "--home", str(home), *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("Usage: dadkhahi")
    assert lines[1].startswith("error: ") and problem in lines[1]
    assert "Traceback" not in err and out == ""
    assert "Value error" not in err and "Input should" not in err


def test_short_help_is_help(monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(monkeypatch, capsys, "-h")
    assert code == 0 and "Usage: dadkhahi" in out and "persons" in out
    code, out, _ = _run(monkeypatch, capsys, "ledger", "prove", "-h")
    assert code == 0 and "numbered from 0" in out


def test_version_through_the_real_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "dadkhahi", "--version"], capture_output=True,
                          text=True, env={**os.environ}, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("dadkhahi ") and proc.stdout.split()[1][0].isdigit()


def test_help_shows_flags_plainly_and_explains_roles(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 12 item 20: flags were shown as '--json <bool>'; roles were listed unexplained.
    code, out, _ = _run(monkeypatch, capsys, "sources", "list", "-h")
    assert code == 0
    json_line = next(line for line in out.splitlines() if "--json" in line)
    assert "<bool>" not in json_line
    code, out, _ = _run(monkeypatch, capsys, "users", "add", "-h")
    assert code == 0 and "analyst: adds facts" in " ".join(out.split())
    # Arguments as NAME (PATHS... for many), not Typer's '{paths}...'.
    code, out, _ = _run(monkeypatch, capsys, "evidence", "add", "-h")
    assert code == 0 and "Usage: dadkhahi evidence add [OPTIONS] PATHS..." in out
    assert "{" not in out.split("\n\n")[0] and "<bool>" not in out, out
    code, out, _ = _run(monkeypatch, capsys, "init", "-h")
    assert "dadkhahi.local/HOSTNAME-RANDOM" in " ".join(out.split())


def test_every_command_argument_and_option_says_what_it_is() -> None:
    # Issue 12 item 20, walked as a newcomer: `users disable -h` showed NAME with no
    # word on it (enable and password too), as did places add's coordinates and
    # publish's --actor. Every command, argument and option has a description.
    from dadkhahi.cli.main import COMMANDS, load_unit

    def leaves(path: str, command: Any) -> Iterator[tuple[str, Any]]:
        subs = getattr(command, "commands", None) or {}
        yield path, command
        for name, sub in subs.items():
            yield from leaves(f"{path} {name}", sub)

    silent = []
    for name, (unit, _) in COMMANDS.items():
        for path, command in leaves(name, load_unit(unit)[name]):
            if not (command.help or "").strip():
                silent.append(f"{path} (no description)")
            silent.extend(f"{path} {param.name}" for param in command.params
                          if param.param_type_name in ("argument", "option")
                          and not (getattr(param, "help", None) or "").strip())
    assert silent == []
