"""The workspace: the pages added to an app that holds the store and the settings, and
HTML error pages.

The pages never import the API: :func:`add_pages` is handed the app (``dadkhahi serve``
composes the API's app with the pages in :mod:`dadkhahi.server`). ``/api/*`` answers JSON
as before; every other path is a page (``/fa/…`` and ``/en/…``) answered in HTML, errors
included (a page never shows a JSON error or a traceback).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dadkhahi.access.passwords import HashPoolFullError
from dadkhahi.access.policy import ForbiddenError
from dadkhahi.access.signin import ThrottledError
from dadkhahi.domain.errors import NotFoundError, UserError, ValidationError
from dadkhahi.http.access_log import route_template
from dadkhahi.http.errors import HttpError
from dadkhahi.web import i18n
from dadkhahi.web.pages import ROUTERS
from dadkhahi.web.pages.common import SignInRequiredError
from dadkhahi.web.render import render
from dadkhahi.web.security import CsrfError, csrf_key, visitor

log = logging.getLogger("dadkhahi.web")

_API_PREFIXES = ("/api/", "/api", "/assets/", "/docs", "/openapi.json")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(_API_PREFIXES)


def _page_lang(request: Request) -> str:
    first = request.url.path.split("/")[1:2]
    return first[0] if first and first[0] in i18n.LANGUAGES else i18n.DEFAULT


async def error_page(request: Request, status: int, message: str,
                     headers: dict[str, str] | None = None) -> Response:
    """An error as a page in the visitor's language (the message is already translated)."""
    lang = _page_lang(request)
    try:
        current = await visitor(request)
    except Exception:  # the error may be the session lookup itself
        log.exception("visitor lookup failed on an error page")
        from dadkhahi.access.policy import Principal
        from dadkhahi.web.security import Visitor

        current = Visitor(Principal(), None, None, "")
    response = render(request, "error.html", {"status": status, "message": message},
                      current, lang, status)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _messages(lang: str) -> dict[int, str]:
    tr = i18n.language(lang).gettext
    return {
        400: tr("The request could not be understood."),
        401: tr("Sign in to see this page."),
        403: tr("Your role may not do this."),
        404: tr("There is no such page, or you may not see it."),
        405: tr("The request could not be understood."),
        413: tr("The file is larger than this server accepts."),
        422: tr("Some of what was entered is not valid."),
        429: tr("Too many requests. Wait a moment and try again."),
        500: tr("Something went wrong on the server. The error was logged."),
    }


def _install_page_errors(app: FastAPI) -> None:
    """Wrap the app's error handlers (the API's): pages get HTML, ``/api`` keeps its JSON."""
    api_handlers: dict[Any, Any] = dict(app.exception_handlers)

    def handler_for(kind: Any) -> Any:
        api = api_handlers.get(kind)

        async def handle(request: Request, exc: Exception) -> Response:
            if _is_api(request) and api is not None:
                return await api(request, exc)  # type: ignore[no-any-return]
            return await _page_error(request, exc)

        return handle

    for kind in (UserError, HttpError, StarletteHTTPException, RequestValidationError,
                 Exception):
        app.add_exception_handler(kind, handler_for(kind))


async def _page_error(request: Request, exc: Exception) -> Response:
    lang = _page_lang(request)
    messages = _messages(lang)
    tr = i18n.language(lang).gettext
    if isinstance(exc, SignInRequiredError):
        return RedirectResponse(f"/{exc.lang}/sign-in?next={exc.next_path}", status_code=303)
    if isinstance(exc, CsrfError):
        return await error_page(request, 403, tr(
            "This form has expired or did not come from this site. Reload the page and "
            "try again."))
    if isinstance(exc, (ThrottledError, HashPoolFullError)):
        return await error_page(request, 429, messages[429],
                                {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, NotFoundError):
        return await error_page(request, 404, messages[404])
    if isinstance(exc, ForbiddenError):
        current = await visitor(request)
        if not current.signed_in:
            return RedirectResponse(f"/{lang}/sign-in?next={request.url.path}",
                                    status_code=303)
        return await error_page(request, 403, messages[403])
    if isinstance(exc, (ValidationError, RequestValidationError)):
        return await error_page(request, 422, messages[422])
    if isinstance(exc, UserError):
        status = 413 if type(exc).__name__ == "BlobTooLargeError" else 400
        return await error_page(request, status, messages[status])
    if isinstance(exc, HttpError):  # raised by the upload path the pages share with the API
        status = exc.status if exc.status in messages else 400
        return await error_page(request, status, messages[status], exc.headers)
    if isinstance(exc, StarletteHTTPException):
        status = exc.status_code if exc.status_code in messages else 400
        return await error_page(request, status, messages[status])
    # As the API does: the route template, never the path, and no message (it may quote
    # a value); the formatter of `dadkhahi serve` logs the stack only.
    log.exception("unexpected error on %s %s", request.method, route_template(request.scope))
    return await error_page(request, 500, messages[500])


def add_pages(app: FastAPI) -> FastAPI:
    """Add the workspace's pages to ``app``, which holds the store and the server's
    settings in its state (``app.state.store``, ``app.state.settings``); returns ``app``.

    Call it after the app's own error handlers are installed: the pages wrap them.
    """
    app.state.csrf_key = csrf_key(app.state.store)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    async def root(request: Request) -> Response:
        """The workspace in the browser's preferred language (Persian first)."""
        lang = i18n.negotiate(request.headers.get("accept-language"))
        return RedirectResponse(f"/{lang}/", status_code=303)

    _install_page_errors(app)
    return app
