"""The Spark tests, timed as ``make test`` runs them (issue 12 item 18: under 2 minutes).

    .venv/bin/python benchmarks/linkage/bench_spark_tests.py [--cli]

Runs ``pytest tests/linkage/test_linkage_spark_session.py`` (the Spark run of ``make
test``: a real local session, one query, lineage cut) in a child process, and with
``--cli`` also the opt-in whole ``link run --backend spark`` test
(``tests/cli/test_cli_link_spark.py``, ``DADKHAHI_TEST_SPARK=1``: 15 records through
Splink on Spark against DuckDB, Spark quiet without ``--verbose``). For each it prints
the pytest outcome, the wall time and the CPU time of the whole process tree: pytest,
its Python child and Spark's JVM. The JVM is started by PySpark and never waited for,
so the kernel's accounting of waited-for children would leave it out: the tree is
sampled from ``/proc`` every 0.1 s (each process's last user + system time; a process
living less than 0.1 s may be missed). The load average is printed before and after:
on a shared machine the wall time is worth only as much as the machine is quiet; the
CPU time much less depends on it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system seconds) of a live process, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _tree_cpu(root: int, seen: dict[int, float]) -> None:
    """Note the CPU time of ``root`` and every live process descending from it."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            got = _stat(int(entry))
            if got is not None:
                parents[int(entry)], cpu[int(entry)] = got
    for pid, used in cpu.items():
        up = pid
        while up not in (root, 0, 1) and up in parents:
            up = parents[up]
        if up == root:
            seen[pid] = max(seen.get(pid, 0.0), used)


def _run(label: str, args: list[str], env: dict[str, str]) -> None:
    print(f"{label}: load average before {os.getloadavg()[0]:.2f}", flush=True)
    seen: dict[int, float] = {}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    while proc.poll() is None:
        _tree_cpu(proc.pid, seen)
        time.sleep(0.1)
    wall = time.perf_counter() - start
    out = proc.stdout.read() if proc.stdout else ""
    summary = [line for line in out.splitlines() if " passed" in line or " failed" in line
               or " skipped" in line or " error" in line]
    print(f"  {summary[-1] if summary else out[-400:]}")
    for line in out.splitlines():
        if "link run --backend spark on" in line:  # the opt-in test's own timing
            print(f"  {line.strip()}")
    if proc.returncode != 0:  # why: pytest's short summary (a timeout, an assertion)
        reasons = [line for line in out.splitlines()
                   if line.startswith(("FAILED", "ERROR", "E  ")) or "Timeout" in line]
        print("\n".join(f"  {line[:300]}" for line in reasons[:12]))
    print(f"  wall {wall:.1f} s; CPU of the process tree {sum(seen.values()):.1f} s "
          f"({len(seen)} processes); load average after {os.getloadavg()[0]:.2f}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", action="store_true",
                        help="also the opt-in whole `link run --backend spark` test")
    args = parser.parse_args()
    env = dict(os.environ)
    _run("make test's Spark test (tests/linkage/test_linkage_spark_session.py)",
         ["tests/linkage/test_linkage_spark_session.py"], env)
    if args.cli:
        _run("opt-in: link run --backend spark from the CLI (tests/cli/test_cli_link_spark.py)",
             ["tests/cli/test_cli_link_spark.py", "-s"],
             {**env, "DADKHAHI_TEST_SPARK": "1"})


if __name__ == "__main__":
    main()
