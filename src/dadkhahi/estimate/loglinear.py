"""Hierarchical log-linear models for closed-population multiple systems estimation.

Each model is a Poisson GLM (statsmodels) on the 2^K - 1 observable capture
patterns with main effects for every list and a chosen set of interaction
terms; the number of undocumented people is exp(intercept), the fitted count
of the pattern "on no list" (Fienberg 1972; Cormack 1989; Rcapture).

Model choice is by AIC or BIC over every hierarchical model when there are
few enough (all pairwise-interaction models up to K = 5), otherwise over the
models visited by a stepwise search; averaging weights models by
exp(-delta/2) (Buckland, Burnham & Augustin 1997).

Intervals: profile likelihood of the multinomial likelihood in N, as
Rcapture's ``closedpCI`` computes it, or a parametric bootstrap. The averaged
estimate gets Buckland's unconditional standard error with Chao's
log-transformed interval.
"""

from __future__ import annotations

import itertools
import math
import warnings as pywarnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from dadkhahi.domain.errors import UserError
from dadkhahi.estimate.diagnostics import list_sizes, require_lists, sparsity_warnings
from dadkhahi.estimate.result import EstimateResult
from dadkhahi.estimate.table import documented, full_counts, list_names

Term = tuple[int, ...]
Criterion = Literal["aic", "bic"]

#: An undocumented count this many times the documented one is taken as
#: "not bounded by the data" (a flat likelihood), not as an estimate.
UNBOUNDED_FACTOR = 1000.0
#: Enumerate every hierarchical model up to this many; beyond, search stepwise.
MAX_MODELS = 1100


@dataclass(frozen=True)
class LoglinearFit:
    """One fitted log-linear model.

    ``estimate`` is the Poisson maximum-likelihood total n + exp(intercept)
    and ``se`` its multinomial standard error (Sanathanan 1972: the Poisson
    delta-method variance minus the unobserved count), as Rcapture prints.
    ``bounded`` is False when the fit did not converge or the data leave the
    undocumented count unbounded; such models are kept out of selection.
    """

    terms: tuple[Term, ...]
    name: str
    estimate: float
    se: float
    deviance: float
    df: int
    loglik: float
    n_params: int
    aic: float
    bic: float
    converged: bool
    bounded: bool
    intercept: float


def _design(patterns: NDArray[np.int64], terms: Sequence[Term]) -> NDArray[np.float64]:
    columns = [np.ones(len(patterns)), *(patterns[:, j] for j in range(patterns.shape[1]))]
    columns.extend(patterns[:, list(t)].prod(axis=1) for t in terms)
    return np.column_stack(columns).astype(np.float64)


def model_name(lists: Sequence[str], terms: Iterable[Term]) -> str:
    """A readable model name: the interaction terms, or "independence"."""
    names = [":".join(lists[i] for i in t) for t in sorted(terms, key=lambda t: (len(t), t))]
    return " + ".join(names) if names else "independence"


def parse_terms(lists: Sequence[str], terms: Iterable[Sequence[str]]) -> tuple[Term, ...]:
    """Turn interaction terms given by list names into index tuples (checked)."""
    index = {name: i for i, name in enumerate(lists)}
    out: list[Term] = []
    for term in terms:
        unknown = [t for t in term if t not in index]
        if unknown:
            raise UserError(f"unknown lists in interaction term: {', '.join(unknown)}")
        key = tuple(sorted({index[t] for t in term}))
        if len(key) < 2:
            raise UserError(f"an interaction needs two or more distinct lists: {term}")
        if len(key) == len(lists):
            raise UserError("the interaction of all lists cannot be estimated")
        out.append(key)
    return tuple(sorted(set(out), key=lambda t: (len(t), t)))


def _glm(
    y: NDArray[np.float64], x: NDArray[np.float64], start: NDArray[np.float64] | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, bool]:
    """Fit a Poisson GLM; return params, covariance, log-likelihood and convergence."""
    # statsmodels and SciPy are imported where they are used: together they cost about a
    # second, which every other command (and the closed-form estimators) would pay.
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        try:
            fit = sm.GLM(y, x, family=sm.families.Poisson()).fit(
                start_params=start, maxiter=100
            )
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            n = x.shape[1]
            return np.full(n, np.nan), np.full((n, n), np.nan), -math.inf, False
    params = np.asarray(fit.params, dtype=np.float64)
    cov = np.asarray(fit.cov_params(), dtype=np.float64)
    converged = bool(fit.converged) and not any(
        issubclass(w.category, RuntimeWarning | ConvergenceWarning)
        for w in caught
    )
    return params, cov, float(fit.llf), converged


