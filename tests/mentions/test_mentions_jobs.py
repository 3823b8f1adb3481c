"""Mentions found by a job once a text is ready (issue 15: text extraction runs as a job
after the file is stored, and what the text names is proposed for review): the
extraction job queues ``mentions.find``, the real ``dadkhahi worker`` runs both, a rerun
proposes nothing twice, and the job reports progress, stops when cancelled and resumes
after its worker died, through the one job mechanism."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.documents import queue_extraction
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.jobs import queue
from dadkhahi.jobs.queue import JobState
from dadkhahi.jobs.worker import run_job, run_next
from dadkhahi.mentions.finder import find_mentions
from dadkhahi.mentions.jobs import JOB_KIND, queue_mentions
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

# SYNTHETIC sentences: a count of people and one of graves, each with its date.
ARTICLE = ("SYNTHETIC report. In 1999 the committee published 3,200 names. "
           "Seventy graves were counted in 2005.\n")


def _documents(store: Store, tmp: Path, n: int) -> list[str]:
    paths = []
    for k in range(n):
        paths.append(tmp / f"a{k}.txt")
        paths[-1].write_text(f"SYNTHETIC article {k}. " + ARTICLE, "utf-8")
    report = add_evidence(store, paths, Receipt(actor="t"), new_source=SourceSpec(
        title="SYNTHETIC articles", sensitivity=Sensitivity.RESTRICTED))
    return [item for _p, item in report.added]


def _worker(store: Store) -> str:
    """``dadkhahi worker --once`` as its own process (the store's database from the
    environment the backend fixture set), until the queue is empty."""
    done = subprocess.run(
        [sys.executable, "-m", "dadkhahi", "--home", str(store.home.path), "worker",
         "--once", "--nice", "0"], capture_output=True, text=True, check=False,
        env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def _proposals(store: Store) -> list[tuple[str, str, str]]:
    p = s.proposals.c
    with store.reading() as conn:
        return [tuple(r) for r in conn.execute(
            select(p.item_id, p.property, p.locator).order_by(p.item_id, p.locator))]


def _jobs(store: Store, kind: str) -> list[queue.Job]:
    return sorted((j for j in queue.list_jobs(store) if j.kind == kind),
                  key=lambda j: j.created_at)


def test_the_worker_extracts_then_proposes_and_a_rerun_proposes_nothing_twice(
    store: Store, tmp_path: Path,
) -> None:
    items = _documents(store, tmp_path, 2)
    extraction = queue_extraction(store, {"item_ids": items}, "SYNTHETICMEMBERQX")
    assert _proposals(store) == []
    ran = _worker(store)
    # The extraction queued the finder for its texts, as its creator's, and the same
    # worker ran it next.
    done = queue.get(store, extraction.id)
    assert done.state is JobState.SUCCEEDED, done.error
    [found] = _jobs(store, JOB_KIND)
    assert done.result is not None and done.result["mentions_job"] == found.id
    assert f"{found.id} {JOB_KIND}: succeeded" in ran and "2 job(s) run" in ran
    assert found.created_by == extraction.created_by
    assert found.params["actor"] == extraction.params["actor"]  # the pseudonym, no name
    assert found.params["item_ids"] == items
    assert found.result is not None and found.result["found"] == 2
    assert (found.progress_done, found.progress_total) == (2, 2)
    proposed = _proposals(store)
    # Each article: 3,200 names (victim_count) and seventy graves (grave_count).
    assert sorted(prop for _i, prop, _l in proposed) == [
        "grave_count", "grave_count", "victim_count", "victim_count"]
    assert {i for i, _p, _l in proposed} == set(items)
    # Extracting the same items again, or asking for their mentions again, through the
    # worker: nothing is proposed twice.
    queue_extraction(store, {"item_ids": items}, "SYNTHETICMEMBERQX")
    queue_mentions(store, actor="t", item_ids=items)
    assert "3 job(s) run" in _worker(store)
    assert _proposals(store) == proposed
    again = _jobs(store, JOB_KIND)
    assert len(again) == 3 and all(j.state is JobState.SUCCEEDED for j in again)
    assert [(j.result or {})["existing"] for j in again[1:]] == [2, 2]
    with store.reading() as conn:
        runs = conn.execute(select(func.count(s.mentions.c.run_id.distinct()))).scalar_one()
    assert runs == 2


def test_a_cancelled_job_stops_and_a_job_whose_worker_died_resumes(
    store: Store, tmp_path: Path,
) -> None:
    items = _documents(store, tmp_path, 3)
    extraction = queue_extraction(store, {"item_ids": items}, "t")
    assert run_next(store) is not None and queue.get(store, extraction.id).finished
    [queued] = _jobs(store, JOB_KIND)
    # Cancelled while running: it stops before its next text, and says so.
    running = queue.claim(store, job_id=queued.id)
    assert running is not None
    queue.request_cancel(store, queued.id)
    stopped = run_job(store, running)
    assert stopped.state is JobState.CANCELLED and _proposals(store) == []
    # Queued again; its worker dies after the first text (its heartbeat goes stale):
    # the next worker takes the job up again and scans only what was left.
    job = queue_mentions(store, actor="t", item_ids=items)
    assert queue.claim(store, job_id=job.id) is not None
    find_mentions(store, items[0], "t")
    first = _proposals(store)
    again = run_next(store, lease=timedelta(seconds=-1))
    assert again is not None and again.id == job.id, again
    assert again.state is JobState.SUCCEEDED and again.attempts == 2
    assert [r["state"] for r in (again.result or {})["runs"]] == ["existing", "found", "found"]
    assert len(_proposals(store)) == 3 * len(first) == 6


def test_a_text_that_cannot_be_read_is_counted_and_the_rest_go_on(
    store: Store, tmp_path: Path,
) -> None:
    [item] = _documents(store, tmp_path, 1)
    job = queue_mentions(store, actor="t", item_ids=["itm_nosuchitem", item])
    done = run_next(store)
    assert done is not None and done.id == job.id and done.state is JobState.SUCCEEDED
    # Not yet extracted: nothing to read; nothing proposed, nothing failed.
    assert (done.result or {})["no text"] == 2 and _proposals(store) == []


def test_two_jobs_scanning_one_text_at_once_write_one_run(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two workers on the same item: the second to write finds the first's run inside
    its transaction (under the ledger's lock) and writes nothing. Without that check both
    runs were written and every proposal stood twice."""
    from dadkhahi.intake.documents import extract_items
    from dadkhahi.mentions import finder

    [item] = _documents(store, tmp_path, 1)
    extract_items(store, [item], "t")
    real, raced = finder.scan_pages, []

    def other_worker_first(*args: Any, **kwargs: Any) -> Any:
        scanned = real(*args, **kwargs)
        if not raced:  # another worker's run on the same text lands meanwhile
            raced.append(None)
            raced.append(find_mentions(store, item, "other"))
        return scanned

    monkeypatch.setattr(finder, "scan_pages", other_worker_first)
    run = find_mentions(store, item, "t")
    assert run.existing and run.run_id == raced[1].run_id
    assert len(_proposals(store)) == 2
