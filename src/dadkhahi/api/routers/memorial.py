"""The public memorial: a build queued as a job (``memorial.publish``), polled by its URL.

Who may publish is decided in :mod:`dadkhahi.services.jobs` (the ``publish`` permission);
the build itself is the command line's (:mod:`dadkhahi.publish.build`), run by the worker.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from dadkhahi.api.deps import PrincipalDep, StoreDep
from dadkhahi.api.models import JobOut, MemorialBuildIn
from dadkhahi.services import jobs

router = APIRouter(prefix="/api/memorial", tags=["memorial"])


@router.post("/builds", status_code=202, response_model=JobOut,
             responses={202: {"description": "Queued: poll the job's URL (also in the "
                                             "Location header)"}})
def queue_build(store: StoreDep, principal: PrincipalDep, response: Response,
                body: MemorialBuildIn | None = None) -> Any:
    """Queue a build of the public memorial (what the editorial gate and the disclosure
    rule release), written into the home's memorial folder over the build before; answers
    at once with the job to poll. When done its result holds the build's sequence, its
    manifest's SHA-256 and how many victims it published."""
    body = body or MemorialBuildIn()
    job = jobs.enqueue_publication(store, principal, languages=tuple(body.languages),
                                   base_url=body.base_url, contact=body.contact,
                                   book=body.book)
    response.headers["Location"] = job["url"]
    return job
