"""The job mechanism on a real store (SQLite and PostgreSQL): queue, run, progress, cancel,
failure, and resume after the worker process is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.jobs import catalog, queue
from dadkhahi.jobs.queue import JobState
from dadkhahi.jobs.worker import run_next
from dadkhahi.store.store import Store

HERE = Path(__file__).parent
TEST_KINDS = {
    "test.count": "job_kinds_for_tests:count",
    "test.stop_myself": "job_kinds_for_tests:stop_myself",
    "test.explode": "job_kinds_for_tests:explode",
    "test.steps": "job_kinds_for_tests:steps_as_they_start",
}


@pytest.fixture
def kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(HERE))
    for name, target in TEST_KINDS.items():
        monkeypatch.setitem(catalog.KINDS, name, target)


def test_a_ledger_verification_runs_as_a_job(store: Store) -> None:
    job = queue.enqueue(store, "ledger.verify", {}, created_by="usr_x")
    assert job.state is JobState.QUEUED and job.attempts == 0
    done = run_next(store)
    assert done is not None and done.id == job.id
    assert done.state is JobState.SUCCEEDED and done.attempts == 1
    assert done.result is not None and done.result["ok"] is True
    assert done.result["size"] == store.size()
    assert done.started_at is not None and done.finished_at is not None
    assert run_next(store) is None  # the queue is empty now
    assert [j.id for j in queue.list_jobs(store, created_by="usr_x")] == [job.id]
    assert queue.list_jobs(store, created_by="usr_other") == []


def test_unknown_kinds_and_non_json_parameters_are_refused(store: Store) -> None:
    with pytest.raises(ValidationError, match="no job kind 'nope'"):
        queue.enqueue(store, "nope", {})
    with pytest.raises(ValidationError, match="plain JSON"):
        queue.enqueue(store, "ledger.verify", {"x": float("nan")})
    with pytest.raises(NotFoundError):
        queue.get(store, "job_missing")


def test_lower_priority_numbers_run_first_then_oldest(store: Store, kinds: None) -> None:
    first = queue.enqueue(store, "test.count", {"to": 1})
    urgent = queue.enqueue(store, "test.count", {"to": 1}, priority=10)
    second = queue.enqueue(store, "test.count", {"to": 1})
    order = [run_next(store) for _ in range(3)]
    assert [j.id for j in order if j] == [urgent.id, first.id, second.id]


def test_cancel_a_queued_job_and_a_running_one(store: Store, kinds: None) -> None:
    queued = queue.enqueue(store, "test.count", {"to": 3})
    assert queue.request_cancel(store, queued.id).state is JobState.CANCELLED
    running = queue.enqueue(store, "test.stop_myself", {})
    done = run_next(store)
    assert done is not None and done.id == running.id
    assert done.state is JobState.CANCELLED and done.result is None
    assert run_next(store) is None  # the cancelled queued job never ran


def test_a_failure_keeps_no_identifying_text(store: Store, kinds: None) -> None:
    queue.enqueue(store, "test.explode", {})
    done = run_next(store)
    assert done is not None and done.state is JobState.FAILED
    assert done.error is not None and "OSError" in done.error
    assert "witness-marker" not in done.error


def test_progress_is_recorded(store: Store, kinds: None) -> None:
    queue.enqueue(store, "test.count", {"to": 4})
    done = run_next(store)
    assert done is not None and done.state is JobState.SUCCEEDED
    assert (done.progress_done, done.progress_total) == (4, 4)
    assert done.result == {"counted_from": 0, "to": 4}


def test_a_succeeded_job_reads_all_done_though_its_last_report_fell_short(
        store: Store, kinds: None) -> None:
    """A job reporting each step as it starts last reports 2 of 3; once it has succeeded the
    jobs page must not show a finished job's bar at 2 of 3 (the memorial build showed
    'Done, 5 of 6'). A failed job keeps the progress it reached."""
    queue.enqueue(store, "test.steps", {})
    done = run_next(store)
    assert done is not None and done.state is JobState.SUCCEEDED
    assert (done.progress_done, done.progress_total) == (3, 3)
    queue.enqueue(store, "test.stop_myself", {})
    stopped = run_next(store)
    assert stopped is not None and stopped.state is JobState.CANCELLED
    assert (stopped.progress_done, stopped.progress_total) == (1, 2)


def _worker_script(home: Path) -> str:
    return (
        "import sys\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        "from dadkhahi.jobs import catalog\n"
        f"catalog.KINDS.update({TEST_KINDS!r})\n"
        "from dadkhahi.jobs.worker import run_next\n"
        "from dadkhahi.store.home import Home\n"
        "from dadkhahi.store.store import Store\n"
        f"run_next(Store.open(Home(__import__('pathlib').Path({str(home)!r}))))\n"
    )


def test_a_job_resumes_where_a_killed_worker_left_it(store: Store, kinds: None) -> None:
    job = queue.enqueue(store, "test.count", {"to": 40, "pause": 0.2})
    worker = subprocess.Popen([sys.executable, "-c", _worker_script(store.home.path)],
                              env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen = queue.get(store, job.id)
            if seen.resume and seen.resume["next"] >= 3:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the worker never reported progress")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    orphan = queue.get(store, job.id)
    assert orphan.state is JobState.RUNNING and orphan.attempts == 1
    # Within the lease the job still belongs to its (dead) worker: nothing to claim.
    assert queue.requeue_stale(store, timedelta(minutes=5)) == 0
    assert queue.requeue_stale(store, timedelta(0)) == 1
    saved = queue.get(store, job.id).resume
    assert saved is not None and saved["next"] >= 3
    job_fast = queue.get(store, job.id)
    assert job_fast.state is JobState.QUEUED
    done = run_next(store)
    assert done is not None and done.id == job.id and done.state is JobState.SUCCEEDED
    assert done.attempts == 2
    assert done.result is not None and done.result["counted_from"] == saved["next"]


def test_a_job_that_keeps_losing_its_worker_fails(store: Store, kinds: None) -> None:
    job = queue.enqueue(store, "test.count", {"to": 1}, max_attempts=1)
    assert queue.claim(store) is not None  # a worker takes it and dies silently
    assert queue.requeue_stale(store, timedelta(0)) == 1
    failed = queue.get(store, job.id)
    assert failed.state is JobState.FAILED and failed.error is not None


def test_two_workers_never_claim_the_same_job(store: Store, kinds: None) -> None:
    a = queue.enqueue(store, "test.count", {"to": 1})
    b = queue.enqueue(store, "test.count", {"to": 1})
    first, second = queue.claim(store), queue.claim(store)
    assert first is not None and second is not None
    assert {first.id, second.id} == {a.id, b.id}
    assert queue.claim(store) is None
