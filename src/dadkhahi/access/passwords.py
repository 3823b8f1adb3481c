"""Password hashing with Argon2id (argon2-cffi, RFC 9106 parameters), strength rules,
and the bounded pool every hash runs in.

Each Argon2 hash takes 64 MiB and a core for tens of milliseconds: 40 parallel
sign-ins once took a server from 448 MiB to 1.98 GiB and a public read to 8.7 s.
So at most :data:`HASHES_AT_ONCE` hashes run at a time, a few more may wait, and
the rest are refused at once (:class:`HashPoolFullError`, HTTP 429) instead of queueing.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dadkhahi.domain.errors import UserError, ValidationError

#: Shortest password accepted; long passphrases are the point, not symbol rules.
MIN_LENGTH = 12
MAX_LENGTH = 1024
#: zxcvbn's scale: 0 too guessable … 4 very unguessable; 3 resists an offline attack
#: on a slow hash ("safely unguessable: moderate protection from offline slow-hash").
MIN_SCORE = 3
#: zxcvbn's matching grows faster than linearly; its authors advise checking a prefix.
_ESTIMATED_PREFIX = 100

_HASHER = PasswordHasher()


@functools.cache
def _dummy() -> str:
    """Verified against when a username does not exist, so a miss costs as much as a hit.

    Made on first use, not on import: every command that imports this module paid about
    0.23 s for it. A server makes it before its first request (:func:`prepare`), so the
    first miss is not slower than the others.
    """
    return _HASHER.hash("dadkhahi: no such user")


def prepare() -> None:
    """Make what sign-in needs before the first request (the unknown-user hash)."""
    _dummy()


class HashPoolFullError(UserError):
    """Every password-hash slot is busy: try again in a moment (HTTP 429)."""

    retry_after = 1


class HashGate:
    """At most ``running`` hashes at once and ``waiting`` more queued; others refused."""

    def __init__(self, running: int, waiting: int) -> None:
        self._slots = threading.BoundedSemaphore(running)
        self._lock = threading.Lock()
        self._admitted = 0
        self.capacity = running + waiting
        self.running = running
        #: Most hashes that ever ran at once (for tests and diagnostics).
        self.peak = 0
        self._busy = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a hash slot (waiting for one if few are queued); HashPoolFullError if full."""
        with self._lock:
            if self._admitted >= self.capacity:
                raise HashPoolFullError("too many sign-ins at once; try again in a moment")
            self._admitted += 1
        try:
            with self._slots:
                with self._lock:
                    self._busy += 1
                    self.peak = max(self.peak, self._busy)
                try:
                    yield
                finally:
                    with self._lock:
                        self._busy -= 1
        finally:
            with self._lock:
                self._admitted -= 1


def _gate_size() -> tuple[int, int]:
    running = int(os.environ.get("DADKHAHI_HASHES_AT_ONCE") or max(1, (os.cpu_count() or 2)))
    return running, 2 * running


#: The one pool of this process (every sign-in, password change and new user).
HASHES_AT_ONCE, HASHES_WAITING = _gate_size()
GATE = HashGate(HASHES_AT_ONCE, HASHES_WAITING)


def check_strength(password: str, user_inputs: Sequence[str] = ()) -> None:
    """Refuse short, absurdly long, common and easily guessed passwords.

    Guessability is zxcvbn's estimate (its shipped lists of common passwords, names
    and words, keyboard walks, repeats, sequences and dates, plus ``user_inputs`` such
    as the username), so ``password1234``, ``aaaaaaaaaaaa`` and ``123456789012`` fail.
    """
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"a password may have at most {MAX_LENGTH} characters")
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:_ESTIMATED_PREFIX], user_inputs=list(user_inputs))
    if int(result["score"]) < MIN_SCORE:
        advice = result["feedback"].get("warning") or "it is too easy to guess"
        raise ValidationError(
            f"that password is too easy to guess ({advice.rstrip('.').lower()}); "
            "use a longer passphrase of several unrelated words")


def hash_password(password: str, user_inputs: Sequence[str] = ()) -> str:
    """An Argon2id hash string (parameters and salt included), after the strength check."""
    check_strength(password, user_inputs)
    with GATE.slot():
        return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; always spends one Argon2 verification."""
    if len(password) > MAX_LENGTH:
        return False
    with GATE.slot():
        try:
            return _HASHER.verify(stored_hash or _dummy(), password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False
