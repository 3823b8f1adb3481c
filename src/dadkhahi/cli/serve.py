"""``dadkhahi serve``: the HTTP API (and its OpenAPI schema at /openapi.json).

Plain HTTP only on loopback: another address needs TLS (``--tls-cert/--tls-key``),
or ``--insecure-behind-proxy`` for a TLS-terminating proxy in front. The server
answers only to the host names it is told (``--allowed-host``), and sends HSTS
when it or its proxy speaks TLS.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from dadkhahi.cli.common import CLEAR_KEY_WARNING, ask_passphrase, console, err_console, home
from dadkhahi.domain.errors import UserError
from dadkhahi.store.home import ENV_HOME, ENV_MASTER_KEY, Home

PROXY_WARNING = (
    "warning: --insecure-behind-proxy: this server speaks plain HTTP on {host}. Passwords, "
    "session tokens and witness data cross the network in clear between the proxy and "
    "this server, and anyone who can reach {host}:{port} directly bypasses the proxy. "
    "Use it only with a TLS-terminating proxy on this machine or on a network you "
    "trust, and firewall the port to the proxy alone."
)


#: uvicorn's log levels.
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def _hosts(host: str, allowed: list[str], public_url: str | None) -> list[str]:
    from dadkhahi.http.settings import is_loopback

    names = [h.strip().lower().strip("[]") for h in allowed if h.strip()]
    if public_url:
        names.append(str(urlsplit(public_url).hostname))
    if is_loopback(host):
        names += ["localhost", "127.0.0.1", "::1"]
    if not names:
        raise UserError("name the host names clients use with --allowed-host "
                        "(or --public-url): requests naming any other are refused")
    return sorted(set(names))


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (1-65535)")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (1-64)")] = 1,
    log_level: Annotated[str, typer.Option(
        help="uvicorn log level: " + ", ".join(LOG_LEVELS))] = "info",
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM)")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="TLS private key (PEM)")] = None,
    insecure_behind_proxy: Annotated[bool, typer.Option(
        help="Serve plain HTTP on a non-loopback address (a TLS proxy is in front)")] = False,
    allowed_host: Annotated[list[str] | None, typer.Option(
        help="A host name clients use (repeat for several); loopback names are added "
             "when listening on loopback")] = None,
    public_url: Annotated[str | None, typer.Option(
        help="The https:// origin browsers use (security keys are bound to it)")] = None,
    worker: Annotated[bool, typer.Option(
        "--worker/--no-worker",
        help="Run queued jobs (linkage, estimates…) in a thread of this server, one at a "
             "time at low priority; --no-worker when `dadkhahi worker` runs them")] = True,
    worker_nice: Annotated[int, typer.Option(
        "--worker-nice", min=0, max=19,
        help="How much to lower the job thread's priority (as `dadkhahi worker --nice`)")]
    = 10,
) -> None:
    """Serve the workspace's pages and the API with uvicorn (TLS needed off loopback).

    The log (stderr) has one line per request: method, route template, status and time,
    never the URL or its query string, nor the client's address.
    """

    from dadkhahi.http.settings import is_loopback

    if not 1 <= port <= 65535:
        raise UserError(f"--port must be between 1 and 65535, not {port}")
    if not 1 <= workers <= 64:
        raise UserError(f"--workers must be between 1 and 64, not {workers}")
    if log_level not in LOG_LEVELS:
        raise UserError(f"--log-level must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")
    if (tls_cert is None) != (tls_key is None):
        raise UserError("give both --tls-cert and --tls-key")
    tls = tls_cert is not None
    if not is_loopback(host) and not tls and not insecure_behind_proxy:
        raise UserError(
            f"refusing plain HTTP on {host}: passwords and witness data would cross the "
            "network in clear. Give --tls-cert and --tls-key, or --insecure-behind-proxy "
            "when a TLS-terminating proxy is in front")
    for path in (tls_cert, tls_key):
        if path is not None and not path.is_file():
            raise UserError(f"{path}: no such file")
    hosts = _hosts(host, allowed_host or [], public_url)
    target = home()
    target.config()  # a clear error now rather than in every worker
    if target.master_key_in_clear():
        err_console.print(CLEAR_KEY_WARNING.format(path=target.master_key_path),
                          highlight=False, soft_wrap=True)
    if ENV_MASTER_KEY not in os.environ:
        # Asked (or read from its descriptor) once here; the app and every worker
        # process take it from this process's environment, never from the disk.
        key = target.master_key(ask_passphrase)
        os.environ[ENV_MASTER_KEY] = base64.b64encode(key).decode()
    if insecure_behind_proxy and not tls:
        err_console.print(PROXY_WARNING.format(host=host, port=port), highlight=False,
                          soft_wrap=True)
    # Settings travel in the environment so every worker process builds the same app.
    os.environ["DADKHAHI_ALLOWED_HOSTS"] = ",".join(hosts)
    behind_tls = tls or bool(public_url and public_url.startswith("https://"))
    os.environ["DADKHAHI_HSTS"] = "1" if behind_tls else "0"
    if public_url:
        os.environ["DADKHAHI_PUBLIC_URL"] = public_url
    scheme = "https" if tls else "http"
    shown = f"[{host}]" if ":" in host else host
    console.print(f"Dadkhahi workspace on {scheme}://{shown}:{port}/ and the API under /api "
                  f"(schema at /openapi.json, answering to {', '.join(hosts)})",
                  highlight=False)
    ssl = {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)} if tls else {}
    stop_jobs = _start_job_thread(target, worker_nice) if worker else None
    try:
        _run(target, host, port, workers, log_level, ssl)
    finally:
        if stop_jobs is not None:
            stop_jobs()


def _start_job_thread(target: Home, nice: int) -> Callable[[], None]:
    """A thread running queued jobs one at a time, at low priority (see ``dadkhahi worker``).

    One per server, in the process that starts uvicorn (never in each of its workers).
    Linux keeps a niceness per thread, so lowering this thread's leaves the threads
    answering requests at full priority. Returns what stops it (after the job in hand).
    """
    import threading

    from dadkhahi.jobs.worker import lower_priority, run_forever
    from dadkhahi.store.store import Store

    stop = threading.Event()

    def work() -> None:
        lower_priority(nice)
        run_forever(Store.open(target), stop=stop)

    thread = threading.Thread(target=work, name="dadkhahi-jobs", daemon=True)
    thread.start()
    console.print("running queued jobs in this server (one at a time, low priority; "
                  "--no-worker leaves them to `dadkhahi worker`)", highlight=False)

    def halt() -> None:
        stop.set()
        thread.join(timeout=5)

    return halt


def _run(target: Home, host: str, port: int, workers: int, log_level: str,
         ssl: dict[str, str]) -> None:
    import uvicorn

    from dadkhahi.http.access_log import log_config

    if workers > 1:
        # Workers import the app themselves; they find the home in the environment.
        os.environ[ENV_HOME] = str(target.path)
        uvicorn.run("dadkhahi.server:app_from_env", factory=True, workers=workers,
                    host=host, port=port, log_level=log_level, proxy_headers=False,
                    server_header=False, access_log=False, log_config=log_config(log_level),
                    **ssl)  # type: ignore[arg-type]
    else:
        from dadkhahi.http.serving import served
        from dadkhahi.server import create_app

        uvicorn.run(served(create_app(target)), host=host, port=port, log_level=log_level,
                    proxy_headers=False, server_header=False, access_log=False,
                    log_config=log_config(log_level), **ssl)  # type: ignore[arg-type]


def register(root: typer.Typer) -> None:
    """Add ``serve`` to the ``dadkhahi`` app."""
    root.command("serve")(serve)
