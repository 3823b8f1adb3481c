"""The estimate over several drawn linkages: posterior draws pooled (linkage-averaging).

Sadinle (2018, Annals of Applied Statistics 12(2)) propagates record-linkage
uncertainty into a population-size estimate in two stages: draw partitions
Z_1..Z_M of the records into persons from the linkage's posterior, run the
estimator on the capture histories of each, and pool the posterior draws of
N, the same number from each partition. The pooled draws are draws from
p(N | data) = (1/M) sum_m p(N | Z_m), so the interval carries both the
estimator's uncertainty and the linkage's. (It equals the joint model's
answer when the linkage stage's partition prior is the one the
population-size model implies; otherwise it is the two-stage approximation
the paper studies.)

Methods without posterior draws (profile intervals, closed forms) are pooled
through a split-normal approximation of each run (half-normals below and
above its estimate, scaled so that the estimate is the median and the
interval's ends are the quantiles), which the result says.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from dadkhahi.domain.errors import UserError
from dadkhahi.estimate.result import EstimateResult

#: Draws taken from each partition's run when it has none of its own.
APPROXIMATE_DRAWS = 4000

#: ``run(table, seed, fixed)``: the estimate of one table (one partition); ``fixed``
#: is the run on the fixed partition (None when that is the run), whose sampler
#: state a run on a drawn partition may start from.
Runner = Callable[[pd.DataFrame, int, EstimateResult | None], EstimateResult]


def _draws_of(result: EstimateResult, count: int, rng: np.random.Generator
              ) -> tuple[NDArray[np.float64], bool]:
    """``count`` draws of the total from one run; True when they are approximate."""
    if result.draws is not None and result.draws.size:
        d = result.draws
        # Evenly spaced draws keep each chain's share (draws are stored chain by chain).
        pick = np.linspace(0, d.size - 1, count).round().astype(np.int64)
        return d[pick].astype(np.float64), False
    low, high = result.interval
    from scipy import stats  # only when draws are pooled (SciPy is slow to import)

    z = float(stats.norm.ppf(0.5 + result.level / 2))
    if not (math.isfinite(result.estimate) and math.isfinite(high)):
        return np.full(count, math.inf), True
    down = max(result.estimate - low, 0.0) / z
    up = max(high - result.estimate, 0.0) / z
    # Half the draws below the estimate, half above, each side a half-normal with its
    # own scale: the run's estimate is the median and its interval ends the quantiles.
    side = rng.random(count) < 0.5
    half = np.abs(rng.standard_normal(count))
    out = np.where(side, result.estimate - half * down, result.estimate + half * up)
    return np.maximum(out, float(result.documented)), True


def _unconverged(warning: str) -> bool:
    return warning.startswith(("chains disagree", "effective sample size"))


def pool(fixed: EstimateResult, runs: Sequence[EstimateResult], seed: int = 0,
         draws_per_run: int | None = None) -> EstimateResult:
    """One result from the runs on M drawn partitions, beside the run on the fixed one.

    The estimate is the median of the pooled draws, the interval their
    equal-tailed quantiles. ``diagnostics["linkage"]`` holds M, the interval
    with the linkage held fixed (``fixed``'s), the share of the pooled
    interval's width that the linkage adds, (W_pooled - W_fixed) / W_pooled,
    the share of the pooled variance between partitions,
    Var(E[N | Z]) / Var(N), and each partition's documented count and median.
    """
    if not runs:
        raise UserError("no drawn partitions to pool")
    level = fixed.level
    rng = np.random.default_rng(seed)
    have = [r.draws.size for r in runs if r.draws is not None and r.draws.size]
    count = draws_per_run or (min(have) if len(have) == len(runs) else APPROXIMATE_DRAWS)
    parts = [_draws_of(r, count, rng) for r in runs]
    approximate = any(flag for _, flag in parts)
    pooled = np.concatenate([d for d, _ in parts])
    a = (1 - level) / 2
    finite = bool(np.isfinite(pooled).all())
    if finite:
        low, median, high = (float(v) for v in np.quantile(pooled, [a, 0.5, 1 - a]))
        means = np.array([d.mean() for d, _ in parts])
        total_var = float(pooled.var())
        between = float(means.var()) if len(means) > 1 else 0.0
        variance_share: float | None = between / total_var if total_var > 0 else 0.0
    else:
        low = float(np.quantile(pooled[np.isfinite(pooled)], a)) if np.isfinite(pooled).any() \
            else float(fixed.documented)
        median, high, variance_share = float(np.median(pooled)), math.inf, None
    width = high - low
    fixed_width = fixed.interval[1] - fixed.interval[0]
    width_share = (
        (width - fixed_width) / width
        if math.isfinite(width) and math.isfinite(fixed_width) and width > 0 else None
    )
    unsettled = sum(1 for r in runs if any(_unconverged(w) for w in r.warnings))
    warnings = list(dict.fromkeys(
        [*fixed.warnings, *(f"some drawn partitions: {w}" for r in runs for w in r.warnings
                            if w not in fixed.warnings and not _unconverged(w))]
    ))
    if unsettled:
        warnings.append(
            f"{unsettled} of {len(runs)} runs on drawn partitions did not reach their "
            "convergence targets (R-hat < 1.01, ESS); their draws are pooled with the others, "
            "and a longer --iterations lengthens them too"
        )
    if width_share is not None and width_share < 0:
        warnings.append(
            "the interval over drawn linkages is narrower than with the linkage held fixed "
            "(Monte Carlo noise, or the drawn partitions are more alike than the fixed one "
            "is to them)"
        )
    if approximate:
        warnings.append(
            f"{fixed.method} has no posterior draws: each partition's result was pooled "
            "through a split-normal approximation of its interval"
        )
    linkage = {
        "partitions": len(runs),
        "draws_per_partition": count,
        "approximate": approximate,
        "fixed": {"estimate": fixed.estimate, "interval": list(fixed.interval),
                  "documented": fixed.documented},
        "width_share": width_share,
        "variance_share": variance_share,
        "documented_per_partition": [r.documented for r in runs],
        "estimate_per_partition": [r.estimate for r in runs],
    }
    return replace(
        fixed,
        estimate=median,
        interval=(max(low, 0.0), high),
        warnings=tuple(warnings),
        diagnostics={**fixed.diagnostics, "linkage": linkage},
        draws=pooled if finite else None,
        strata=(),
    )


def estimate_over_partitions(
    fixed_table: pd.DataFrame, tables: Sequence[pd.DataFrame], run: Runner, seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> EstimateResult:
    """Run ``run`` on the fixed table and on each drawn one, and :func:`pool` them.

    Partition m is estimated with seed ``seed + 1 + m`` and the fixed one with
    ``seed``, so every run is repeatable and no two share a random stream.
    """
    fixed = run(fixed_table, seed, None)
    runs: list[EstimateResult] = []
    for m, table in enumerate(tables):
        runs.append(run(table, seed + 1 + m, fixed))
        if progress is not None:
            progress(m + 1, len(tables))
    return pool(fixed, runs, seed)
