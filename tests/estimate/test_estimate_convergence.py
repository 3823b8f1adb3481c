"""R-hat and ESS against draws whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from dadkhahi.estimate.convergence import ess, rhat


def ar1(rho: float, chains: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.empty((chains, n))
    x[:, 0] = rng.normal(size=chains) / np.sqrt(1 - rho**2)
    noise = rng.normal(size=(chains, n))
    for t in range(1, n):
        x[:, t] = rho * x[:, t - 1] + noise[:, t]
    return x


def test_independent_draws_have_full_ess_and_rhat_one() -> None:
    draws = np.random.default_rng(1).normal(size=(4, 2000))
    assert rhat(draws) == pytest.approx(1.0, abs=0.01)
    assert 0.85 * 8000 < ess(draws) < 1.15 * 8000


def test_ar1_ess_matches_theory() -> None:
    rho = 0.9
    draws = ar1(rho, 4, 20000, 2)
    expected = 4 * 20000 * (1 - rho) / (1 + rho)
    assert 0.75 * expected < ess(draws) < 1.25 * expected
    assert rhat(draws) < 1.01


def test_chains_stuck_in_different_places_get_large_rhat() -> None:
    draws = np.random.default_rng(3).normal(size=(4, 1000)) + np.array([[0], [0], [0], [3]])
    assert rhat(draws) > 1.1


def test_too_few_draws_refused() -> None:
    with pytest.raises(ValueError, match="at least 4"):
        rhat(np.zeros((2, 3)))
