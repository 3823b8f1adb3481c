"""``dadkhahi serve``: the HTTP API (and its OpenAPI schema at /openapi.json)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from dadkhahi.cli.common import console, home
from dadkhahi.store.home import ENV_HOME


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Serve the API with uvicorn (put TLS in front of it for anything but loopback).

    The log (stderr) has one line per request: method, route template, status and time,
    never the URL or its query string, nor the client's address.
    """
    import uvicorn

    from dadkhahi.api.access_log import log_config

    target = home()
    target.config()  # a clear error now rather than in every worker
    console.print(f"Dadkhahi API on http://{host}:{port} (schema at /openapi.json)")
    if workers > 1:
        # Workers import the app themselves; they find the home in the environment.
        os.environ[ENV_HOME] = str(target.path)
        uvicorn.run("dadkhahi.api.server:app_from_env", factory=True, workers=workers,
                    host=host, port=port, log_level=log_level, proxy_headers=False,
                    server_header=False, access_log=False, log_config=log_config(log_level))
    else:
        from dadkhahi.api import create_app
        from dadkhahi.api.server import served

        uvicorn.run(served(create_app(target)), host=host, port=port, log_level=log_level,
                    proxy_headers=False, server_header=False, access_log=False,
                    log_config=log_config(log_level))
