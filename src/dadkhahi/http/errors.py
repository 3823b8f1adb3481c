"""The one error with an HTTP status that request plumbing raises, for either face.

The API answers it as ``{"error": {...}}`` JSON (:mod:`dadkhahi.api.errors`), the pages
as an HTML page in the visitor's language (:mod:`dadkhahi.web.app`).
"""

from __future__ import annotations


class HttpError(Exception):
    """An error with an HTTP status (and headers), raised by the HTTP layers themselves."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


__all__ = ["HttpError"]
