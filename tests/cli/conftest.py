"""Shared by the command-line tests: a home holding one imported SYNTHETIC list."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dadkhahi.cli.main import app
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


@pytest.fixture(scope="module")
def list_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh home per test module, with the list M1 Hosein Rezaei, M2 Zahra Moradi
    imported as 'SYNTHETIC Memorial list' (ID column ID)."""
    tmp = tmp_path_factory.mktemp("cli")
    path = tmp / "home"
    Store.init(Home(path), "cli.test/ledger", "t").engine.dispose()
    listing = tmp / "list.csv"
    listing.write_text("ID,Full name\nM1,Hosein Rezaei\nM2,Zahra Moradi\n", "utf-8")
    done = CliRunner().invoke(app, ["--home", str(path), "lists", "import", str(listing),
                                    "--source-title", "SYNTHETIC Memorial list",
                                    "--id-column", "ID"], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    return path
