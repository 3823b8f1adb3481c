"""LCMCR, log-linear models and the reference estimators on synthetic data.

All data here are SYNTHETIC: simulated capture histories, no real people.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dadkhahi.domain.errors import UserError
from dadkhahi.estimate import (
    chao_lower_bound,
    describe,
    histories_to_table,
    lcmcr,
    lincoln_petersen,
    loglinear,
)
from dadkhahi.estimate.lcmcr import GibbsChains
from dadkhahi.estimate.loglinear import enumerate_models, fit_all_models
from dadkhahi.estimate.table import list_names


def simulate(
    people: int, probs: list[list[float]], weights: list[float], seed: int
) -> pd.DataFrame:
    """SYNTHETIC capture histories from latent classes with given capture probabilities."""
    rng = np.random.default_rng(seed)
    cls = rng.choice(len(weights), size=people, p=weights)
    p = np.asarray(probs)[cls]
    seen = (rng.random(p.shape) < p).astype(int)
    names = [f"L{i + 1}" for i in range(p.shape[1])]
    return histories_to_table(pd.DataFrame(seen, columns=names), names)


INDEPENDENT = simulate(3000, [[0.3, 0.25, 0.35, 0.3]], [1.0], seed=11)


def test_lcmcr_recovers_a_known_total_and_is_repeatable() -> None:
    first = lcmcr(INDEPENDENT, iterations=3000, chains=3, seed=7)
    again = lcmcr(INDEPENDENT, iterations=3000, chains=3, seed=7)
    sweeps = first.diagnostics["iterations"]
    assert first.estimate == again.estimate
    assert first.interval == again.interval
    assert first.interval[0] <= 3000 <= first.interval[1]
    assert abs(first.estimate - 3000) < 150
    assert first.interval[0] >= first.documented
    assert first.draws is not None
    assert first.draws.size == 3 * (sweeps - sweeps // 4)
    assert {"rhat", "ess", "alpha_mean"} <= set(first.diagnostics)


def test_lcmcr_extends_in_blocks_until_converged() -> None:
    # 100 sweeps cannot reach ESS 400: the chains run on, 100 at a time, and
    # stop at the first check where R-hat < 1.01 and ESS >= 400.
    result = lcmcr(INDEPENDENT, iterations=100, chains=2, seed=2, max_iterations=20_000)
    d = result.diagnostics
    checks = d["checks"]
    assert d["converged"] and d["extensions"] == len(checks) - 1 >= 1
    assert d["iterations"] == 100 * len(checks) < 20_000
    assert [c["iterations"] for c in checks] == [100 * (i + 1) for i in range(len(checks))]
    assert checks[-1]["rhat"] < 1.01 and checks[-1]["ess"] >= 400
    assert all(c["rhat"] >= 1.01 or c["ess"] < 400 for c in checks[:-1])
    assert d["burnin"] == d["iterations"] // 4
    assert result.draws is not None
    assert result.draws.size == 2 * (d["iterations"] - d["burnin"])
    assert not any("R-hat" in w or "effective sample" in w for w in result.warnings)
    again = lcmcr(INDEPENDENT, iterations=100, chains=2, seed=2, max_iterations=20_000)
    assert again.draws is not None
    np.testing.assert_array_equal(result.draws, again.draws)
    assert again.interval == result.interval


def test_lcmcr_respects_the_cap_and_warns_when_not_converged() -> None:
    result = lcmcr(INDEPENDENT, iterations=30, chains=3, seed=4, max_iterations=100)
    d = result.diagnostics
    assert d["iterations"] == 100 and d["max_iterations"] == 100
    assert [c["iterations"] for c in d["checks"]] == [30, 60, 90, 100]
    assert not d["converged"]
    assert any("effective sample size" in w and "100 sweeps" in w for w in result.warnings)
    fixed = lcmcr(INDEPENDENT, iterations=300, chains=2, seed=4, max_iterations=300)
    assert fixed.diagnostics["iterations"] == 300 and fixed.diagnostics["extensions"] == 0
    with pytest.raises(UserError):
        lcmcr(INDEPENDENT, iterations=300, max_iterations=200)


def test_gibbs_chains_continue_where_they_stopped() -> None:
    patterns = INDEPENDENT[list_names(INDEPENDENT)].to_numpy(dtype=np.int64)
    counts = INDEPENDENT["count"].to_numpy(dtype=np.int64)

    def chains() -> GibbsChains:
        return GibbsChains(patterns, counts, 2, 10, 0.25, 0.25, np.random.default_rng(9))

    whole = chains().sweep(60)
    parts = chains()
    first, second = parts.sweep(25), parts.sweep(35)
    assert parts.sweeps == 60
    for name in ("n0", "alpha", "k_star"):
        np.testing.assert_array_equal(whole[name], np.hstack([first[name], second[name]]))


def test_lcmcr_reports_progress_without_changing_the_draws() -> None:
    calls: list[tuple[int, int]] = []
    quiet = lcmcr(INDEPENDENT, iterations=1500, chains=2, seed=8, max_iterations=4500)
    heard = lcmcr(INDEPENDENT, iterations=1500, chains=2, seed=8, max_iterations=4500,
                  progress=lambda done, at_most: calls.append((done, at_most)))
    assert quiet.draws is not None and heard.draws is not None
    np.testing.assert_array_equal(quiet.draws, heard.draws)
    sweeps = heard.diagnostics["iterations"]
    # Every 1,000 sweeps and at each block's end, against the cap; then done.
    assert calls[0] == (1000, 4500)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert all(at_most == 4500 for _, at_most in calls[:-1])
    assert calls[-1] == (sweeps, sweeps)


def test_lcmcr_warns_on_one_chain_and_refuses_bad_settings() -> None:
    result = lcmcr(INDEPENDENT, iterations=400, chains=1, seed=1, max_iterations=400)
    assert any("one chain" in w for w in result.warnings)
    with pytest.raises(UserError):
        lcmcr(INDEPENDENT, iterations=100, burnin=99)
    with pytest.raises(UserError):
        lcmcr(INDEPENDENT, max_classes=1)


def test_lcmcr_prior_on_capture_probabilities_is_applied() -> None:
    # A Beta(1, 50) prior says lists catch about 2% of people: with the same
    # data and seed the undocumented must grow well beyond the flat prior's.
    flat = lcmcr(INDEPENDENT, iterations=400, chains=2, seed=3, max_iterations=400)
    low = lcmcr(INDEPENDENT, iterations=400, chains=2, seed=3, max_iterations=400,
                lambda_prior=(1.0, 50.0))
    assert flat.diagnostics["prior_lambda"] == [1.0, 1.0]
    assert low.diagnostics["prior_lambda"] == [1.0, 50.0]
    assert low.undocumented > 1.5 * flat.undocumented
    with pytest.raises(UserError, match="Beta prior"):
        lcmcr(INDEPENDENT, iterations=100, lambda_prior=(0.0, 1.0))


def test_lcmcr_warns_that_three_lists_do_not_identify_the_total() -> None:
    three = simulate(2000, [[0.3, 0.25, 0.35]], [1.0], seed=4)
    result = lcmcr(three, iterations=200, chains=2, seed=1, max_iterations=200)
    assert any("three lists do not identify" in w for w in result.warnings)
    four = lcmcr(INDEPENDENT, iterations=200, chains=2, seed=1, max_iterations=200)
    assert not any("three lists" in w for w in four.warnings)


def test_lcmcr_sees_heterogeneity_log_linear_independence_misses() -> None:
    # Two classes: the hard-to-list class drags the independence estimate
    # down; LCMCR should move up towards the truth.
    table = simulate(
        3000, [[0.5, 0.45, 0.5, 0.4, 0.5], [0.15, 0.2, 0.12, 0.18, 0.15]], [0.6, 0.4], seed=5
    )
    lc = lcmcr(table, iterations=6000, chains=4, seed=3, max_iterations=6000)
    from dadkhahi.estimate import fit_loglinear

    independence = fit_loglinear(table).estimate
    assert lc.estimate > independence
    assert lc.interval[0] <= 3000 <= lc.interval[1]


def test_model_space_sizes() -> None:
    assert len(enumerate_models(3)) == 8  # type: ignore[arg-type]
    assert len(enumerate_models(4)) == 64  # type: ignore[arg-type]
    assert len(enumerate_models(5)) == 1024  # type: ignore[arg-type]
    assert enumerate_models(6) is None
    with_three_way = enumerate_models(4, max_order=3)
    assert with_three_way is not None
    assert len(with_three_way) == 113
    assert all(len(t) < 4 for model in with_three_way for t in model)


def test_loglinear_on_independent_lists_covers_truth() -> None:
    result = loglinear(INDEPENDENT)
    assert result.interval[0] <= 3000 <= result.interval[1]
    assert result.diagnostics["interval_method"].startswith("profile")
    averaged = loglinear(INDEPENDENT, average=True, criterion="bic")
    assert averaged.method == "loglinear-avg-bic"
    assert averaged.interval[0] <= averaged.estimate <= averaged.interval[1]
    weights = [m["weight"] for m in averaged.diagnostics["models"]]
    assert weights == sorted(weights, reverse=True)


def test_loglinear_bootstrap_interval_is_seeded() -> None:
    a = loglinear(INDEPENDENT, interval="bootstrap", bootstrap=60, seed=4)
    b = loglinear(INDEPENDENT, interval="bootstrap", bootstrap=60, seed=4)
    assert a.interval == b.interval
    assert a.draws is not None
    assert a.draws.size == 60
    assert a.interval[0] < a.estimate < a.interval[1]


def test_loglinear_six_lists_uses_stepwise_search() -> None:
    table = simulate(1500, [[0.3, 0.2, 0.25, 0.3, 0.2, 0.25]], [1.0], seed=8)
    fits, searched = fit_all_models(table)
    assert searched.startswith("stepwise")
    assert 1 < len(fits) < 200
    result = loglinear(table)
    assert result.interval[0] <= 1500 <= result.interval[1]


def test_saturated_and_unbounded_models_are_flagged() -> None:
    # Three lists whose pairwise overlaps are tiny: the saturated model's
    # estimate is unstable, and some models cannot bound the total.
    table = pd.DataFrame(
        {
            "A": [1, 0, 0, 1, 1, 0, 1],
            "B": [0, 1, 0, 1, 0, 1, 1],
            "C": [0, 0, 1, 0, 1, 1, 1],
            "count": [300, 280, 310, 1, 1, 1, 3],
        }
    )
    result = loglinear(table)
    assert math.isfinite(result.estimate)
    assert result.warnings
    text = " ".join(result.warnings)
    assert "unbounded" in text or "saturated" in text or "interval" in text


def test_no_overlap_is_refused() -> None:
    table = pd.DataFrame({"A": [1, 0, 0], "B": [0, 1, 0], "C": [0, 0, 1], "count": [5, 5, 5]})
    for run in (loglinear, lcmcr):
        with pytest.raises(UserError, match="more than one list"):
            run(table)


def test_chao_formula_and_interval() -> None:
    result = chao_lower_bound(INDEPENDENT)
    f = describe(INDEPENDENT).capture_frequencies
    assert result.estimate == pytest.approx(INDEPENDENT["count"].sum() + f[0] ** 2 / (2 * f[1]))
    assert result.documented <= result.interval[0] <= result.estimate <= result.interval[1]


def test_lincoln_petersen_with_many_lists_uses_two_largest_and_warns() -> None:
    result = lincoln_petersen(INDEPENDENT)
    sizes = sorted(describe(INDEPENDENT).lists, key=lambda s: -s.size)
    assert result.diagnostics["pair"] == [sizes[0].name, sizes[1].name]
    assert any("ignores" in w for w in result.warnings)
    assert result.interval[0] <= 3000 <= result.interval[1]


def test_describe_reports_overlaps_and_dependence() -> None:
    d = describe(INDEPENDENT)
    assert d.overlap.loc["L1", "L1"] == next(s.size for s in d.lists if s.name == "L1")
    assert (d.overlap.to_numpy() == d.overlap.to_numpy().T).all()
    assert len(d.pairwise) == 6
    # Independent lists: conditional odds ratios scatter around 1.
    assert d.pairwise["odds_ratio"].between(0.6, 1.6).all()
