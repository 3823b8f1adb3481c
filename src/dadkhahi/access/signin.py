"""Signing in: throttle, password, second factor, session, and the audit of failures.

The one sign-in service for every face (API now, pages later). Each failed
attempt that reached a check is an ``auth.sign_in_failed`` ledger event naming
the account's ID when the account exists (never the name typed, which may be a
mistyped password, nor the password, nor the address) and why it failed; the
audit trail shows them (``dadkhahi audit --sign-ins``, ``GET /api/audit/sign-ins``).
Attempts refused by the throttle are not checked and not recorded, so a guesser
cannot grow the ledger faster than the back-off allows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from dadkhahi.access import factors, sessions, throttle, users
from dadkhahi.access.policy import Principal
from dadkhahi.domain.errors import UserError
from dadkhahi.store.store import Store, utc_now


class SignInFailedError(UserError):
    """Wrong user name, password or second factor (HTTP 401); never says which."""


class ThrottledError(UserError):
    """Too many failed sign-ins for this account or address (HTTP 429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Opened:
    """A session opened by a correct password: its token, its stage, and what is next."""

    token: str
    principal: Principal
    stage: str
    #: Second factors the user can give now (``second_factor`` stage), strongest first.
    methods: list[str] = field(default_factory=list)


def _keys(store: Store, username: str, ip: str | None) -> throttle.Keys:
    return throttle.keys_for(store.keys.subkey("sign-in throttle"), username, ip)


def _refuse_if_throttled(store: Store, keys: throttle.Keys) -> None:
    with store.reading() as conn:
        wait = throttle.retry_after(conn, keys)
    if wait:
        raise ThrottledError(wait)


def _failed(store: Store, keys: throttle.Keys, user_id: str | None, reason: str) -> None:
    with store.transaction("anonymous") as tx:
        throttle.record_failure(tx.conn, keys)
        tx.emit("auth.sign_in_failed", {"user_id": user_id, "reason": reason, "at": utc_now()})


def sign_in(store: Store, username: str, password: str, ip: str | None,
            ttl: timedelta = sessions.DEFAULT_TTL,
            idle: timedelta = sessions.DEFAULT_IDLE) -> Opened:
    """Check a password and open a session (full, or waiting for a second factor).

    Raises :class:`ThrottledError` before any check while a back-off runs,
    ``HashPoolFullError`` when too many hashes run, and :class:`SignInFailedError`.
    """
    keys = _keys(store, username, ip)
    _refuse_if_throttled(store, keys)
    attempt = users.check_password(store, username, password)
    if attempt.principal is None:
        _failed(store, keys, attempt.user_id, attempt.reason)
        raise SignInFailedError("wrong user name or password")
    principal = Principal(user_id=attempt.principal.user_id,
                          username=attempt.principal.username,
                          role=attempt.principal.role, ip=ip)
    assert principal.user_id is not None
    with store.transaction(principal.name) as tx:
        throttle.clear_account(tx.conn, keys)
        throttle.purge(tx.conn)
        methods = factors.kinds_of(tx.conn, principal.user_id)
        required = factors.required_for(tx.conn, principal.user_id)
    strong = [m for m in methods if m != factors.RECOVERY]
    if strong:
        stage = sessions.SECOND_FACTOR
    elif required:
        # Recovery codes alone are no second factor to sign in with every day.
        stage = sessions.ENROL
    else:
        stage = sessions.FULL
    token = sessions.open_session(store, principal, ip, ttl, stage=stage, idle=idle)
    return Opened(token, principal, stage, methods if stage == sessions.SECOND_FACTOR else [])


def second_factor(store: Store, token: str, principal: Principal, *,
                  totp: str | None = None, recovery_code: str | None = None,
                  webauthn: dict[str, Any] | None = None,
                  rp: factors.RelyingParty | None = None) -> str:
    """Finish a sign-in with a second factor; returns the kind that was proved.

    Failures count against the account's back-off like wrong passwords.
    """
    assert principal.user_id is not None
    assert principal.username is not None
    keys = _keys(store, principal.username, principal.ip)
    _refuse_if_throttled(store, keys)
    with store.reading() as conn:
        challenge = sessions.challenge_of(conn, token)
    proved = factors.check(store, principal.user_id, totp=totp, recovery_code=recovery_code,
                           webauthn_credential=webauthn, challenge=challenge, rp=rp)
    if proved is None:
        _failed(store, keys, principal.user_id, "second_factor")
        raise SignInFailedError("that second factor was not accepted")
    sessions.promote(store, token, principal, second_factor=True)
    return proved


def change_own_password(store: Store, principal: Principal, current: str, new: str) -> int:
    """Change one's own password after proving the current one (throttled like a sign-in).

    Every other session of the user ends; the one asking stays.
    """
    assert principal.user_id is not None
    assert principal.username is not None
    keys = _keys(store, principal.username, principal.ip)
    _refuse_if_throttled(store, keys)
    attempt = users.check_password(store, principal.username, current)
    if attempt.principal is None or attempt.user_id != principal.user_id:
        _failed(store, keys, principal.user_id, "password")
        raise SignInFailedError("the current password is wrong")
    return users.set_password(store, principal.user_id, new, principal.name,
                              keep_session=principal.session_id)
