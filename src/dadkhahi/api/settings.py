"""Settings of the HTTP server, from the environment (with safe defaults)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class ApiSettings:
    """``max_upload_bytes``: a larger upload is refused (413) before it fills the disk.

    ``cookie_secure`` marks the session cookie Secure (browsers then send it over
    HTTPS only); turn it off only for plain-HTTP development on loopback.
    """

    max_upload_bytes: int = 2 * 1024**3
    session_ttl: timedelta = timedelta(hours=12)
    cookie_secure: bool = True
    cookie_name: str = "dadkhahi_session"

    @classmethod
    def from_env(cls) -> ApiSettings:
        """DADKHAHI_MAX_UPLOAD_BYTES, DADKHAHI_SESSION_HOURS, DADKHAHI_INSECURE_COOKIE=1."""
        return cls(
            max_upload_bytes=_int_env("DADKHAHI_MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            session_ttl=timedelta(hours=_int_env("DADKHAHI_SESSION_HOURS", 12)),
            cookie_secure=os.environ.get("DADKHAHI_INSECURE_COOKIE") != "1",
        )
