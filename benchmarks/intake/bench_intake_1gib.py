"""Intake of one large file versus `sha256sum` on the same (page-cached) file.

    .venv/bin/python benchmarks/intake/bench_intake_1gib.py --size-mib 1024

Both are timed on a warm page cache, best of --runs. Intake runs as the real
CLI (`python -m dadkhahi evidence add`) in a fresh home each run, so its time
includes start-up, hashing, copying into the blob store, fsync, media-type
sniffing and the ledger transaction; its peak RSS shows memory stays flat.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _best(cmd: list[str], runs: int, before: list[str] | None = None) -> tuple[float, int]:
    best = float("inf")
    peak = 0
    for _ in range(runs):
        if before:
            subprocess.run(before, check=True, capture_output=True)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return best, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dadkhahi-intake-bench-"))
    try:
        big = work / "big.bin"
        with open(big, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(1024 * 1024))
        subprocess.run(["cat", str(big)], stdout=subprocess.DEVNULL, check=True)  # warm cache
        size = big.stat().st_size
        sha_s, _ = _best(["sha256sum", str(big)], args.runs)
        home = work / "home"
        dk = [sys.executable, "-m", "dadkhahi", "--home", str(home)]
        reset = ["bash", "-c", f"rm -rf {home} && {' '.join(dk)} init --origin bench/intake"]
        intake_s, peak = _best([*dk, "evidence", "add", str(big), "--source-title", "bench"],
                               args.runs, before=reset)
        mib = size / 2**20
        print(f"file: {mib:,.0f} MiB (page-cached)")
        print(f"sha256sum: {sha_s:.2f} s = {mib / sha_s:,.0f} MiB/s (best of {args.runs})")
        print(f"dadkhahi evidence add: {intake_s:.2f} s = {mib / intake_s:,.0f} MiB/s "
              f"(best of {args.runs}, incl. process start-up, copy, fsync, ledger)")
        print(f"intake speed / sha256sum speed: {sha_s / intake_s:.0%}")
        print(f"peak RSS of any child process: {peak / 1024:,.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
