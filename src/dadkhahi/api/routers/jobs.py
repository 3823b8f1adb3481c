"""Jobs: long work queued for the worker, polled by its URL, cancelled.

Who may see what is decided in :mod:`dadkhahi.services.jobs`: your own jobs (every job,
for an admin); anyone else's is "not found".
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from dadkhahi.api.deps import PrincipalDep, StoreDep
from dadkhahi.api.models import JobOut
from dadkhahi.services import jobs

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
_NF: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such job, or not yours"}}


@router.get("", response_model=list[JobOut])
def list_jobs(store: StoreDep, principal: PrincipalDep,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
    """Your jobs, newest first (an admin sees every job)."""
    return jobs.jobs_for(store, principal, limit)


@router.get("/{job_id}", response_model=JobOut, responses=_NF)
def get_job(job_id: str, store: StoreDep, principal: PrincipalDep) -> Any:
    """One job: its state, progress, and when done its result (IDs and counts) and
    ``result_url``, where what it wrote is read in full."""
    return jobs.job_for(store, principal, job_id)


@router.post("/{job_id}/cancel", response_model=JobOut, responses=_NF)
def cancel_job(job_id: str, store: StoreDep, principal: PrincipalDep) -> Any:
    """Cancel a queued job at once; a running one stops at its next progress report
    (``cancel_requested`` is true meanwhile). A finished job is left as it is."""
    return jobs.cancel_for(store, principal, job_id)