def fit_model(
    patterns: NDArray[np.int64], counts: NDArray[np.int64], terms: Sequence[Term],
    lists: Sequence[str],
) -> LoglinearFit:
    """Fit one hierarchical model to the observable patterns and their counts."""
    x = _design(patterns, terms)
    y = counts.astype(np.float64)
    n = float(y.sum())
    params, cov, llf, converged = _glm(y, x)
    b0 = float(params[0])
    mu0 = math.exp(b0) if np.isfinite(b0) and b0 < 700 else math.inf
    bounded = converged and math.isfinite(mu0) and mu0 <= UNBOUNDED_FACTOR * max(n, 1.0)
    estimate = n + mu0
    var_p = mu0 * mu0 * float(cov[0, 0]) + mu0 if math.isfinite(mu0) else math.inf
    se = math.sqrt(var_p) if math.isfinite(var_p) else math.inf
    fitted = np.exp(np.clip(x @ params, -700, 700)) if np.all(np.isfinite(params)) else y
    with np.errstate(divide="ignore", invalid="ignore"):
        dev_terms = np.where(y > 0, y * np.log(y / fitted), 0.0) - (y - fitted)
    deviance = float(2 * dev_terms.sum())
    k = x.shape[1]
    return LoglinearFit(
        terms=tuple(terms),
        name=model_name(lists, terms),
        estimate=estimate,
        se=se,
        deviance=deviance,
        df=len(y) - k,
        loglik=llf,
        n_params=k,
        aic=-2 * llf + 2 * k,
        bic=-2 * llf + k * math.log(max(n, 2.0)),
        converged=converged,
        bounded=bounded,
        intercept=b0,
    )


def fit_loglinear(
    table: pd.DataFrame, terms: Iterable[Sequence[str]] = ()
) -> LoglinearFit:
    """Fit the model with main effects plus the interactions named in ``terms``.

    ``terms=[("A", "B")]`` fits independence plus an A:B interaction.
    """
    lists = list_names(table)
    patterns, counts = full_counts(table)
    return fit_model(patterns, counts, parse_terms(lists, terms), lists)


# --- the model space --------------------------------------------------------


def _is_hierarchical(terms: frozenset[Term]) -> bool:
    return all(
        sub in terms
        for t in terms
        if len(t) > 2
        for sub in itertools.combinations(t, len(t) - 1)
    )


def enumerate_models(k: int, max_order: int = 2) -> list[tuple[Term, ...]] | None:
    """Every hierarchical model (as interaction terms), or None if over MAX_MODELS.

    The K-way interaction is never included: it is not identifiable.
    """
    top = min(max_order, k - 1)
    pairs = list(itertools.combinations(range(k), 2))
    if top < 2:
        return [()]
    if top == 2:
        if 2 ** len(pairs) > MAX_MODELS:
            return None
        return [
            tuple(p for p, keep in zip(pairs, mask, strict=True) if keep)
            for mask in itertools.product((False, True), repeat=len(pairs))
        ]
    higher = [t for order in range(3, top + 1) for t in itertools.combinations(range(k), order)]
    if len(pairs) + len(higher) > 14:
        return None
    models: list[tuple[Term, ...]] = []
    for mask in itertools.product((False, True), repeat=len(pairs) + len(higher)):
        chosen = frozenset(t for t, keep in zip([*pairs, *higher], mask, strict=True) if keep)
        if _is_hierarchical(chosen):
            models.append(tuple(sorted(chosen, key=lambda t: (len(t), t))))
            if len(models) > MAX_MODELS:
                return None
    return models


def _neighbours(terms: frozenset[Term], k: int, max_order: int) -> list[frozenset[Term]]:
    """Hierarchical models one term away (one added or one removed)."""
    out: list[frozenset[Term]] = []
    top = min(max_order, k - 1)
    for order in range(2, top + 1):
        for t in itertools.combinations(range(k), order):
            if t in terms:
                continue
            subs_ok = order == 2 or all(
                s in terms for s in itertools.combinations(t, order - 1)
            )
            if subs_ok:
                out.append(terms | {t})
    for t in terms:
        if not any(len(u) > len(t) and set(t) <= set(u) for u in terms):
            out.append(terms - {t})
    return out


def _stepwise(
    fit: Callable[[tuple[Term, ...]], LoglinearFit], k: int, max_order: int,
    criterion: Criterion,
) -> list[LoglinearFit]:
    """Greedy search from independence; returns every model it fitted."""
    seen: dict[frozenset[Term], LoglinearFit] = {}

    def score(terms: frozenset[Term]) -> float:
        if terms not in seen:
            seen[terms] = fit(tuple(sorted(terms, key=lambda t: (len(t), t))))
        m = seen[terms]
        return (m.aic if criterion == "aic" else m.bic) if m.bounded else math.inf

    current: frozenset[Term] = frozenset()
    best = score(current)
    while True:
        candidates = _neighbours(current, k, max_order)
        scores = [score(c) for c in candidates]
        if not scores or min(scores) >= best:
            break
        best = min(scores)
        current = candidates[int(np.argmin(scores))]
    return list(seen.values())


