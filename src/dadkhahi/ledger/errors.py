"""Errors raised by the ledger core.

Two families: something the caller asked for is out of range or malformed
(:class:`LedgerInputError`, a :class:`~dadkhahi.domain.errors.ValidationError`
that is also a :class:`ValueError`), and something that should verify does not
(:class:`VerificationError` and :class:`MissingNodeError`, both
:class:`~dadkhahi.domain.errors.IntegrityError`).
"""

from __future__ import annotations

from dadkhahi.domain.errors import IntegrityError, ValidationError


class LedgerInputError(ValidationError, ValueError):
    """An argument is malformed or out of range (index past the tree, NaN in JSON, bad key text).

    Also a ``ValueError`` so plain Python callers can catch it the usual way, while the
    CLI and API treat it as a user error with a one-line message.
    """


class VerificationError(IntegrityError):
    """A signature, proof, hash, authentication tag or canonical form failed to verify.

    The message names what failed, so a person checking a bundle offline learns why.
    """


class MissingNodeError(IntegrityError):
    """The node store lacks a tree node that must exist for the size asked about."""
