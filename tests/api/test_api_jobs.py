"""Long work as jobs over HTTP: a linkage run and an estimate are queued (202), run by the
worker, polled to the end and equal to a direct run; cancel; a worker killed mid-run is
replaced after its lease and the run is done once. Every name here is SYNTHETIC.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import pytest
from api_world import World, list_csv, upload
from sqlalchemy import func, select

from dadkhahi.jobs import queue
from dadkhahi.jobs.queue import JobState
from dadkhahi.jobs.worker import run_job, run_next
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

SETTINGS = {"threshold": 0.9, "seed": 7}


_PREPARED: set[int] = set()


@pytest.fixture
def world(shared_world: World) -> World:
    if id(shared_world) not in _PREPARED:  # once per module and backend
        _two_lists(shared_world)
        _PREPARED.add(id(shared_world))
    return shared_world


def _two_lists(world: World) -> None:
    """Two small lists naming some of the same people, spelt differently."""
    for tag, rows in (("X", [["X1", "Karimi, Ali", "Reza", "1367/05/12", "Tehran", ""],
                             ["X2", "Moradi, Zahra", "Hassan", "1367/06/01", "Tehran", ""],
                             ["X3", "Sadeghi, Mina", "Karim", "1367/05/20", "Qom", ""]]),
                      ("Y", [["Y1", "Ali Karimi", "Reza", "12 Mordad 1367", "Tehran", ""],
                             ["Y2", "Zahra Moradi", "", "Shahrivar 1367", "Karaj", ""],
                             ["Y3", "Javad Najafi", "Ahmad", "1988", "Rasht", ""]])):
        r = upload(world.client, "/api/lists", list_csv(rows), {
            "source": f"SYNTHETIC jobs {tag} {secrets.token_hex(3)}", "id_column": "ID",
            "sensitivity": "public"}, world.headers("investigator_g"))
        assert r.status_code == 201, r.text


def _link_runs(store: Store) -> int:
    with store.reading() as conn:
        query = select(func.count()).select_from(s.ledger_events).where(
            s.ledger_events.c.type == "link.run")
        return int(conn.execute(query).scalar_one())


def _partition(store: Store) -> dict[str, str]:
    with store.reading() as conn:
        pr = s.person_records.c
        return {str(r): str(p) for r, p in conn.execute(select(pr.record_id, pr.person_id))}


def _sqlite_only(world: World) -> None:
    # Real Splink runs take the better part of a minute on two loaded cores: once is
    # enough. The queue itself (claim, lease, kill) runs on PostgreSQL in tests/jobs.
    if world.store.engine.dialect.name != "sqlite":
        pytest.skip("real linkage runs: on SQLite only (the queue on PostgreSQL: tests/jobs)")


def _get(world: World, url: str, who: str = "analyst") -> Any:
    return world.client.get(url, headers=world.headers(who))


def test_a_queued_linkage_run_equals_a_direct_run(world: World) -> None:
    from dadkhahi.linkage.service import run_linkage

    _sqlite_only(world)
    r = world.client.post("/api/linkage/runs", json=SETTINGS, headers=world.headers("analyst"))
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] == "queued" and job["kind"] == "linkage.run"
    # The job's URL and its stored parameters hold its ID and the settings, nothing else.
    assert r.headers["Location"] == job["url"] == f"/api/jobs/{job['id']}"
    actor = job["params"].pop("actor")
    assert job["params"] == {"backend": "duckdb", **SETTINGS}
    assert actor.startswith("actor_") and "analyst" not in r.text  # a pseudonym, no name
    # Only its creator and admins see it; to anyone else it does not exist.
    assert _get(world, job["url"], "admin").status_code == 200
    for who in ("researcher", "investigator_g", "lawyer_g"):
        assert _get(world, job["url"], who).status_code == 404
    assert _get(world, job["url"], "anonymous").status_code == 401
    assert job["id"] not in _get(world, "/api/jobs", "researcher").text
    assert job["id"] in _get(world, "/api/jobs", "admin").text

    runs = _link_runs(world.store)
    done = run_next(world.store)
    assert done is not None and done.id == job["id"]
    polled = _get(world, job["url"]).json()
    assert polled["state"] == "succeeded", polled
    assert polled["progress"]["done"] >= 3 and polled["progress"]["note"] == "recording persons"
    assert polled["result_url"] == "/api/linkage/stats"
    # The run counted protected records the analyst may not see: no counts for them
    # (tests/api/test_api_disclosure_leftovers.py); the worker stored them.
    assert polled["result"]["counts_withheld"] is True and "records" not in polled["result"]
    report = queue.get(world.store, job["id"]).result
    assert report is not None
    assert report["run_id"].startswith("run_") and report["kind"] == "model"
    assert _link_runs(world.store) == runs + 1
    assert _get(world, "/api/linkage/stats").json()["last_run"]["id"] == report["run_id"]

    # The same run made directly finds the same persons: every record stays with the
    # person the job put it with, and the counts agree.
    after_job = _partition(world.store)
    direct = run_linkage(world.store, "analyst", **SETTINGS)  # type: ignore[arg-type]
    assert _partition(world.store) == after_job
    assert direct.moved == 0 and direct.new_persons == 0
    for name in ("records", "persons", "pairs", "review", "conflicts", "decisions"):
        assert getattr(direct, name) == report[name], name


def test_a_queued_estimate_equals_a_direct_one(world: World) -> None:
    from dadkhahi.analysis.estimates import WhenAudited, _plain, estimate_store
    from dadkhahi.estimate import Options, to_json

    # Queued by an admin holding every grant: the estimate counts protected lists' persons,
    # so an analyst without the grants gets no figures from the job (issue 11).
    r = world.client.post("/api/estimates/runs", json={"method": "lp", "seed": 3},
                          headers=world.headers("admin_g"))
    assert r.status_code == 202, r.text
    assert world.client.post("/api/estimates/runs", json={"method": "lp"},
                             headers=world.headers("researcher")).status_code == 403
    assert run_next(world.store) is not None
    polled = _get(world, r.headers["Location"], "admin_g").json()
    assert polled["state"] == "succeeded", polled
    withheld = _get(world, r.headers["Location"], "admin").json()
    assert withheld["result"] == {"counts_withheld": True}
    result = dict(polled["result"])
    estimate_id = result.pop("estimate_id")
    with world.store.reading() as conn:
        row = conn.execute(select(s.estimates.c.estimate, s.estimates.c.seed).where(
            s.estimates.c.id == estimate_id)).one()
    assert row.seed == 3 and row.estimate == pytest.approx(result["estimate"], abs=0.06)
    # Not told, the job draws linkages only from a recorded audit; this run has none,
    # so the linkage is held fixed and the result says so.
    assert any("holds the linkage fixed" in w for w in result["warnings"])
    direct = estimate_store(world.store, "lp", Options(seed=3), uncertainty=WhenAudited())
    assert _plain(to_json(direct.result)) == result
    told = world.client.post("/api/estimates/runs", json={
        "method": "lp", "linkage_uncertainty": False, "linkage_draws": 4},
        headers=world.headers("admin_g"))
    assert told.status_code == 422 and "linkage_draws" in told.text


def test_cancel_a_queued_and_a_running_linkage_run(world: World) -> None:
    queued = world.client.post("/api/linkage/runs", json={},
                               headers=world.headers("analyst")).json()
    assert world.client.post(f"{queued['url']}/cancel",
                             headers=world.headers("researcher")).status_code == 404
    r = world.client.post(f"{queued['url']}/cancel", headers=world.headers("analyst"))
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert run_next(world.store) is None  # nothing left to run

    runs = _link_runs(world.store)
    running = world.client.post("/api/linkage/runs", json={},
                                headers=world.headers("analyst")).json()
    claimed = queue.claim(world.store)  # a worker has taken it...
    assert claimed is not None and claimed.id == running["id"]
    r = world.client.post(f"{running['url']}/cancel", headers=world.headers("admin"))
    assert r.status_code == 200
    assert r.json()["state"] == "running" and r.json()["cancel_requested"] is True
    done = run_job(world.store, claimed)  # ...and stops at its first report
    assert done.state is JobState.CANCELLED
    assert _get(world, running["url"]).json()["state"] == "cancelled"
    assert _link_runs(world.store) == runs  # nothing was written


def _worker_script(store: Store) -> str:
    return (
        "import pathlib\n"
        "from dadkhahi.jobs.worker import run_next\n"
        "from dadkhahi.store.home import Home\n"
        "from dadkhahi.store.store import Store\n"
        f"run_next(Store.open(Home(pathlib.Path({str(store.home.path)!r}))))\n"
    )


def test_a_worker_killed_mid_run_is_replaced_after_its_lease(world: World) -> None:
    _sqlite_only(world)
    job = world.client.post("/api/linkage/runs", json=SETTINGS,
                            headers=world.headers("analyst")).json()
    runs = _link_runs(world.store)
    worker = subprocess.Popen([sys.executable, "-c", _worker_script(world.store)],
                              env=os.environ.copy())
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            seen = queue.get(world.store, job["id"])
            if (seen.progress_note or "").startswith("linking"):
                break  # the model is at work
            assert worker.poll() is None, "the worker ended before it was killed"
            time.sleep(0.05)
        else:
            pytest.fail("the worker never started linking")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    orphan = _get(world, job["url"]).json()
    assert orphan["state"] == "running" and orphan["attempts"] == 1
    assert _link_runs(world.store) == runs  # killed before it wrote anything
    # Within the lease the job still belongs to its (dead) worker; after it, it is queued
    # again, and the next worker runs it to the end.
    assert queue.requeue_stale(world.store, timedelta(minutes=5)) == 0
    assert queue.requeue_stale(world.store, timedelta(0)) == 1
    done = run_next(world.store)
    assert done is not None and done.id == job["id"]
    polled = _get(world, job["url"]).json()
    assert polled["state"] == "succeeded" and polled["attempts"] == 2
    assert _link_runs(world.store) == runs + 1
