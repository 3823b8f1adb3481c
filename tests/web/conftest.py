"""Fixtures of the workspace tests: the API tests' synthetic world, seen through pages.

The world (``tests/api/api_world.py``) holds one of everything at each sensitivity,
with protected names and file names carrying ``SECRET-`` markers, and a user per
role (some holding grants). Page clients carry the world's session tokens in the
page cookie, exactly as a browser that signed in through the form would.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))

from api_world import World, build_world  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402

from dadkhahi.access import passwords  # noqa: E402
from dadkhahi.api.settings import ApiSettings  # noqa: E402
from dadkhahi.store.home import ENV_DATABASE_URL, Home  # noqa: E402
from dadkhahi.store.store import Store  # noqa: E402
from dadkhahi.web import create_app  # noqa: E402
from dadkhahi.web.security import PAGE_COOKIE  # noqa: E402

_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
#: Pages are reached at a loopback name, over plain HTTP, as in development.
BASE = "http://127.0.0.1"
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF.search(html)
    assert found, "the page has no form token"
    return found.group(1)


def web_app(store: Store, settings: ApiSettings | None = None) -> FastAPI:
    return create_app(store.home, settings or ApiSettings(max_upload_bytes=1024 * 1024),
                      store=store)


def page_client(app: FastAPI, token: str | None = None) -> TestClient:
    """A browser-like client: the page cookie set when ``token`` is given."""
    client = TestClient(app, base_url=BASE, raise_server_exceptions=False,
                        follow_redirects=False)
    if token is not None:
        client.cookies.set(PAGE_COOKIE, token)
    return client


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


def client_for(app: FastAPI, world: World, who: str) -> TestClient:
    """A page client signed in as ``who`` (anonymous: no cookie)."""
    return page_client(app, None if who == "anonymous" else world.tokens[who])


@pytest.fixture
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_HASHER", _FAST)
