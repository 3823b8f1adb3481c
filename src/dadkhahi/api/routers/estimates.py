"""Multiple systems estimation: on a capture-history table sent in the request (at once),
or on the store's linked lists (queued as a job, recorded in the ledger when done)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from dadkhahi.api.deps import PrincipalDep, StoreDep
from dadkhahi.api.models import EstimateIn, EstimateRunIn, JobOut
from dadkhahi.services import jobs
from dadkhahi.services.estimates import estimate_counts

router = APIRouter(prefix="/api", tags=["estimates"])


@router.post("/estimates", response_model=dict[str, Any])
def run_estimate(body: EstimateIn, principal: PrincipalDep) -> Any:
    """Estimate the total from overlapping lists (log-linear, Lincoln-Petersen or Chao).

    The sampling-based LCMCR method is left to the command line: it runs for minutes.
    """
    return estimate_counts(principal, body.lists, body.patterns, body.counts, body.method,
                           body.level)


@router.post("/estimates/runs", status_code=202, response_model=JobOut,
             responses={202: {"description": "Queued: poll the job's URL (also in the "
                                             "Location header)"}})
def queue_estimate(body: EstimateRunIn, response: Response, store: StoreDep,
                   principal: PrincipalDep) -> Any:
    """Queue an estimate of the store's linked victims' lists (any method, LCMCR
    included, optionally by stratum or over drawn linkages); answers at once with the
    job to poll. When done it is recorded (``estimate.computed``) and the job's result
    holds the estimate, its interval and its ``estimate_id``."""
    job = jobs.enqueue_estimate(
        store, principal, body.method, by=body.by, seed=body.seed, level=body.level,
        iterations=body.iterations, chains=body.chains, draws=body.linkage_draws,
        linkage_uncertainty=body.linkage_uncertainty)
    response.headers["Location"] = job["url"]
    return job
