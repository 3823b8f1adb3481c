"""Text, paths, choices, flags and numbers read without Pydantic (``cli.values``, issue 12 item 17)
give what Typer's own coercion gives: the same value, or the same problem.

Every parameter of every command is walked: each given the plain coercion is fed values
of its kind (good, bad, in another case, a missing or present file or folder) through
both, and the outcomes compared, problems in the words the user sees (after
``cli.main``'s rewording of Pydantic's).
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from typer._click import Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param

from dadkhahi.cli.main import COMMANDS, _plain_problem, app, load_unit
from dadkhahi.cli.values import _PlainValues


def _commands() -> Iterator[tuple[str, Any]]:
    import typer

    yield "dadkhahi", typer.main.get_command(app)

    def leaves(path: str, command: Any) -> Iterator[tuple[str, Any]]:
        yield path, command
        for name, sub in (getattr(command, "commands", None) or {}).items():
            yield from leaves(f"{path} {name}", sub)

    for name, (unit, _) in COMMANDS.items():
        yield from leaves(name, load_unit(unit)[name])


def _samples(annotation: Any, folder: Path) -> list[Any]:
    if get_origin(annotation) is list:
        (leaf,) = get_args(annotation)
        return [[], *([v] for v in _samples(leaf, folder)),
                _samples(leaf, folder)[:2], (_samples(leaf, folder)[0],)]
    if annotation is str:
        return ["SYNTHETIC", "", "-", " x y ", "ناصر"]
    if annotation is bool:
        return [True, False]
    if annotation is int:
        # Defaults (numbers) in and out of every bound; typed text goes to Typer alike.
        return [0, 1, 2, 5, 8, 20, 500, 501, 20_000, -1, True, 1.0, "12", " 3", "1.5",
                "abc", ""]
    if annotation is float:
        return [0.0, 0.01, 0.05, 0.5, 0.95, 0.99, 0.999, 1.0, 2.0, -1.0, float("nan"),
                float("inf"), 1, True, "0.9", "x"]
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return [str(folder / "no-such-file"), str(folder / "file.txt"), str(folder), "-",
                f" {folder / 'file.txt'}", Path(folder / "file.txt")]
    assert isinstance(annotation, type) and issubclass(annotation, Enum)
    values = [str(member.value) for member in annotation]
    return [*values, values[0].upper(), "nosuch", next(iter(annotation))]


def _outcome(runtime: Any, value: Any, param: Any, ctx: Context) -> tuple[str, Any]:
    try:
        return "value", runtime.coerce(value, param=param, ctx=ctx)
    except BadParameter as exc:
        _plain_problem(exc)  # as the user sees it (cli.main.usage_error)
        return "problem", exc.format_message()


def test_every_plain_parameter_reads_as_typer_would(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("SYNTHETIC\n")
    compared = 0
    plain: set[str] = set()
    for path, command in _commands():
        # The root's help names (as run): Click keeps the help option a context first
        # makes on the command, and one made with only --help broke `-h` for later tests.
        ctx = Context(command, info_name=path, help_option_names=["-h", "--help"])
        params = list(command.params)
        if (help_option := command.get_help_option(ctx)) is not None:
            params.append(help_option)
        for param in params:
            runtime = param.get_runtime_param() if hasattr(param, "get_runtime_param") else None
            if not isinstance(runtime, _PlainValues):
                continue
            plain.add(str(param.type_descriptor.annotation))
            typer_own = build_runtime_param(param.type_descriptor)
            for value in _samples(param.type_descriptor.annotation, tmp_path):
                ours = _outcome(runtime, value, param, ctx)
                theirs = _outcome(typer_own, value, param, ctx)
                assert ours == theirs, (path, param.name, value)
                compared += 1
    # Text, paths, lists of paths, choices and the flags were all met.
    assert {"<class 'str'>", "<class 'pathlib.Path'>", "list[pathlib.Path]",
            "<class 'bool'>", "<class 'int'>", "<class 'float'>"} <= plain, plain
    assert any(kind.startswith("<enum ") for kind in plain), plain
    assert compared > 1000


@pytest.mark.parametrize(("args", "problem"), [
    (["evidence", "add", "x", "--kind", "nosuch"], "Invalid value for '--kind': 'nosuch' is "
                                                  "not one of 'list'"),
    (["documents", "transcribe", "itm_x", "--text-file", "no/such/file"],
     "Invalid value for '--text-file': file 'no/such/file' does not exist."),
])
def test_problems_are_worded_as_before(args: list[str], problem: str) -> None:
    from typer.testing import CliRunner

    done = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert done.exit_code == 2
    assert problem in " ".join(done.output.split()), done.output
