"""Fixtures shared by the API tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_world import World, build_world
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dadkhahi.access import passwords
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store

PG_ENV = "DADKHAHI_TEST_DATABASE_URL"
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2 parameters: the tests add many users; strength is not under test here."""
    monkeypatch.setattr(passwords, "_HASHER", _FAST)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One world per module and backend, for tests that only add to it."""
    mp = pytest.MonkeyPatch()
    mp.setattr(passwords, "_HASHER", _FAST)
    admin = None
    name = ""
    if request.param == "postgresql":
        base = os.environ.get(PG_ENV)
        if not base:
            mp.undo()
            pytest.skip(f"{PG_ENV} not set")
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        name = f"dadkhahi_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        mp.setenv(ENV_DATABASE_URL,
                  make_url(base).set(database=name).render_as_string(hide_password=False))
    else:
        mp.delenv(ENV_DATABASE_URL, raising=False)
    tmp: Path = tmp_path_factory.mktemp("world")
    store = Store.init(Home(tmp / "home"), "test.dadkhahi.local/api", "tester")
    try:
        yield build_world(store, tmp)
    finally:
        store.engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :n"), {"n": name})
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
        mp.undo()
