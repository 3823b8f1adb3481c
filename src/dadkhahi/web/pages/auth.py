"""Signing in and out of the workspace, through the one sign-in service.

The throttle, the password check, the second factor and the audit of failed
sign-ins are :mod:`dadkhahi.access.signin`'s, exactly as for ``/api/auth/login``;
this router only shows forms and keeps the session in the page cookie.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import sessions, signin
from dadkhahi.access.passwords import HashPoolFullError
from dadkhahi.http.requests import client_ip
from dadkhahi.http.settings import ServerSettings
from dadkhahi.web.i18n import language
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router, safe_next
from dadkhahi.web.render import render
from dadkhahi.web.security import (
    Visitor,
    clear_session_cookie,
    read_form,
    set_session_cookie,
    visitor,
)

router = page_router()


def _sign_in_page(request: Request, current: Visitor, lang: str, *, next_path: str,
                  error: str | None = None, username: str = "", status: int = 200,
                  retry_after: int | None = None) -> Response:
    response = render(request, "sign_in.html",
                      {"next_path": next_path, "error": error, "username": username,
                       "retry_after": retry_after}, current, lang, status)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@router.get("/sign-in")
async def sign_in_form(request: Request, lang: LangDep, current: VisitorDep,
                       next: str | None = None) -> Response:
    """The sign-in form (a signed-in visitor goes straight on)."""
    if current.signed_in:
        return RedirectResponse(safe_next(lang, next), status_code=303)
    return _sign_in_page(request, current, lang, next_path=safe_next(lang, next))


@router.post("/sign-in")
async def sign_in(request: Request, lang: LangDep) -> Response:
    """Check the password (throttled, audited when it fails) and open a page session."""
    form = await read_form(request)
    current = await visitor(request)
    tr = language(lang).gettext
    next_path = safe_next(lang, form.get("next"))
    username = form.get("username", "")
    password = form.get("password", "")
    if not username or not password:
        return _sign_in_page(request, current, lang, next_path=next_path, username=username,
                             error=tr("Enter your user name and password."), status=422)
    settings: ServerSettings = request.app.state.settings
    try:
        opened = await run_in_threadpool(
            signin.sign_in, request.app.state.store, username, password, client_ip(request),
            settings.session_ttl, settings.session_idle)
    except signin.ThrottledError as exc:
        return _sign_in_page(
            request, current, lang, next_path=next_path, username=username, status=429,
            retry_after=exc.retry_after,
            error=tr("Too many failed sign-ins. Try again in {seconds} seconds.").format(
                seconds=language(lang).number(exc.retry_after)))
    except HashPoolFullError as exc:
        return _sign_in_page(request, current, lang, next_path=next_path, username=username,
                             status=429, retry_after=exc.retry_after,
                             error=tr("The server is busy. Try again in a moment."))
    except signin.SignInFailedError:
        return _sign_in_page(request, current, lang, next_path=next_path, username=username,
                             status=401, error=tr("Wrong user name or password."))
    target = next_path
    if opened.stage == sessions.SECOND_FACTOR:
        target = f"/{lang}/sign-in/second-factor?next={next_path}"
    elif opened.stage == sessions.ENROL:
        target = f"/{lang}/sign-in/enrol"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, opened.token)
    return response


def _pending(request: Request, lang: str) -> Any:
    """The page session that still owes its second factor (None if there is none)."""
    current: Visitor = request.state.visitor
    if current.token is None or current.stage != sessions.SECOND_FACTOR:
        return None
    return current


@router.get("/sign-in/second-factor")
async def second_factor_form(request: Request, lang: LangDep, current: VisitorDep,
                             next: str | None = None) -> Response:
    """Ask for a code from an authenticator app or a recovery code."""
    if _pending(request, lang) is None:
        return RedirectResponse(f"/{lang}/sign-in", status_code=303)
    return render(request, "second_factor.html",
                  {"next_path": safe_next(lang, next), "error": None}, current, lang)


@router.post("/sign-in/second-factor")
async def second_factor(request: Request, lang: LangDep) -> Response:
    """Finish signing in with a TOTP code or a recovery code (throttled like passwords)."""
    form = await read_form(request)
    current = await visitor(request)
    tr = language(lang).gettext
    next_path = safe_next(lang, form.get("next"))
    if _pending(request, lang) is None or current.token is None:
        return RedirectResponse(f"/{lang}/sign-in", status_code=303)
    store = request.app.state.store
    with store.reading() as conn:
        found = sessions.lookup(conn, current.token, client_ip(request))
    if found is None:
        return RedirectResponse(f"/{lang}/sign-in", status_code=303)
    code = form.get("code", "").replace(" ", "")
    from dadkhahi.web.i18n import ascii_digits

    code = ascii_digits(code)
    totp = code if code.isdigit() else None
    recovery = None if totp else code
    try:
        await run_in_threadpool(lambda: signin.second_factor(
            store, current.token or "", found.principal, totp=totp, recovery_code=recovery))
    except signin.ThrottledError as exc:
        response = render(request, "second_factor.html", {
            "next_path": next_path,
            "error": tr("Too many failed sign-ins. Try again in {seconds} seconds.").format(
                seconds=language(lang).number(exc.retry_after))}, current, lang, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except signin.SignInFailedError:
        return render(request, "second_factor.html", {
            "next_path": next_path, "error": tr("That code was not accepted.")},
            current, lang, 401)
    return RedirectResponse(next_path, status_code=303)


@router.get("/sign-in/enrol")
async def enrol_notice(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """An account that must enrol a second factor first is told how."""
    return render(request, "enrol.html", {}, current, lang)


@router.post("/sign-out")
async def sign_out(request: Request, lang: LangDep) -> Response:
    """End this page session at once (the token stops working) and drop the cookie."""
    await read_form(request)
    current = await visitor(request)
    if current.token is not None:
        await run_in_threadpool(sessions.close_session, request.app.state.store, current.token)
    response = RedirectResponse(f"/{lang}/sign-in", status_code=303)
    clear_session_cookie(request, response)
    return response
