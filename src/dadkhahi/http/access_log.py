"""The server's access log: method, route template, status and time, never the URL.

A URL can carry identifying values (an ID is harmless, but a query string may hold a
search for a witness's name), and a log line outlives every erasure. uvicorn's own
access log writes the full request line with its query string and the client's
address, so ``dadkhahi serve`` turns it off (:data:`LOG_CONFIG`) and this middleware
writes one line per request instead::

    POST /api/sources/{source_id}/items 201 12.3ms

A request that matched no route is logged as ``(no route)``.
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The logger of the access lines (INFO).
ACCESS_LOGGER = "dadkhahi.access"
log = logging.getLogger(ACCESS_LOGGER)


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/api/items/{object_id}``), never the path."""
    route = scope.get("route")
    if route is None:
        # FastAPI names API routes in the scope; plain routes (the schema, the docs) are
        # found among the application's routes by their endpoint.
        endpoint, app = scope.get("endpoint"), scope.get("app")
        route = next((r for r in getattr(app, "routes", ())
                      if endpoint is not None and getattr(r, "endpoint", None) is endpoint),
                     None)
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else "(no route)"


class AccessLog:
    """Logs each HTTP request as method, route template, status and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before it answers

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            log.info("%s %s %d %.1fms", scope["method"], route_template(scope), status,
                     (time.perf_counter() - started) * 1000)


class NoValuesFormatter(logging.Formatter):
    """Formats a failure as its type and stack only, never its message.

    An exception's message may quote a value it choked on (a name, a title), and
    Starlette hands every unexpected failure on to uvicorn, which logs it with its
    traceback: here the message is left out, the code path kept.
    """

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's own name
        _, exc, tb = ei
        lines: list[str] = []
        seen: set[int] = set()
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            lines.append("".join(traceback.format_tb(tb or exc.__traceback__)).rstrip())
            lines.append(f"{type(exc).__module__}.{type(exc).__qualname__} (message withheld)")
            exc = exc.__cause__ or exc.__context__
            tb = None
            if exc is not None:
                lines.append("caused by:")
        return "\n".join(lines)


#: uvicorn's logging for ``dadkhahi serve``: its access log off, ours on, all to stderr.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": NoValuesFormatter,
                  "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                   "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        # Off: it writes the request line, query string included, and the client address.
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "dadkhahi": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


def log_config(level: str = "info") -> dict[str, Any]:
    """:data:`LOG_CONFIG` at ``level`` (uvicorn's ``--log-level`` names)."""
    name = "DEBUG" if level.lower() == "trace" else level.upper()
    config = {**LOG_CONFIG, "loggers": {k: dict(v) for k, v in LOG_CONFIG["loggers"].items()}}
    for logger, settings in config["loggers"].items():
        if logger != "uvicorn.access":
            settings["level"] = name
    return config


__all__ = ["ACCESS_LOGGER", "LOG_CONFIG", "AccessLog", "NoValuesFormatter", "log_config",
           "route_template"]
