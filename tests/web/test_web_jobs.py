"""The jobs page: queue a linkage run from a page, follow it (htmx polling while it is
unfinished), cancel it; a visitor sees only their own jobs and cancels no one else's."""

from __future__ import annotations

from api_world import World
from fastapi import FastAPI
from web_world import client_for, csrf_of

from dadkhahi.jobs import queue
from dadkhahi.jobs.queue import JobState


def test_queue_follow_and_cancel_a_linkage_run(app: FastAPI, world: World) -> None:
    analyst = client_for(app, world, "analyst")
    page = analyst.get("/fa/jobs")
    assert page.status_code == 200 and "کارهای شما" in page.text
    r = analyst.post("/fa/jobs", data={"csrf": csrf_of(page.text), "action": "link"})
    assert r.status_code == 303 and r.headers["location"] == "/fa/jobs"
    mine = queue.list_jobs(world.store, created_by=world.user_ids["analyst"])
    assert [j.kind for j in mine] == ["linkage.run"]
    job = mine[0]
    page = analyst.get("/fa/jobs")
    assert job.id in page.text and "در صف" in page.text
    assert 'hx-get="/fa/jobs/rows"' in page.text  # polls while the job is unfinished
    rows = analyst.get("/en/jobs/rows")
    assert rows.status_code == 200 and "Queued" in rows.text and "<html" not in rows.text

    # Someone else neither sees it nor cancels it; without the permission, no run.
    researcher = client_for(app, world, "researcher")
    theirs = researcher.get("/fa/jobs")
    assert job.id not in theirs.text and "اجرای پیوند رکوردها</button>" not in theirs.text
    r = researcher.post("/fa/jobs", data={"csrf": csrf_of(theirs.text), "action": "cancel",
                                          "job_id": job.id})
    assert r.headers["location"] == "/fa/jobs?error=1"
    r = researcher.post("/fa/jobs", data={"csrf": csrf_of(theirs.text), "action": "link"})
    assert r.headers["location"] == "/fa/jobs?error=1"
    assert queue.get(world.store, job.id).state is JobState.QUEUED
    # A form without its token changes nothing.
    assert analyst.post("/fa/jobs", data={"action": "cancel", "job_id": job.id}
                        ).status_code == 403
    assert queue.get(world.store, job.id).state is JobState.QUEUED

    r = analyst.post("/fa/jobs", data={"csrf": csrf_of(page.text), "action": "cancel",
                                       "job_id": job.id})
    assert r.headers["location"] == "/fa/jobs"
    assert queue.get(world.store, job.id).state is JobState.CANCELLED
    done = analyst.get("/en/jobs")
    assert "Cancelled" in done.text and "hx-get" not in done.text  # nothing left to poll
    assert client_for(app, world, "anonymous").get("/fa/jobs").status_code == 303


def test_finished_jobs_of_each_kind_are_shown_with_their_result(app: FastAPI,
                                                                world: World) -> None:
    """A finished job's row words its result by kind; a result without a kind's keys (a
    ledger verification, a run whose counts the viewer may see) is no server error."""
    admin = world.user_ids["admin_g"]  # sees every record: a run's counts are shown
    results = {"linkage.run": {"run_id": "run_SYNTHETIC", "kind": "model", "persons": 7,
                               "records": 9},
               "ledger.verify": {"ok": True, "size": 12}}
    for kind, result in results.items():
        job = queue.enqueue(world.store, kind, {}, created_by=admin)
        assert queue.claim(world.store) is not None
        queue.finish(world.store, job.id, JobState.SUCCEEDED, result=result)
    page = client_for(app, world, "admin_g").get("/en/jobs")
    assert page.status_code == 200, page.text[-500:]
    assert "7 persons from 9 records" in page.text and "Ledger verification" in page.text


def test_a_memorial_build_is_queued_from_the_jobs_page_and_shown_done(
        app: FastAPI, world: World) -> None:
    """Who may publish (an admin) queues a build of the memorial from the jobs page; the
    worker runs it with the job mechanism like any other; the page shows its build number
    and how many victims it published. Anyone else gets no button and no build."""
    from dadkhahi.jobs.worker import run_next

    analyst = client_for(app, world, "analyst")
    theirs = analyst.get("/en/jobs")
    assert "Build the memorial" not in theirs.text
    r = analyst.post("/en/jobs", data={"csrf": csrf_of(theirs.text), "action": "publish"})
    assert r.headers["location"] == "/en/jobs?error=1"
    assert not [j for j in queue.list_jobs(world.store) if j.kind == "memorial.publish"]

    admin = client_for(app, world, "admin")
    page = admin.get("/fa/jobs")
    assert "ساختن یادمان" in page.text
    r = admin.post("/fa/jobs", data={"csrf": csrf_of(page.text), "action": "publish"})
    assert r.status_code == 303 and r.headers["location"] == "/fa/jobs"
    job = queue.list_jobs(world.store, created_by=world.user_ids["admin"])[0]
    assert job.kind == "memorial.publish" and job.params["book"] is False
    assert "Memorial build" in admin.get("/en/jobs/rows").text
    assert run_next(world.store) is not None
    assert queue.get(world.store, job.id).state is JobState.SUCCEEDED
    rows = admin.get("/en/jobs/rows").text
    assert "Build 1: 0 victims published" in rows, rows
