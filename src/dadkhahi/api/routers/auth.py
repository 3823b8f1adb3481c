"""Signing in and out, second factors, one's own password and sessions.

A bearer token for scripts, the same token as a cookie for browsers. Sign-in is
throttled (429 with Retry-After) and every password hash runs in a bounded pool
(429 when full): :mod:`dadkhahi.access.signin`, :mod:`dadkhahi.access.passwords`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import factors, sessions, signin
from dadkhahi.access.policy import ROLE_PERMISSIONS
from dadkhahi.api.deps import (
    OptionalSessionDep,
    PrincipalDep,
    SessionDep,
    SessionInfo,
    SettingsDep,
    StoreDep,
)
from dadkhahi.api.errors import ApiError
from dadkhahi.api.models import (
    EndedOut,
    FactorOut,
    LoginIn,
    LoginOut,
    Me,
    PasswordChangeIn,
    RecoveryCodesOut,
    SecondFactorIn,
    SessionOut,
    StageOut,
    TotpIn,
    TotpSecretOut,
    WebAuthnIn,
)
from dadkhahi.http.requests import client_ip, relying_party
from dadkhahi.store.store import Store

router = APIRouter(prefix="/api/auth", tags=["auth"])

_THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many failed sign-ins, or too many at once: wait Retry-After "
                         "seconds"}}


@router.post("/login", response_model=LoginOut,
             responses={401: {"description": "Wrong user name or password"}, **_THROTTLED})
async def login(body: LoginIn, request: Request, response: Response, store: StoreDep,
                settings: SettingsDep) -> Any:
    """Check the password (Argon2) and open a session; the token is shown once.

    When the account has a second factor, the session's ``stage`` is
    ``second_factor`` and ``methods`` lists what it can give (with WebAuthn options
    when a security key is enrolled); finish with ``POST /api/auth/second-factor``.
    """
    ip = client_ip(request)
    opened = await run_in_threadpool(signin.sign_in, store, body.username, body.password, ip,
                                     settings.session_ttl, settings.session_idle)
    webauthn = None
    if factors.WEBAUTHN in opened.methods:
        webauthn = await run_in_threadpool(signin.key_options, store, opened.token, ip,
                                           relying_party(request, settings),
                                           settings.session_idle)
    expires = datetime.now(UTC) + settings.session_ttl
    response.set_cookie(
        settings.cookie_name, opened.token, max_age=int(settings.session_ttl.total_seconds()),
        httponly=True, secure=settings.cookie_secure, samesite="strict", path="/",
    )
    principal = opened.principal
    return {
        "token": opened.token, "token_type": "bearer",
        "expires_at": expires.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "user": {"id": principal.user_id, "username": principal.username,
                 "role": str(principal.role)},
        "stage": opened.stage, "methods": opened.methods, "webauthn": webauthn,
    }


@router.post("/second-factor", response_model=StageOut,
             responses={401: {"description": "The factor was not accepted"},
                        409: {"description": "This session is not waiting for a factor"},
                        **_THROTTLED})
async def second_factor(body: SecondFactorIn, request: Request, store: StoreDep,
                        settings: SettingsDep, session: SessionDep) -> Any:
    """Finish signing in with a security key, a TOTP code or a recovery code."""
    kind = await run_in_threadpool(
        lambda: signin.second_factor(
            store, session.token, client_ip(request), totp=body.totp,
            recovery_code=body.recovery_code, webauthn=body.webauthn,
            rp=relying_party(request, settings), idle=settings.session_idle))
    return {"stage": sessions.FULL, "factor": kind}


@router.post("/second-factor/options", response_model=dict[str, Any],
             responses={404: {"description": "No security key of yours"},
                        409: {"description": "This session is not waiting for a factor"}})
async def second_factor_options(request: Request, store: StoreDep, settings: SettingsDep,
                                session: SessionDep) -> Any:
    """Options for ``navigator.credentials.get`` with a fresh challenge (the one given
    at login expires after a few minutes, and a new one replaces it), exactly as the
    sign-in page asks for them; answer with ``POST /api/auth/second-factor``."""
    options = await run_in_threadpool(signin.key_options, store, session.token,
                                      client_ip(request), relying_party(request, settings),
                                      settings.session_idle)
    if options is None:
        raise ApiError(404, "no security key of yours: give a code instead")
    return options


@router.post("/logout", status_code=204, response_class=Response)
def logout(store: StoreDep, settings: SettingsDep,
           session: OptionalSessionDep) -> Response:
    """End this session (the token stops working at once)."""
    if session is not None:
        sessions.close_session(store, session.token)
    response = Response(status_code=204)
    response.delete_cookie(settings.cookie_name, path="/", secure=settings.cookie_secure,
                           httponly=True, samesite="strict")
    return response


@router.get("/me", response_model=Me)
def me(principal: PrincipalDep) -> Any:
    """Who you are signed in as (or not) and what your role may do."""
    perms = sorted(ROLE_PERMISSIONS[principal.role]) if principal.role else []
    return {"signed_in": principal.signed_in, "user_id": principal.user_id,
            "username": principal.username,
            "role": str(principal.role) if principal.role else None,
            "permissions": [str(p) for p in perms]}


@router.post("/password", status_code=204, response_class=Response,
             responses={401: {"description": "The current password is wrong"}, **_THROTTLED})
async def change_password(body: PasswordChangeIn, store: StoreDep,
                          principal: PrincipalDep) -> Response:
    """Change your own password (the current one first). Your other sessions end."""
    if not principal.signed_in:
        raise ApiError(401, "sign in first", {"WWW-Authenticate": "Bearer"})
    await run_in_threadpool(signin.change_own_password, store, principal,
                            body.current_password, body.new_password)
    return Response(status_code=204)


# --- one's own sessions ---------------------------------------------------------------

@router.get("/sessions", response_model=list[SessionOut])
def list_sessions(store: StoreDep, settings: SettingsDep, principal: PrincipalDep) -> Any:
    """Your live sessions (``current`` is this one)."""
    if principal.user_id is None:
        raise ApiError(401, "sign in first", {"WWW-Authenticate": "Bearer"})
    with store.reading() as conn:
        return sessions.list_sessions(conn, principal.user_id, principal.session_id,
                                      settings.session_idle)


@router.delete("/sessions/{session_id}", status_code=204, response_class=Response,
               responses={404: {"description": "No such session of yours"}})
def end_session(session_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    """End one of your sessions (for example on a lost laptop)."""
    if principal.user_id is None:
        raise ApiError(401, "sign in first", {"WWW-Authenticate": "Bearer"})
    if not sessions.end_sessions(store, principal.user_id, session_id=session_id):
        raise ApiError(404, "no such session of yours")
    return Response(status_code=204)


@router.post("/sessions/end-others", response_model=EndedOut)
def end_other_sessions(store: StoreDep, principal: PrincipalDep) -> Any:
    """End every session of yours but this one."""
    if principal.user_id is None:
        raise ApiError(401, "sign in first", {"WWW-Authenticate": "Bearer"})
    return {"ended": sessions.end_sessions(store, principal.user_id,
                                           keep=principal.session_id)}


# --- second factors -------------------------------------------------------------------

def _enrolling(session: SessionInfo) -> SessionInfo:
    """A full session, or one that must enrol a second factor, may manage factors."""
    if session.stage == sessions.SECOND_FACTOR:
        raise ApiError(401, "finish signing in: POST /api/auth/second-factor",
                       {"WWW-Authenticate": "Bearer"})
    return session


def _enrolled(store: Store, session: SessionInfo) -> None:
    # An account made to enrol has now proved the new factor: its session may act.
    if session.stage == sessions.ENROL:
        sessions.promote(store, session.token, session.principal, second_factor=True)


@router.get("/factors", response_model=list[FactorOut])
def list_factors(store: StoreDep, session: SessionDep) -> Any:
    """Your second factors (never their secrets)."""
    info = _enrolling(session)
    with store.reading() as conn:
        return factors.list_factors(conn, str(info.principal.user_id))


@router.delete("/factors/{factor_id}", status_code=204, response_class=Response,
               responses={404: {"description": "No such factor of yours"}})
def remove_factor(factor_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    """Remove one of your second factors (its secret is destroyed)."""
    if principal.user_id is None:
        raise ApiError(401, "sign in first", {"WWW-Authenticate": "Bearer"})
    factors.remove_factor(store, principal, factor_id)
    return Response(status_code=204)


@router.post("/factors/totp/new", response_model=TotpSecretOut)
def new_totp(session: SessionDep) -> Any:
    """A fresh TOTP secret to put in an authenticator app (nothing is stored yet)."""
    info = _enrolling(session)
    secret = factors.new_totp_secret()
    return {"secret": secret, "uri": factors.totp_uri(secret, str(info.principal.username),
                                                      "Dadkhahi")}


@router.post("/factors/totp", status_code=201, response_model=FactorOut)
def add_totp(body: TotpIn, store: StoreDep, session: SessionDep) -> Any:
    """Enrol a TOTP secret, with a current code from the app as proof."""
    info = _enrolling(session)
    factor_id = factors.add_totp(store, info.principal, body.secret, body.code)
    _enrolled(store, info)
    with store.reading() as conn:
        return next(f for f in factors.list_factors(conn, str(info.principal.user_id))
                    if f["id"] == factor_id)


@router.post("/factors/webauthn/options", response_model=dict[str, Any])
def webauthn_options(request: Request, store: StoreDep, settings: SettingsDep,
                     session: SessionDep) -> Any:
    """Options for ``navigator.credentials.create`` (the challenge is kept with this
    session); send the new credential to ``POST /api/auth/factors/webauthn``."""
    info = _enrolling(session)
    options, challenge = factors.registration_options(store, info.principal,
                                                      relying_party(request, settings))
    sessions.set_challenge(store, info.token, challenge)
    return options


@router.post("/factors/webauthn", status_code=201, response_model=FactorOut,
             responses={409: {"description": "No challenge: ask for options first"}})
def add_webauthn(body: WebAuthnIn, request: Request, store: StoreDep, settings: SettingsDep,
                 session: SessionDep) -> Any:
    """Enrol a security key from its attestation (checked against the challenge given
    to this session and this site's origin)."""
    info = _enrolling(session)
    with store.reading() as conn:
        challenge = sessions.challenge_of(conn, info.token)
    if challenge is None:
        raise ApiError(409, "ask for options first: POST /api/auth/factors/webauthn/options")
    sessions.set_challenge(store, info.token, None)  # a challenge is good for one answer
    factor_id = factors.add_webauthn(store, info.principal, body.credential, challenge,
                                     relying_party(request, settings))
    _enrolled(store, info)
    with store.reading() as conn:
        return next(f for f in factors.list_factors(conn, str(info.principal.user_id))
                    if f["id"] == factor_id)


@router.post("/factors/recovery-codes", status_code=201, response_model=RecoveryCodesOut)
def recovery_codes(store: StoreDep, principal: PrincipalDep) -> Any:
    """A new set of recovery codes (the old set stops working); shown once."""
    if principal.user_id is None:
        raise ApiError(401, "sign in first", {"WWW-Authenticate": "Bearer"})
    return {"codes": factors.new_recovery_codes(store, principal)}
