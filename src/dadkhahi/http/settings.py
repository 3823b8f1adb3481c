"""Settings of the HTTP server (API and pages alike), from the environment (with safe
defaults)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import timedelta

#: Host names a server bound to loopback answers to (``dadkhahi serve`` sets these).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) only listens on this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class ServerSettings:
    """``max_upload_bytes``: a larger upload is refused (413) before it fills the disk.

    ``cookie_secure`` marks the session cookie Secure (browsers then send it over
    HTTPS only); turn it off only for plain-HTTP development on loopback.
    ``allowed_hosts``: the Host header must name one of these (a request naming
    another, e.g. through DNS rebinding, is refused 400); None checks nothing and
    is for in-process use only. ``hsts``: send Strict-Transport-Security (the
    server or its proxy speaks TLS). ``public_url``: the origin browsers use (for
    WebAuthn); by default the request's own scheme and checked Host.
    """

    max_upload_bytes: int = 2 * 1024**3
    session_ttl: timedelta = timedelta(hours=12)
    session_idle: timedelta = timedelta(minutes=30)
    cookie_secure: bool = True
    cookie_name: str = "dadkhahi_session"
    allowed_hosts: tuple[str, ...] | None = None
    hsts: bool = False
    public_url: str | None = None
    #: Web captures asked for over HTTP may fetch loopback and private addresses.
    capture_private: bool = False

    @classmethod
    def from_env(cls) -> ServerSettings:
        """DADKHAHI_MAX_UPLOAD_BYTES, DADKHAHI_SESSION_HOURS, DADKHAHI_SESSION_IDLE_MINUTES,
        DADKHAHI_INSECURE_COOKIE=1, DADKHAHI_ALLOWED_HOSTS (comma-separated),
        DADKHAHI_HSTS=1, DADKHAHI_PUBLIC_URL, DADKHAHI_CAPTURE_PRIVATE=1 (web captures
        asked for over HTTP may fetch loopback and private addresses)."""
        hosts = os.environ.get("DADKHAHI_ALLOWED_HOSTS")
        return cls(
            max_upload_bytes=_int_env("DADKHAHI_MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            session_ttl=timedelta(hours=_int_env("DADKHAHI_SESSION_HOURS", 12)),
            session_idle=timedelta(minutes=_int_env("DADKHAHI_SESSION_IDLE_MINUTES", 30)),
            cookie_secure=os.environ.get("DADKHAHI_INSECURE_COOKIE") != "1",
            allowed_hosts=tuple(h.strip().lower() for h in hosts.split(",") if h.strip())
            if hosts else None,
            hsts=os.environ.get("DADKHAHI_HSTS") == "1",
            public_url=os.environ.get("DADKHAHI_PUBLIC_URL") or None,
            capture_private=os.environ.get("DADKHAHI_CAPTURE_PRIVATE") == "1",
        )
