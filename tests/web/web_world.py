"""Helpers of the workspace tests: page clients and form tokens (fixtures in conftest)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

# The synthetic world of the API tests is the pages' world too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))

from api_world import World

from dadkhahi.api.settings import ApiSettings
from dadkhahi.server import create_app
from dadkhahi.store.store import Store
from dadkhahi.web.security import PAGE_COOKIE

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


def client_for(app: FastAPI, world: World, who: str) -> TestClient:
    """A page client signed in as ``who`` (anonymous: no cookie)."""
    return page_client(app, None if who == "anonymous" else world.tokens[who])