def fit_all_models(
    table: pd.DataFrame, max_order: int = 2, criterion: Criterion = "aic"
) -> tuple[list[LoglinearFit], str]:
    """Fit the model space; return the fits and how it was searched."""
    lists = list_names(table)
    patterns, counts = full_counts(table)

    def fit(terms: tuple[Term, ...]) -> LoglinearFit:
        return fit_model(patterns, counts, terms, lists)

    space = enumerate_models(len(lists), max_order)
    if space is not None:
        return [fit(t) for t in space], f"all {len(space)} hierarchical models"
    fits = _stepwise(fit, len(lists), max_order, criterion)
    return fits, f"stepwise search ({len(fits)} models fitted)"


# --- intervals --------------------------------------------------------------


def _profile_loglik(
    patterns: NDArray[np.int64], counts: NDArray[np.int64], terms: Sequence[Term]
) -> Callable[[float], float]:
    """Profile multinomial log-likelihood of N as a function of f0 = N - n.

    For fixed N the multinomial maximum over the model parameters is the
    Poisson fit to the completed table (f0 in the "on no list" cell), so
    l(N) = log N!/(N-n)! + sum_cells y log(mu/N), up to a constant.
    """
    from scipy import special

    x = _design(np.vstack([np.zeros((1, patterns.shape[1]), dtype=np.int64), patterns]), terms)
    y_obs = counts.astype(np.float64)
    n = float(y_obs.sum())

    def loglik(f0: float) -> float:
        # No warm start: IRLS started from a fit at a distant f0 can diverge.
        y = np.concatenate([[f0], y_obs])
        params, _, _, _ = _glm(y, x)
        if not np.all(np.isfinite(params)):
            return -math.inf
        mu = np.exp(x @ params)
        total = n + f0
        with np.errstate(divide="ignore", invalid="ignore"):
            ll = np.where(y > 0, y * np.log(mu / total), 0.0).sum()
        return float(special.gammaln(total + 1) - special.gammaln(f0 + 1) + ll)

    return loglik


@dataclass(frozen=True)
class ProfileInterval:
    """The multinomial maximum-likelihood total and its profile interval."""

    estimate: float
    low: float
    high: float


def profile_interval(
    table: pd.DataFrame, terms: Iterable[Sequence[str]] = (), level: float = 0.95
) -> ProfileInterval:
    """Profile-likelihood interval for the total under one model (by list names)."""
    lists = list_names(table)
    patterns, counts = full_counts(table)
    fit = fit_model(patterns, counts, parse_terms(lists, terms), lists)
    return _profile(patterns, counts, fit, level)


def _profile(
    patterns: NDArray[np.int64], counts: NDArray[np.int64], fit: LoglinearFit, level: float
) -> ProfileInterval:
    from scipy import optimize, stats

    n = float(counts.sum())
    ll = _profile_loglik(patterns, counts, fit.terms)
    mu0 = max(fit.estimate - n, 1e-6)
    cap = UNBOUNDED_FACTOR * max(n, 1.0)
    lo_t, hi_t = math.log(1e-8), math.log(cap)

    def neg(t: float) -> float:
        return -ll(math.exp(t))

    res = optimize.minimize_scalar(
        neg, bounds=(max(lo_t, math.log(mu0) - 5), min(hi_t, math.log(mu0) + 5)),
        method="bounded", options={"xatol": 1e-7},
    )
    t_hat = float(res.x)
    ll_max = -float(res.fun)
    crit = float(stats.chi2.ppf(level, 1))

    def gap(t: float) -> float:
        return 2 * (ll_max - ll(math.exp(t))) - crit

    low = n if gap(lo_t) <= 0 else n + math.exp(optimize.brentq(gap, lo_t, t_hat, xtol=1e-8))
    high = math.inf if gap(hi_t) <= 0 else n + math.exp(
        optimize.brentq(gap, t_hat, hi_t, xtol=1e-8)
    )
    return ProfileInterval(n + math.exp(t_hat), low, high)


