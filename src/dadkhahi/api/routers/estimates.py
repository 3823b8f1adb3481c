"""Multiple systems estimation on a capture-history table sent in the request."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dadkhahi.access.policy import Permission, require
from dadkhahi.api.deps import PrincipalDep
from dadkhahi.api.models import EstimateIn
from dadkhahi.domain.errors import ValidationError

router = APIRouter(prefix="/api", tags=["estimates"])


@router.post("/estimates", response_model=dict[str, Any])
def run_estimate(body: EstimateIn, principal: PrincipalDep) -> Any:
    """Estimate the total from overlapping lists (log-linear, Lincoln-Petersen or Chao).

    The sampling-based LCMCR method is left to the command line: it runs for minutes.
    """
    require(principal, Permission.ANALYSE)
    # Imported here: SciPy and statsmodels take seconds to load, and most servers never
    # estimate anything.
    import numpy as np

    from dadkhahi.estimate import Options, estimate, table_from_counts, to_json, validate_table

    if len(body.patterns) != len(body.counts):
        raise ValidationError("patterns and counts must have the same length")
    if any(len(p) != len(body.lists) or any(v not in (0, 1) for v in p) for p in body.patterns):
        raise ValidationError("each pattern has one 0/1 entry per list")
    if any(c < 0 for c in body.counts):
        raise ValidationError("counts cannot be negative")
    table = validate_table(table_from_counts(
        body.lists, np.asarray(body.patterns, dtype=np.int64),
        np.asarray(body.counts, dtype=np.int64)), "request")
    result = estimate(table, body.method, options=Options(level=body.level, seed=0))
    return to_json(result)
