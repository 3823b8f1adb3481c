"""Signing in: throttle, password, second factor, session, and the audit of failures.

The one sign-in service for every face: ``/api/auth/*`` and the sign-in pages call the
same functions, so a security key's challenge is issued (:func:`key_options`), kept on
the session for :data:`~dadkhahi.access.sessions.CHALLENGE_TTL` and checked
(:func:`second_factor`) one way, whichever face asked for it. Each failed
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
from dadkhahi.domain.errors import ConflictError, UserError
from dadkhahi.store.store import Store, utc_now


class SignInFailedError(UserError):
    """Wrong user name, password or second factor (HTTP 401); never says which."""


class ThrottledError(UserError):
    """Too many failed sign-ins for this account or address (HTTP 429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after


class NotWaitingError(ConflictError):
    """The session is not waiting for a second factor (HTTP 409): ended, never was, or
    already signed in."""


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


def waiting(store: Store, token: str, ip: str | None,
            idle: timedelta = sessions.DEFAULT_IDLE) -> Principal | None:
    """The user a live session still owing its second factor signs in as (None for any
    other token: the visitor stays anonymous until the factor is given)."""
    with store.reading() as conn:
        found = sessions.lookup(conn, token, ip, idle)
    if found is None or found.stage != sessions.SECOND_FACTOR:
        return None
    return found.principal


def key_options(store: Store, token: str, ip: str | None, rp: factors.RelyingParty,
                idle: timedelta = sessions.DEFAULT_IDLE) -> dict[str, Any] | None:
    """Options for ``navigator.credentials.get`` with a fresh challenge, kept on the
    session (replacing any earlier one) and answerable for
    :data:`~dadkhahi.access.sessions.CHALLENGE_TTL`; None when its user has no
    security key. Raises :class:`NotWaitingError` for a session not waiting for a
    second factor."""
    principal = waiting(store, token, ip, idle)
    if principal is None:
        raise NotWaitingError("this session is not waiting for a second factor")
    assert principal.user_id is not None
    made = factors.authentication_options(store, principal.user_id, rp)
    if made is None:
        return None
    options, challenge = made
    sessions.set_challenge(store, token, challenge)
    return options


def second_factor(store: Store, token: str, ip: str | None, *,
                  totp: str | None = None, recovery_code: str | None = None,
                  webauthn: dict[str, Any] | None = None,
                  rp: factors.RelyingParty | None = None,
                  idle: timedelta = sessions.DEFAULT_IDLE) -> str:
    """Finish a sign-in with a second factor; returns the kind that was proved.

    A security key answers the session's challenge (:func:`key_options`) before it
    expires; once the factor is proved the session is full and the challenge gone, so
    the same answer is not taken twice. Raises :class:`NotWaitingError` for a session
    not waiting for a factor. Failures count against the account's back-off like wrong
    passwords.
    """
    principal = waiting(store, token, ip, idle)
    if principal is None:
        raise NotWaitingError("this session is not waiting for a second factor")
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
