"""Serving ``static/`` at ``/assets/<digest>/<path>``, cached ``immutable``.

A thin shell over Starlette's StaticFiles (ranges, ETags, content types): a
request is served only when its digest is the file's current one, so an
``immutable`` answer can never be stale; any other digest is a 404.
"""

from __future__ import annotations

from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from dadkhahi.assets.lock import STATIC, manifest

#: A year; the URL names the content, so it never changes under this name.
IMMUTABLE = b"public, max-age=31536000, immutable"


class FingerprintedStatic:
    """ASGI app for a mount such as ``app.mount("/assets", FingerprintedStatic())``."""

    def __init__(self, root: Path = STATIC) -> None:
        self.root = root
        self.files = StaticFiles(directory=root, follow_symlink=False)

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
                message = {**message, "headers": headers}
            await send(message)

        await self.files(inner, receive, send_cached)


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    from starlette.responses import JSONResponse

    response = JSONResponse({"error": {"code": "not_found", "message": "no such asset"}},
                            status_code=404)
    await response(scope, receive, send)
