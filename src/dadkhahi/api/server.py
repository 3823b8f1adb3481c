"""Server processes: the API alone as a factory for uvicorn (benchmarks serve it so).

``dadkhahi serve`` serves the API with the pages (:mod:`dadkhahi.server`).
"""

from __future__ import annotations

from fastapi import FastAPI

from dadkhahi.api.app import create_app
from dadkhahi.http.serving import served
from dadkhahi.store.home import resolve_home

__all__ = ["app_from_env", "served"]


def app_from_env() -> FastAPI:
    """The API over ``$DADKHAHI_HOME`` (each worker process builds its own)."""
    return served(create_app(resolve_home(None)))
