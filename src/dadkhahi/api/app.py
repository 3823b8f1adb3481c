"""The FastAPI application: one store, the routers, the error shape, security headers."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dadkhahi import assets
from dadkhahi.access import sessions
from dadkhahi.api import errors
from dadkhahi.api.errors import ERROR_RESPONSES
from dadkhahi.api.routers import (
    admin,
    auth,
    cases,
    documents,
    estimates,
    items,
    jobs,
    ledger,
    linkage,
    lists,
    memorial,
    objects,
    search,
    testimonies,
)
from dadkhahi.api.settings import ApiSettings
from dadkhahi.assets.serving import FingerprintedStatic
from dadkhahi.http.access_log import AccessLog
from dadkhahi.services.uploads import STALE_UPLOAD_SECONDS as STALE_UPLOAD_SECONDS
from dadkhahi.services.uploads import clear_stale_uploads
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store, mode_warning, scrub_warning

log = logging.getLogger("dadkhahi.api")

#: No script, style, font, image or connection from anywhere but this origin, no inline
#: script, no plugins, never inside a frame. Swagger UI and the pages are built to it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # HTML and API answers are never cached; fingerprinted static files set their own.
    "Cache-Control": "no-store",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}
#: Two years, as HSTS preload lists ask; only sent when the server is reached over TLS.
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeaders:
    """Adds the headers above to every response (plain ASGI: no per-request task), and
    refuses a request whose Host header is not one of ``allowed_hosts``.

    The Host check stops DNS rebinding (a web page whose name resolves to this
    server's address reaching the API with the visitor's browser). Starlette's
    TrustedHostMiddleware cuts the header at the first colon, which refuses every
    IPv6 literal (``[::1]:8000``); this check parses it.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: tuple[str, ...] | None = None,
                 hsts: bool = False) -> None:
        self.app = app
        self.allowed = None if allowed_hosts is None else frozenset(allowed_hosts)
        self.headers = [(k.lower().encode(), v.encode()) for k, v in _SECURITY_HEADERS.items()]
        if hsts:
            self.headers.append((b"strict-transport-security", HSTS.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.allowed is not None and host_name(scope) not in self.allowed:
            await _bad_host(scope, receive, send, self.headers)
            return
        extra = self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw: list[tuple[bytes, bytes]] = message.setdefault("headers", [])
                present = {k.lower() for k, _ in raw}
                raw.extend(h for h in extra if h[0] not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def host_name(scope: Scope) -> str:
    """The host named by the request's Host header, lower case, without port or brackets."""
    for key, value in scope.get("headers", ()):
        if key == b"host":
            host = bytes(value).decode("latin-1").strip().lower()
            if host.startswith("["):
                return host[1:host.find("]")] if "]" in host else ""
            return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return ""


async def _bad_host(scope: Scope, receive: Receive, send: Send,
                    headers: list[tuple[bytes, bytes]]) -> None:
    response = errors.error_response(400, "this server does not answer to that host name")
    response.raw_headers.extend(headers)
    await response(scope, receive, send)


def docs_page() -> HTMLResponse:
    """Swagger UI from the vendored assets: no CDN, no inline script."""
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dadkhahi API</title>
<link rel="stylesheet" href="{assets.url("vendor/swagger-ui-dist/swagger-ui.css")}">
</head><body><div id="swagger-ui" data-openapi="/openapi.json"></div>
<script src="{assets.url("vendor/swagger-ui-dist/swagger-ui-bundle.js")}"></script>
<script src="{assets.url("docs/swagger-init.js")}"></script>
</body></html>"""
    return HTMLResponse(page)


def create_app(home: Home, settings: ApiSettings | None = None,
               store: Store | None = None) -> FastAPI:
    """The API over the ledger in ``home`` (SQLite there, or DADKHAHI_DATABASE_URL)."""
    settings = settings or ApiSettings.from_env()
    app = FastAPI(
        title="Dadkhahi API",
        version="0.1.0",
        description="Evidence ledger for documenting mass atrocities. Public data is open; "
        "restricted data needs a signed-in team member; protected data needs a grant. "
        "Errors are `{\"error\": {\"code\", \"message\"}}`.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        responses=ERROR_RESPONSES,
    )
    app.state.store = store or Store.open(home)
    if app.state.store.mode_fixes:
        log.warning("%s", mode_warning(app.state.store.mode_fixes))
    if app.state.store.scrub_left:
        log.warning("%s", scrub_warning(app.state.store.scrub_left))
    if app.state.store.upgraded:
        for line in app.state.store.upgraded.notes():
            log.warning("%s", line)
    clear_stale_uploads(home)
    sessions.purge_expired(app.state.store, settings.session_idle)
    app.state.settings = settings
    errors.install(app)

    app.add_middleware(SecurityHeaders, allowed_hosts=settings.allowed_hosts,
                       hsts=settings.hsts)
    app.add_middleware(AccessLog)  # outermost: it times the whole answer
    for module in (auth, search, objects, items, lists, linkage, ledger, admin, estimates,
                   documents, testimonies, jobs, cases, memorial):
        app.include_router(module.router)
    app.mount("/assets", FingerprintedStatic(), name="assets")
    app.add_api_route("/docs", docs_page, methods=["GET"], include_in_schema=False,
                      response_class=HTMLResponse)
    return app
