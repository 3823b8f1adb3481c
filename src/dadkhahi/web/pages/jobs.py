"""The visitor's jobs: long work queued for the worker, with progress, polled by htmx;
the memorial's last build as a zip, for who may publish.

Which jobs a visitor sees, who may queue a linkage run and who may cancel are the job
service's rules (:mod:`dadkhahi.services.jobs`), exactly as ``/api/jobs`` uses them: your
own jobs (every job, for an admin). Forms post back and redirect, so the page works
without JavaScript; with it, the table refreshes itself while a job is unfinished.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access.policy import Permission, Principal
from dadkhahi.domain.errors import UserError
from dadkhahi.http.downloads import memorial_download
from dadkhahi.services import jobs, memorial
from dadkhahi.web.nav import N_, register
from dadkhahi.web.pages.common import LangDep, Listing, VisitorDep, page_router, signed_in
from dadkhahi.web.render import render
from dadkhahi.web.security import read_form, visitor


def _signed_in(principal: Principal) -> bool:
    return principal.signed_in


router = page_router()
register("/jobs", N_("Jobs"), _signed_in)

#: Job kinds and states as shown.
KINDS = {"linkage.run": N_("Linkage run"), "linkage.apply": N_("Review decisions applied"),
         "estimate.store": N_("Estimate"),
         "ledger.verify": N_("Ledger verification"), "case.bundle": N_("Court bundle"),
         "memorial.publish": N_("Memorial build"), "documents.extract": N_("Text extraction"),
         "documents.capture": N_("Web page capture"),
         "mentions.find": N_("Finding mentions in texts")}
STATES = {"queued": N_("Queued"), "running": N_("Running"), "succeeded": N_("Done"),
          "failed": N_("Failed"), "cancelled": N_("Cancelled")}
#: Jobs shown on the page.
SHOWN = 50


#: The list's controls: its state and kind, newest or oldest first.
JOB_LIST = Listing({"-created_at": N_("newest first"), "created_at": N_("oldest first")},
                   "-created_at", {"state": (N_("State"), STATES), "kind": (N_("Job"), KINDS)})


async def _context(request: Request, current: Any) -> dict[str, Any]:
    store = request.app.state.store
    asked = JOB_LIST.asked(request)
    listed, next_cursor = await run_in_threadpool(lambda: jobs.jobs_page(
        store, current.principal, state=asked.filters.get("state"),
        kind=asked.filters.get("kind"), sort=asked.sort, cursor=asked.cursor, limit=SHOWN))
    # The table refreshes itself with the same controls (codes only) while it is busy
    # (the list as it opens: no query).
    kept = {**asked.filters, **({"sort": asked.sort} if asked.sort != JOB_LIST.default
                                else {}), **({"cursor": asked.cursor} if asked.cursor else {})}
    query = urlencode(sorted(kept.items()))
    return {"jobs": listed, "kinds": KINDS, "states": STATES, "asked": asked,
            "listing": JOB_LIST, "page": {"next_cursor": next_cursor}, "rows_query": query,
            "busy": any(j["state"] in ("queued", "running") for j in listed),
            "may_link": current.principal.can(Permission.ANALYSE),
            "may_publish": current.principal.can(Permission.PUBLISH),
            # In the refreshed rows: the link appears when a build is done.
            "memorial_build": await run_in_threadpool(memorial.last_build, store,
                                                      current.principal)}


@router.get("/jobs")
async def page(request: Request, lang: LangDep, current: VisitorDep,
               error: str | None = None) -> Response:
    """Your jobs, newest first, with their progress; queue a linkage run (analysts) or a
    build of the public memorial (who may publish)."""
    signed_in(request, current, lang)
    return render(request, "jobs.html", {**await _context(request, current),
                                         "error": bool(error)}, current, lang)


@router.get("/jobs/rows")
async def rows(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The jobs table alone (htmx polls it while a job is unfinished)."""
    signed_in(request, current, lang)
    return render(request, "jobs_rows.html", await _context(request, current), current, lang)


@router.get("/jobs/memorial")
async def memorial_zip(request: Request, lang: LangDep, current: VisitorDep,
                       sequence: int | None = None) -> Response:
    """The memorial's last build as a zip (who may publish; audited): the API's
    download, with the page session."""
    signed_in(request, current, lang)
    return await run_in_threadpool(memorial_download, request.app.state.store,
                                   current.principal, sequence)


@router.post("/jobs")
async def act(request: Request, lang: LangDep) -> Response:
    """Queue a linkage run or a memorial build, or cancel one of your jobs."""
    form = await read_form(request)
    current = await visitor(request)
    signed_in(request, current, lang)
    store = request.app.state.store
    try:
        if form.get("action") == "link":
            await run_in_threadpool(jobs.enqueue_linkage, store, current.principal,
                                    "duckdb", None, None)
        elif form.get("action") == "apply":
            await run_in_threadpool(jobs.enqueue_apply, store, current.principal)
        elif form.get("action") == "publish":
            await run_in_threadpool(lambda: jobs.enqueue_publication(
                store, current.principal, book=form.get("book") == "1"))
        elif form.get("action") == "cancel":
            await run_in_threadpool(jobs.cancel_for, store, current.principal,
                                    form.get("job_id", ""))
        else:
            raise UserError("unknown action")
    except UserError:
        return RedirectResponse(f"/{lang}/jobs?error=1", status_code=303)
    return RedirectResponse(f"/{lang}/jobs", status_code=303)
