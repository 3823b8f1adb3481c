"""A real ``dadkhahi serve`` process for tests, with everything it writes captured."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from dadkhahi.store.home import Home

#: How long a server may take to answer. Its start-up (imports, opening the store) took
#: 6.9 s on the quiet 2-core machine and 98.9 s at nice 10 under load 25 (stop 28, when
#: 60 s failed every test of a module). A server that fails exits and is reported at
#: once; this only bounds one that hangs (pytest-timeout still bounds the test).
START_SECONDS = 180
#: Starts on a new port after the one picked was taken meanwhile (see :func:`start_server`).
PORT_TRIES = 3


@dataclass(frozen=True)
class Served:
    url: str
    log: Path  # stdout and stderr of the server, interleaved

    def text(self) -> str:
        return self.log.read_text("utf-8", errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(home: Path, log: Path, env: dict[str, str], options: tuple[str, ...] = (),
          base: str = "http://127.0.0.1:{port}",
          verify: Any = True) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``dadkhahi --home HOME serve --port PORT [OPTIONS]`` with the environment
    ``env`` on a free loopback port; its process and URL (``base`` with the port) once it
    answers as HOME's server.

    The port is free when picked, but only taken when the server binds it, seconds later:
    another process (the other test worker's server or static site, Spark) may take it
    meanwhile. Then this server exits ("address already in use") and starts again on
    another port; and only an answer with this home's verifier key counts, so a server
    of another test on that port is never taken for this one.
    """
    expected = Home(home).verifier_key_path.read_text("utf-8").strip()
    for _ in range(PORT_TRIES):
        port = _free_port()
        command = [str(Path(sys.executable).with_name("dadkhahi")), "--home", str(home),
                   "serve", "--port", str(port), *options]
        with open(log, "wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        url = base.format(port=port)
        try:
            if _answers(process, url, expected, log, verify):
                return process, url
        except BaseException:
            stop_server(process)
            raise
    raise RuntimeError(f"no free port in {PORT_TRIES} tries: {log.read_text(errors='replace')}")


def _answers(process: subprocess.Popen[bytes], url: str, expected: str, log: Path,
             verify: Any) -> bool:
    """True once the server answers at ``url`` with the verifier key ``expected``; False
    if it exited because its port was taken."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            said = log.read_text(errors="replace")
            if "address already in use" in said.lower():
                return False
            raise RuntimeError(f"the server stopped: {said}")
        try:
            answer = httpx.get(f"{url}/api/ledger/key", timeout=2, verify=verify)
            if answer.status_code == 200 and answer.text.strip() == expected:
                return True
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start within {START_SECONDS} s")
        time.sleep(0.1)


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop a server (killed if it has not ended 20 s after being asked to)."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serve(home: Path, log: Path, env: dict[str, str] | None = None,
          options: tuple[str, ...] = ()) -> Iterator[Served]:
    """Start ``dadkhahi --home HOME serve [OPTIONS]`` on a free loopback port (this
    process's environment with ``env`` added); stop it on exit."""
    process, url = start_server(home, log, {**os.environ, **(env or {})}, options)
    try:
        yield Served(url, log)
    finally:
        stop_server(process)
