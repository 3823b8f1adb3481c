"""The public memorial: a build queued as a job (``memorial.publish``), polled by its URL;
the last build downloaded as a zip.

Who may publish is decided in :mod:`dadkhahi.services.jobs` (the ``publish`` permission),
who may take a copy in :mod:`dadkhahi.services.memorial` (the same); the build itself is
the command line's (:mod:`dadkhahi.publish.build`), run by the worker.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from dadkhahi.api.deps import PrincipalDep, StoreDep
from dadkhahi.api.models import JobOut, MemorialBuildIn
from dadkhahi.http.downloads import memorial_download
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


@router.get("/archive", response_class=StreamingResponse,
            responses={200: {"content": {"application/zip": {}}},
                       404: {"description": "Not built yet, or no longer the build asked"},
                       409: {"description": "Being built, or the folder does not match "
                                            "its signed manifest"}})
def archive(store: StoreDep, principal: PrincipalDep,
            sequence: Annotated[int | None, Query(ge=1)] = None) -> StreamingResponse:
    """The memorial's last build (the home's memorial folder) as a zip, once it verifies
    against its signed manifest; for who may publish, audited. ``sequence``: the build
    expected (404 if the folder now holds another); 404 before the first build."""
    return memorial_download(store, principal, sequence)
