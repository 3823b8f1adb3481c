"""``dadkhahi jobs`` and ``dadkhahi worker`` as real processes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path


def dk(home: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "dadkhahi", "--home", str(home), *args],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def test_queue_a_verification_run_it_with_the_worker_and_read_the_result(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    dk(home, "init", "--origin", "cli.test/jobs")
    job_id = dk(home, "jobs", "verify-ledger").strip()
    assert job_id.startswith("job_")
    assert "queued" in dk(home, "jobs", "list")
    ran = dk(home, "worker", "--once", "--nice", "0")
    assert f"{job_id} ledger.verify: succeeded" in ran and "1 job(s) run" in ran
    shown = json.loads(dk(home, "jobs", "show", job_id, "--json"))
    assert shown["state"] == "succeeded" and shown["result"]["ok"] is True
    # Without --json, a field a line as other show commands print (issue 12).
    table = dk(home, "jobs", "show", job_id)
    assert re.search(r"\bstate\W+succeeded\b", table), table
    assert re.search(r"\bkind\W+ledger\.verify\b", table), table
    listed = [json.loads(line) for line in dk(home, "jobs", "list", "--json").splitlines()]
    assert [j["id"] for j in listed] == [job_id]


def test_link_run_can_be_queued_and_its_failure_is_told_plainly(tmp_path: Path) -> None:
    home = tmp_path / "home"
    dk(home, "init", "--origin", "cli.test/jobs-link")
    job_id = dk(home, "link", "run", "--queue", "--seed", "5", "--actor", "leila").strip()
    shown = json.loads(dk(home, "jobs", "show", job_id, "--json"))
    assert shown["kind"] == "linkage.run" and shown["state"] == "queued"
    assert shown["params"].pop("actor").startswith("actor_")  # a pseudonym, not "leila"
    assert shown["params"] == {"backend": "duckdb", "threshold": None, "seed": 5}
    dk(home, "worker", "--once", "--nice", "0")
    failed = json.loads(dk(home, "jobs", "show", job_id, "--json"))
    assert failed["state"] == "failed"
    assert failed["error"].startswith("no list records to link")


WORKER = """
import sys

import dadkhahi.jobs.worker as worker
from dadkhahi.cli.main import run


def broken(store, ctx, params):
    # What an unexpected failure can carry: an OSError names its file, here a witness's.
    raise FileNotFoundError(2, "No such file or directory", "/srv/intake/Qzvxwitness.pdf")


worker.resolve = lambda kind: broken
sys.argv = ["dadkhahi", "--home", sys.argv[1], "worker", "--once", "--nice", "0"]
run()
"""


def test_the_workers_log_says_a_failure_by_type_and_stack_never_its_message(
    tmp_path: Path,
) -> None:
    """A job failing unexpectedly is logged by ``dadkhahi worker`` (its stderr, which a
    service manager keeps), and an exception's message may quote a value; the job's own
    error keeps its type only. The log line had the message too (attack35): Python's
    last-resort handler printed the traceback whole."""
    home = tmp_path / "home"
    dk(home, "init", "--origin", "cli.test/jobs-log")
    job_id = dk(home, "jobs", "verify-ledger").strip()
    proc = subprocess.run([sys.executable, "-c", WORKER, str(home)], capture_output=True,
                          text=True, check=False, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert f"{job_id} ledger.verify: failed" in proc.stdout
    assert f"job {job_id} (ledger.verify) failed" in proc.stderr  # the failure is logged
    assert "FileNotFoundError" in proc.stderr and "broken" in proc.stderr  # type and stack
    assert "qzvx" not in proc.stderr.lower()
    shown = json.loads(dk(home, "jobs", "show", job_id, "--json"))
    assert "qzvx" not in json.dumps(shown).lower()
