"""Fixtures of the workspace tests: the API tests' synthetic world, seen through pages.

The world (``tests/api/api_world.py``) holds one of everything at each sensitivity,
with protected names and file names carrying ``SECRET-`` markers, and a user per
role (some holding grants). Page clients carry the world's session tokens in the
page cookie, exactly as a browser that signed in through the form would.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# The synthetic world of the API tests is the pages' world too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))
# The software security key (tests/access/soft_authenticator.py) for WebAuthn tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "access"))

import pytest
from api_world import World, build_world
from argon2 import PasswordHasher
from browser import chromium
from fastapi import FastAPI
from served import Served, serve
from web_world import web_app

from dadkhahi.access import passwords
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store

_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The synthetic world on SQLite, one per module (tests only add to it)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(passwords, "_HASHER", _FAST)
    mp.delenv(ENV_DATABASE_URL, raising=False)
    tmp: Path = tmp_path_factory.mktemp("webworld")
    store = Store.init(Home(tmp / "home"), "test.dadkhahi.local/web", "tester")
    try:
        yield build_world(store, tmp)
    finally:
        store.engine.dispose()
        mp.undo()


@pytest.fixture(scope="module")
def app(world: World) -> FastAPI:
    return web_app(world.store)


@pytest.fixture
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_HASHER", _FAST)


@pytest.fixture(scope="module")
def server(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A real ``dadkhahi serve`` over the module's world (for the browser tests). Its job
    thread runs at full priority: at the default (nice 10) a linkage run starves on a
    machine busy with other work (not done in 4 minutes at load 22; about 5 s of CPU)."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with serve(world.store.home.path, log, options=("--worker-nice", "0")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per module (starting one costs seconds); each test opens its
    own context (cookies, storage), so tests stay apart. Not one per run: while Playwright's
    sync API is open its event loop counts as running in this thread, so every later test
    of the same process using Playwright or ``anyio.run`` failed ("Already running asyncio
    in this thread") once a test worker was handed this directory's browser file first."""
    with chromium() as running:
        yield running
