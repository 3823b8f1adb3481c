"""Multiple systems estimation on a capture-history table sent in the request."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dadkhahi.api.deps import PrincipalDep
from dadkhahi.api.models import EstimateIn
from dadkhahi.services.estimates import estimate_counts

router = APIRouter(prefix="/api", tags=["estimates"])


@router.post("/estimates", response_model=dict[str, Any])
def run_estimate(body: EstimateIn, principal: PrincipalDep) -> Any:
    """Estimate the total from overlapping lists (log-linear, Lincoln-Petersen or Chao).

    The sampling-based LCMCR method is left to the command line: it runs for minutes.
    """
    return estimate_counts(principal, body.lists, body.patterns, body.counts, body.method,
                           body.level)
