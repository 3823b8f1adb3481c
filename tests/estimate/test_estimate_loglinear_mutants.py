"""What the mutation run of ``estimate.loglinear`` found untested (issue 18).

Expected values come from the definitions the module cites, computed here without it:
a hierarchical model contains every lower-order term of each of its terms (the
stepwise search moves to the hierarchical models one term away), and Chao's
log-transformed interval n + f0/c .. n + f0*c with c = exp(z sqrt(log(1 + se^2/f0^2))).
All tables are SYNTHETIC.
"""

from __future__ import annotations

import inspect
import itertools
import math
import sys

import numpy as np
import pandas as pd
import pytest
from test_estimate_published import HIV

from dadkhahi.domain.errors import UserError
from dadkhahi.estimate import Options, fit_loglinear, loglinear
from dadkhahi.estimate.loglinear import (
    _lognormal_interval,
    _neighbours,
    enumerate_models,
    fit_all_models,
    fit_model,
    parse_terms,
    profile_interval,
)
from dadkhahi.estimate.table import full_counts, list_names

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


def _three_lists(counts: list[int]) -> pd.DataFrame:
    """Counts of the patterns A, B, C, AB, AC, BC, ABC."""
    return pd.DataFrame({"A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1],
                         "C": [0, 0, 1, 0, 1, 1, 1], "count": counts})


@pytest.mark.parametrize(("k", "max_order"), [(2, 2), (3, 2), (3, 3), (4, 2), (4, 3)])
def test_the_enumerated_models_are_the_hierarchical_ones_without_the_k_way_term(
    k: int, max_order: int,
) -> None:
    # Two lists: independence only; three lists asked for three-way terms: still no
    # three-way term (it is the K-way one, not identifiable).
    models = enumerate_models(k, max_order)
    assert models is not None
    assert {frozenset(m) for m in models} == set(_hierarchical_models(k, max_order))
    assert len(models) == len(set(models))


def test_interaction_terms_are_checked_and_put_in_one_order() -> None:
    lists = ["A", "B", "C", "D"]
    with pytest.raises(UserError, match=r"^unknown lists in interaction term: X, Y$"):
        parse_terms(lists, [("A", "X", "Y")])
    # Lower orders first, then by list: the order of the enumerated models, so a model
    # named by lists is the same tuple as the one the model space holds.
    terms = parse_terms(lists, [("A", "B", "C"), ("B", "A"), ("A", "D"), ("B", "C"),
                                ("A", "C")])
    assert terms == ((0, 1), (0, 2), (0, 3), (1, 2), (0, 1, 2))
    space = enumerate_models(4, max_order=3)
    assert space is not None and terms in space


def test_bic_uses_log_n_even_for_two_people() -> None:
    # BIC = -2 log L + k log n (Schwarz 1978), n = 2 documented people.
    two = pd.DataFrame({"A": [1, 0], "B": [0, 1], "C": [0, 0], "count": [1, 1]})
    fit = fit_loglinear(two)
    assert fit.n_params == 4
    assert fit.bic == pytest.approx(-2 * fit.loglik + 4 * math.log(2), rel=1e-12)


@pytest.mark.parametrize("intercept", [math.nan, 800.0])
def test_a_fit_whose_intercept_is_not_a_number_or_beyond_exp_is_unbounded(
    monkeypatch: pytest.MonkeyPatch, intercept: float,
) -> None:
    # A failed fit (NaN parameters) or a diverging one (exp(800) overflows a float):
    # the undocumented count is infinite and the model left out, not NaN or an error.
    table = _three_lists([300, 280, 310, 20, 25, 30, 3])
    lists = list_names(table)
    patterns, counts = full_counts(table)

    def diverged(y: object, x: np.ndarray, start: object = None) -> tuple[object, ...]:
        k = x.shape[1]
        return np.full(k, intercept), np.zeros((k, k)), -1e9, True

    # The package re-exports the function loglinear under the module's name.
    monkeypatch.setattr(sys.modules["dadkhahi.estimate.loglinear"], "_glm", diverged)
    fit = fit_model(patterns, counts, (), lists)
    assert math.isinf(fit.estimate) and math.isinf(fit.se)
    assert not fit.bounded


# Six lists (63 cells, too many models to enumerate): a strong A:B dependence and a weak
# C:D one, counts from that log-linear model. Adding C:D lowers -2 log L by more than
# AIC's 2 but less than BIC's log n (n about 4,000): the stepwise searches part there.
SIX = pd.DataFrame(
    [[*p, round(math.exp(math.log(600) - sum(p) + 1.0 * p[0] * p[1] + 0.15 * p[2] * p[3]))]
     for p in itertools.product((0, 1), repeat=6) if any(p)],
    columns=[*"ABCDEF", "count"],
)


def test_the_stepwise_search_follows_aic_unless_told_otherwise() -> None:
    default, searched = fit_all_models(SIX)
    by_aic, _ = fit_all_models(SIX, criterion="aic")
    _, by_bic_searched = fit_all_models(SIX, criterion="bic")
    assert searched == "stepwise search (43 models fitted)"
    assert by_bic_searched == "stepwise search (30 models fitted)"
    assert [f.name for f in default] == [f.name for f in by_aic]
    best = min((f for f in default if f.bounded), key=lambda f: f.aic)
    assert best.name == "A:B + C:D"


def test_the_bootstrap_default_is_the_estimate_commands_default() -> None:
    # One default number of replicates: the function's and the options' (500).
    default = inspect.signature(loglinear).parameters["bootstrap"].default
    assert default == Options().bootstrap == 500


def test_the_averaged_interval_says_how_it_was_made() -> None:
    result = loglinear(HIV, average=True)
    assert result.diagnostics["interval_method"] == "Buckland unconditional SE, log-transformed"


def test_only_a_saturated_model_is_warned_about_as_saturated() -> None:
    # Three dependent lists (counts from a model with A:B, A:C and B:C terms): the model
    # chosen, A:B + A:C, keeps one degree of freedom, so no warning of a saturated model.
    table = _three_lists([147, 147, 147, 180, 20, 120, 54])
    result = loglinear(table)
    assert (result.diagnostics["selected_model"], result.diagnostics["selected_df"]) == (
        "A:B + A:C", 1)
    assert not [w for w in result.warnings if "saturated:" in w]


def test_an_unbounded_upper_end_is_said_in_full() -> None:
    # 300 on each list and one person on two: the profile likelihood stays within the
    # chi-square cut-off up to 1,000 times the documented count.
    result = loglinear(_three_lists([300, 300, 300, 1, 0, 0, 0]))
    assert math.isinf(result.interval[1])
    assert "the data do not bound the upper end of the interval" in result.warnings
