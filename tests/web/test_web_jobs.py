"""The jobs page: queue a linkage run from a page, follow it (htmx polling while it is
unfinished), cancel it; a visitor sees only their own jobs and cancels no one else's."""

from __future__ import annotations

import re

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


def test_the_memorial_as_built_is_downloaded_by_who_may_publish(app: FastAPI,
                                                                world: World) -> None:
    """Once built, the jobs page offers the build as a zip to who may publish (the link
    in the rows htmx refreshes, so it appears when the build is done); the page and the
    API give the same bytes, the signed build whole, with nothing of a restricted or
    protected object; anyone else is refused, by the same rule on both faces."""
    import io
    import zipfile

    from dadkhahi.publish.build import build
    from dadkhahi.publish.jobs import memorial_folder
    from dadkhahi.publish.site import Options

    build(world.store, "tester", memorial_folder(world.store), Options())
    admin = client_for(app, world, "admin")
    rows = admin.get("/fa/jobs/rows").text
    link = re.search(r'href="(/fa/jobs/memorial\?sequence=(\d+))"', rows)
    assert link is not None, rows
    assert "دریافت یادمان" in rows
    page = admin.get(link.group(1))
    assert page.status_code == 200, page.text[:300]
    sequence = link.group(2)
    assert page.headers["content-type"] == "application/zip"
    assert f'filename="memorial-build-{sequence}.zip"' in page.headers["content-disposition"]
    api = admin.get("/api/memorial/archive", headers=world.headers("admin"))
    assert api.status_code == 200 and api.content == page.content
    with zipfile.ZipFile(io.BytesIO(page.content)) as zf:
        unpacked = b"".join(zf.read(name) for name in zf.namelist())
        assert f"memorial-build-{sequence}/manifest.note" in zf.namelist()
    for mark in world.hidden_markers("anonymous"):  # restricted and protected
        assert mark.encode() not in unpacked
    assert admin.get(f"/fa/jobs/memorial?sequence={int(sequence) + 1}").status_code == 404

    for who in ("analyst", "investigator_g", "lawyer_g", "researcher", "viewer_g"):
        theirs = client_for(app, world, who)
        assert "/jobs/memorial" not in theirs.get("/en/jobs/rows").text
        assert theirs.get(link.group(1)).status_code == 403, who
        assert theirs.get("/api/memorial/archive",
                          headers=world.headers(who)).status_code == 403, who
    assert client_for(app, world, "anonymous").get(link.group(1)).status_code == 303
    assert admin.get("/api/memorial/archive").status_code == 401


def test_review_decisions_are_applied_as_a_job_from_the_review_queue(
        app: FastAPI, world: World) -> None:
    """"Apply the review decisions" (review queue and jobs page, analysts): a job the
    worker runs, re-clustering the last model run's pairs with every decision, recorded
    as a run of kind ``decisions`` under the signed-in user; a reviewer without
    ``analyse`` is not offered it and is refused."""
    from dadkhahi.jobs.worker import run_next
    from dadkhahi.linkage.store_io import latest_run

    analyst = client_for(app, world, "analyst")
    page = analyst.get("/en/review").text
    assert 'value="apply"' in page
    r = analyst.post("/en/jobs", data={"csrf": csrf_of(page), "action": "apply"})
    assert r.status_code == 303 and r.headers["location"] == "/en/jobs"
    job = queue.list_jobs(world.store, created_by=world.user_ids["analyst"], limit=1)[0]
    assert job.kind == "linkage.apply" and job.state is JobState.QUEUED
    while run_next(world.store) is not None:  # the queue may hold others' jobs
        pass
    done = queue.get(world.store, job.id)
    assert done.state is JobState.SUCCEEDED and done.result is not None
    with world.store.reading() as conn:
        run = latest_run(conn)
    assert run is not None and run["kind"] == "decisions" and run["id"] == done.result[
        "run_id"]
    assert "Review decisions applied" in analyst.get("/en/jobs").text
    # Its counts cover every record, protected ones too: withheld from the analyst, who
    # holds no grant (as a linkage run's are).
    from dadkhahi.access.policy import Principal
    from dadkhahi.domain.vocab import Role
    from dadkhahi.services import jobs

    seen = jobs.jobs_for(world.store, Principal(user_id=world.user_ids["analyst"],
                                                username="analyst", role=Role.ANALYST), 5)
    mine = next(j for j in seen if j["id"] == job.id)
    assert mine["result"].get("counts_withheld") and "persons" not in mine["result"]
    reviewer = client_for(app, world, "researcher")
    refused = reviewer.post("/en/jobs", data={"csrf": csrf_of(reviewer.get("/en/jobs").text),
                                              "action": "apply"})
    assert refused.headers["location"] == "/en/jobs?error=1"
