"""One entry point for every method, with stratification and method comparison."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from dadkhahi.domain.errors import UserError
from dadkhahi.estimate.diagnostics import (
    SPARSE_DOCUMENTED,
    Merged,
    estimability_problem,
    list_sizes,
)
from dadkhahi.estimate.lcmcr import ChainState, SweepProgress, lcmcr
from dadkhahi.estimate.loglinear import loglinear
from dadkhahi.estimate.reference import chao_lower_bound, lincoln_petersen
from dadkhahi.estimate.result import EstimateResult
from dadkhahi.estimate.table import (
    COUNT,
    collapse_strata,
    documented,
    list_names,
    merge_strata,
    split_strata,
)

#: Methods by name; "all" runs the comparison set in ``ALL_METHODS``.
METHODS = (
    "lcmcr", "loglinear", "loglinear-bic", "loglinear-avg", "loglinear-avg-bic", "lp", "chao",
)
ALL_METHODS = ("lcmcr", "loglinear", "loglinear-avg", "lp", "chao")

#: ``progress(label, done, at_most)`` for each method run (label: the method,
#: and the stratum if any); LCMCR counts sweeps, the others 0 of 1 then 1 of 1.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Options:
    """Settings shared by the estimators (each uses the ones it needs).

    ``iterations``/``burnin``/``chains``/``max_classes``/``max_iterations``/``min_ess``
    drive LCMCR (burn-in defaults to a quarter of the sweeps; the chains run
    on in blocks of ``iterations`` until they converge or reach
    ``max_iterations``, by default ten times ``iterations``); ``max_order``, ``interval`` and
    ``bootstrap`` drive the log-linear models; ``seed`` makes any random
    method repeatable.
    """

    iterations: int = 20_000
    burnin: int | None = None
    chains: int = 4
    max_classes: int = 10
    seed: int | None = None
    level: float = 0.95
    max_order: int = 2
    interval: str = "profile"
    bootstrap: int = 500
    max_iterations: int | None = None
    min_ess: float = 400.0
    #: LCMCR chains start here instead of at random (see ``lcmcr(start=...)``);
    #: not a setting to record, so it is left out of ``settings()``.
    start: ChainState | None = field(default=None, repr=False, compare=False)

    def settings(self) -> dict[str, object]:
        """The settings as plain values, for the ledger."""
        out = asdict(replace(self, start=None))
        out.pop("start")
        out["warm_start"] = self.start is not None
        return out


Runner = Callable[[pd.DataFrame, SweepProgress | None], EstimateResult]


def _runner(method: str, options: Options) -> Runner:
    o = options
    if method == "lcmcr":
        return lambda t, progress: lcmcr(
            t, iterations=o.iterations, burnin=o.burnin, chains=o.chains,
            max_classes=o.max_classes, seed=o.seed, level=o.level,
            max_iterations=o.max_iterations, progress=progress, min_ess=o.min_ess,
            start=o.start,
        )
    run = _quick_runner(method, o)

    def reported(t: pd.DataFrame, progress: SweepProgress | None) -> EstimateResult:
        if progress is not None:
            progress(0, 1)
        result = run(t)
        if progress is not None:
            progress(1, 1)
        return result

    return reported


def _quick_runner(method: str, o: Options) -> Callable[[pd.DataFrame], EstimateResult]:
    if method.startswith("loglinear"):
        criterion: Literal["aic", "bic"] = "bic" if method.endswith("bic") else "aic"
        average = "-avg" in method
        if o.interval not in ("profile", "bootstrap"):
            raise UserError(f"unknown interval {o.interval!r}: use profile or bootstrap")
        interval: Literal["profile", "bootstrap"] = (
            "bootstrap" if o.interval == "bootstrap" else "profile"
        )
        return lambda t: loglinear(
            t, criterion=criterion, average=average, max_order=o.max_order,
            interval=interval, bootstrap=o.bootstrap, seed=o.seed, level=o.level,
        )
    if method == "lp":
        return lambda t: lincoln_petersen(t, level=o.level)
    if method == "chao":
        return lambda t: chao_lower_bound(t, level=o.level)
    raise UserError(f"unknown method {method!r}: choose one of {', '.join(METHODS)} or all")


def _labelled(progress: Progress | None, label: str) -> SweepProgress | None:
    if progress is None:
        return None
    return lambda done, at_most: progress(label, done, at_most)


#: Where ``--merge-sparse`` puts the strata it merges.
MERGED_STRATUM = "other"


def merge_sparse(table: pd.DataFrame, minimum: int) -> tuple[pd.DataFrame, Merged | None]:
    """Merge strata with fewer than ``minimum`` documented people (or none on two lists).

    They go into one stratum named ``other`` (``other (merged)`` when a stratum
    is already called ``other`` and is not itself merged). Returns the new
    table and what was merged (None when nothing was).
    """
    if minimum < 1:
        raise UserError(f"--merge-sparse needs a positive number of people, got {minimum}")
    parts = split_strata(table)
    small = [
        name for name, part in parts.items()
        if documented(part) < minimum or estimability_problem(part) is not None
    ]
    if not small:
        return table, None
    into = MERGED_STRATUM
    if into in parts and into not in small:
        into = f"{MERGED_STRATUM} (merged)"
    return merge_strata(table, small, into), Merged(into, tuple(small), minimum)


def _unestimable(parts: dict[str, pd.DataFrame]) -> list[str]:
    return [
        f"{name} ({problem})"
        for name, part in parts.items()
        if (problem := estimability_problem(part)) is not None
    ]


def _sparse_hint() -> str:
    return (
        f"rerun with --merge-sparse {SPARSE_DOCUMENTED} to merge every stratum with fewer "
        f"than {SPARSE_DOCUMENTED} documented people (and these) into one stratum "
        f"'{MERGED_STRATUM}', or stratify more coarsely"
    )


def estimate(
    table: pd.DataFrame,
    method: str = "lcmcr",
    stratified: bool = False,
    options: Options | None = None,
    progress: Progress | None = None,
    merge_below: int | None = None,
) -> EstimateResult:
    """Estimate the total with one method, per stratum and summed if ``stratified``.

    Without ``stratified`` any ``stratum`` column is summed over first.
    ``progress`` hears how each run goes (see :data:`Progress`). With
    ``stratified``, every stratum is checked before any model runs (nobody
    documented, nobody on two lists: no model can use it) and the estimate
    is refused at once, naming them; ``merge_below`` first merges strata
    with fewer documented people than that (see :func:`merge_sparse`), which
    the result reports in ``diagnostics["merged_strata"]`` and a warning.
    """
    run = _runner(method, options or Options())
    if not stratified:
        return run(collapse_strata(table), _labelled(progress, method))
    merged: Merged | None = None
    if merge_below is not None:
        table, merged = merge_sparse(table, merge_below)
    parts = split_strata(table)
    hopeless = _unestimable(parts)
    if hopeless:
        raise UserError(
            f"strata too sparse to estimate: {'; '.join(hopeless)}; " + (
                "even after merging: raise --merge-sparse or stratify more coarsely"
                if merged is not None else _sparse_hint()
            )
        )
    results: list[EstimateResult] = []
    failed: list[str] = []
    for name, part in parts.items():
        # A list nobody in this stratum is on says nothing here (often a structural
        # zero: it did not look there); left in, it would be a list "with nobody on it".
        empty = [c for c in list_names(part) if not part.loc[part[c] == 1, COUNT].sum()]
        if empty:
            part = part.drop(columns=empty)
        try:
            results.append(replace(run(part, _labelled(progress, f"{method} {name}")),
                                   stratum=name))
        except UserError as exc:
            failed.append(f"{name} ({str(exc).split(':')[0]})")
    if failed:
        raise UserError(f"strata too sparse to estimate: {'; '.join(failed)}; {_sparse_hint()}")
    combined = combine_strata(results, collapse_strata(table), options or Options())
    if merged is None:
        return combined
    return replace(
        combined,
        warnings=(merged.sentence(), *combined.warnings),
        diagnostics={**combined.diagnostics, "merged_strata": merged.as_dict()},
    )


def _summed_draws(results: list[EstimateResult]) -> NDArray[np.float64] | None:
    draws = [r.draws for r in results]
    if any(d is None or d.size == 0 for d in draws):
        return None
    size = min(d.size for d in draws if d is not None)
    # Strata are estimated independently, so pairing draws by index gives
    # draws from the joint posterior, and their sums from that of the total.
    total: NDArray[np.float64] = np.sum([d[:size] for d in draws if d is not None], axis=0)
    return total


def combine_strata(
    results: list[EstimateResult], flat: pd.DataFrame, options: Options
) -> EstimateResult:
    """Sum per-stratum results into one total with propagated uncertainty.

    LCMCR (and bootstrapped log-linear) results are summed draw by draw and
    summarised like a posterior. Otherwise the sum of estimates gets an
    asymmetric normal approximation: the lower and upper half-widths add in
    quadrature separately (the strata being independent), which keeps the
    skew of each stratum's interval but is only approximate.
    """
    level = options.level
    method = results[0].method
    warnings = [f"stratum {r.stratum}: {w}" for r in results for w in r.warnings]
    total_documented = sum(r.documented for r in results)
    summed = _summed_draws(results)
    diagnostics: dict[str, object] = {"strata": len(results)}
    if summed is not None:
        a = (1 - level) / 2
        low, median, high = (float(v) for v in np.quantile(summed, [a, 0.5, 1 - a]))
        if method == "lcmcr":
            est = median
            diagnostics["combination"] = "sum of posterior draws across strata"
        else:
            est = float(sum(r.estimate for r in results))
            diagnostics["combination"] = "sum of bootstrap replicates across strata"
        if any(not math.isfinite(r.interval[1]) for r in results):
            high = math.inf
    else:
        est = float(sum(r.estimate for r in results))
        down = math.sqrt(sum((r.estimate - r.interval[0]) ** 2 for r in results))
        up = math.sqrt(sum((r.interval[1] - r.estimate) ** 2 for r in results))
        low, high = max(est - down, float(total_documented)), est + up
        diagnostics["combination"] = (
            "sum of estimates; interval half-widths added in quadrature (normal approximation)"
        )
        summed = None
    if len(results) > 1 and any(r.documented < 30 for r in results):
        small = [r.stratum or "" for r in results if r.documented < 30]
        warnings.append(
            f"sparse strata ({', '.join(small)}): their estimates are fragile; consider "
            "merging them"
        )
    return EstimateResult(
        method=method,
        documented=total_documented,
        estimate=est,
        interval=(low, high),
        lists=list_sizes(flat),
        warnings=tuple(warnings),
        diagnostics=diagnostics,
        draws=summed,
        strata=tuple(results),
        level=level,
    )


def estimate_all(
    table: pd.DataFrame,
    stratified: bool = False,
    options: Options | None = None,
    progress: Progress | None = None,
    merge_below: int | None = None,
) -> list[EstimateResult]:
    """Run the comparison set (LCMCR, log-linear AIC and averaged, LP, Chao).

    With fewer than three lists only the two-list references can run, and
    a warning on the first result says why the others were left out.
    """
    flat = collapse_strata(table)
    if documented(flat) == 0:
        raise UserError("the table documents nobody")
    methods = ALL_METHODS if len(list_names(flat)) >= 3 else ("lp", "chao")
    results = [estimate(table, m, stratified, options, progress, merge_below) for m in methods]
    if len(methods) < len(ALL_METHODS):
        first = results[0]
        note = (
            "only two lists: LCMCR and log-linear models need three or more, so only the "
            "two-list references were run"
        )
        results[0] = replace(first, warnings=(note, *first.warnings))
    return results
