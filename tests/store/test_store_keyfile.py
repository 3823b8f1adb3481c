"""The master key off disk (issue 11 item 7), each way, reproducing the attack.

The attack: copy the home, read ``keys/master.key``, unwrap every data key. Once the key
is sealed with a passphrase (asked at start), or handed in by a file descriptor or an
environment variable, a copy of the home holds nothing that opens it.
"""

from __future__ import annotations

import base64
import fcntl
import os
import select
import socket
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from sqlalchemy import select as sql_select

from dadkhahi.domain.errors import UserError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.sources import register_source
from dadkhahi.store import schema as s
from dadkhahi.store.home import ENV_MASTER_KEY, ENV_MASTER_KEY_FD, Home
from dadkhahi.store.store import Store

PASSPHRASE = "SYNTHETIC long passphrase"


def _title(store: Store) -> str:
    with store.reading() as conn:
        row = conn.execute(sql_select(s.sources)).mappings().one()
        payload = store.keys.unseal(conn, row["sealed"], row["id"])
    assert payload is not None
    return str(payload["title"])


def _home_with_secret(tmp_path: Path) -> tuple[Home, bytes]:
    home = Home(tmp_path / "home")
    store = Store.init(home, "keys.test/ledger", "tester")
    with store.transaction("tester") as tx:
        register_source(store, tx, SourceSpec(title="MRKTITLEQ", sensitivity=Sensitivity.PROTECTED))
    store.engine.dispose()
    return home, home.master_key_path.read_bytes().strip()


def _copy_holds(home: Home, key_b64: bytes) -> bool:
    raw = base64.b64decode(key_b64)
    data = b"".join(p.read_bytes() for p in home.path.rglob("*") if p.is_file())
    return key_b64 in data or raw in data or raw.hex().encode() in data


def test_a_passphrase_seals_the_key_and_is_asked_for(tmp_path: Path) -> None:
    home, key = _home_with_secret(tmp_path)
    assert _copy_holds(home, key)  # the attack works on a home as it was
    with pytest.raises(UserError, match="12 characters"):
        home.protect_master_key("short")
    home.protect_master_key(PASSPHRASE)
    assert not home.master_key_in_clear() and not _copy_holds(home, key)
    with pytest.raises(UserError, match="sealed with a passphrase"):
        Store.open(home).keys  # noqa: B018 (nobody to ask)
    with pytest.raises(UserError, match="wrong passphrase"):
        Store.open(home, ask=lambda: "SYNTHETIC wrong guess").keys  # noqa: B018
    asked: list[int] = []
    store = Store.open(home, ask=lambda: asked.append(1) or PASSPHRASE)
    assert _title(store) == "MRKTITLEQ" and asked == [1]
    store.engine.dispose()


def test_a_file_descriptor_or_the_environment_hands_the_key_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, key = _home_with_secret(tmp_path)
    home.master_key_path.unlink()  # a service keeps it elsewhere
    read, write = os.pipe()
    os.write(write, key + b"\n")
    os.close(write)
    monkeypatch.setenv(ENV_MASTER_KEY_FD, str(read))
    store = Store.open(home)
    assert _title(store) == "MRKTITLEQ"
    assert Store.open(home).keys is not None  # read once, kept for the process
    store.engine.dispose()
    monkeypatch.delenv(ENV_MASTER_KEY_FD)
    with pytest.raises(UserError, match="no master key"):
        Store.open(home).keys  # noqa: B018
    monkeypatch.setenv(ENV_MASTER_KEY, key.decode())
    store = Store.open(home)
    assert _title(store) == "MRKTITLEQ"
    store.engine.dispose()


def _on_a_terminal(args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run the command with a terminal of its own, typing each answer at a prompt."""
    main, sub = os.openpty()

    def take_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([sys.executable, "-m", "dadkhahi", *args], stdin=sub, stdout=sub,
                            stderr=sub, preexec_fn=take_terminal, close_fds=True)
    os.close(sub)
    out, pending, answered = b"", list(answers), 0
    while select.select([main], [], [], 120)[0]:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the command ended and closed the terminal
            break
        if not chunk:
            break
        out += chunk
        # Only a prompt printed since the last answer is answered (the line end echoed
        # after an answer must not be taken for the next prompt).
        if pending and out[answered:].rstrip().endswith(b":"):
            os.write(main, (pending.pop(0) + "\n").encode())
            answered = len(out)
    os.close(main)
    return proc.wait(60), out.decode(errors="replace")


def test_the_command_line_protects_the_key_asks_for_it_and_serve_warns(tmp_path: Path) -> None:
    home, key = _home_with_secret(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    serve = subprocess.Popen(
        [sys.executable, "-m", "dadkhahi", "--home", str(home.path), "serve", "--port", port],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert serve.stderr is not None
        assert "master key sits in clear" in serve.stderr.readline()
    finally:
        serve.terminate()
        serve.wait(30)
    code, out = _on_a_terminal(["--home", str(home.path), "master-key", "protect"],
                               [PASSPHRASE, PASSPHRASE])
    assert code == 0, out
    assert not home.master_key_in_clear() and not _copy_holds(home, key)
    doc = tmp_path / "statement.txt"
    doc.write_text("SYNTHETIC statement\n")
    code, out = _on_a_terminal(["--home", str(home.path), "evidence", "add", str(doc),
                                "--source-title", "SYNTHETIC", "--sensitivity", "protected"],
                               [PASSPHRASE])
    assert code == 0 and "Passphrase of the master key" in out and "1 added" in out, out
    # Rotation asks for the current passphrase, then a new one twice; then only it works.
    renewed = "SYNTHETIC rotated passphrase"
    code, out = _on_a_terminal(["--home", str(home.path), "master-key", "rotate"],
                               [PASSPHRASE, renewed, renewed])
    assert code == 0 and "new master key" in out, out
    second = tmp_path / "second.txt"
    second.write_text("SYNTHETIC second statement\n")
    add = ["--home", str(home.path), "evidence", "add", str(second), "--source-title",
           "SYNTHETIC again", "--sensitivity", "protected"]
    code, out = _on_a_terminal(add, [PASSPHRASE])
    assert code != 0 and "wrong passphrase" in out, out
    code, out = _on_a_terminal(add, [renewed])
    assert code == 0 and "1 added" in out, out
