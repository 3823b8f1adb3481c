"""Login sessions: random bearer tokens, stored only as their SHA-256.

Sessions are not evidence and are not in the ledger (a login is: see
``user.logged_in``). Disabling a user or changing the password ends them. A
session ends at its expiry, or earlier when it has not been used for the idle
timeout; expired sessions are deleted whenever someone signs in (and at server
start), so the table never keeps old sessions' addresses.

A session has a *stage*: ``full`` sessions act as their user; a ``second_factor``
session only proves the password and may only finish signing in; an ``enrol``
session belongs to a user who must enrol a second factor before anything else.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Text, bindparam, delete, insert, or_, select, update

from dadkhahi.access.policy import Principal, Role
from dadkhahi.domain.ids import new_id
from dadkhahi.store import schema as s
from dadkhahi.store.db import write_transaction
from dadkhahi.store.store import Store

#: How long a session lasts without signing in again.
DEFAULT_TTL = timedelta(hours=12)
#: A session unused for this long has ended.
DEFAULT_IDLE = timedelta(minutes=30)
#: ``last_seen_at`` is written at most this often per session (a write per request
#: would make every read a write); the idle timeout is this much less exact.
TOUCH_EVERY = timedelta(seconds=60)

#: How long a WebAuthn challenge may be answered. The options sent with it say the same
#: (``timeout``), so the browser gives up when the server would: WebAuthn advises 5-10
#: minutes when the key may verify its user (a PIN to type).
CHALLENGE_TTL = timedelta(minutes=5)

FULL = "full"
SECOND_FACTOR = "second_factor"
ENROL = "enrol"


def digest(token: str) -> str:
    """The stored form of a token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _now() -> datetime:
    return datetime.now(UTC)


def _delete_expired(conn: Connection, now: datetime, idle: timedelta) -> int:
    a = s.auth_sessions.c
    result = conn.execute(delete(s.auth_sessions).where(
        or_(a.expires_at <= _iso(now), a.last_seen_at <= _iso(now - idle))))
    return int(result.rowcount)


def open_session(
    store: Store, principal: Principal, ip: str | None, ttl: timedelta = DEFAULT_TTL, *,
    stage: str = FULL, second_factor: bool = False, idle: timedelta = DEFAULT_IDLE,
) -> str:
    """Start a session for an authenticated user; returns the token (shown once).

    Expired sessions of everyone are deleted in the same transaction.
    """
    assert principal.user_id is not None
    token = secrets.token_urlsafe(32)
    now = _now()
    with store.transaction(principal.name) as tx:
        _delete_expired(tx.conn, now, idle)
        tx.conn.execute(insert(s.auth_sessions).values(
            token_sha256=digest(token), id=new_id("session"), user_id=principal.user_id,
            created_at=_iso(now), expires_at=_iso(now + ttl), last_seen_at=_iso(now), ip=ip,
            stage=stage, second_factor=int(second_factor),
        ))
        if stage == FULL:
            tx.emit("user.logged_in", {"user_id": principal.user_id, "ip": ip, "at": _iso(now)})
    return token


@dataclass(frozen=True)
class Resolved:
    """A live session: who it acts for, its stage, and whether it is due a touch."""

    principal: Principal
    stage: str
    stale: bool


# Built once: every authenticated request runs it, and building a statement costs
# SQLAlchemy more than the indexed lookup itself.
_RESOLVE = (
    select(s.users.c.id, s.users.c.username, s.users.c.role, s.users.c.disabled,
           s.auth_sessions.c.id.label("session_id"), s.auth_sessions.c.expires_at,
           s.auth_sessions.c.last_seen_at, s.auth_sessions.c.stage)
    .join(s.users, s.users.c.id == s.auth_sessions.c.user_id)
    .where(s.auth_sessions.c.token_sha256 == bindparam("digest", type_=Text))
)


def lookup(conn: Connection, token: str, ip: str | None = None,
           idle: timedelta = DEFAULT_IDLE) -> Resolved | None:
    """The live session of a token (any stage), or None if it ended or never was."""
    row = conn.execute(_RESOLVE, {"digest": digest(token)}).first()
    if row is None or row.disabled:
        return None
    now = _now()
    last_seen = str(row.last_seen_at)
    if str(row.expires_at) <= _iso(now) or last_seen <= _iso(now - idle):
        return None
    principal = Principal(user_id=row.id, username=row.username, role=Role(row.role), ip=ip,
                          session_id=row.session_id)
    return Resolved(principal, str(row.stage), last_seen <= _iso(now - TOUCH_EVERY))


def resolve(conn: Connection, token: str, ip: str | None = None,
            idle: timedelta = DEFAULT_IDLE) -> Principal | None:
    """The principal a token stands for, if the session is live, full and the user enabled."""
    found = lookup(conn, token, ip, idle)
    return found.principal if found is not None and found.stage == FULL else None


def touch(store: Store, token: str) -> None:
    """Record that a session was used now (pushes its idle timeout back)."""
    with write_transaction(store.engine) as conn:
        a = s.auth_sessions.c
        conn.execute(update(s.auth_sessions).where(a.token_sha256 == digest(token))
                     .values(last_seen_at=_iso(_now())))


