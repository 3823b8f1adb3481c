"""Bayesian non-parametric latent-class capture-recapture (LCMCR).

The model of Manrique-Vallier (2016), "Bayesian population size estimation
using Dirichlet process mixtures", Biometrics 72(4): people fall into latent
classes (a stick-breaking Dirichlet-process prior truncated at ``max_classes``
classes, concentration alpha ~ Gamma(a, b)); within a class, lists capture
independently with class-specific probabilities lambda ~ Beta(1, 1); the
prior on the total is p(N) proportional to 1/N. Heterogeneity and
dependence between lists come from the mixing over classes.

The Gibbs sampler follows the R package LCMCR step by step (class counts of
each observed pattern, lambda, the sticks on the log scale, the number of
undocumented people n0 ~ NegBin(n, 1 - P(on no list)), their classes, then
alpha). It is written in NumPy because no maintained Python package
implements this model; each step is vectorised over capture patterns,
classes and chains at once, so several chains cost little more than one.
"""

from __future__ import annotations

import math

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


def sample_lcmcr(
    patterns: NDArray[np.int64],
    counts: NDArray[np.int64],
    iterations: int,
    burnin: int,
    chains: int,
    max_classes: int,
    a_alpha: float,
    b_alpha: float,
    rng: np.random.Generator,
) -> dict[str, NDArray[np.float64]]:
    """Run the Gibbs sampler; return kept draws of n0, alpha and occupied classes.

    ``patterns`` (M x J, 0/1) are the observed capture patterns with
    ``counts`` people each. Every array returned has shape
    (chains, iterations - burnin).
    """
    keep = iterations - burnin
    x = patterns.astype(np.float64)
    x_not = 1.0 - x
    n = int(counts.sum())
    c, k, j = chains, max_classes, patterns.shape[1]
    counts_b = np.broadcast_to(counts.astype(np.int64), (c, len(counts)))

    marginal = (x * counts[:, None]).sum(axis=0) / n
    lam = np.clip(marginal[None, :, None] * np.exp(rng.normal(0, 0.3, (c, j, k))), 0.02, 0.98)
    sticks = rng.beta(1.0, 1.0, (c, k - 1))
    log_nu = np.concatenate(
        [np.log(sticks), np.zeros((c, 1))], axis=1
    ) + np.concatenate([np.zeros((c, 1)), np.cumsum(np.log1p(-sticks), axis=1)], axis=1)
    alpha = np.ones(c)
    n0 = np.zeros(c, dtype=np.int64)
    z0 = np.zeros((c, k), dtype=np.int64)
    n0_cap = RUNAWAY_FACTOR * max(n, 1)

    out_n0 = np.empty((c, keep))
    out_alpha = np.empty((c, keep))
    out_kstar = np.empty((c, keep))
    for it in range(iterations):
        log_lam = np.log(lam)
        log_miss = np.log1p(-lam)
        # Classes of the people behind each observed pattern.
        log_w = log_nu[:, None, :] + x @ log_lam + x_not @ log_miss
        z = rng.multinomial(counts_b, _normalise_rows(log_w))
        class_size = z.sum(axis=1) + z0
        ones = np.swapaxes(x, 0, 1) @ z
        lam = rng.beta(1.0 + ones, 1.0 + class_size[:, None, :] - ones)
        log_miss = np.log1p(-lam)
        # Stick-breaking weights, sampled on the log scale for stability.
        later = (n + n0)[:, None] - np.cumsum(class_size, axis=1)[:, :-1]
        lg1 = _log_gamma_variates(rng, 1.0 + class_size[:, :-1])
        lg2 = _log_gamma_variates(rng, alpha[:, None] + later)
        total = np.logaddexp(lg1, lg2)
        log_rest = np.cumsum(lg2 - total, axis=1)
        log_nu = np.concatenate(
            [lg1 - total + np.concatenate([np.zeros((c, 1)), log_rest[:, :-1]], axis=1),
             log_rest[:, -1:]],
            axis=1,
        )
        # The undocumented: how many, then their classes.
        log_zero = log_nu + log_miss.sum(axis=1)
        top = log_zero.max(axis=1)
        log_p0 = top + np.log(np.exp(log_zero - top[:, None]).sum(axis=1))
        p_seen = np.clip(-np.expm1(log_p0), 1e-12, 1.0)
        n0 = np.minimum(rng.negative_binomial(n, p_seen), n0_cap).astype(np.int64)
        z0 = rng.multinomial(n0, _normalise_rows(log_zero))
        alpha = rng.gamma(a_alpha + k - 1.0, 1.0 / (b_alpha - log_nu[:, -1]))
        if it >= burnin:
            i = it - burnin
            out_n0[:, i] = n0
            out_alpha[:, i] = alpha
            out_kstar[:, i] = ((z.sum(axis=1) + z0) > 0).sum(axis=1)
    return {"n0": out_n0, "alpha": out_alpha, "k_star": out_kstar}


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
) -> EstimateResult:
    """Posterior median and equal-tailed credible interval of the total under LCMCR.

    ``iterations`` Gibbs sweeps per chain, of which the first ``burnin``
    (default a quarter) are discarded. ``max_classes`` is the truncation K* and
    ``a_alpha``/``b_alpha`` the Gamma prior on the concentration, with the
    R package's defaults (10, 0.25, 0.25). The same ``seed`` gives the same
    draws. R-hat and bulk ESS of the total are in ``diagnostics`` and a
    warning is raised when R-hat > 1.01 or ESS < 400.
    """
    require_lists(table, "LCMCR")
    if chains < 1 or iterations < 8:
        raise UserError("LCMCR needs at least one chain and 8 iterations")
    if max_classes < 2:
        raise UserError("LCMCR needs at least 2 latent classes")
    burn = iterations // 4 if burnin is None else burnin
    if not 0 <= burn <= iterations - 4:
        raise UserError("burn-in must leave at least 4 kept iterations")
    lists = list_names(table)
    patterns = table[lists].to_numpy(dtype=np.int64)
    counts = table[COUNT].to_numpy(dtype=np.int64)
    n = documented(table)
    rng = np.random.default_rng(seed)
    draws = sample_lcmcr(
        patterns, counts, iterations, burn, chains, max_classes, a_alpha, b_alpha, rng
    )
    totals = n + draws["n0"]
    warnings = list(sparsity_warnings(table))
    a = (1 - level) / 2
    pooled = totals.ravel()
    low, median, high = (float(v) for v in np.quantile(pooled, [a, 0.5, 1 - a]))
    diagnostics: dict[str, object] = {
        "chains": chains,
        "iterations": iterations,
        "burnin": burn,
        "max_classes": max_classes,
        "prior_alpha": [a_alpha, b_alpha],
        "posterior_mean": float(pooled.mean()),
        "posterior_sd": float(pooled.std(ddof=1)) if pooled.size > 1 else 0.0,
        "alpha_mean": float(draws["alpha"].mean()),
        "occupied_classes_mean": float(draws["k_star"].mean()),
        "seed": seed,
    }
    if (draws["n0"] >= RUNAWAY_FACTOR * max(n, 1)).any():
        warnings.append(
            "some draws of the undocumented count ran away (over "
            f"{RUNAWAY_FACTOR:g} times the documented): the data do not bound the total"
        )
        high = math.inf
    if chains > 1:
        r = rhat(totals)
        e = ess(totals)
        diagnostics["rhat"] = r
        diagnostics["ess"] = e
        if not r <= RHAT_LIMIT:
            warnings.append(
                f"chains disagree (R-hat {r:.3f} > {RHAT_LIMIT}): run more iterations"
            )
        if e < ESS_MINIMUM:
            warnings.append(
                f"effective sample size {e:.0f} < {ESS_MINIMUM:.0f}: the interval ends are "
                "imprecise; run more iterations"
            )
    else:
        diagnostics["ess"] = ess(totals.reshape(2, -1)) if totals.shape[1] >= 8 else None
        warnings.append("one chain: R-hat cannot be computed; use several chains")
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
    )
