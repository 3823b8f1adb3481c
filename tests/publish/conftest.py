"""Fixtures of the memorial's tests: the SYNTHETIC world of ``world.py`` on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from world import World, build_world

from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The world with every source approved."""
    store = Store.init(Home(tmp_path / "home"), "test.dadkhahi.local/ledger", "tester")
    yield build_world(store, tmp_path)
    store.engine.dispose()
