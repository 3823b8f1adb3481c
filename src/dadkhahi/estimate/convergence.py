"""MCMC convergence diagnostics: rank-normalised split R-hat and bulk ESS.

After Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization,
folding, and localization: an improved R-hat for assessing convergence of
MCMC", Bayesian Analysis 16(2). Hand-written (about forty lines of NumPy)
rather than depending on ArviZ, whose dependency tree (xarray, netCDF) is
heavy for two functions; the tests check them against draws whose answers
are known in closed form (independent draws, AR(1) chains, shifted chains).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def _split(draws: NDArray[np.float64]) -> NDArray[np.float64]:
    """Split each chain in two halves (dropping a middle draw if odd)."""
    half = draws.shape[1] // 2
    return np.concatenate([draws[:, :half], draws[:, -half:]], axis=0)


def _rank_normalise(draws: NDArray[np.float64]) -> NDArray[np.float64]:
    from scipy import stats  # only when chains are checked (SciPy is slow to import)

    ranks = stats.rankdata(draws, method="average").reshape(draws.shape)
    return np.asarray(stats.norm.ppf((ranks - 0.375) / (draws.size + 0.25)), dtype=np.float64)


def _rhat(chains: NDArray[np.float64]) -> float:
    n = chains.shape[1]
    within = chains.var(axis=1, ddof=1).mean()
    between = n * chains.mean(axis=1).var(ddof=1)
    if within == 0:
        return 1.0 if between == 0 else float("inf")
    var_plus = (n - 1) / n * within + between / n
    return float(np.sqrt(var_plus / within))


def rhat(draws: NDArray[np.float64]) -> float:
    """Rank-normalised split R-hat: the larger of the bulk and tail (folded) values.

    ``draws`` has shape (chains, draws per chain). Values near 1 (below 1.01)
    mean the chains agree.
    """
    x = np.asarray(draws, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 4:
        raise ValueError("draws must be (chains, draws) with at least 4 draws per chain")
    bulk = _rhat(_rank_normalise(_split(x)))
    folded = np.abs(x - np.median(x))
    tail = _rhat(_rank_normalise(_split(folded)))
    return max(bulk, tail)


def _ess_raw(chains: NDArray[np.float64]) -> float:
    m, n = chains.shape
    centred = chains - chains.mean(axis=1, keepdims=True)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :n] / n
    chain_var = acov[:, 0] * n / (n - 1)
    mean_var = chain_var.mean()
    var_plus = mean_var * (n - 1) / n
    if m > 1:
        var_plus += chains.mean(axis=1).var(ddof=1)
    if var_plus <= 0:
        return float(m * n)
    rho = 1 - (mean_var - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer's initial monotone sequence: sums of adjacent pairs, kept while
    # positive and forced to be non-increasing.
    pairs = rho[: (n // 2) * 2].reshape(-1, 2).sum(axis=1)
    positive = np.flatnonzero(pairs <= 0)
    pairs = pairs[: positive[0]] if positive.size else pairs
    pairs = np.minimum.accumulate(pairs)
    tau = -1 + 2 * pairs.sum()
    tau = max(tau, 1 / np.log10(m * n))
    return float(m * n / tau)


def ess(draws: NDArray[np.float64]) -> float:
    """Bulk effective sample size of rank-normalised split chains, (chains, draws)."""
    x = np.asarray(draws, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 4:
        raise ValueError("draws must be (chains, draws) with at least 4 draws per chain")
    return _ess_raw(_rank_normalise(_split(x)))
