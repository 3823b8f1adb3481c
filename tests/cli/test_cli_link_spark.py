"""``link run --backend spark`` from the command line on a tiny SYNTHETIC input.

Issue 12 item 18 and issue 18 item 6. Spark must stay quiet without ``--verbose`` (no stage
bars, no log lines) and give the persons DuckDB gives. A run this small gets a local
session on one core with a 1 GiB heap and one shuffle partition
(``linkage.run.local_spark_shape`` and ``spark_sizing``); the heavy Spark runs are
benchmarks (``benchmarks/linkage/bench_dadkhahi.py --backend spark``).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pyspark")

# Splink's training on Spark runs hundreds of small queries: even sized for 15 records
# (one core, 1 GiB, one partition, no codegen, lineage kept by persist) `link run` took
# 157 s at load 2 on two cores (the whole test 174 s; 747 s at load 13), over the
# issue's 2-minute budget. make test starts a small session instead
# (tests/linkage/test_linkage_spark_session.py); this whole run is asked for
# (DADKHAHI_TEST_SPARK=1), as is benchmarks/linkage/bench_dadkhahi.py --backend spark.
# Persist cut nothing (every EM iteration recomputed the comparison vectors); stop 25
# checkpoints instead (linkage.run.spark_api). This run then passed at load 25: 948 s.
# Stop 30: it timed out (1200 s, 193 s of CPU and unfinished, load 13-20): checkpointing
# spent its time in Catalyst's constraint inference (jstack); with it off
# (linkage.run.spark_sizing) it passed in the same conditions, the whole test 140.9 s of
# CPU (benchmarks/linkage/bench_spark_tests.py --cli).
pytestmark = pytest.mark.skipif(
    not os.environ.get("DADKHAHI_TEST_SPARK"),
    reason="Splink on Spark from the CLI: opt-in (DADKHAHI_TEST_SPARK=1), over the "
           "2-minute budget of make test",
)

X = [["X1", "Karimi, Ali", "Reza", "1367/05/12", "Evin", "Tehran"],
     ["X2", "Moradi, Zahra", "Hassan", "1367/06/01", "Evin", "Tehran"],
     ["X3", "Najafi, Javad", "Ahmad", "1367/06/02", "Evin", "Rasht"],
     ["X4", "Rostami, Reza", "Ali", "1367/05/20", "Evin", "Shiraz"],
     ["X5", "Tehrani, Maryam", "Hassan", "1367/05/25", "Gohardasht", "Karaj"],
     ["X6", "Sadeghi, Saeed", "Ahmad", "1367/06/05", "Evin", "Tehran"],
     ["X7", "Kazemi, Nasser", "Reza", "1367/06/07", "Evin", "Tabriz"]]
Y = [["Y1", "Ali Karimi", "Reza", "12 Mordad 1367", "Evin", "Tehran"],
     ["Y2", "Zahra Moradi", "", "Shahrivar 1367", "Gohardasht", "Karaj"],
     ["Y3", "Javad Najafi", "Ahmad", "1988", "", "Rasht"],
     ["Y4", "Reza Rostami", "Ali", "1367", "Evin", "Shiraz"],
     ["Y5", "Maryam Tehrani", "Hassan", "1367/05/25", "Gohardasht", "Karaj"],
     ["Y6", "Saeed Sadeghi", "", "1367/06/05", "Evin", "Tehran"],
     ["Y7", "Mehdi Jafari", "Ali", "1367/06/10", "Evin", "Tehran"],
     ["Y8", "Fatemeh Ahmadi", "Reza", "1367/06/11", "Evin", "Rasht"]]
HEADER = ["ID", "Full name", "Father", "Date of execution", "Prison", "City"]


def dk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DADKHAHI_DATABASE_URL"}
    proc = subprocess.run(
        [sys.executable, "-m", "dadkhahi", "--home", str(home), *args],
        capture_output=True, text=True, check=False,
        env={**env, "COLUMNS": "200", "DADKHAHI_ACTOR": "cli-tester"},
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def _home(tmp_path: Path, name: str) -> Path:
    home = tmp_path / name
    dk(home, "init", "--origin", f"cli.test/{name}")
    for tag, rows in (("x", X), ("y", Y)):
        path = tmp_path / f"synthetic_{tag}.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([HEADER, *rows])
        dk(home, "lists", "import", str(path), "--source-title", f"SYNTHETIC {tag}",
           "--id-column", "ID")
    return home


def _persons(home: Path, out: Path) -> set[frozenset[str]]:
    dk(home, "link", "export", "--out", str(out))
    groups: dict[str, set[str]] = {}
    with open(out, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            groups.setdefault(row["person_id"], set()).add(row["record_id"])
    return {frozenset(g) for g in groups.values()}


@pytest.mark.slow
# The budget is 2 minutes on two quiet cores; the timeout leaves room for a loaded one.
@pytest.mark.timeout(1200)
def test_link_run_on_spark_is_quiet_and_links_as_duckdb_does(tmp_path: Path) -> None:
    spark_home, duck_home = _home(tmp_path, "spark"), _home(tmp_path, "duck")
    tick = time.perf_counter()
    run = dk(spark_home, "link", "run", "--backend", "spark")
    seconds = time.perf_counter() - tick
    print(f"link run --backend spark on {len(X) + len(Y)} records: {seconds:.1f} s")
    assert "15 records →" in run.stdout, run.stdout
    # Spark's start-up lines (the JVM's, before any setting applies) are allowed; no
    # stage progress bars and no log lines after them.
    assert "[Stage" not in run.stderr, run.stderr
    assert not any(" WARN " in line or " INFO " in line for line in run.stderr.splitlines()), \
        run.stderr
    dk(duck_home, "link", "run")
    assert _persons(spark_home, tmp_path / "s.csv") == _persons(duck_home, tmp_path / "d.csv")
