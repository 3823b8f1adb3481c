"""What the mutation run of ``estimate.loglinear`` found untested (issue 18).

Expected values come from the definitions the module cites, computed here without it:
a hierarchical model contains every lower-order term of each of its terms (the
stepwise search moves to the hierarchical models one term away), and Chao's
log-transformed interval n + f0/c .. n + f0*c with c = exp(z sqrt(log(1 + se^2/f0^2))).
All tables are SYNTHETIC.
"""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest
from test_estimate_published import HIV

from dadkhahi.estimate import fit_loglinear, loglinear
from dadkhahi.estimate.loglinear import (
    _lognormal_interval,
    _neighbours,
    fit_all_models,
    profile_interval,
)

Z95 = 1.959963984540054


def _hierarchical_models(k: int, max_order: int) -> list[frozenset[tuple[int, ...]]]:
    """Every model (set of interaction terms) in which each term's sub-terms are present."""
    terms = [t for order in range(2, min(max_order, k - 1) + 1)
             for t in itertools.combinations(range(k), order)]
    models = []
    for mask in itertools.product((False, True), repeat=len(terms)):
        chosen = frozenset(t for t, keep in zip(terms, mask, strict=True) if keep)
        if all(sub in chosen for t in chosen if len(t) > 2
               for sub in itertools.combinations(t, len(t) - 1)):
            models.append(chosen)
    return models


@pytest.mark.parametrize(("k", "max_order"), [(3, 2), (4, 2), (4, 3)])
def test_the_stepwise_search_moves_to_every_hierarchical_model_one_term_away(
    k: int, max_order: int,
) -> None:
    models = _hierarchical_models(k, max_order)
    for model in models:
        expected = {m for m in models if len(m ^ model) == 1}
        got = _neighbours(model, k, max_order)
        assert len(got) == len(set(got))
        assert set(got) == expected, sorted(model)


def test_a_log_transformed_interval_by_hand() -> None:
    n, estimate, se = 1000.0, 1500.0, 120.0
    f0 = estimate - n
    c = math.exp(Z95 * math.sqrt(math.log(1 + se**2 / f0**2)))
    assert _lognormal_interval(n, estimate, se, 0.95) == pytest.approx(
        (n + f0 / c, n + f0 * c), rel=1e-12)
    # With no uncertainty the interval is the estimate itself (c = 1) ...
    assert _lognormal_interval(n, estimate, 0.0, 0.95) == (estimate, estimate)
    # ... and with nobody undocumented, the documented count.
    assert _lognormal_interval(n, n, 50.0, 0.95) == (n, n)
    # An unbounded standard error leaves the top open.
    assert _lognormal_interval(n, estimate, math.inf, 0.95) == (n, math.inf)


def test_the_profile_maximum_is_found_when_few_are_undocumented() -> None:
    # Three lists each catching 90% of 1000 people independently: about one person is on
    # none, so the multinomial maximum sits next to the Poisson estimate n + exp(b0).
    counts = {(1, 1, 1): 729, (1, 1, 0): 81, (1, 0, 1): 81, (0, 1, 1): 81,
              (1, 0, 0): 9, (0, 1, 0): 9, (0, 0, 1): 9}
    table = pd.DataFrame([[*p, c] for p, c in counts.items()], columns=["a", "b", "c", "count"])
    fit = fit_loglinear(table)
    assert fit.estimate == pytest.approx(1000.0, abs=1.0)
    profile = profile_interval(table)
    assert profile.estimate == pytest.approx(fit.estimate, abs=1.0)
    assert profile.low == 999.0 and 1000.0 < profile.high < 1010.0


def test_the_excluded_models_are_counted_in_the_warning_and_the_table_is_reported() -> None:
    # Pairwise overlaps of one to three people: some models cannot bound the total.
    table = pd.DataFrame({
        "A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1, 1, 1],
        "count": [300, 280, 310, 1, 1, 1, 3],
    })
    result = loglinear(table)
    fits, _ = fit_all_models(table)
    dropped = sum(not f.bounded for f in fits)
    assert 0 < dropped < len(fits) == 8
    assert (f"{dropped} of 8 models left the undocumented count unbounded or did not "
            "converge (typical of saturated models on sparse tables) and were excluded"
            ) in result.warnings
    assert result.diagnostics["criterion"] == "aic"
    rows = result.diagnostics["models"]
    assert len(rows) == 8 - dropped
    assert all(set(r) == {"model", "estimate", "se", "deviance", "df", "aic", "bic", "weight"}
               for r in rows)
    best = next(f for f in fits if f.name == rows[0]["model"])
    assert (rows[0]["estimate"], rows[0]["se"], rows[0]["aic"]) == (best.estimate, best.se,
                                                                    best.aic)


def test_the_report_lists_the_ten_best_models() -> None:
    result = loglinear(HIV)  # 64 hierarchical models of four lists
    rows = result.diagnostics["models"]
    assert len(rows) == 10
    assert [r["aic"] for r in rows] == sorted(r["aic"] for r in rows)


def test_the_criteria_are_aic_and_bic_as_defined() -> None:
    # AIC = -2 log L + 2k, BIC = -2 log L + k log n (Schwarz 1978), n the documented count.
    n = float(HIV["count"].sum())
    for terms in ([], [("c1", "c2")], [("c1", "c2"), ("c3", "c4")]):
        fit = fit_loglinear(HIV, terms)
        assert fit.n_params == 5 + len(terms)
        assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * fit.n_params, rel=1e-12)
        assert fit.bic == pytest.approx(-2 * fit.loglik + fit.n_params * math.log(n), rel=1e-12)
