"""The FastAPI application: one store, the routers, the error shape, security headers."""

from __future__ import annotations

import shutil
import time

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dadkhahi.api import errors
from dadkhahi.api.access_log import AccessLog
from dadkhahi.api.errors import ERROR_RESPONSES
from dadkhahi.api.routers import (
    admin,
    auth,
    estimates,
    items,
    ledger,
    linkage,
    lists,
    objects,
)
from dadkhahi.api.settings import ApiSettings
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class SecurityHeaders:
    """Adds the headers above to every response (plain ASGI: no per-request task)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in _SECURITY_HEADERS.items():
                    if key not in headers:
                        headers[key] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: Upload folders older than this are left over from a crash and are removed.
STALE_UPLOAD_SECONDS = 3600


def clear_stale_uploads(home: Home, max_age: float = STALE_UPLOAD_SECONDS) -> int:
    """Remove list-upload folders a crash left behind; returns how many.

    An upload is kept in plain form only while it is imported (protected lists are
    sealed by the import), so a leftover may hold witness data: it must not linger.
    Only old folders go, in case another server process shares the home.
    """
    uploads = home.path / "uploads"
    if not uploads.is_dir():
        return 0
    cutoff = time.time() - max_age
    removed = 0
    for folder in uploads.iterdir():
        if folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def create_app(home: Home, settings: ApiSettings | None = None,
               store: Store | None = None) -> FastAPI:
    """The API over the ledger in ``home`` (SQLite there, or DADKHAHI_DATABASE_URL)."""
    app = FastAPI(
        title="Dadkhahi API",
        version="0.1.0",
        description="Evidence ledger for documenting mass atrocities. Public data is open; "
        "restricted data needs a signed-in team member; protected data needs a grant. "
        "Errors are `{\"error\": {\"code\", \"message\"}}`.",
        openapi_url="/openapi.json",
        responses=ERROR_RESPONSES,
    )
    app.state.store = store or Store.open(home)
    clear_stale_uploads(home)
    app.state.settings = settings or ApiSettings.from_env()
    errors.install(app)

    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog)  # outermost: it times the whole answer
    for module in (auth, objects, items, lists, linkage, ledger, admin, estimates):
        app.include_router(module.router)
    return app
