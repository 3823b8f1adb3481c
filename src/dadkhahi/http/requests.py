"""Small helpers every HTTP face needs for a request: who sent it, how a short read runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from starlette.requests import Request

from dadkhahi.access import factors
from dadkhahi.http.settings import ServerSettings
from dadkhahi.store.db import KEY_READ_THREADS, is_sqlite
from dadkhahi.store.store import Store

T = TypeVar("T")


def client_ip(request: Request) -> str | None:
    """The peer address (a proxy in front must be trusted explicitly; not done here)."""
    return request.client.host if request.client else None


# The event loop's own limiter of the threads that read by key (anyio keeps its default
# limiter per loop the same way: a test's app runs on a loop of its own).
_KEY_READERS: RunVar[CapacityLimiter] = RunVar("dadkhahi_key_readers")


def _key_readers() -> CapacityLimiter:
    try:
        return _KEY_READERS.get()
    except LookupError:
        limiter = CapacityLimiter(KEY_READ_THREADS)
        _KEY_READERS.set(limiter)
        return limiter


async def run_read(store: Store, fn: Callable[..., T], *args: Any) -> T:
    """Run a short read by key (``Store.reading(by_key=True)``): on the event loop for
    SQLite (microseconds in process, a thread hop costs more), in a worker thread for
    PostgreSQL, where the query waits on a socket and, on the loop, would hold every
    other request behind that wait. At most :data:`~dadkhahi.store.db.KEY_READ_THREADS`
    such threads run at once, as many as the connections their engine keeps; more
    requests wait their turn on the loop."""
    if is_sqlite(store.engine):
        return fn(*args)
    return await to_thread.run_sync(fn, *args, limiter=_key_readers())


def relying_party(request: Request, settings: ServerSettings) -> factors.RelyingParty:
    """The WebAuthn relying party: the configured public URL, else this request's origin
    (its Host was checked against the allowed names before any route ran). The API's
    routes and the sign-in pages ask the same keys for the same site."""
    if settings.public_url:
        return factors.RelyingParty(settings.public_url.rstrip("/"))
    return factors.RelyingParty(f"{request.url.scheme}://{request.url.netloc}")


def etag(version: int) -> str:
    """The ETag header value of a version."""
    return f'"{version}"'


__all__ = ["client_ip", "etag", "relying_party", "run_read"]
