"""Server processes: the workspace as ``dadkhahi serve`` runs it with several workers."""

from __future__ import annotations

from fastapi import FastAPI

from dadkhahi.api.server import served
from dadkhahi.store.home import resolve_home
from dadkhahi.web.app import create_app


def app_from_env() -> FastAPI:
    """The API and pages over ``$DADKHAHI_HOME`` (each worker process builds its own)."""
    return served(create_app(resolve_home(None)))
