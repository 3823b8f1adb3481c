"""Durability of an intake against a power cut (issue 18 item 4), by its system calls.

A killed process cannot show a missing fsync (the kernel still writes the page cache
out); a power cut can. So the intake runs under ``strace`` and the test requires, for
every blob it places: the file's bytes synced before the rename into place, and the
folder synced after it (the rename is an entry of the folder); and the commit that
names the blobs synced to SQLite's WAL after them (``synchronous=FULL``, see
``store.db``). Debian's ``strace`` comes with ``scripts/install-system-deps.sh``.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

pytestmark = pytest.mark.skipif(shutil.which("strace") is None and not os.environ.get("CI"),
                                reason="strace is not installed (scripts/install-system-deps.sh)")

_CALL = re.compile(r"^\d+\s+(?:<\.\.\. )?(fsync|fdatasync|rename|renameat|renameat2)\((.*)")
_FD_PATH = re.compile(r"^\d+<(.*?)>")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _calls(log: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(call, paths) in the order the calls began: the fd's path, or a rename's two."""
    calls = []
    for line in log.read_text(errors="replace").splitlines():
        m = _CALL.match(line)
        if m is None or "resumed>" in line:
            continue
        name, args = m.groups()
        if name.startswith("rename"):
            calls.append((name, tuple(_QUOTED.findall(args)[:2])))
        elif fd := _FD_PATH.match(args):
            calls.append((name, (fd.group(1),)))
    return calls


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), (1, 2, 3)).save(out, format="JPEG")
    return out.getvalue()


@pytest.mark.parametrize("sensitivity", ["public", "protected"])
def test_each_blob_is_synced_then_renamed_then_its_folder_synced(
    tmp_path: Path, sensitivity: str
) -> None:
    home = Home(tmp_path / "home")
    Store.init(home, "durable.test/ledger", "tester").engine.dispose()
    files = tmp_path / "in"
    files.mkdir()
    (files / "a.txt").write_text("SYNTHETIC statement one\n")
    (files / "b.txt").write_text("SYNTHETIC statement two\n" * 1000)
    (files / "photo.jpg").write_bytes(_jpeg())  # and its metadata-stripped copy
    log = tmp_path / "strace.log"
    proc = subprocess.run(
        ["strace", "-f", "-y", "-qq", "-o", str(log),
         "-e", "trace=fsync,fdatasync,rename,renameat,renameat2",
         sys.executable, "-m", "dadkhahi", "--home", str(home.path), "evidence", "add",
         str(files), "--source-title", "SYNTHETIC", "--sensitivity", sensitivity],
        capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    calls = _calls(log)
    blobs = str(home.blob_dir.resolve())
    placed = [(i, paths) for i, (name, paths) in enumerate(calls)
              if name.startswith("rename") and len(paths) == 2
              and paths[1].startswith(blobs + "/") and not paths[1].startswith(blobs + "/tmp/")]
    on_disk = [p for p in home.blob_dir.rglob("*") if p.is_file()]
    assert len(placed) == len(on_disk) == 4  # three files and the copy
    synced = {"fsync", "fdatasync"}
    for i, (tmp, dest) in placed:
        assert any(n in synced and p == (tmp,) for n, p in calls[:i]), f"{tmp} not synced"
        folder = str(Path(dest).parent)
        assert any(n in synced and p == (folder,) for n, p in calls[i + 1:]), (
            f"{folder} not synced after the rename of {dest}")
    # Each file is its own transaction, and each commit must reach the disk (the WAL
    # synced) before the next file's blob is placed; only the photo and its copy share
    # one transaction, so one gap between renames may go without. With
    # synchronous=NORMAL the WAL is synced only at checkpoints, and this fails.
    wal = str((home.path / "dadkhahi.sqlite-wal").resolve())
    wal_syncs = [i for i, (n, p) in enumerate(calls) if n in synced and p == (wal,)]
    bounds = [i for i, _ in placed] + [len(calls)]
    unsynced = [(a, b) for a, b in itertools.pairwise(bounds)
                if not any(a < w < b for w in wal_syncs)]
    assert len(unsynced) <= 1, f"commits not synced between renames {unsynced}: {calls}"
