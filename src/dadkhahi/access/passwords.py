"""Password hashing with Argon2id (argon2-cffi, RFC 9106 parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dadkhahi.domain.errors import ValidationError

#: Shortest password accepted; long passphrases are the point, not symbol rules.
MIN_LENGTH = 12
MAX_LENGTH = 1024

_HASHER = PasswordHasher()
# Verified against when a username does not exist, so a miss costs as much as a hit.
_DUMMY = _HASHER.hash("dadkhahi: no such user")


def check_strength(password: str) -> None:
    """Refuse passwords that are too short (or absurdly long)."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"a password may have at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    """An Argon2id hash string (parameters and salt included)."""
    check_strength(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; always spends one Argon2 verification."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
