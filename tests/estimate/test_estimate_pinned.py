"""Each estimator pinned to numbers computed without it (issue 18, item 3).

The published examples (Rcapture's HIV table, Seber's two lists) are in
``test_estimate_published.py``. Here every figure is worked out by hand in
the test, from the formula in the paper cited, with the arithmetic written
out, so a change to the code's formula (a halved interval, another weight)
changes a number the test states. All tables are SYNTHETIC.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from test_estimate_published import HIV

from dadkhahi.estimate import (
    chao_lower_bound,
    fit_loglinear,
    lcmcr,
    lincoln_petersen,
    loglinear,
    to_json,
)
from dadkhahi.estimate.loglinear import UNBOUNDED_FACTOR

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile


def two_lists(n11: int, n10: int, n01: int) -> pd.DataFrame:
    return pd.DataFrame({"a": [1, 1, 0], "b": [1, 0, 1], "count": [n11, n10, n01]})


# --- Chao (1987) ---------------------------------------------------------------


def test_chao_by_hand() -> None:
    # f1 = 40 on one list, f2 = 10 on two, 5 on all three: n = 55.
    table = pd.DataFrame({
        "A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1, 1, 1],
        "count": [20, 10, 10, 4, 3, 3, 5],
    })
    result = chao_lower_bound(table)
    # f0 = f1^2 / (2 f2) = 1600 / 20 = 80, so N = 55 + 80 = 135.
    assert result.estimate == 135.0
    # Chao (1987): var = f2 (r^4/4 + r^3 + r^2/2) with r = f1/f2 = 4:
    # 10 * (64 + 64 + 8) = 1360.
    assert result.diagnostics["se"] == pytest.approx(math.sqrt(1360), rel=1e-12)
    # Log-transformed interval: C = exp(z sqrt(log(1 + var / f0^2)))
    # = exp(1.959964 * sqrt(log(1.2125))) = exp(1.959964 * 0.4389582) = 2.363970;
    # (n + f0 / C, n + f0 C) = (55 + 33.8414, 55 + 189.1176).
    low, high = result.interval
    assert low == pytest.approx(88.8414, abs=5e-4)
    assert high == pytest.approx(244.1176, abs=5e-4)
    assert result.documented <= low <= result.estimate <= high


def test_chao_edge_cases_by_hand() -> None:
    # Nobody on exactly two lists (f1 = 3, f2 = 0, f3 = 2; n = 5): the
    # bias-corrected f0 = f1 (f1 - 1) / 2 = 3 and N = 8, with variance
    # f1(f1-1)/2 + f1(2 f1 - 1)^2 / 4 - f1^4 / (4 N) = 3 + 18.75 - 2.53125.
    table = pd.DataFrame({
        "A": [1, 0, 0, 1], "B": [0, 1, 0, 1], "C": [0, 0, 1, 1], "count": [1, 1, 1, 2],
    })
    result = chao_lower_bound(table)
    assert result.estimate == 8.0
    assert result.diagnostics["se"] == pytest.approx(math.sqrt(19.21875), rel=1e-12)
    c = math.exp(Z95 * math.sqrt(math.log(1 + 19.21875 / 9)))
    assert result.interval == pytest.approx((5 + 3 / c, 5 + 3 * c), rel=1e-9)
    assert any("bias-corrected" in w for w in result.warnings)
    # Everyone on two lists or more (f1 = 0): nothing to add, a point interval.
    everyone_twice = two_lists(12, 0, 0)
    none = chao_lower_bound(everyone_twice)
    assert none.estimate == 12.0 and none.interval == (12.0, 12.0)


# --- Lincoln-Petersen and Chapman ---------------------------------------------------


def test_chapman_by_hand_and_the_documented_floor() -> None:
    # n1 = 10, n2 = 8, m = 4 (n = 14): Chapman (11 * 9) / 5 - 1 = 18.8;
    # Seber's variance 11 * 9 * 6 * 4 / (5^2 * 6) = 15.84.
    result = lincoln_petersen(two_lists(4, 6, 4))
    assert result.estimate == pytest.approx(18.8, rel=1e-12)
    assert result.diagnostics["chapman_se"] == pytest.approx(math.sqrt(15.84), rel=1e-12)
    assert result.diagnostics["lincoln_petersen"] == pytest.approx(20.0, rel=1e-12)
    # LP variance n1 n2 (n1 - m)(n2 - m) / m^3 = 10 * 8 * 6 * 4 / 64 = 30.
    assert result.diagnostics["lincoln_petersen_se"] == pytest.approx(math.sqrt(30), rel=1e-12)
    # 18.8 - 1.96 * 3.98 = 11.0 is below the 14 documented: the floor holds.
    assert result.interval[0] == 14.0
    assert result.interval[1] == pytest.approx(18.8 + Z95 * math.sqrt(15.84), rel=1e-12)


def test_lincoln_petersen_edge_cases() -> None:
    # No overlap: nothing bounds the total.
    apart = lincoln_petersen(two_lists(0, 30, 20))
    assert math.isinf(apart.estimate) and math.isinf(apart.interval[1])
    assert apart.interval[0] == 50.0
    assert any("share nobody" in w for w in apart.warnings)
    # One list inside the other (n1 = m): Seber's variance is 0 and Chapman
    # (m + 1)(n2 + 1)/(m + 1) - 1 = n2 is exactly the documented count.
    inside = lincoln_petersen(two_lists(10, 0, 5))
    assert inside.estimate == 15.0 and inside.interval == (15.0, 15.0)
    # A single shared person: (n1 + 1)(n2 + 1)/2 - 1 with n1 = n2 = 6: 23.5.
    one = lincoln_petersen(two_lists(1, 5, 5))
    assert one.estimate == pytest.approx(23.5, rel=1e-12)
    # var = 7 * 7 * 5 * 5 / (4 * 3) = 102.0833...
    assert one.diagnostics["chapman_se"] == pytest.approx(math.sqrt(1225 / 12), rel=1e-12)


# --- model-averaged log-linear estimate ----------------------------------------------


def test_model_averaging_weights_are_exp_minus_half_delta() -> None:
    # Recomputed here from the single-model fits (each pinned to Rcapture in
    # test_estimate_published.py): Buckland, Burnham & Augustin (1997) weights
    # w_i proportional to exp(-delta_i / 2) over every hierarchical
    # pairwise model, the unconditional SE sum w_i sqrt(se_i^2 + (N_i - N)^2),
    # and Chao's log-transformed interval around n + f0.
    pairs = list(itertools.combinations(["c1", "c2", "c3", "c4"], 2))
    fits = [
        fit_loglinear(HIV, list(chosen))
        for size in range(len(pairs) + 1)
        for chosen in itertools.combinations(pairs, size)
    ]
    assert len(fits) == 64
    n = int(HIV["count"].sum())
    usable = [f for f in fits if f.converged and f.estimate - n <= UNBOUNDED_FACTOR * n]
    aic = np.array([f.aic for f in usable])
    weights = np.exp(-(aic - aic.min()) / 2)
    weights /= weights.sum()
    estimates = np.array([f.estimate for f in usable])
    averaged = float(weights @ estimates)
    se = float(weights @ np.sqrt(np.array([f.se for f in usable]) ** 2
                                 + (estimates - averaged) ** 2))
    f0 = averaged - n
    c = math.exp(Z95 * math.sqrt(math.log(1 + se**2 / f0**2)))

    result = loglinear(HIV, average=True)
    assert result.estimate == pytest.approx(averaged, rel=1e-6)
    assert result.diagnostics["se"] == pytest.approx(se, rel=1e-6)
    assert result.interval == pytest.approx((n + f0 / c, n + f0 * c), rel=1e-6)
    # The figures themselves, so that a change in the fits shows too.
    assert result.estimate == pytest.approx(12796.2, abs=0.5)
    assert result.interval == pytest.approx((9165.0, 18241.3), abs=0.5)
    best = result.diagnostics["models"][0]
    assert best["model"] == "c1:c2"
    assert best["weight"] == pytest.approx(float(weights.max()), rel=1e-6)
    # exp(-2 delta) would give the best model far more than its 10%.
    assert best["weight"] == pytest.approx(0.1029, abs=5e-5)


# --- LCMCR -------------------------------------------------------------------------


def test_lcmcr_runaway_is_reported_as_unbounded() -> None:
    # A prior that says lists catch about one person in 100,000: the
    # undocumented count passes 1,000 times the documented one, the chains
    # stop at once (more sweeps cannot bound it), the upper end is infinite
    # and the JSON writes it as null.
    table = pd.DataFrame({
        "A": [1, 0, 0, 1, 1], "B": [0, 1, 0, 1, 0], "C": [0, 0, 1, 0, 1],
        "D": [1, 1, 0, 0, 0], "count": [50, 50, 50, 5, 5],
    })
    result = lcmcr(table, iterations=200, chains=2, seed=1, max_iterations=2000,
                   lambda_prior=(1.0, 1e5))
    assert any("ran away" in w and "do not bound" in w for w in result.warnings)
    assert math.isinf(result.interval[1])
    assert result.diagnostics["iterations"] == 200  # no extension after a runaway
    assert json.loads(json.dumps(to_json(result)))["interval"][1] is None
    flat = lcmcr(table, iterations=200, chains=2, seed=1, max_iterations=200)
    assert not any("ran away" in w for w in flat.warnings)
    assert math.isfinite(flat.interval[1])