# Sessions this process is touching now, and when it last touched each (monotonic).
_touching: set[str] = set()
_touched_at: dict[str, float] = {}
_touch_lock = threading.Lock()
#: Above this many remembered touches, those older than TOUCH_EVERY are forgotten.
_TOUCHED_KEPT = 10_000


def touch_due(store: Store, token: str) -> bool:
    """:func:`touch` a session found stale, unless this process is touching it already
    or touched it less than :data:`TOUCH_EVERY` ago; True if this call wrote.

    Every request in flight on one session finds it stale in the same instant: under
    load (45 connections, one token) each of them wrote its own touch, 45 write
    transactions queued behind one another and the writes, and every read in flight
    waited 0.5-0.8 s for its touch once a minute (benchmarks/api/bench_wrk.py). One
    touch per session and minute gives the idle timeout the same precision.
    """
    key = digest(token)
    now = time.monotonic()
    every = TOUCH_EVERY.total_seconds()
    with _touch_lock:
        last = _touched_at.get(key)
        if key in _touching or (last is not None and now - last < every):
            return False
        _touching.add(key)
    try:
        touch(store, token)
        with _touch_lock:
            _touched_at[key] = time.monotonic()
            if len(_touched_at) > _TOUCHED_KEPT:
                old = time.monotonic() - every
                for k in [k for k, t in _touched_at.items() if t < old]:
                    del _touched_at[k]
    finally:
        with _touch_lock:
            _touching.discard(key)
    return True


def close_session(store: Store, token: str) -> None:
    """End one session (logout)."""
    with write_transaction(store.engine) as conn:
        a = s.auth_sessions.c
        conn.execute(delete(s.auth_sessions).where(a.token_sha256 == digest(token)))


def list_sessions(conn: Connection, user_id: str, current: str | None = None,
                  idle: timedelta = DEFAULT_IDLE) -> list[dict[str, Any]]:
    """A user's live sessions, newest first; ``current`` (a session ID) is marked."""
    a = s.auth_sessions.c
    now = _now()
    rows = conn.execute(
        select(a.id, a.created_at, a.last_seen_at, a.expires_at, a.ip, a.stage,
               a.second_factor)
        .where(a.user_id == user_id, a.expires_at > _iso(now),
               a.last_seen_at > _iso(now - idle))
        .order_by(a.created_at.desc(), a.id)).mappings()
    return [{**r, "second_factor": bool(r["second_factor"]), "current": r["id"] == current}
            for r in rows]


def end_sessions(store: Store, user_id: str, *, session_id: str | None = None,
                 keep: str | None = None) -> int:
    """End one of a user's sessions (``session_id``), or all but ``keep``; returns how many.

    Only the user's own sessions are touched: another user's session ID ends nothing.
    """
    a = s.auth_sessions.c
    stmt = delete(s.auth_sessions).where(a.user_id == user_id)
    if session_id is not None:
        stmt = stmt.where(a.id == session_id)
    if keep is not None:
        stmt = stmt.where(a.id != keep)
    with write_transaction(store.engine) as conn:
        return int(conn.execute(stmt).rowcount)


def promote(store: Store, token: str, principal: Principal, *, second_factor: bool) -> None:
    """Make a session full (the second factor was given, or one was enrolled)."""
    assert principal.user_id is not None
    with store.transaction(principal.name) as tx:
        a = s.auth_sessions.c
        tx.conn.execute(update(s.auth_sessions).where(a.token_sha256 == digest(token))
                        .values(stage=FULL, second_factor=int(second_factor), challenge=None,
                                challenge_expires_at=None))
        tx.emit("user.logged_in", {"user_id": principal.user_id, "ip": principal.ip,
                                   "at": _iso(_now())})


def set_challenge(store: Store, token: str, challenge: str | None,
                  ttl: timedelta = CHALLENGE_TTL) -> None:
    """Remember the WebAuthn challenge given to this session, answerable for ``ttl``
    (one at a time: a new one replaces the last; None forgets it)."""
    expires = None if challenge is None else _iso(_now() + ttl)
    with write_transaction(store.engine) as conn:
        a = s.auth_sessions.c
        conn.execute(update(s.auth_sessions).where(a.token_sha256 == digest(token))
                     .values(challenge=challenge, challenge_expires_at=expires))


def challenge_of(conn: Connection, token: str) -> str | None:
    """The outstanding WebAuthn challenge of this session, if any and not expired."""
    a = s.auth_sessions.c
    row = conn.execute(select(a.challenge, a.challenge_expires_at)
                       .where(a.token_sha256 == digest(token))).first()
    # A challenge without an expiry (kept before expiries were) is not answered either.
    if row is None or row.challenge is None or row.challenge_expires_at is None \
            or str(row.challenge_expires_at) <= _iso(_now()):
        return None
    return str(row.challenge)


def purge_expired(store: Store, idle: timedelta = DEFAULT_IDLE) -> int:
    """Delete expired and idle sessions; returns how many."""
    with write_transaction(store.engine) as conn:
        return _delete_expired(conn, _now(), idle)
