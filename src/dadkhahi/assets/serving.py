"""Serving ``static/`` at ``/assets/<digest>/<path>``, cached ``immutable``.

A thin shell over Starlette's StaticFiles (ranges, ETags, content types): a
request is served only when its digest is the file's current one, so an
``immutable`` answer can never be stale; any other digest is a 404. Text assets go
out gzip-compressed to a browser that accepts it (Starlette's GZipMiddleware; fonts,
images and ranges as they are): the map page's first load was 499.8 KB against the
issue's 500 KB (``benchmarks/web/bench_first_load.py``). Only the assets: they hold no
secret, where a page compressed with its CSRF token beside reflected input could be
read byte by byte (BREACH).
"""

from __future__ import annotations

from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from dadkhahi.assets.lock import STATIC, manifest

#: A year; the URL names the content, so it never changes under this name.
IMMUTABLE = b"public, max-age=31536000, immutable"


class FingerprintedStatic:
    """ASGI app for a mount such as ``app.mount("/assets", FingerprintedStatic())``."""

    def __init__(self, root: Path = STATIC) -> None:
        self.root = root
        self.files = GZipMiddleware(StaticFiles(directory=root, follow_symlink=False),
                                    minimum_size=1024)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        root_path = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path):]
        digest, _, rest = path.lstrip("/").partition("/")
        if not rest or manifest(self.root).get(rest) != digest:
            await _not_found(scope, receive, send)
            return
        inner = dict(scope)
        inner["path"] = f"{root_path}/{rest}"

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = [h for h in message.get("headers", []) if h[0] != b"cache-control"]
                headers.append((b"cache-control", IMMUTABLE))
                if any(name == b"content-encoding" for name, _ in headers):
                    # The file's ETag names its plain bytes: the compressed ones are only
                    # equivalent to them (a weak validator).
                    headers = [(n, b"W/" + v if n == b"etag" and not v.startswith(b"W/")
                                else v) for n, v in headers]
                message = {**message, "headers": headers}
            await send(message)

        await self.files(inner, receive, send_cached)


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    from starlette.responses import JSONResponse

    response = JSONResponse({"error": {"code": "not_found", "message": "no such asset"}},
                            status_code=404)
    await response(scope, receive, send)
