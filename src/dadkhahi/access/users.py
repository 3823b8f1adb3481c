"""Users: added, re-roled, disabled and re-keyed through ledger events.

The Argon2 hash of a user's password is sealed under a per-user data key
(``users.sealed``): the ledger and its exports carry only ciphertext, a replay
rebuilds the table exactly, and a password change destroys the old key so the
old hash is gone for good.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select

from dadkhahi.access.passwords import hash_password, verify_password
from dadkhahi.access.policy import Principal, Role
from dadkhahi.domain.errors import NotFoundError, UserError, ValidationError
from dadkhahi.domain.ids import new_id
from dadkhahi.store import schema as s
from dadkhahi.store.erase import mark_scrub_due
from dadkhahi.store.sealed import KeyRing
from dadkhahi.store.store import Store, Transaction, utc_now
from dadkhahi.store.versions import check_version

_USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{1,63}", re.ASCII)

#: Columns shown for a user (never the sealed hash).
PUBLIC_COLUMNS = ("id", "username", "role", "disabled", "created_at", "ledger_index")


def _check_username(username: str) -> str:
    if not _USERNAME.fullmatch(username):
        raise ValidationError(
            "a username is 2-64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    return username


def _public(row: Any) -> dict[str, Any]:
    return {k: row[k] for k in PUBLIC_COLUMNS}


def add_user(store: Store, username: str, role: Role, password: str, actor: str) -> str:
    """Create a user; returns the new user ID."""
    _check_username(username)
    password_hash = hash_password(password, [username])  # slow: outside the write lock
    with store.transaction(actor) as tx:
        if find_user(tx.conn, username) is not None:
            raise UserError(f"there is already a user {username!r}")
        user_id = new_id("user")
        tx.emit("user.added", {
            "id": user_id, "username": username, "role": str(role), "disabled": 0,
            "created_at": utc_now(), "sealed": tx.seal({"password_hash": password_hash}, user_id),
        })
    return user_id


def find_user(conn: Connection, ref: str) -> dict[str, Any] | None:
    """A user by ID or username (full row, sealed hash included)."""
    u = s.users.c
    row = conn.execute(select(s.users).where((u.id == ref) | (u.username == ref))).mappings()
    found = row.first()
    return None if found is None else dict(found)


def get_user(conn: Connection, ref: str) -> dict[str, Any]:
    """A user (public fields) by ID or username; NotFoundError otherwise."""
    row = find_user(conn, ref)
    if row is None:
        raise NotFoundError(f"no user {ref!r}")
    return _public(row)


def public(row: Any) -> dict[str, Any]:
    """A user row's public fields (never the sealed password hash)."""
    return _public(row)


def list_users(conn: Connection) -> list[dict[str, Any]]:
    """Every user, by name (public fields only)."""
    rows = conn.execute(select(s.users).order_by(s.users.c.username)).mappings()
    return [_public(r) for r in rows]


def _existing(tx: Transaction, ref: str, expected_version: int | None) -> dict[str, Any]:
    row = find_user(tx.conn, ref)
    if row is None:
        raise NotFoundError(f"no user {ref!r}")
    check_version(tx.conn, s.users, row["id"], expected_version)
    return row


def _enabled_admins(conn: Connection) -> list[str]:
    u = s.users.c
    return list(conn.execute(select(u.id).where(u.role == str(Role.ADMIN), u.disabled == 0))
                .scalars())


def _keep_an_admin(conn: Connection, row: dict[str, Any]) -> None:
    """Refuse a change that would leave no enabled admin (no one could manage users)."""
    if row["role"] == str(Role.ADMIN) and not row["disabled"] \
            and _enabled_admins(conn) == [row["id"]]:
        raise UserError(f"{row['username']} is the last enabled admin; "
                        "make another user admin first")


def set_role(
    store: Store, ref: str, role: Role, actor: str, expected_version: int | None = None
) -> int:
    """Give a user another role; returns the event index (the user's new version)."""
    with store.transaction(actor) as tx:
        row = _existing(tx, ref, expected_version)
        if role is not Role.ADMIN:
            _keep_an_admin(tx.conn, row)
        return tx.emit("user.role_changed", {"id": row["id"], "role": str(role)})


def set_disabled(
    store: Store, ref: str, disabled: bool, actor: str, expected_version: int | None = None
) -> int:
    """Disable (ending every session at once) or re-enable a user."""
    with store.transaction(actor) as tx:
        row = _existing(tx, ref, expected_version)
        if disabled:
            _keep_an_admin(tx.conn, row)
            tx.conn.execute(delete(s.auth_sessions).where(s.auth_sessions.c.user_id == row["id"]))
        return tx.emit("user.disabled" if disabled else "user.enabled", {"id": row["id"]})


def set_password(
    store: Store, ref: str, password: str, actor: str, expected_version: int | None = None,
    *, keep_session: str | None = None,
) -> int:
    """Replace a user's password; the old hash's key is destroyed, sessions end.

    ``keep_session`` (a session ID) survives: the one a user changed their own
    password from.
    """
    with store.reading() as conn:
        found = find_user(conn, ref)
    password_hash = hash_password(password, [found["username"]] if found else [])
    with store.transaction(actor) as tx:
        row = _existing(tx, ref, expected_version)
        if row["sealed"]:
            KeyRing.destroy(tx.conn, row["sealed"]["key_id"])
        a = s.auth_sessions.c
        ending = delete(s.auth_sessions).where(a.user_id == row["id"])
        if keep_session is not None:
            ending = ending.where(a.id != keep_session)
        tx.conn.execute(ending)
        index = tx.emit("user.password_changed", {
            "id": row["id"], "sealed": tx.seal({"password_hash": password_hash}, row["id"]),
        })
        if row["sealed"]:
            # The old hash's wrapped key stays in free pages until a scrub: due at the
            # next open or erasure (store.erase), as for any destroyed key.
            mark_scrub_due(tx.conn, ("data_keys",), index)
        return index


@dataclass(frozen=True)
class Attempt:
    """The outcome of checking a password: who (if right), and which account was meant."""

    principal: Principal | None
    user_id: str | None  # the account named, if it exists
    reason: str  # "ok", "password", "unknown_user", "disabled"


def check_password(store: Store, username: str, password: str) -> Attempt:
    """Check a password (always one Argon2 verification, known user or not)."""
    with store.reading() as conn:
        row = find_user(conn, username) if _USERNAME.fullmatch(username) else None
        stored: str | None = None
        if row is not None and row["sealed"]:
            payload = store.keys.unseal(conn, row["sealed"], row["id"])
            stored = None if payload is None else str(payload["password_hash"])
    ok = verify_password(stored, password)
    if row is None:
        return Attempt(None, None, "unknown_user")
    if not ok:
        return Attempt(None, str(row["id"]), "password")
    if row["disabled"]:
        return Attempt(None, str(row["id"]), "disabled")
    return Attempt(Principal(user_id=row["id"], username=row["username"], role=Role(row["role"])),
                   str(row["id"]), "ok")


def authenticate(store: Store, username: str, password: str) -> Principal | None:
    """The user if the password matches and the account is enabled, else None."""
    return check_password(store, username, password).principal
