"""Estimates on a user's behalf (``analyse``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dadkhahi.access.policy import Permission, Principal, require
from dadkhahi.domain.errors import ValidationError


def estimate_counts(
    principal: Principal, lists: Sequence[str], patterns: Sequence[Sequence[int]],
    counts: Sequence[int], method: str, level: float,
) -> dict[str, Any]:
    """Estimate the total from a capture-history table given as patterns and counts.

    Each pattern has one 0/1 entry per list; ``counts[i]`` people were seen on exactly the
    lists ``patterns[i]`` marks. The sampling-based LCMCR method belongs to a job or the
    command line: it runs for minutes.
    """
    require(principal, Permission.ANALYSE)
    # Imported here: SciPy and statsmodels take seconds to load, and most servers never
    # estimate anything.
    import numpy as np

    from dadkhahi.estimate import Options, estimate, table_from_counts, to_json, validate_table

    if len(patterns) != len(counts):
        raise ValidationError("patterns and counts must have the same length")
    if any(len(p) != len(lists) or any(v not in (0, 1) for v in p) for p in patterns):
        raise ValidationError("each pattern has one 0/1 entry per list")
    if any(c < 0 for c in counts):
        raise ValidationError("counts cannot be negative")
    table = validate_table(table_from_counts(
        list(lists), np.asarray(patterns, dtype=np.int64),
        np.asarray(counts, dtype=np.int64)), "request")
    result = estimate(table, method, options=Options(level=level, seed=0))
    return to_json(result)
