"""Errors that carry a message meant for a person, not a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix (bad input, missing file, wrong option).

    The CLI prints ``str(error)`` as one line and exits non-zero; the API turns it
    into a 4xx JSON error. Subclasses narrow the kind so callers can react.
    """


class NotFoundError(UserError):
    """The thing asked for does not exist (or is invisible to the caller)."""


class ValidationError(UserError):
    """Input was refused; ``problems`` lists each one as ``line N, field F: what``."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = problems or []


class ConflictError(UserError):
    """The change clashes with what is stored (a file imported before, say): HTTP 409."""


class IntegrityError(Exception):
    """Stored data disagrees with the ledger: something changed behind its back."""
