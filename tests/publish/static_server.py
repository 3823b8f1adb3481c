"""The memorial's folder as a browser reaches it: a file:// URI, or a plain static web
server (the standard library's, on a free local port), as any host or mirror serves it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def served(site: Path, how: str = "http") -> Iterator[str]:
    """The site's base address, ending in "/": its folder as a ``file://`` URI
    (``how="file"``), or a static server's ``http://127.0.0.1:PORT/`` while the block
    runs (``how="http"``)."""
    if how == "file":
        yield site.as_uri() + "/"
        return
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
