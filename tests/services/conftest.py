"""Fixtures of the services tests: the API tests' synthetic world, called directly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from dadkhahi.access import passwords
from dadkhahi.store.store import Store

# The synthetic world of the API tests (one of everything at each sensitivity).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))

from api_world import World, build_world


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """The API tests' world in a fresh store (a module may define its own instead)."""
    # Cheap Argon2: the world adds a user per role; password strength is not under test.
    monkeypatch.setattr(passwords, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return build_world(store, tmp_path)
