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

import httpx


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


@contextmanager
def serve(home: Path, log: Path, env: dict[str, str] | None = None,
          options: tuple[str, ...] = ()) -> Iterator[Served]:
    """Start ``dadkhahi --home HOME serve [OPTIONS]`` on a free loopback port; stop it on
    exit."""
    port = _free_port()
    command = [str(Path(sys.executable).with_name("dadkhahi")), "--home", str(home), "serve",
               "--port", str(port), *options]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server stopped: {log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{url}/api/ledger/key", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within 60 s")
            time.sleep(0.1)
        yield Served(url, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
