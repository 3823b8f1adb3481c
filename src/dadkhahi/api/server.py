"""An app factory for uvicorn worker processes (``dadkhahi serve --workers N``)."""

from __future__ import annotations

from fastapi import FastAPI

from dadkhahi.api.app import create_app
from dadkhahi.store.home import resolve_home


def app_from_env() -> FastAPI:
    """The API over ``$DADKHAHI_HOME`` (each worker process builds its own)."""
    return create_app(resolve_home(None))
