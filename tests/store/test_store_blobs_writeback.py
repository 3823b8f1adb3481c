"""A large blob goes to disk while it is copied, not all at its final fsync (issue 12 item 17).

Without asking, the kernel keeps a written file in memory until its dirty-page threshold
(10% of memory), so the intake of a 1 GiB file hashed and copied it with the disk idle,
then waited for the disk to write all of it at the fsync. Whether the disk was busy
earlier cannot be seen from the outcome, so the test reads the system calls: the
temporary file of each blob is handed to writeback (``fadvise64 … POSIX_FADV_DONTNEED``)
several times before it is synced. The time gained is measured by
``benchmarks/intake/bench_intake_1gib.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("strace") is None and not os.environ.get("CI"),
                                reason="strace is not installed (scripts/install-system-deps.sh)")

_PUT = """
import sys
from pathlib import Path
from dadkhahi.store.blobs import BlobStore, new_file_key
seal = ("itm_test", new_file_key()) if sys.argv[3] == "sealed" else None
BlobStore(Path(sys.argv[1])).put_file(Path(sys.argv[2]), seal=seal)
"""
_CALL = re.compile(r"^\d+\s+(fadvise64|fsync)\((\d+)<([^>]*)>(.*)")


@pytest.mark.parametrize("layout", ["plain", "sealed"])
def test_a_large_blob_is_handed_to_writeback_before_its_fsync(
        tmp_path: Path, layout: str) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(48 * 1024 * 1024))
    log = tmp_path / "strace.log"
    proc = subprocess.run(
        ["strace", "-f", "-y", "-qq", "-o", str(log), "-e", "trace=fadvise64,fsync",
         sys.executable, "-c", _PUT, str(tmp_path / "blobs"), str(src), layout],
        capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    calls = [m.groups() for line in log.read_text(errors="replace").splitlines()
             if (m := _CALL.match(line))]
    incoming = [(name, rest) for name, _, path, rest in calls if "/incoming-" in path]
    synced = [i for i, (name, _) in enumerate(incoming) if name == "fsync"]
    assert len(synced) == 1, calls
    handed = [rest for name, rest in incoming[:synced[0]]
              if name == "fadvise64" and "POSIX_FADV_DONTNEED" in rest]
    assert len(handed) >= 2, calls
