"""Signing in and out of the workspace, through the one sign-in service.

The throttle, the password check, the second factor and the audit of failed
sign-ins are :mod:`dadkhahi.access.signin`'s, exactly as for ``/api/auth/login``;
this router only shows forms and keeps the session in the page cookie.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import sessions, signin
from dadkhahi.access.passwords import HashPoolFullError
from dadkhahi.http.requests import client_ip, relying_party
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


def _key_options(request: Request, current: Visitor) -> dict[str, Any] | None:
    """Options for ``navigator.credentials.get`` when the user has a security key, with
    a fresh challenge (None without a key, or once the session stopped waiting)."""
    if current.token is None:
        return None
    settings: ServerSettings = request.app.state.settings
    try:
        return signin.key_options(request.app.state.store, current.token, client_ip(request),
                                  relying_party(request, settings), settings.session_idle)
    except signin.NotWaitingError:
        return None


async def _second_factor_page(request: Request, current: Visitor, lang: str, next_path: str,
                              error: str | None = None, status: int = 200) -> Response:
    """The second-factor form: a security key (recommended) when the user has one, a code
    from an authenticator app or a recovery code otherwise or besides."""
    options = await run_in_threadpool(_key_options, request, current)
    return render(request, "second_factor.html",
                  {"next_path": next_path, "error": error, "key_options": options},
                  current, lang, status)


@router.get("/sign-in/second-factor")
async def second_factor_form(request: Request, lang: LangDep, current: VisitorDep,
                             next: str | None = None) -> Response:
    """Ask for the security key, a code from an authenticator app or a recovery code."""
    if _pending(request, lang) is None:
        return RedirectResponse(f"/{lang}/sign-in", status_code=303)
    return await _second_factor_page(request, current, lang, safe_next(lang, next))


@router.post("/sign-in/second-factor")
async def second_factor(request: Request, lang: LangDep) -> Response:
    """Finish signing in with a security key, a TOTP code or a recovery code (throttled
    like passwords)."""
    form = await read_form(request)
    current = await visitor(request)
    tr = language(lang).gettext
    next_path = safe_next(lang, form.get("next"))
    if _pending(request, lang) is None or current.token is None:
        return RedirectResponse(f"/{lang}/sign-in", status_code=303)
    settings: ServerSettings = request.app.state.settings
    credential: dict[str, Any] | None = None
    totp = recovery = None
    if form.get("credential"):
        # What the security key signed (the page's script put it in the form).
        try:
            parsed = json.loads(form["credential"])
        except ValueError:
            parsed = None
        credential = parsed if isinstance(parsed, dict) else {}
    else:
        from dadkhahi.web.i18n import ascii_digits

        code = ascii_digits(form.get("code", "").replace(" ", ""))
        totp = code if code.isdigit() else None
        recovery = None if totp else code
    rp = relying_party(request, settings)
    try:
        await run_in_threadpool(lambda: signin.second_factor(
            request.app.state.store, current.token or "", client_ip(request), totp=totp,
            recovery_code=recovery, webauthn=credential, rp=rp, idle=settings.session_idle))
    except signin.NotWaitingError:
        return RedirectResponse(f"/{lang}/sign-in", status_code=303)
    except signin.ThrottledError as exc:
        response = await _second_factor_page(
            request, current, lang, next_path,
            tr("Too many failed sign-ins. Try again in {seconds} seconds.").format(
                seconds=language(lang).number(exc.retry_after)), 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except signin.SignInFailedError:
        error = (tr("The security key was not accepted.") if credential is not None
                 else tr("That code was not accepted."))
        return await _second_factor_page(request, current, lang, next_path, error, 401)
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
