"""What LCMCR's mutation run (1 in 15, stop 25) found no test checking.

Each expected value is worked out here without the code under test: from the
definition (a log-scale normalisation), from the convergence module's own
ESS on the split chain, or from the settings passed; refusals are compared
whole. All tables are SYNTHETIC.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dadkhahi.domain.errors import UserError
from dadkhahi.estimate import lcmcr
from dadkhahi.estimate.convergence import ess
from dadkhahi.estimate.lcmcr import _normalise_rows

#: Four lists, SYNTHETIC counts of each capture pattern.
TABLE = pd.DataFrame({
    "A": [1, 0, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 0, 1, 0, 1, 1],
    "C": [0, 0, 1, 0, 0, 1, 1, 1], "D": [0, 0, 0, 1, 1, 0, 0, 1],
    "count": [60, 55, 50, 45, 12, 10, 9, 4],
})


def test_rows_are_normalised_each_on_its_own_scale() -> None:
    # Softmax of each row: [0, -1] gives 1 / (1 + e^-1) and e^-1 / (1 + e^-1), whatever
    # the other rows hold. A row 1,000 below another (log weights of rare patterns)
    # must not underflow to 0/0.
    high = 1.0 / (1.0 + math.exp(-1.0))
    got = _normalise_rows(np.array([[0.0, -1.0], [-1000.0, -1001.0]]))
    np.testing.assert_allclose(got, [[high, 1.0 - high], [high, 1.0 - high]], rtol=1e-12)


def test_one_chain_of_eight_kept_draws_is_split_in_two_for_its_ess() -> None:
    # With one chain R-hat cannot be computed; the ESS is that of the chain cut in two
    # halves of four, as soon as there are four draws a half (eight kept draws).
    eight = lcmcr(TABLE, iterations=8, chains=1, burnin=0, seed=3, max_iterations=8)
    assert eight.draws is not None and len(eight.draws) == 8
    expected = ess(eight.draws.reshape(2, 4))
    assert expected > 0
    assert eight.diagnostics["ess"] == expected
    seven = lcmcr(TABLE, iterations=8, chains=1, burnin=1, seed=3, max_iterations=8)
    assert seven.diagnostics["ess"] == 0.0


def test_the_diagnostics_say_how_the_chains_were_run() -> None:
    result = lcmcr(TABLE, iterations=40, chains=2, burnin=10, seed=5, max_iterations=40,
                   max_classes=4, a_alpha=0.5, b_alpha=0.75, lambda_prior=(2.0, 3.0),
                   min_ess=10.0)
    d = result.diagnostics
    assert (d["chains"], d["iterations"], d["burnin"], d["max_iterations"]) == (2, 40, 10, 40)
    assert (d["max_classes"], d["prior_alpha"], d["prior_lambda"]) == (4, [0.5, 0.75],
                                                                       [2.0, 3.0])
    assert (d["seed"], d["min_ess"], d["warm_start"], d["extensions"]) == (5, 10.0, False, 0)
    assert result.draws is not None and len(result.draws) == 2 * (40 - 10)


def test_a_warm_start_begins_where_the_other_run_ended() -> None:
    first = lcmcr(TABLE, iterations=40, chains=2, seed=5, max_iterations=40)
    assert first.state is not None
    cold = lcmcr(TABLE, iterations=40, chains=2, seed=9, max_iterations=40)
    warm = lcmcr(TABLE, iterations=40, chains=2, seed=9, max_iterations=40,
                 start=first.state)
    assert warm.diagnostics["warm_start"] is True
    assert cold.draws is not None and warm.draws is not None
    assert not np.array_equal(cold.draws, warm.draws)


def test_each_refusal_is_said_in_full() -> None:
    # What a statistician reads when a run is refused: compared whole, not by one word.
    two = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [5, 5, 5]})
    with pytest.raises(UserError) as refused:
        lcmcr(two)
    assert str(refused.value).startswith(
        "LCMCR needs at least 3 lists and the table has 2 (A, B): with two lists")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"chains": 0}, "LCMCR needs at least one chain and 8 iterations"),
        ({"iterations": 7}, "LCMCR needs at least one chain and 8 iterations"),
        ({"max_classes": 1}, "LCMCR needs at least 2 latent classes"),
        ({"lambda_prior": (1.0, math.inf)},
         "the Beta prior on capture probabilities needs a, b > 0, got (1.0, inf)"),
        ({"iterations": 100, "max_iterations": 99},
         "max_iterations (99) must be at least iterations (100)"),
        ({"iterations": 100, "burnin": 97}, "burn-in must leave at least 4 kept iterations"),
        ({"iterations": 100, "burnin": -1}, "burn-in must leave at least 4 kept iterations"),
    ]
    for settings, message in cases:
        with pytest.raises(UserError) as refused:
            lcmcr(TABLE, **settings)
        assert str(refused.value) == message, settings
