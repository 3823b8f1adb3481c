"""Who is looking at a page: cookie sessions for pages, CSRF tokens on every form.

Pages sign in through the one sign-in service (:mod:`dadkhahi.access.signin`:
throttle, password, second factor, session) and keep the session token in a
cookie of their own, ``HttpOnly``, ``SameSite=Strict`` and ``Secure`` whenever
the browser reaches the server over TLS (always off loopback). The API never
reads this cookie: ``/api/*`` keeps its bearer tokens, so a page's cookie cannot
drive the API from another site.

Every form carries a CSRF token: an HMAC, under a key derived from the master
key, of the session's stored digest (or, before signing in, of a random
``HttpOnly`` form cookie). A POST without the right token changes nothing and
gets a 403 page. ``SameSite=Strict`` alone would stop most cross-site posts;
the token also stops a same-site page (another app on the same host name)
and old browsers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from dadkhahi.access import sessions
from dadkhahi.access.policy import Principal
from dadkhahi.domain.errors import UserError
from dadkhahi.http.requests import client_ip, run_read
from dadkhahi.http.settings import ServerSettings, is_loopback
from dadkhahi.store.store import Store

#: Session cookie of the pages (``__Host-`` when Secure: no other host or path may set it).
PAGE_COOKIE = "dadkhahi_page"
SECURE_PAGE_COOKIE = "__Host-dadkhahi_page"
#: Random value that binds the sign-in form's CSRF token to this browser.
FORM_COOKIE = "dadkhahi_form"
SECURE_FORM_COOKIE = "__Host-dadkhahi_form"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
#: Fields of a urlencoded page form, and bytes per field: a page form is small.
MAX_FIELDS = 200
MAX_FIELD_BYTES = 64 * 1024


class CsrfError(UserError):
    """A form came without this browser's CSRF token (HTTP 403; nothing was changed)."""


@dataclass(frozen=True)
class Visitor:
    """The person behind a page request: principal, page session and form token."""

    principal: Principal
    token: str | None
    stage: str | None
    csrf: str
    #: A new form cookie to set with this answer (first visit before signing in).
    new_form_cookie: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.principal.signed_in


def secure_cookies(request: Request) -> bool:
    """Whether this browser reaches us over TLS (then cookies are ``Secure``).

    Plain HTTP is only ever served on loopback (``dadkhahi serve`` refuses it
    elsewhere unless a TLS proxy is in front, which ``hsts`` then names).
    """
    settings: ServerSettings = request.app.state.settings
    if request.url.scheme == "https" or settings.hsts:
        return True
    host = request.url.hostname or ""
    return settings.cookie_secure and not is_loopback(host)


def cookie_names(request: Request) -> tuple[str, str]:
    """(session cookie, form cookie) names for this request's scheme."""
    if secure_cookies(request):
        return SECURE_PAGE_COOKIE, SECURE_FORM_COOKIE
    return PAGE_COOKIE, FORM_COOKIE


def csrf_key(store: Store) -> bytes:
    """The key of the pages' CSRF tokens (derived once per app from the master key)."""
    return store.keys.subkey("page forms")


def _token_for(request: Request, binding: str) -> str:
    key: bytes = request.app.state.csrf_key
    return hmac.new(key, binding.encode(), hashlib.sha256).hexdigest()


def _lookup(store: Store, token: str, ip: str | None,
            settings: ServerSettings) -> sessions.Resolved | None:
    with store.reading(one_statement=True, by_key=True) as conn:
        return sessions.lookup(conn, token, ip, settings.session_idle)


async def visitor(request: Request) -> Visitor:
    """The visitor of this request (anonymous without a live page session)."""
    cached: Visitor | None = getattr(request.state, "visitor", None)
    if cached is not None:
        return cached
    store: Store = request.app.state.store
    settings: ServerSettings = request.app.state.settings
    session_name, form_name = cookie_names(request)
    token = request.cookies.get(session_name)
    ip = client_ip(request)
    found = None
    if token:
        found = await run_read(store, _lookup, store, token, ip, settings)
    if found is not None and token is not None:
        if found.stale:
            await run_in_threadpool(sessions.touch_due, store, token)
        principal = found.principal if found.stage == sessions.FULL else Principal(ip=ip)
        result = Visitor(principal, token, found.stage,
                         _token_for(request, "session:" + sessions.digest(token)))
    else:
        form_value = request.cookies.get(form_name)
        new_cookie = None
        if not form_value or len(form_value) > 100:
            form_value = new_cookie = secrets.token_urlsafe(24)
        result = Visitor(Principal(ip=ip), None, None,
                         _token_for(request, "form:" + form_value), new_cookie)
    request.state.visitor = result
    request.state.principal = result.principal
    return result


def check_csrf(request: Request, current: Visitor, sent: str | None) -> None:
    """Refuse (403) a change whose form or htmx header lacks the visitor's token."""
    sent = sent or request.headers.get(CSRF_HEADER)
    if not sent or not hmac.compare_digest(sent.encode(), current.csrf.encode()):
        raise CsrfError("this form has expired or did not come from this site; "
                        "reload the page and try again")


async def _checked_form(request: Request) -> FormData:
    current = await visitor(request)
    form: FormData = await request.form(max_files=0, max_fields=MAX_FIELDS,
                                        max_part_size=MAX_FIELD_BYTES)
    token = form.get(CSRF_FIELD)
    check_csrf(request, current, token if isinstance(token, str) else None)
    return form


async def read_form(request: Request) -> dict[str, str]:
    """A urlencoded page form, its CSRF token checked first; values stripped."""
    form = await _checked_form(request)
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}


async def read_form_lists(request: Request, names: tuple[str, ...]
                          ) -> tuple[dict[str, str], dict[str, list[str]]]:
    """:func:`read_form`, and every value of the fields ``names`` (a multiple choice,
    whose field is sent once for each value chosen), stripped, empty ones left out."""
    form = await _checked_form(request)
    single = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}
    return single, {n: [v.strip() for v in form.getlist(n) if isinstance(v, str) and v.strip()]
                    for n in names}


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """Hand the browser its page session (HttpOnly, SameSite=Strict, Secure over TLS)."""
    settings: ServerSettings = request.app.state.settings
    name, _ = cookie_names(request)
    response.set_cookie(name, token, max_age=int(settings.session_ttl.total_seconds()),
                        httponly=True, secure=secure_cookies(request), samesite="strict",
                        path="/")


def clear_session_cookie(request: Request, response: Response) -> None:
    name, _ = cookie_names(request)
    response.delete_cookie(name, path="/", secure=secure_cookies(request), httponly=True,
                           samesite="strict")


def set_form_cookie(request: Request, response: Response, value: str) -> None:
    """The random value the sign-in form's token is bound to (a browser session cookie)."""
    _, name = cookie_names(request)
    response.set_cookie(name, value, httponly=True, secure=secure_cookies(request),
                        samesite="strict", path="/")


def apply_cookies(request: Request, response: Response) -> Response:
    """Set the form cookie this request's visitor needs, if any."""
    current: Any = getattr(request.state, "visitor", None)
    if current is not None and current.new_form_cookie:
        set_form_cookie(request, response, current.new_form_cookie)
    return response
