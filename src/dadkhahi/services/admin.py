"""Administration on a user's behalf: users, grants, the second-factor rule, the audit trail.

Each function checks its permission first (``manage_users``, ``grant`` or ``audit``):
these are not objects with a sensitivity, so there is nothing to hide before the check.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from dadkhahi.access import factors, grants, users
from dadkhahi.access.audit import query_audit, query_failed_sign_ins
from dadkhahi.access.policy import Permission, Principal, Role, require
from dadkhahi.access.reads import keyset_page
from dadkhahi.domain.errors import ValidationError
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.versions import check_version


def list_users(store: Store, principal: Principal) -> list[dict[str, Any]]:
    """Every user (never a password hash)."""
    require(principal, Permission.MANAGE_USERS)
    with store.reading() as conn:
        return users.list_users(conn)


#: What the list of users may be sorted by (``-`` first: descending).
USER_SORTS = ("username", "-username", "-created_at", "created_at")


def users_page(
    store: Store, principal: Principal, *, role: Role | None = None,
    disabled: bool | None = None, sort: str = "username", cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None, int]:
    """One page of the users (of one ``role``, enabled or ``disabled``, when given), in
    ``sort`` order (one of :data:`USER_SORTS`, the ID breaking ties), paged in SQL; the
    next page's cursor; how many match."""
    require(principal, Permission.MANAGE_USERS)
    if sort not in USER_SORTS:
        raise ValidationError(f"sort by one of {', '.join(USER_SORTS)}")
    u = s.users.c
    stmt = select(s.users)
    if role is not None:
        stmt = stmt.where(u.role == str(role))
    if disabled is not None:
        stmt = stmt.where(u.disabled == int(disabled))
    with store.reading() as conn:
        rows, next_cursor = keyset_page(store, conn, stmt, u[sort.lstrip("-")], u.id,
                                        descending=sort.startswith("-"), cursor=cursor,
                                        limit=limit)
        total = int(conn.execute(select(func.count()).select_from(stmt.subquery()))
                    .scalar_one())
    return [users.public(r) for r in rows], next_cursor, total


def add_user(
    store: Store, principal: Principal, username: str, role: Role, password: str
) -> dict[str, Any]:
    """Add a user with a role and a password (slow: Argon2; run it off the event loop)."""
    require(principal, Permission.MANAGE_USERS)
    user_id = users.add_user(store, username, role, password, principal.name)
    with store.reading() as conn:
        return users.get_user(conn, user_id)


def get_user(store: Store, principal: Principal, user_id: str) -> dict[str, Any]:
    """One user by ID or name."""
    require(principal, Permission.MANAGE_USERS)
    with store.reading() as conn:
        return users.get_user(conn, user_id)


def change_user(
    store: Store, principal: Principal, user_id: str, *, role: Role | None,
    disabled: bool | None, expected_version: int,
) -> dict[str, Any]:
    """Change a user's role or disable them (their sessions end at once); If-Match."""
    require(principal, Permission.MANAGE_USERS)
    version = expected_version
    with store.reading() as conn:
        user = users.get_user(conn, user_id)
        check_version(conn, s.users, user["id"], version)
    if role is not None:
        version = users.set_role(store, user["id"], role, principal.name, version)
    if disabled is not None:
        version = users.set_disabled(store, user["id"], disabled, principal.name, version)
    with store.reading() as conn:
        return users.get_user(conn, user["id"])


def list_grants(store: Store, principal: Principal, user: str | None) -> list[dict[str, Any]]:
    """Who holds access to which protected source or entity."""
    require(principal, Permission.GRANT)
    with store.reading() as conn:
        return grants.list_grants(conn, user)


def add_grant(store: Store, principal: Principal, scope_id: str, user: str) -> dict[str, Any]:
    """Grant a user access to a protected source (with its items, records, claims)."""
    require(principal, Permission.GRANT)
    index = grants.grant(store, scope_id, user, principal.name)
    return {"scope_id": scope_id, "user": user, "event": index}


def revoke_grant(
    store: Store, principal: Principal, scope_id: str, user: str, expected_version: int
) -> None:
    """Withdraw a grant at ``expected_version``."""
    require(principal, Permission.GRANT)
    grants.revoke(store, scope_id, user, principal.name, expected_version)


def set_second_factor_rule(store: Store, principal: Principal, rule: str) -> dict[str, Any]:
    """Who must use a second factor: ``none``, ``protected`` (grant holders) or ``all``."""
    require(principal, Permission.MANAGE_USERS)
    index = factors.set_requirement(store, rule, principal.name)
    return {"require": rule, "event": index}


def failed_sign_ins(
    store: Store, principal: Principal, *, since: str | None, limit: int
) -> list[dict[str, Any]]:
    """Failed sign-ins: which account (its ID, when it exists), why, when."""
    require(principal, Permission.AUDIT)
    with store.reading() as conn:
        return query_failed_sign_ins(conn, since=since, limit=limit)


def audit_trail(
    store: Store, principal: Principal, *, user: str | None, since: str | None,
    object_id: str | None, limit: int, newest_first: bool = False,
) -> list[dict[str, Any]]:
    """Every audited read of protected data: who, what, when, from where."""
    require(principal, Permission.AUDIT)
    with store.reading() as conn:
        return query_audit(conn, user=user, since=since, object_id=object_id, limit=limit,
                           newest_first=newest_first)
