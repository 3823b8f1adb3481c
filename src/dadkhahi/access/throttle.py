"""Exponential back-off of failed sign-ins, per account and per address.

Back-off, not lockout: a lockout would let anyone lock the admin out by typing
wrong passwords. After a few free failures each further failure doubles the wait
before the next attempt is even checked (1 s, 2 s, 4 s, … up to a cap), for the
account typed and for the address it came from; a quiet day forgets them. While
a wait runs, every attempt (the right password included) is answered 429 with
``Retry-After`` and costs no password hash.

The state lives in ``auth_throttle`` (shared by every server process on the
store) under keyed hashes: neither the name typed (which may be a password typed
into the wrong field) nor the address is kept. Nothing here is evidence.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from dadkhahi.store import schema as s


@dataclass(frozen=True)
class Backoff:
    """How one kind of key (account or address) backs off."""

    free: int  # failures allowed before any wait
    base: float = 1.0  # seconds after the first failure past the free ones
    cap: float = 900.0  # longest wait
    forget: float = 86_400.0  # a key quiet this long starts again from zero

    def wait_after(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failures in a row."""
        if failures < self.free:
            return 0.0
        return min(self.cap, self.base * 2.0 ** min(failures - self.free, 40))


#: A team member mistyping is not slowed; a guesser is, at once.
ACCOUNT = Backoff(free=5)
#: Several team members may share an office's address.
ADDRESS = Backoff(free=20)


@dataclass(frozen=True)
class Keys:
    """The throttle keys of one attempt."""

    account: str
    address: str

    def pairs(self) -> Sequence[tuple[str, Backoff]]:
        return ((self.account, ACCOUNT), (self.address, ADDRESS))


def _address(ip: str | None) -> str:
    """The unit an address is throttled as: an IPv4 address, an IPv6 /64."""
    if not ip:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def keys_for(secret: bytes, username: str, ip: str | None) -> Keys:
    """Keyed hashes of the account name typed (case-folded) and of the address."""
    def tag(kind: str, value: str) -> str:
        mac = hmac.new(secret, f"{kind}\n{value}".encode("utf-8", "surrogatepass"),
                       hashlib.sha256)
        return f"{kind}:{mac.hexdigest()[:32]}"

    return Keys(tag("account", username.strip().casefold()), tag("address", _address(ip)))


def now() -> float:
    """The clock of the throttle (Unix seconds; tests move it)."""
    return time.time()


def retry_after(conn: Connection, keys: Keys, at: float | None = None) -> int:
    """Whole seconds until an attempt with these keys may be checked; 0 if now."""
    at = now() if at is None else at
    t = s.auth_throttle.c
    rows = conn.execute(select(t.blocked_until).where(
        t.key.in_([keys.account, keys.address]))).scalars().all()
    wait = max((float(b) - at for b in rows), default=0.0)
    return math.ceil(wait) if wait > 0 else 0


def record_failure(conn: Connection, keys: Keys, at: float | None = None) -> int:
    """Count a failed attempt against both keys (inside a write transaction).

    Returns the account's failures in a row (after this one).
    """
    at = now() if at is None else at
    t = s.auth_throttle.c
    # Both dialects the store runs on have INSERT … ON CONFLICT; concurrent failures of
    # one key from several server processes then meet at the row lock below.
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    account_failures = 0
    for key, backoff in keys.pairs():
        conn.execute(dialect_insert(s.auth_throttle).values(
            key=key, failures=0, last_failure_at=at, blocked_until=at,
        ).on_conflict_do_nothing(index_elements=["key"]))
        row = conn.execute(select(t.failures, t.last_failure_at)
                           .where(t.key == key).with_for_update()).one()
        quiet = at - float(row.last_failure_at) > backoff.forget
        failures = 1 if quiet else int(row.failures) + 1
        conn.execute(update(s.auth_throttle).where(t.key == key).values(
            failures=failures, last_failure_at=at,
            blocked_until=at + backoff.wait_after(failures)))
        if key == keys.account:
            account_failures = failures
    return account_failures


def clear_account(conn: Connection, keys: Keys) -> None:
    """Forget an account's failures after a successful sign-in.

    The address keeps its count: signing in to one's own account must not reset
    the back-off of an address that is guessing at others.
    """
    t = s.auth_throttle.c
    conn.execute(delete(s.auth_throttle).where(t.key == keys.account))


def purge(conn: Connection, at: float | None = None) -> int:
    """Delete keys quiet for longer than they are remembered; returns how many."""
    at = now() if at is None else at
    t = s.auth_throttle.c
    oldest = max(ACCOUNT.forget, ADDRESS.forget)
    return int(conn.execute(delete(s.auth_throttle)
                            .where(t.last_failure_at < at - oldest)).rowcount)
