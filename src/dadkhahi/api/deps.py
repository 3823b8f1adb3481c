"""Request-scoped dependencies: the store, who is asking, and version preconditions."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Header, Request
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import sessions
from dadkhahi.access.policy import Principal
from dadkhahi.api.errors import ApiError
from dadkhahi.api.settings import ApiSettings
from dadkhahi.domain.errors import UserError
from dadkhahi.http.requests import client_ip, run_read
from dadkhahi.store.store import Store

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")


# The dependencies are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency
# in a worker thread, and a thread hop per dependency per request costs more than the
# work itself (resolving a session is one indexed lookup).


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def bearer_token(request: Request) -> tuple[str | None, bool]:
    """(token, came from the cookie)."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "use Authorization: Bearer TOKEN",
                           {"WWW-Authenticate": "Bearer"})
        return token.strip(), False
    settings: ApiSettings = request.app.state.settings
    cookie = request.cookies.get(settings.cookie_name)
    return (cookie, True) if cookie else (None, False)


def _lookup(store: Store, token: str, ip: str | None,
            idle: Any) -> sessions.Resolved | None:
    with store.reading(one_statement=True, by_key=True) as conn:
        return sessions.lookup(conn, token, ip, idle)


async def _accepted(request: Request, store: Store, token: str, from_cookie: bool,
                    found: sessions.Resolved | None) -> sessions.Resolved:
    """The session a token named, once checked: 401 if it ended or never was."""
    if found is None:
        raise ApiError(401, "the session is invalid or has expired; sign in again",
                       {"WWW-Authenticate": "Bearer"})
    # A cookie rides along on cross-site requests; a custom header cannot be
    # added cross-site without CORS, which this server never allows.
    if from_cookie and request.method not in _SAFE_METHODS and \
            "x-requested-with" not in request.headers:
        raise ApiError(403, "cookie-authenticated changes need an X-Requested-With header")
    if found.stale:
        await run_in_threadpool(sessions.touch_due, store, token)
    return found


async def _session(request: Request, store: Store) -> tuple[str, sessions.Resolved] | None:
    """(token, live session) of the request, None without a token; 401 for a bad one."""
    token, from_cookie = bearer_token(request)
    if token is None:
        return None
    settings: ApiSettings = request.app.state.settings
    found = await run_read(store, _lookup, store, token, client_ip(request),
                           settings.session_idle)
    return token, await _accepted(request, store, token, from_cookie, found)


def _acting(request: Request, found: sessions.Resolved | None) -> Principal:
    """Who is asking, from the request's checked session (None: no token): a session
    that still owes a second factor (or its enrolment) may do nothing else."""
    if found is None:
        principal = Principal(ip=client_ip(request))
    elif found.stage == sessions.SECOND_FACTOR:
        raise ApiError(401, "finish signing in: POST /api/auth/second-factor",
                       {"WWW-Authenticate": "Bearer"})
    elif found.stage == sessions.ENROL:
        raise ApiError(403, "your account must enrol a second factor first "
                            "(/api/auth/factors)")
    else:
        principal = found.principal
    request.state.principal = principal
    return principal


async def get_principal(
    request: Request, store: Annotated[Store, Depends(get_store)]
) -> Principal:
    """Who is asking: anonymous without a token, 401 for a bad or expired one, and a
    session that still owes a second factor (or its enrolment) may do nothing else."""
    found = await _session(request, store)
    return _acting(request, None if found is None else found[1])


async def read_as_asker(
    request: Request, store: Store, by_key: bool,
    opening: Callable[[], AbstractContextManager[Connection]],
    read: Callable[[Connection, Principal], T],
) -> tuple[Principal, T]:
    """Look up who is asking and read for them on one connection, in one go: (who, what
    ``read`` returned). The routes that only read take no :data:`PrincipalDep`, whose
    lookup is a hop to a worker thread and a pooled connection of its own (on
    PostgreSQL): the session is looked up here, first, on the connection ``opening``
    opens for the read (as ``reads.page_reading`` does), and the read runs after it only
    for a live session at its full stage (or for nobody, without a token). Answers as
    :func:`get_principal` would for any other session, before anything is read.
    ``by_key``: run as :func:`~dadkhahi.http.requests.run_read` runs a read by key, else
    in a worker thread (a search or count may scan)."""
    token, from_cookie = bearer_token(request)
    ip = client_ip(request)
    settings: ApiSettings = request.app.state.settings

    def work() -> tuple[sessions.Resolved | None, T | None, UserError | None]:
        with opening() as conn:
            found = None if token is None else sessions.lookup(
                conn, token, ip, settings.session_idle)
            if token is not None and (found is None or found.stage != sessions.FULL):
                return found, None, None  # refused below: nothing read
            who = Principal(ip=ip) if found is None else found.principal
            try:
                return found, read(conn, who), None
            except UserError as exc:  # answered once the session has been checked
                return found, None, exc

    found, result, error = await (run_read(store, work) if by_key
                                  else run_in_threadpool(work))
    if token is not None:
        found = await _accepted(request, store, token, from_cookie, found)
    principal = _acting(request, found)
    if error is not None:
        raise error
    return principal, cast(T, result)


@dataclass(frozen=True)
class SessionInfo:
    """The request's session at any stage (for the routes that finish a sign-in)."""

    token: str
    principal: Principal
    stage: str


async def get_optional_session(
    request: Request, store: Annotated[Store, Depends(get_store)]
) -> SessionInfo | None:
    """The request's session whatever its stage; None without a token."""
    found = await _session(request, store)
    if found is None:
        return None
    request.state.principal = found[1].principal
    return SessionInfo(found[0], found[1].principal, found[1].stage)


async def get_session(
    found: Annotated[SessionInfo | None, Depends(get_optional_session)],
) -> SessionInfo:
    """The request's session whatever its stage; 401 without one."""
    if found is None:
        raise ApiError(401, "sign in first", {"WWW-Authenticate": "Bearer"})
    return found


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(description="The object's ETag (its version) as last read; required"),
    ] = None,
) -> int:
    """The version named by If-Match: 428 without it, 412 if it is not a version."""
    if if_match is None:
        raise ApiError(428, "send If-Match with the object's ETag to change it")
    value = if_match.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        raise ApiError(412, "If-Match does not name a version of this object")
    return int(value)


StoreDep = Annotated[Store, Depends(get_store)]
SessionDep = Annotated[SessionInfo, Depends(get_session)]
OptionalSessionDep = Annotated[SessionInfo | None, Depends(get_optional_session)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
VersionDep = Annotated[int, Depends(expected_version)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
