"""Administration: users, grants of protected data, and the audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import factors, grants, users
from dadkhahi.access.audit import query_audit, query_failed_sign_ins
from dadkhahi.access.policy import Permission, Principal, require
from dadkhahi.api.deps import PrincipalDep, StoreDep, VersionDep, etag
from dadkhahi.api.models import GrantIn, SecondFactorRuleIn, UserIn, UserPatch
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.versions import check_version

router = APIRouter(prefix="/api", tags=["admin"])
_NF: dict[int | str, dict[str, Any]] = {404: {"description": "No such object"}}


@router.get("/users", response_model=list[dict[str, Any]])
def list_users(store: StoreDep, principal: PrincipalDep) -> Any:
    """Every user (never a password hash)."""
    require(principal, Permission.MANAGE_USERS)
    with store.reading() as conn:
        return users.list_users(conn)


@router.post("/users", status_code=201, response_model=dict[str, Any])
async def add_user(body: UserIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Add a user with a role and a password (hashed with Argon2, sealed in the ledger)."""
    require(principal, Permission.MANAGE_USERS)
    user_id = await run_in_threadpool(users.add_user, store, body.username, body.role,
                                      body.password, principal.name)
    with store.reading() as conn:
        return users.get_user(conn, user_id)


@router.get("/users/{user_id}", response_model=dict[str, Any], responses=_NF)
def get_user(user_id: str, response: Response, store: StoreDep, principal: PrincipalDep) -> Any:
    """One user."""
    require(principal, Permission.MANAGE_USERS)
    with store.reading() as conn:
        user = users.get_user(conn, user_id)
    response.headers["ETag"] = etag(int(user["ledger_index"]))
    return user


def _patch_user(store: Store, principal: Principal, user_id: str, body: UserPatch,
                version: int) -> dict[str, Any]:
    with store.reading() as conn:
        user = users.get_user(conn, user_id)
        check_version(conn, s.users, user["id"], version)
    if body.role is not None:
        version = users.set_role(store, user["id"], body.role, principal.name, version)
    if body.disabled is not None:
        version = users.set_disabled(store, user["id"], body.disabled, principal.name, version)
    with store.reading() as conn:
        return users.get_user(conn, user["id"])


@router.patch("/users/{user_id}", response_model=dict[str, Any],
              responses={**_NF, 412: {"description": "Changed since you read it"}})
def patch_user(user_id: str, body: UserPatch, version: VersionDep, response: Response,
               store: StoreDep, principal: PrincipalDep) -> Any:
    """Change a user's role or disable them (their sessions end at once)."""
    require(principal, Permission.MANAGE_USERS)
    user = _patch_user(store, principal, user_id, body, version)
    response.headers["ETag"] = etag(int(user["ledger_index"]))
    return user


@router.get("/grants", response_model=list[dict[str, Any]])
def list_grants(store: StoreDep, principal: PrincipalDep,
                user: Annotated[str | None, Query(max_length=64)] = None) -> Any:
    """Who holds access to which protected source or entity."""
    require(principal, Permission.GRANT)
    with store.reading() as conn:
        return grants.list_grants(conn, user)


@router.post("/grants", status_code=201, response_model=dict[str, Any], responses=_NF)
def add_grant(body: GrantIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Grant a user access to a protected source (with its items, records, claims)."""
    require(principal, Permission.GRANT)
    index = grants.grant(store, body.scope_id, body.user, principal.name)
    return {"scope_id": body.scope_id, "user": body.user, "event": index}


@router.delete("/grants/{scope_id}/{user}", status_code=204, response_class=Response,
               responses={**_NF, 412: {"description": "Changed since you read it"}})
def revoke_grant(scope_id: str, user: str, version: VersionDep, store: StoreDep,
                 principal: PrincipalDep) -> Response:
    """Withdraw a grant (send If-Match with the grant's version)."""
    require(principal, Permission.GRANT)
    grants.revoke(store, scope_id, user, principal.name, version)
    return Response(status_code=204)


@router.put("/settings/second-factor", response_model=dict[str, Any])
def require_second_factor(body: SecondFactorRuleIn, store: StoreDep,
                          principal: PrincipalDep) -> Any:
    """Require a second factor of no one, of every account holding a grant on protected
    material (``protected``), or of everyone; sessions opened without one end at once."""
    require(principal, Permission.MANAGE_USERS)
    index = factors.set_requirement(store, body.require, principal.name)
    return {"require": body.require, "event": index}


@router.get("/audit/sign-ins", response_model=list[dict[str, Any]])
def failed_sign_ins(
    store: StoreDep, principal: PrincipalDep,
    since: Annotated[str | None, Query(max_length=40, description="ISO date or time")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Any:
    """Failed sign-ins: which account (its ID, when it exists), why, when."""
    require(principal, Permission.AUDIT)
    with store.reading() as conn:
        return query_failed_sign_ins(conn, since=since, limit=limit)


@router.get("/audit", response_model=list[dict[str, Any]])
def audit(
    store: StoreDep, principal: PrincipalDep,
    user: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[str | None, Query(max_length=40, description="ISO date or time")] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Any:
    """Every audited read of protected data: who, what, when, from where."""
    require(principal, Permission.AUDIT)
    with store.reading() as conn:
        return query_audit(conn, user=user, since=since, object_id=object_id, limit=limit)
