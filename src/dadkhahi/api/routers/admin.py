"""Administration: users, grants of protected data, and the audit trail.

Who may do what is decided in :mod:`dadkhahi.services.admin`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.api.deps import PrincipalDep, StoreDep, VersionDep
from dadkhahi.api.models import GrantIn, SecondFactorRuleIn, UserIn, UserPatch
from dadkhahi.http.requests import etag
from dadkhahi.services import admin

router = APIRouter(prefix="/api", tags=["admin"])
_NF: dict[int | str, dict[str, Any]] = {404: {"description": "No such object"}}


@router.get("/users", response_model=list[dict[str, Any]])
def list_users(store: StoreDep, principal: PrincipalDep) -> Any:
    """Every user (never a password hash)."""
    return admin.list_users(store, principal)


@router.post("/users", status_code=201, response_model=dict[str, Any])
async def add_user(body: UserIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Add a user with a role and a password (hashed with Argon2, sealed in the ledger)."""
    return await run_in_threadpool(admin.add_user, store, principal, body.username, body.role,
                                   body.password)


@router.get("/users/{user_id}", response_model=dict[str, Any], responses=_NF)
def get_user(user_id: str, response: Response, store: StoreDep, principal: PrincipalDep) -> Any:
    """One user."""
    user = admin.get_user(store, principal, user_id)
    response.headers["ETag"] = etag(int(user["ledger_index"]))
    return user


@router.patch("/users/{user_id}", response_model=dict[str, Any],
              responses={**_NF, 412: {"description": "Changed since you read it"}})
def patch_user(user_id: str, body: UserPatch, version: VersionDep, response: Response,
               store: StoreDep, principal: PrincipalDep) -> Any:
    """Change a user's role or disable them (their sessions end at once)."""
    user = admin.change_user(store, principal, user_id, role=body.role, disabled=body.disabled,
                             expected_version=version)
    response.headers["ETag"] = etag(int(user["ledger_index"]))
    return user


@router.get("/grants", response_model=list[dict[str, Any]])
def list_grants(store: StoreDep, principal: PrincipalDep,
                user: Annotated[str | None, Query(max_length=64)] = None) -> Any:
    """Who holds access to which protected source or entity."""
    return admin.list_grants(store, principal, user)


@router.post("/grants", status_code=201, response_model=dict[str, Any], responses=_NF)
def add_grant(body: GrantIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Grant a user access to a protected source (with its items, records, claims)."""
    return admin.add_grant(store, principal, body.scope_id, body.user)


@router.delete("/grants/{scope_id}/{user}", status_code=204, response_class=Response,
               responses={**_NF, 412: {"description": "Changed since you read it"}})
def revoke_grant(scope_id: str, user: str, version: VersionDep, store: StoreDep,
                 principal: PrincipalDep) -> Response:
    """Withdraw a grant (send If-Match with the grant's version)."""
    admin.revoke_grant(store, principal, scope_id, user, version)
    return Response(status_code=204)


@router.put("/settings/second-factor", response_model=dict[str, Any])
def require_second_factor(body: SecondFactorRuleIn, store: StoreDep,
                          principal: PrincipalDep) -> Any:
    """Require a second factor of no one, of every account holding a grant on protected
    material (``protected``), or of everyone; sessions opened without one end at once."""
    return admin.set_second_factor_rule(store, principal, body.require)


@router.get("/audit/sign-ins", response_model=list[dict[str, Any]])
def failed_sign_ins(
    store: StoreDep, principal: PrincipalDep,
    since: Annotated[str | None, Query(max_length=40, description="ISO date or time")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Any:
    """Failed sign-ins: which account (its ID, when it exists), why, when."""
    return admin.failed_sign_ins(store, principal, since=since, limit=limit)


@router.get("/audit", response_model=list[dict[str, Any]])
def audit(
    store: StoreDep, principal: PrincipalDep,
    user: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[str | None, Query(max_length=40, description="ISO date or time")] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Any:
    """Every audited read of protected data: who, what, when, from where."""
    return admin.audit_trail(store, principal, user=user, since=since, object_id=object_id,
                             limit=limit)
