"""Start-up speed of the command line (issue 12 item 17).

    .venv/bin/python benchmarks/cli/bench_startup.py [--runs 5]
    .venv/bin/python benchmarks/cli/bench_startup.py --src /tmp/old/src --src src

Times, as real processes, median and best of --runs: ``dadkhahi --help``,
``dadkhahi --version``, ``init`` in a fresh home, and ``estimate --method chao`` on a
7-row SYNTHETIC table, with the targets 0.3 s, -, 1 s and 1 s. Prints the machine's load
average too: on a shared machine, wall times are worth only as much as it is quiet, so
each command's CPU time (user + system, median) is printed beside its wall time.

Each command runs once untimed first, with Python allowed to write its bytecode cache
(``PYTHONDONTWRITEBYTECODE`` is dropped for the children): a user's second run reads
``__pycache__``, and a cold compile of our own modules (about 0.1 s for ``init``) is not
start-up cost the user pays each time.

``--src DIR`` (repeatable) runs the commands with ``PYTHONPATH=DIR``: two checkouts
compared run by run, alternating, so a change in the machine's load falls on both alike.
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

TABLE = "A,B,C,count\n1,0,0,120\n0,1,0,95\n0,0,1,80\n1,1,0,40\n1,0,1,33\n0,1,1,28\n1,1,1,12\n"


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _times(cmd: list[str], runs: int, envs: dict[str, dict[str, str]],
           before: list[str] | None = None) -> dict[str, tuple[list[float], list[float]]]:
    """(wall seconds, CPU seconds) of each run of ``cmd`` under each environment, runs
    alternating between them, after one untimed run each."""
    out: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in envs}
    for i in range(runs + 1):
        for name, env in envs.items():
            if before:
                subprocess.run(before, check=True, capture_output=True)
            c0, t0 = _cpu(), time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            if i:  # the first run writes the bytecode cache
                out[name][0].append(time.perf_counter() - t0)
                out[name][1].append(_cpu() - c0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", action="append", default=[],
                        help="PYTHONPATH of a checkout to time (repeatable; default: as "
                             "this process imports dadkhahi)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    envs = {src: {**env, "PYTHONPATH": src} for src in args.src} or {"": env}
    work = Path(tempfile.mkdtemp(prefix="dadkhahi-startup-"))
    try:
        table = work / "table.csv"
        table.write_text(TABLE, "utf-8")
        home = work / "home"
        dk = [sys.executable, "-m", "dadkhahi", "--home", str(home)]
        cases = [
            ("--help", [*dk, "--help"], None, 0.3),
            ("--version", [*dk, "--version"], None, None),
            ("init", [*dk, "init", "--origin", "bench.test/startup"],
             ["rm", "-rf", str(home)], 1.0),
            ("estimate --method chao (7 rows)",
             [*dk, "estimate", "--table", str(table), "--method", "chao"], None, 1.0),
        ]
        print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
        for name, cmd, before, target in cases:
            goal = f" (target < {target} s)" if target else ""
            for src, (times, cpu) in _times(cmd, args.runs, envs, before).items():
                label = f"{name} [{src}]" if src else name
                print(f"{label}: median {statistics.median(times):.3f} s, best "
                      f"{min(times):.3f} s of {args.runs}{goal}; CPU median "
                      f"{statistics.median(cpu):.3f} s")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
