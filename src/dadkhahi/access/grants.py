"""Grants of protected sources (or protected entities) to named users, as ledger events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.access.factors import end_sessions_without_factor
from dadkhahi.access.users import find_user
from dadkhahi.domain.errors import NotFoundError
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, Transaction, utc_now
from dadkhahi.store.versions import check_version

#: Tables whose IDs can be granted (a case: its team, issue 16).
GRANTABLE = (s.sources, s.persons, s.organizations, s.places, s.acts, s.cases)


def _scope_exists(conn: Connection, scope_id: str) -> bool:
    return any(
        conn.execute(select(t.c.id).where(t.c.id == scope_id)).first() is not None
        for t in GRANTABLE
    )


def grant_in(tx: Transaction, scope_id: str, user_id: str) -> int | None:
    """Grant inside an open transaction; None if the grant already exists."""
    g = s.access_grants.c
    held = tx.conn.execute(
        select(g.ledger_index).where(g.scope_id == scope_id, g.user_id == user_id)
    ).first()
    if held is not None:
        return None
    index = tx.emit("access.granted",
                    {"scope_id": scope_id, "user_id": user_id, "granted_at": utc_now()})
    # Where holders of protected material need a second factor, a session this user
    # opened without one ends now.
    tx.flush()
    end_sessions_without_factor(tx.conn, [user_id])
    return index


def grant(store: Store, scope_id: str, user_ref: str, actor: str) -> int | None:
    """Let a user see a protected source (and what hangs on it) or entity."""
    with store.transaction(actor) as tx:
        user = find_user(tx.conn, user_ref)
        if user is None:
            raise NotFoundError(f"no user {user_ref!r}")
        if not _scope_exists(tx.conn, scope_id):
            raise NotFoundError(f"nothing with ID {scope_id!r} to grant")
        return grant_in(tx, scope_id, str(user["id"]))


def revoke(
    store: Store, scope_id: str, user_ref: str, actor: str, expected_version: int | None = None
) -> int:
    """Withdraw a grant."""
    with store.transaction(actor) as tx:
        user = find_user(tx.conn, user_ref)
        if user is None:
            raise NotFoundError(f"no user {user_ref!r}")
        g = s.access_grants.c
        row = tx.conn.execute(
            select(g.ledger_index).where(g.scope_id == scope_id, g.user_id == user["id"])
        ).first()
        if row is None:
            raise NotFoundError(f"{user_ref} holds no grant on {scope_id}")
        if expected_version is not None and int(row.ledger_index) != expected_version:
            check_version(tx.conn, s.access_grants, None, expected_version,
                          current=int(row.ledger_index))
        return tx.emit("access.revoked", {"scope_id": scope_id, "user_id": user["id"]})


def list_grants(conn: Connection, user_ref: str | None = None) -> list[dict[str, Any]]:
    """Grants, newest first, with user names."""
    g, u = s.access_grants.c, s.users.c
    stmt = (select(g.scope_id, g.user_id, u.username, g.granted_at, g.ledger_index)
            .join(s.users, u.id == g.user_id).order_by(g.ledger_index.desc()))
    if user_ref is not None:
        stmt = stmt.where((u.id == user_ref) | (u.username == user_ref))
    return [dict(r) for r in conn.execute(stmt).mappings()]


__all__ = ["GRANTABLE", "grant", "grant_in", "list_grants", "revoke"]
