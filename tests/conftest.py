"""Shared fixtures: a fresh store on SQLite and, when configured, on PostgreSQL.

PostgreSQL tests run against a real server named by DADKHAHI_TEST_DATABASE_URL
(CI sets it; `.ci/run` starts the server). Each test gets its own database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store

PG_ENV = "DADKHAHI_TEST_DATABASE_URL"

# No per-example time limit: CI shares two cores, and a slow example under load is not a
# failure of the property (what each test checks is its assertions, not its speed).
settings.register_profile("dadkhahi", deadline=None)
settings.load_profile("dadkhahi")
BACKENDS = ["sqlite", "postgresql"]


@pytest.hookimpl(optionalhook=True)  # only pytest-xdist calls it (mutmut runs without it)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``make test``'s file-by-file scheduling hands out the longest files first
    (``tests/worker_order.py``); any other mode keeps xdist's own scheduler."""
    if config.getoption("dist") != "loadfile":
        return None
    from worker_order import longest_first

    return longest_first(config, log)


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """Give every test the environment it started with.

    Commands run in-process (CliRunner) set variables for their workers, as ``serve``
    does with the master key; left behind, a later test's new home would take that
    key from the environment and write no ``keys/master.key`` (CI failed so).
    """
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def _serving_tuning_restored() -> Iterator[None]:
    """Fail a test that leaves this process tuned as a server (``http.serving.served``:
    objects frozen out of the collector, a shorter switch interval), and undo it.

    ``serve`` run in-process (CliRunner, uvicorn stubbed) calls ``served`` before
    uvicorn would start; left frozen, a later test of the memorial's render pool saw the
    freeze as a server's and failed far from the cause (CI, stop 29)."""
    import gc
    import sys

    switch = sys.getswitchinterval()
    frozen = gc.get_freeze_count()
    yield
    # More frozen, not a different count: objects frozen before the test (mutmut
    # freezes its parent before forking each mutant's run) may be freed by it.
    leaked = gc.get_freeze_count() > frozen or sys.getswitchinterval() != switch
    if gc.get_freeze_count() and not frozen:
        gc.unfreeze()
    sys.setswitchinterval(switch)
    if leaked:
        pytest.fail("this test left the process tuned as a server (gc.freeze or the "
                    "switch interval): undo what http.serving.served did")


@contextmanager
def new_pg_database() -> Iterator[str]:
    """URL of a brand-new PostgreSQL database on the test server, dropped afterwards
    (skips the test when no server is configured; fails in CI)."""
    base = os.environ.get(PG_ENV)
    if not base:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} must be set in CI")
        pytest.skip(f"{PG_ENV} not set")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"dadkhahi_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a brand-new PostgreSQL database, dropped afterwards."""
    with new_pg_database() as url:
        yield url


@pytest.fixture
def other_pg_url() -> Iterator[str]:
    """A second brand-new PostgreSQL database, for a test comparing two."""
    with new_pg_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once on SQLite and once on PostgreSQL (sets DADKHAHI_DATABASE_URL)."""
    name: str = request.param
    if name == "postgresql":
        url = request.getfixturevalue("pg_url")
        monkeypatch.setenv(ENV_DATABASE_URL, url)
    else:
        monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    return name


@pytest.fixture
def home(tmp_path: Path, backend: str) -> Home:
    """An empty data directory (on the parametrised backend)."""
    return Home(tmp_path / "home")


@pytest.fixture
def store(home: Home) -> Iterator[Store]:
    """A freshly initialised ledger."""
    s = Store.init(home, "test.dadkhahi.local/ledger", "tester")
    yield s
    s.engine.dispose()
