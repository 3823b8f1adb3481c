"""What ``dadkhahi serve`` serves: the API and the workspace's pages on one app.

The one place above both HTTP faces: the API's app (:func:`dadkhahi.api.create_app`:
store, settings, security headers, access log, JSON errors, ``/api``) with the pages
added to it (:func:`dadkhahi.web.add_pages`), so neither face imports the other. Only
the command line (and tests) import this module.
"""

from __future__ import annotations

from fastapi import FastAPI

from dadkhahi.access import passwords
from dadkhahi.api import create_app as create_api
from dadkhahi.http.serving import served
from dadkhahi.http.settings import ServerSettings
from dadkhahi.store.home import Home, resolve_home
from dadkhahi.store.store import Store
from dadkhahi.web import add_pages


def create_app(home: Home, settings: ServerSettings | None = None,
               store: Store | None = None) -> FastAPI:
    """The API and the workspace's pages over the ledger in ``home``."""
    passwords.prepare()
    return add_pages(create_api(home, settings, store))


def app_from_env() -> FastAPI:
    """The API and pages over ``$DADKHAHI_HOME`` (each worker process builds its own)."""
    return served(create_app(resolve_home(None)))


__all__ = ["app_from_env", "create_app"]
