"""Intake of one large file versus `openssl dgst -sha256` and `dd conv=fsync` of it.

    .venv/bin/python benchmarks/intake/bench_intake_1gib.py --size-mib 1024
    .venv/bin/python benchmarks/intake/bench_intake_1gib.py --src src --src /tmp/old/src

All three run in the same invocation on the same page-cached file, --runs rounds of
each, interleaved (a round runs OpenSSL, dd, then each intake), best and median
reported (issue 12 item 17: coreutils `sha256sum` is about 4x slower than OpenSSL's
SHA-256 on this CPU, so it flattered intake). The target: intake at least 0.8x the
speed of the slower of hashing with OpenSSL and copying with fsync. Intake runs as the
real CLI (`python -m dadkhahi evidence add`) in a fresh home each run, so its time
includes start-up, hashing, copying into the blob store, fsync, media-type sniffing and
the ledger transaction; its peak RSS shows memory stays flat; its CPU time (user +
system) is printed too, since on a shared machine wall time is worth only as much as
the machine is quiet (the load average is printed at the start and the end).

``--src DIR`` (repeatable) runs the intake with ``PYTHONPATH=DIR``: two checkouts
(``git worktree add /tmp/old main``) compared in the same rounds, so a change in load
falls on both alike. Each intake runs once untimed first, with Python allowed to write
its bytecode cache: a user's second run reads ``__pycache__``.

For each intake it also prints when the copy started: the wall time and the CPU time
(user + system, read from ``/proc`` at that moment) from the process's start to the
first temporary file in the blob store (start-up before the copy is the part of intake
not overlapped with it). ``--existing-source`` adds into a source registered
beforehand (``--source bench``, whose sensitivity must be read from the database before
a byte is copied) instead of a new one (``--source-title bench``).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _timed(cmd: list[str], env: dict[str, str], before: list[str] | None = None
           ) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``cmd`` (after ``before``, untimed)."""
    if before:
        subprocess.run(before, check=True, capture_output=True, env=env)
    c0, t0 = _cpu(), time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0, _cpu() - c0


def _copy_start(cmd: list[str], env: dict[str, str], tmp: Path) -> tuple[float, float]:
    """Run an intake; (wall seconds, CPU seconds) from its start until its first copy
    appears in ``tmp`` (the blob store's temporary folder), read while it runs."""
    tick = os.sysconf("SC_CLK_TCK")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    seen: tuple[float, float] | None = None
    while proc.poll() is None:
        if seen is None and tmp.is_dir() and any(tmp.glob("incoming-*")):
            wall = time.perf_counter() - t0
            stat = Path(f"/proc/{proc.pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            seen = (wall, (int(fields[11]) + int(fields[12])) / tick)
        time.sleep(0.002)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    if seen is None:
        raise RuntimeError("the intake finished before its copy was seen")
    return seen


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--existing-source", action="store_true",
                        help="add into a source registered beforehand (--source) instead "
                             "of a new one (--source-title)")
    parser.add_argument("--src", action="append", default=[],
                        help="PYTHONPATH of an intake to time (repeatable; default: as "
                             "this process imports dadkhahi)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    intakes = {src: {**env, "PYTHONPATH": src} for src in args.src} or {"(default)": env}
    work = Path(tempfile.mkdtemp(prefix="dadkhahi-intake-bench-"))
    print(f"load average at the start: {_load()}")
    try:
        big = work / "big.bin"
        with open(big, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(1024 * 1024))
        subprocess.run(["cat", str(big)], stdout=subprocess.DEVNULL, check=True)  # warm cache
        size = big.stat().st_size
        copy = work / "copy.bin"
        home = work / "home"
        dk = [sys.executable, "-m", "dadkhahi", "--home", str(home)]
        setup = f"rm -rf {home} && {' '.join(dk)} init --origin bench/intake"
        if args.existing_source:
            note = work / "note.txt"
            note.write_text("SYNTHETIC note\n", "utf-8")
            setup += f" && {' '.join(dk)} evidence add {note} --source-title bench"
        reset = ["bash", "-c", setup]
        add = [*dk, "evidence", "add", str(big),
               *(["--source", "bench"] if args.existing_source else ["--source-title", "bench"])]
        print("intake into " + ("an existing source (--source bench)" if args.existing_source
                                else "a new source (--source-title bench)"))
        for intake_env in intakes.values():  # untimed: bytecode caches written
            _timed(add, intake_env, before=reset)
        walls: dict[str, list[float]] = {"openssl": [], "dd": []}
        cpus: dict[str, list[float]] = {"openssl": [], "dd": []}
        starts: dict[str, list[tuple[float, float]]] = {}
        for _ in range(args.runs):
            for name, cmd, before in (
                    ("openssl", ["openssl", "dgst", "-sha256", str(big)], None),
                    ("dd", ["dd", f"if={big}", f"of={copy}", "bs=4M", "conv=fsync"],
                     ["rm", "-f", str(copy)])):
                wall, cpu = _timed(cmd, env, before)
                walls[name].append(wall)
                cpus[name].append(cpu)
            copy.unlink(missing_ok=True)
            for label, intake_env in intakes.items():
                wall, cpu = _timed(add, intake_env, before=reset)
                walls.setdefault(label, []).append(wall)
                cpus.setdefault(label, []).append(cpu)
            for label, intake_env in intakes.items():
                subprocess.run(reset, check=True, capture_output=True, env=intake_env)
                starts.setdefault(label, []).append(
                    _copy_start(add, intake_env, home / "blobs" / "tmp"))
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        mib = size / 2**20
        print(f"file: {mib:,.0f} MiB (page-cached); {args.runs} rounds, best (median)")

        def line(what: str, key: str) -> None:
            best, mid = min(walls[key]), statistics.median(walls[key])
            print(f"{what}: {best:.2f} s ({mid:.2f} s) = {mib / best:,.0f} MiB/s; "
                  f"CPU {min(cpus[key]):.2f} s ({statistics.median(cpus[key]):.2f} s)")

        line("openssl dgst -sha256", "openssl")
        line("dd bs=4M conv=fsync", "dd")
        slower = max(min(walls["openssl"]), min(walls["dd"]))
        slower_mid = max(statistics.median(walls["openssl"]), statistics.median(walls["dd"]))
        for label in intakes:
            line(f"dadkhahi evidence add [{label}] (incl. process start-up, copy, fsync, "
                 "ledger)", label)
            print(f"  intake speed / speed of the slower of the two: "
                  f"{slower / min(walls[label]):.2f}x best, "
                  f"{slower_mid / statistics.median(walls[label]):.2f}x median "
                  "(target >= 0.8x)")
            start_walls = [w for w, _ in starts[label]]
            start_cpus = [c for _, c in starts[label]]
            print(f"  copy started after {min(start_walls):.2f} s "
                  f"({statistics.median(start_walls):.2f} s) wall, CPU {min(start_cpus):.2f} s "
                  f"({statistics.median(start_cpus):.2f} s)")
        print(f"peak RSS of any child process: {peak / 1024:,.0f} MiB")
        print(f"load average at the end: {_load()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