def _bootstrap(
    patterns: NDArray[np.int64], counts: NDArray[np.int64], fit: LoglinearFit,
    lists: Sequence[str], replicates: int, rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Parametric bootstrap totals: Poisson counts from the fitted model, refitted."""
    x = _design(patterns, fit.terms)
    params, _, _, _ = _glm(counts.astype(np.float64), x)
    mu = np.exp(x @ params)
    draws = np.empty(replicates)
    for b in range(replicates):
        y = rng.poisson(mu)
        draws[b] = fit_model(patterns, y, fit.terms, lists).estimate
    return draws


def _lognormal_interval(n: float, estimate: float, se: float, level: float) -> tuple[float, float]:
    from scipy import stats

    f0 = estimate - n
    if not math.isfinite(se) or not math.isfinite(f0):
        return n, math.inf
    if f0 <= 0 or se <= 0:
        return n + max(f0, 0.0), n + max(f0, 0.0)
    c = math.exp(float(stats.norm.ppf(0.5 + level / 2)) * math.sqrt(math.log(1 + se**2 / f0**2)))
    return n + f0 / c, n + f0 * c


# --- the estimator -----------------------------------------------------------


def loglinear(
    table: pd.DataFrame,
    criterion: Criterion = "aic",
    average: bool = False,
    max_order: int = 2,
    interval: Literal["profile", "bootstrap"] = "profile",
    bootstrap: int = 500,
    seed: int | None = None,
    level: float = 0.95,
) -> EstimateResult:
    """Estimate the total with log-linear models chosen (or averaged) by AIC/BIC.

    With ``average=False`` the best model by ``criterion`` is used, with a
    profile-likelihood (or parametric-bootstrap) interval. With
    ``average=True`` estimates are weighted by exp(-delta/2) over all bounded
    models, with Buckland's unconditional standard error and a
    log-transformed interval. ``max_order=3`` adds hierarchical three-way
    terms (K >= 4). Models whose estimate the data leave unbounded (for
    instance saturated ones on thin tables) are excluded, with a warning.
    """
    require_lists(table, "Log-linear estimation")
    if criterion not in ("aic", "bic"):
        raise UserError(f"unknown criterion {criterion!r}: use aic or bic")
    lists = list_names(table)
    patterns, counts = full_counts(table)
    n = documented(table)
    warnings = list(sparsity_warnings(table))
    fits, searched = fit_all_models(table, max_order, criterion)
    usable = [f for f in fits if f.bounded]
    dropped = len(fits) - len(usable)
    if dropped:
        warnings.append(
            f"{dropped} of {len(fits)} models left the undocumented count unbounded or did "
            "not converge (typical of saturated models on sparse tables) and were excluded"
        )
    if not usable:
        raise UserError(
            "no log-linear model gives a bounded estimate for this table: the overlaps "
            "are too thin; try LCMCR, fewer strata, or merge small lists"
        )
    score = np.array([f.aic if criterion == "aic" else f.bic for f in usable])
    delta = score - score.min()
    weights = np.exp(-delta / 2)
    weights /= weights.sum()
    order = np.argsort(score)
    best = usable[int(order[0])]
    models = pd.DataFrame(
        {
            "model": [usable[i].name for i in order],
            "estimate": [usable[i].estimate for i in order],
            "se": [usable[i].se for i in order],
            "deviance": [usable[i].deviance for i in order],
            "df": [usable[i].df for i in order],
            "aic": [usable[i].aic for i in order],
            "bic": [usable[i].bic for i in order],
            "weight": weights[order],
        }
    )
    diagnostics: dict[str, object] = {
        "criterion": criterion,
        "search": searched,
        "models": models.head(10).to_dict(orient="records"),
        "selected_model": best.name,
        "selected_df": best.df,
    }
    draws: NDArray[np.float64] | None = None
    if average:
        est = float(weights @ np.array([f.estimate for f in usable]))
        se = float(
            weights @ np.sqrt(np.array([f.se**2 + (f.estimate - est) ** 2 for f in usable]))
        )
        low, high = _lognormal_interval(n, est, se, level)
        method = f"loglinear-avg-{criterion}"
        diagnostics["se"] = se
        diagnostics["interval_method"] = "Buckland unconditional SE, log-transformed"
    else:
        method = f"loglinear-{criterion}"
        est = best.estimate
        diagnostics["se"] = best.se
        if best.df == 0:
            warnings.append(
                f"the selected model ({best.name}) is saturated: it fits the table exactly "
                "and its estimate rests on the untestable assumption of no highest-order "
                "interaction"
            )
        if interval == "bootstrap":
            rng = np.random.default_rng(seed)
            draws = _bootstrap(patterns, counts, best, lists, bootstrap, rng)
            finite = draws[np.isfinite(draws)]
            a = (1 - level) / 2
            low, high = (float(v) for v in np.quantile(finite, [a, 1 - a]))
            diagnostics["interval_method"] = f"parametric bootstrap ({bootstrap} replicates)"
        else:
            prof = _profile(patterns, counts, best, level)
            low, high = prof.low, prof.high
            diagnostics["multinomial_estimate"] = prof.estimate
            diagnostics["interval_method"] = "profile likelihood (multinomial)"
        if not math.isfinite(high):
            warnings.append("the data do not bound the upper end of the interval")
    return EstimateResult(
        method=method,
        documented=n,
        estimate=est,
        interval=(max(low, float(n)), high),
        lists=list_sizes(table),
        warnings=tuple(warnings),
        diagnostics=diagnostics,
        draws=draws,
        level=level,
    )
