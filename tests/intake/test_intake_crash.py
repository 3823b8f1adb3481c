"""kill -9 in the middle of a bulk intake leaves a consistent store; a re-run completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from dadkhahi.intake.evidence import verify_blobs
from dadkhahi.store import schema as s
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

N_FILES = 120


def _cli(home: Home, *args: str) -> list[str]:
    return [sys.executable, "-m", "dadkhahi", "--home", str(home.path), *args]


def _items(store: Store) -> int:
    with store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(s.items)).scalar_one())


def test_kill_nine_mid_intake(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "bulk"
    folder.mkdir()
    for i in range(N_FILES):
        # 2 MiB of distinct bytes each, so the intake is slow enough to interrupt.
        (folder / f"f{i:04d}.bin").write_bytes(os.urandom(2 * 1024 * 1024))
    proc = subprocess.Popen(
        _cli(store.home, "evidence", "add", str(folder), "--source-title", "SYNTHETIC bulk"),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy(),
    )
    deadline = time.monotonic() + 120
    while _items(store) < 10:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    interrupted = _items(store)
    assert 10 <= interrupted < N_FILES

    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
    assert report.ok, report.findings
    assert verify_blobs(store).ok

    with store.reading() as conn:
        source_id = conn.execute(select(s.sources.c.id)).scalar_one()
    done = subprocess.run(_cli(store.home, "evidence", "add", str(folder), "--source", source_id),
                          capture_output=True, text=True, env=os.environ.copy(), check=False)
    assert done.returncode == 0, done.stderr
    assert _items(store) == N_FILES
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok
    assert verify_blobs(store).ok
