"""Bayesian non-parametric latent-class capture-recapture (LCMCR).

The model of Manrique-Vallier (2016), "Bayesian population size estimation
using Dirichlet process mixtures", Biometrics 72(4): people fall into latent
classes (a stick-breaking Dirichlet-process prior truncated at ``max_classes``
classes, concentration alpha ~ Gamma(a, b)); within a class, lists capture
independently with class-specific probabilities lambda ~ Beta(1, 1) (the
default; ``lambda_prior`` sets another Beta, e.g. an informative one for a
sensitivity analysis, as HRDAG's Stan port allows); the
prior on the total is p(N) proportional to 1/N. Heterogeneity and
dependence between lists come from the mixing over classes.

The Gibbs sampler follows the R package LCMCR step by step (CRAN source,
``src/NPLCM_CR_Basic_Freq.cpp``: class counts of each observed pattern,
lambda ~ Beta(1 + in list, 1 + not in list), the sticks on the log scale,
the number of undocumented people n0 ~ NegBin(n, 1 - P(on no list)), their
classes, then alpha ~ Gamma(a + K - 1, b - log nu_K)). It is written in
NumPy because no maintained Python package implements this model; each step
is vectorised over capture patterns, classes and chains at once, so several
chains cost little more than one. ``GibbsChains`` keeps the state, so
``lcmcr`` can run the chains on in blocks until they converge.

The posterior can be slow to mix (the R package's example runs 10,000
burn-in sweeps then 100,000 more, thinned by 100), and with three lists the
model is not identified: a two-class model (7 parameters) plus N are more
unknowns than the 7 observed cells can fix, so the likelihood is nearly
flat in N above a lower bound and the interval reflects the priors
(``benchmarks/README.md``, MSE simulation).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from dadkhahi.domain.errors import UserError
from dadkhahi.estimate.convergence import ess, rhat
from dadkhahi.estimate.diagnostics import list_sizes, require_lists, sparsity_warnings
from dadkhahi.estimate.result import EstimateResult
from dadkhahi.estimate.table import COUNT, documented, list_names

#: Chains whose undocumented count passes this multiple of the documented one
#: are reported as unbounded rather than summarised.
RUNAWAY_FACTOR = 1000.0
RHAT_LIMIT = 1.01
ESS_MINIMUM = 400.0
#: Sweeps between two progress reports (a report costs nothing next to them).
PROGRESS_STEP = 1000

#: ``progress(sweeps_done, sweeps_at_most)``; the last call has both equal.
SweepProgress = Callable[[int, int], None]


def _log_gamma_variates(
    rng: np.random.Generator, shape: NDArray[np.float64]
) -> NDArray[np.float64]:
    """log of Gamma(shape, 1) variates, exact even for tiny shapes.

    Uses G(a) = G(a + 1) * U^(1/a): a direct Gamma(a) draw underflows to 0
    when a is small, and the stick-breaking weights need its logarithm.
    """
    out: NDArray[np.float64] = (
        np.log(rng.standard_gamma(shape + 1.0)) + np.log(rng.random(shape.shape)) / shape
    )
    return out


def _normalise_rows(log_w: NDArray[np.float64]) -> NDArray[np.float64]:
    w: NDArray[np.float64] = np.exp(log_w - log_w.max(axis=-1, keepdims=True))
    w /= w.sum(axis=-1, keepdims=True)
    return w


@dataclass(frozen=True)
class ChainState:
    """Where LCMCR chains stand: everything but the table they were fitted to."""

    lam: NDArray[np.float64]
    log_nu: NDArray[np.float64]
    alpha: NDArray[np.float64]
    n0: NDArray[np.int64]
    z0: NDArray[np.int64]


class GibbsChains:
    """The state of several LCMCR Gibbs chains, which can be advanced in blocks.

    ``patterns`` (M x J, 0/1) are the observed capture patterns with
    ``counts`` people each. Running ``sweep(a)`` then ``sweep(b)`` gives the
    same draws as ``sweep(a + b)``: the state and the random stream carry on.
    """

    def __init__(
        self,
        patterns: NDArray[np.int64],
        counts: NDArray[np.int64],
        chains: int,
        max_classes: int,
        a_alpha: float,
        b_alpha: float,
        rng: np.random.Generator,
        lambda_prior: tuple[float, float] = (1.0, 1.0),
        start: ChainState | None = None,
    ) -> None:
        self.x = patterns.astype(np.float64)
        self.x_not = 1.0 - self.x
        self.x_t = np.ascontiguousarray(np.swapaxes(self.x, 0, 1))
        self.n = int(counts.sum())
        self.a_alpha, self.b_alpha = a_alpha, b_alpha
        self.a_lambda, self.b_lambda = lambda_prior
        self.rng = rng
        c, k, j = chains, max_classes, patterns.shape[1]
        self.c, self.k = c, k
        self.counts_b = np.broadcast_to(counts.astype(np.int64), (c, len(counts)))
        marginal = (self.x * counts[:, None]).sum(axis=0) / max(self.n, 1)
        self.lam = np.clip(
            marginal[None, :, None] * np.exp(rng.normal(0, 0.3, (c, j, k))), 0.02, 0.98
        )
        sticks = rng.beta(1.0, 1.0, (c, k - 1))
        self.log_nu = np.concatenate(
            [np.log(sticks), np.zeros((c, 1))], axis=1
        ) + np.concatenate([np.zeros((c, 1)), np.cumsum(np.log1p(-sticks), axis=1)], axis=1)
        self.alpha = np.ones(c)
        self.n0 = np.zeros(c, dtype=np.int64)
        self.z0 = np.zeros((c, k), dtype=np.int64)
        self.n0_cap = RUNAWAY_FACTOR * max(self.n, 1)
        self.sweeps = 0
        if start is not None:
            if start.lam.shape[1:] != (j, k) or len(start.lam) < c:
                raise UserError("a warm start must come from as many or more chains with "
                                "the same lists and classes")
            self.lam = start.lam[:c].copy()
            self.log_nu = start.log_nu[:c].copy()
            self.alpha = start.alpha[:c].copy()
            self.n0 = start.n0[:c].copy()
            self.z0 = start.z0[:c].copy()

    def state(self) -> ChainState:
        """Where the chains stand now."""
        return ChainState(self.lam.copy(), self.log_nu.copy(), self.alpha.copy(),
                          self.n0.copy(), self.z0.copy())

    def sweep(self, iterations: int) -> dict[str, NDArray[np.float64]]:
        """Advance every chain ``iterations`` sweeps; return each sweep's n0, alpha, k*.

        Every array returned has shape (chains, iterations).
        """
        rng, x, x_not, x_t, n = self.rng, self.x, self.x_not, self.x_t, self.n
        c, k = self.c, self.k
        lam, log_nu, alpha, n0, z0 = self.lam, self.log_nu, self.alpha, self.n0, self.z0
        zeros = np.zeros((c, 1))
        shape_alpha = self.a_alpha + k - 1.0
        out_n0 = np.empty((c, iterations))
        out_alpha = np.empty((c, iterations))
        out_kstar = np.empty((c, iterations))
        for i in range(iterations):
            log_lam = np.log(lam)
            log_miss = np.log1p(-lam)
            # Classes of the people behind each observed pattern.
            log_w = log_nu[:, None, :] + x @ log_lam + x_not @ log_miss
            z = rng.multinomial(self.counts_b, _normalise_rows(log_w))
            seen_size = z.sum(axis=1)
            class_size = seen_size + z0
            ones = x_t @ z
            lam = rng.beta(self.a_lambda + ones, self.b_lambda + class_size[:, None, :] - ones)
            log_miss = np.log1p(-lam)
            # Stick-breaking weights, sampled on the log scale for stability.
            later = (n + n0)[:, None] - np.cumsum(class_size, axis=1)[:, :-1]
            lg1 = _log_gamma_variates(rng, 1.0 + class_size[:, :-1])
            lg2 = _log_gamma_variates(rng, alpha[:, None] + later)
            total = np.logaddexp(lg1, lg2)
            log_rest = np.cumsum(lg2 - total, axis=1)
            log_nu = np.concatenate(
                [lg1 - total + np.concatenate([zeros, log_rest[:, :-1]], axis=1),
                 log_rest[:, -1:]],
                axis=1,
            )
            # The undocumented: how many, then their classes.
            log_zero = log_nu + log_miss.sum(axis=1)
            top = log_zero.max(axis=1)
            log_p0 = top + np.log(np.exp(log_zero - top[:, None]).sum(axis=1))
            p_seen = np.clip(-np.expm1(log_p0), 1e-12, 1.0)
            n0 = np.minimum(rng.negative_binomial(n, p_seen), self.n0_cap).astype(np.int64)
            z0 = rng.multinomial(n0, _normalise_rows(log_zero))
            alpha = rng.gamma(shape_alpha, 1.0 / (self.b_alpha - log_nu[:, -1]))
            out_n0[:, i] = n0
            out_alpha[:, i] = alpha
            out_kstar[:, i] = ((seen_size + z0) > 0).sum(axis=1)
        self.lam, self.log_nu, self.alpha, self.n0, self.z0 = lam, log_nu, alpha, n0, z0
        self.sweeps += iterations
        return {"n0": out_n0, "alpha": out_alpha, "k_star": out_kstar}


def _sweep_reporting(
    state: GibbsChains, sweeps: int, cap: int, progress: SweepProgress | None
) -> dict[str, NDArray[np.float64]]:
    """``state.sweep(sweeps)``, in steps that report progress when asked to.

    Sweeping in steps gives the same draws as one call (see ``GibbsChains``).
    """
    if progress is None:
        return state.sweep(sweeps)
    parts: list[dict[str, NDArray[np.float64]]] = []
    end = state.sweeps + sweeps
    while state.sweeps < end:
        parts.append(state.sweep(min(PROGRESS_STEP, end - state.sweeps)))
        progress(state.sweeps, cap)
    return {name: np.concatenate([p[name] for p in parts], axis=1) for name in parts[0]}


def _converged(
    totals: NDArray[np.float64], min_ess: float = ESS_MINIMUM
) -> tuple[float | None, float, bool]:
    """R-hat (None for one chain), bulk ESS and whether both pass their limits."""
    chains = totals.shape[0]
    if chains > 1:
        r: float | None = rhat(totals)
        e = ess(totals)
    else:
        r = None
        half = totals.shape[1] // 2
        e = ess(totals[:, : 2 * half].reshape(2, -1)) if half >= 4 else 0.0
    return r, e, (r is None or r < RHAT_LIMIT) and e >= min_ess


def lcmcr(
    table: pd.DataFrame,
    iterations: int = 20_000,
    burnin: int | None = None,
    chains: int = 4,
    max_classes: int = 10,
    a_alpha: float = 0.25,
    b_alpha: float = 0.25,
    seed: int | None = None,
    level: float = 0.95,
    max_iterations: int | None = None,
    lambda_prior: tuple[float, float] = (1.0, 1.0),
    progress: SweepProgress | None = None,
    min_ess: float = ESS_MINIMUM,
    start: ChainState | None = None,
) -> EstimateResult:
    """Posterior median and equal-tailed credible interval of the total under LCMCR.

    The chains first run ``iterations`` Gibbs sweeps each. Then, until the
    total's R-hat is below 1.01 and its bulk ESS at least 400, they run
    ``iterations`` more at a time, up to ``max_iterations`` sweeps per chain
    (default ten times ``iterations``; pass ``max_iterations=iterations`` for
    a fixed length). The first ``burnin`` sweeps are discarded (default a
    quarter of all the sweeps run, so a longer run also burns in longer).
    ``diagnostics`` records each check (sweeps, R-hat, ESS, median and
    interval), whether the chains converged and how many sweeps they ran, and
    a warning is raised when R-hat > 1.01 or ESS < 400 at the end.

    ``max_classes`` is the truncation K* and ``a_alpha``/``b_alpha`` the
    Gamma prior on the concentration: 10, 0.25 and 0.25, as in the R package
    LCMCR's example and HRDAG's runs (``lcmCR``'s own default K is 5). The
    same ``seed`` gives the same draws, extensions included. ``lambda_prior``
    is the Beta(a, b) prior on every capture probability, Beta(1, 1) in the R
    package. ``progress(done, at_most)`` is called every ``PROGRESS_STEP``
    sweeps and once at the end with ``done == at_most``. ``min_ess`` is the
    ESS the chains run on for (400 by default; the runs on drawn linkages
    are pooled, so each needs fewer). ``start`` continues chains from where
    another run ended (:attr:`EstimateResult.state`), for a table that
    differs from that run's by a few people: the chains then need little
    burn-in; the result's ``state`` is where these chains end.
    """
    require_lists(table, "LCMCR")
    if chains < 1 or iterations < 8:
        raise UserError("LCMCR needs at least one chain and 8 iterations")
    if max_classes < 2:
        raise UserError("LCMCR needs at least 2 latent classes")
    if not all(v > 0 and math.isfinite(v) for v in lambda_prior):
        raise UserError(
            f"the Beta prior on capture probabilities needs a, b > 0, got {lambda_prior}"
        )
    cap = 10 * iterations if max_iterations is None else max_iterations
    if cap < iterations:
        raise UserError(
            f"max_iterations ({cap}) must be at least iterations ({iterations})"
        )
    if burnin is not None and not 0 <= burnin <= iterations - 4:
        raise UserError("burn-in must leave at least 4 kept iterations")
    lists = list_names(table)
    patterns = table[lists].to_numpy(dtype=np.int64)
    counts = table[COUNT].to_numpy(dtype=np.int64)
    n = documented(table)
    a = (1 - level) / 2
    state = GibbsChains(
        patterns, counts, chains, max_classes, a_alpha, b_alpha, np.random.default_rng(seed),
        lambda_prior, start,
    )
    blocks: list[dict[str, NDArray[np.float64]]] = []
    checks: list[dict[str, object]] = []
    runaway = False
    while True:
        blocks.append(
            _sweep_reporting(state, min(iterations, cap - state.sweeps), cap, progress)
        )
        burn = state.sweeps // 4 if burnin is None else burnin
        totals = n + np.concatenate([b["n0"] for b in blocks], axis=1)[:, burn:]
        r, e, ok = _converged(totals, min_ess)
        low, median, high = (float(v) for v in np.quantile(totals, [a, 0.5, 1 - a]))
        checks.append({
            "iterations": state.sweeps, "rhat": r, "ess": e, "estimate": median,
            "interval": [low, high],
        })
        runaway = bool((totals - n >= RUNAWAY_FACTOR * max(n, 1)).any())
        # More sweeps cannot bound a total the data leave unbounded.
        if ok or runaway or state.sweeps >= cap:
            break
    if progress is not None:
        progress(state.sweeps, state.sweeps)
    draws = {
        name: np.concatenate([b[name] for b in blocks], axis=1)[:, burn:]
        for name in ("n0", "alpha", "k_star")
    }
    warnings = list(sparsity_warnings(table))
    if len(lists) == 3:
        warnings.append(
            "three lists do not identify a latent-class model (7 observed patterns, more "
            "unknowns): the data give little more than a lower bound, the interval leans on "
            "the priors and tends to be too low when some people are hard to list on every "
            "list; add a fourth list or compare with --method all"
        )
    pooled = totals.ravel()
    diagnostics: dict[str, object] = {
        "chains": chains,
        "iterations": state.sweeps,
        "burnin": burn,
        "max_iterations": cap,
        "converged": ok,
        "extensions": len(checks) - 1,
        "checks": checks,
        "max_classes": max_classes,
        "prior_alpha": [a_alpha, b_alpha],
        "prior_lambda": list(lambda_prior),
        "posterior_mean": float(pooled.mean()),
        "posterior_sd": float(pooled.std(ddof=1)) if pooled.size > 1 else 0.0,
        "alpha_mean": float(draws["alpha"].mean()),
        "occupied_classes_mean": float(draws["k_star"].mean()),
        "seed": seed,
        "min_ess": min_ess,
        "warm_start": start is not None,
        "rhat": r,
        "ess": e,
    }
    if runaway:
        warnings.append(
            "some draws of the undocumented count ran away (over "
            f"{RUNAWAY_FACTOR:g} times the documented): the data do not bound the total"
        )
        high = math.inf
    if chains > 1:
        assert r is not None
        if not r <= RHAT_LIMIT:
            warnings.append(
                f"chains disagree after {state.sweeps} sweeps (R-hat {r:.3f} > {RHAT_LIMIT}): "
                "run more iterations"
            )
    else:
        diagnostics.pop("rhat")
        warnings.append("one chain: R-hat cannot be computed; use several chains")
    if e < min_ess:
        warnings.append(
            f"effective sample size {e:.0f} < {min_ess:.0f} after {state.sweeps} sweeps: "
            "the interval ends are imprecise; run more iterations"
        )
    return EstimateResult(
        method="lcmcr",
        documented=n,
        estimate=median,
        interval=(low, high),
        lists=list_sizes(table),
        warnings=tuple(warnings),
        diagnostics=diagnostics,
        draws=pooled.astype(np.float64),
        level=level,
        state=state.state(),
    )
