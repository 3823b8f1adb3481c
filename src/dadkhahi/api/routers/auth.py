"""Signing in and out: a bearer token for scripts, the same token as a cookie for browsers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import sessions
from dadkhahi.access.policy import ROLE_PERMISSIONS
from dadkhahi.access.users import authenticate
from dadkhahi.api.deps import PrincipalDep, SettingsDep, StoreDep, bearer_token, client_ip
from dadkhahi.api.errors import ApiError
from dadkhahi.api.models import LoginIn, LoginOut, Me

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", response_model=LoginOut,
             responses={401: {"description": "Wrong user name or password"}})
async def login(body: LoginIn, request: Request, response: Response, store: StoreDep,
                settings: SettingsDep) -> Any:
    """Check the password (Argon2) and open a session; the token is shown once."""
    principal = await run_in_threadpool(authenticate, store, body.username, body.password)
    if principal is None:
        raise ApiError(401, "wrong user name or password", {"WWW-Authenticate": "Bearer"})
    ip = client_ip(request)
    token = await run_in_threadpool(sessions.open_session, store, principal, ip,
                                    settings.session_ttl)
    expires = datetime.now(UTC) + settings.session_ttl
    response.set_cookie(
        settings.cookie_name, token, max_age=int(settings.session_ttl.total_seconds()),
        httponly=True, secure=settings.cookie_secure, samesite="strict", path="/",
    )
    return {
        "token": token, "token_type": "bearer",
        "expires_at": expires.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "user": {"id": principal.user_id, "username": principal.username,
                 "role": str(principal.role)},
    }


@router.post("/logout", status_code=204, response_class=Response)
def logout(request: Request, store: StoreDep, settings: SettingsDep,
           principal: PrincipalDep) -> Response:
    """End this session (the token stops working at once)."""
    token, _ = bearer_token(request)
    if token is not None:
        sessions.close_session(store, token)
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
