"""The README lists every command (issue 12 item 21): a command added without a line there
fails here. A sub-command counts when its words appear together (``users enable`` in a
comment will do); a top-level command when a line runs it (``dadkhahi audit``)."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from test_cli_refs import _commands
from typer._click import Context

from dadkhahi.cli.main import app

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_names_every_command() -> None:
    text = README.read_text("utf-8")
    root = typer.main.get_command(app)
    missing = []
    for path, _ in _commands(root, Context(root)):
        if " " in path:
            found = re.search(rf"\b{re.escape(path)}\b", text)
        else:
            found = re.search(rf"dadkhahi(?: --home \S+)? {re.escape(path)}\b", text)
        if found is None:
            missing.append(path)
    assert not missing, f"README.md does not name: {missing}"
