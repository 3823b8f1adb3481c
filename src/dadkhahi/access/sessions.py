"""Login sessions: random bearer tokens, stored only as their SHA-256.

Sessions are not evidence and are not in the ledger (a login is: see
``user.logged_in``). Disabling a user or changing the password ends them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Text, bindparam, delete, insert, select

from dadkhahi.access.policy import Principal, Role
from dadkhahi.store import schema as s
from dadkhahi.store.db import write_transaction
from dadkhahi.store.store import Store, utc_now

#: How long a session lasts without signing in again.
DEFAULT_TTL = timedelta(hours=12)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def open_session(
    store: Store, principal: Principal, ip: str | None, ttl: timedelta = DEFAULT_TTL
) -> str:
    """Start a session for an authenticated user; returns the token (shown once)."""
    assert principal.user_id is not None
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with store.transaction(principal.name) as tx:
        tx.conn.execute(insert(s.auth_sessions).values(
            token_sha256=_digest(token), user_id=principal.user_id, created_at=_iso(now),
            expires_at=_iso(now + ttl), ip=ip,
        ))
        tx.emit("user.logged_in", {"user_id": principal.user_id, "ip": ip, "at": _iso(now)})
    return token


# Built once: every authenticated request runs it, and building a statement costs
# SQLAlchemy more than the indexed lookup itself.
_RESOLVE = (
    select(s.users.c.id, s.users.c.username, s.users.c.role, s.users.c.disabled,
           s.auth_sessions.c.expires_at)
    .join(s.users, s.users.c.id == s.auth_sessions.c.user_id)
    .where(s.auth_sessions.c.token_sha256 == bindparam("digest", type_=Text))
)


def resolve(conn: Connection, token: str, ip: str | None = None) -> Principal | None:
    """The principal a token stands for, if the session is live and the user enabled."""
    row = conn.execute(_RESOLVE, {"digest": _digest(token)}).first()
    if row is None or row.disabled or str(row.expires_at) <= utc_now():
        return None
    return Principal(user_id=row.id, username=row.username, role=Role(row.role), ip=ip)


def close_session(store: Store, token: str) -> None:
    """End one session (logout)."""
    with write_transaction(store.engine) as conn:
        a = s.auth_sessions.c
        conn.execute(delete(s.auth_sessions).where(a.token_sha256 == _digest(token)))


def purge_expired(store: Store) -> int:
    """Delete expired sessions; returns how many."""
    with write_transaction(store.engine) as conn:
        a = s.auth_sessions.c
        result = conn.execute(delete(s.auth_sessions).where(a.expires_at <= utc_now()))
        return int(result.rowcount)
