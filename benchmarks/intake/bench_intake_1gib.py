"""Intake of one large file versus `openssl dgst -sha256` and `dd conv=fsync` of it.

    .venv/bin/python benchmarks/intake/bench_intake_1gib.py --size-mib 1024

All three run in the same invocation on the same page-cached file, best of --runs
each (issue 12 item 17: coreutils `sha256sum` is about 4x slower than OpenSSL's
SHA-256 on this CPU, so it flattered intake). The target: intake at least 0.8x the
speed of the slower of hashing with OpenSSL and copying with fsync. Intake runs as the real
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
        openssl_s, _ = _best(["openssl", "dgst", "-sha256", str(big)], args.runs)
        copy = work / "copy.bin"
        dd_s, _ = _best(["dd", f"if={big}", f"of={copy}", "bs=4M", "conv=fsync"], args.runs,
                        before=["rm", "-f", str(copy)])
        copy.unlink(missing_ok=True)
        home = work / "home"
        dk = [sys.executable, "-m", "dadkhahi", "--home", str(home)]
        reset = ["bash", "-c", f"rm -rf {home} && {' '.join(dk)} init --origin bench/intake"]
        intake_s, peak = _best([*dk, "evidence", "add", str(big), "--source-title", "bench"],
                               args.runs, before=reset)
        mib = size / 2**20
        print(f"file: {mib:,.0f} MiB (page-cached)")
        print(f"openssl dgst -sha256: {openssl_s:.2f} s = {mib / openssl_s:,.0f} MiB/s "
              f"(best of {args.runs})")
        print(f"dd bs=4M conv=fsync: {dd_s:.2f} s = {mib / dd_s:,.0f} MiB/s")
        print(f"dadkhahi evidence add: {intake_s:.2f} s = {mib / intake_s:,.0f} MiB/s "
              f"(best of {args.runs}, incl. process start-up, copy, fsync, ledger)")
        slower = max(openssl_s, dd_s)
        print(f"intake speed / speed of the slower of the two: {slower / intake_s:.2f}x "
              "(target >= 0.8x)")
        print(f"peak RSS of any child process: {peak / 1024:,.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
