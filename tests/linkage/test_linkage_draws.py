"""Partitions drawn per connected component, and match-probability calibration.

Every expectation is computed here independently: the exact distribution over
the partitions of a small component (enumerated by hand), logistic data with a
known calibration. All records are SYNTHETIC.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dadkhahi.linkage.calibration import calibrate, expected_calibration_error, logit
from dadkhahi.linkage.clusters import DEFAULT_THRESHOLD, cluster_pairs
from dadkhahi.linkage.draws import DrawSettings, draw_partitions, fit_offset


def _start(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"record_id": ids, "cluster_id": ids})


def _pairs(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability"])


def test_draws_follow_the_partition_score_exactly_on_a_small_component() -> None:
    # a-b 0.95, b-c 0.95, a-c never scored (counts as 0.01), d-e 0.8 alone.
    ids = ["a", "b", "c", "d", "e"]
    draws = draw_partitions(
        pd.Series(ids), pd.Series(["L1", "L2", "L3", "L1", "L2"]),
        _pairs([("a", "b", 0.95), ("b", "c", 0.95), ("d", "e", 0.8)]), _start(ids),
        settings=DrawSettings(draws=3000, thin=1, burnin=5, seed=11),
    )
    labels = draws.labels
    w, u = math.log(0.95 / 0.05), math.log(0.01 / 0.99)
    # The five partitions of {a, b, c} and their weights exp(sum of logits inside).
    weight = {"abc": math.exp(2 * w + u), "ab": math.exp(w), "bc": math.exp(w),
              "ac": math.exp(u), "none": 1.0}
    total = sum(weight.values())
    a, b, c = labels[:, 0], labels[:, 1], labels[:, 2]
    seen = {
        "abc": np.mean((a == b) & (b == c)), "ab": np.mean((a == b) & (b != c)),
        "bc": np.mean((b == c) & (a != b)), "ac": np.mean((a == c) & (a != b)),
    }
    for name, share in seen.items():
        assert share == pytest.approx(weight[name] / total, abs=0.03), name
    # Two records alone: together exactly as often as their probability.
    assert np.mean(labels[:, 3] == labels[:, 4]) == pytest.approx(0.8, abs=0.03)
    assert draws.stats["components"] == 2 and draws.stats["largest_component"] == 3


def test_draws_keep_the_clustering_rules() -> None:
    # a1 and c1 are on one list: never one person, however strong the chain.
    # x-y a person called different; p-q a person called same.
    ids = ["a1", "b2", "c1", "x", "y", "p", "q", "w1", "w2", "v1", "v2"]
    lists = ["L1", "L2", "L1", "L1", "L2", "L1", "L2", "L3", "L3", "L4", "L4"]
    pairs = _pairs([("a1", "b2", 0.99), ("b2", "c1", 0.99), ("x", "y", 0.99),
                    ("p", "q", 0.05), ("w1", "w2", 0.92), ("v1", "v2", 0.6)])
    decisions = pd.DataFrame({"record_id_l": ["x", "p"], "record_id_r": ["y", "q"],
                              "decision": ["different", "same"]})
    run = draw_partitions(pd.Series(ids), pd.Series(lists), pairs, _start(ids),
                          decisions=decisions, settings=DrawSettings(draws=400, thin=1, seed=2))
    col = {rid: i for i, rid in enumerate(run.record_ids)}
    lab = run.labels

    def together(left: str, right: str) -> float:
        return float(np.mean(lab[:, col[left]] == lab[:, col[right]]))

    assert together("a1", "c1") == 0.0
    assert 0.4 < together("a1", "b2") < 0.6  # b2 goes with one of them, never both
    assert together("x", "y") == 0.0
    assert together("p", "q") == 1.0
    # Two records of one list linked at the duplicate threshold (0.9) may be one
    # person; below it, never.
    assert 0.85 < together("w1", "w2") < 0.97
    assert together("v1", "v2") == 0.0
    again = draw_partitions(pd.Series(ids), pd.Series(lists), pairs, _start(ids),
                            decisions=decisions, settings=DrawSettings(draws=400, thin=1, seed=2))
    np.testing.assert_array_equal(again.labels, run.labels)
    other = draw_partitions(pd.Series(ids), pd.Series(lists), pairs, _start(ids),
                            decisions=decisions, settings=DrawSettings(draws=400, thin=1, seed=3))
    assert not np.array_equal(other.labels, run.labels)


def test_conflicting_id_numbers_are_weighed_not_split_as_in_the_point_partition() -> None:
    # Two records with different identity numbers that the model links at 0.97 (the
    # number's conflict is already in that probability: model.py's id_number
    # comparison): the point partition joins them, so the draws must too, about as
    # often as the probability says. A hard split would never put them together.
    # A third pair, never scored, with different numbers: as rare as any unscored pair.
    ids = ["i1", "i2", "j1", "j2", "k1"]
    lists = ["L1", "L2", "L1", "L2", "L3"]
    pairs = _pairs([("i1", "i2", 0.97), ("j1", "j2", 0.97), ("j2", "k1", 0.6)])
    records = pd.DataFrame({"record_id": ids, "source_id": lists,
                            "id_number": ["123456", "654321", "111", "222", "333"]})
    point = cluster_pairs(records["record_id"], pairs, DEFAULT_THRESHOLD,
                          sources=records["source_id"]).clusters.set_index("record_id")
    assert point.loc["i1", "cluster_id"] == point.loc["i2", "cluster_id"]
    run = draw_partitions(records["record_id"], records["source_id"], pairs,
                          point.reset_index(), settings=DrawSettings(draws=2000, thin=1, seed=5))
    col = {rid: i for i, rid in enumerate(run.record_ids)}

    def together(left: str, right: str) -> float:
        return float(np.mean(run.labels[:, col[left]] == run.labels[:, col[right]]))

    assert together("i1", "i2") == pytest.approx(0.97, abs=0.02)
    # j1-k1 never scored: together only through j2 (one of each list), at the
    # unscored pair's weight, never forbidden.
    assert 0.0 < together("j1", "k1") < 0.2
    with pytest.raises(TypeError):
        draw_partitions(records["record_id"], records["source_id"], pairs,  # type: ignore[call-arg]
                        point.reset_index(), id_keys=records["id_number"])


def test_offset_is_found_by_bisection() -> None:
    assert fit_offset(lambda x: 2 * x + 1, 4.0) == pytest.approx(1.5, abs=0.05)
    assert fit_offset(lambda x: x, 100.0, high=6.0) == 6.0
    assert fit_offset(lambda x: x, -100.0, low=-4.0) == -4.0


def test_calibration_recovers_a_known_map_and_reports_its_error() -> None:
    rng = np.random.default_rng(4)
    p = rng.uniform(0.01, 0.99, 1500)
    truth = 1 / (1 + np.exp(-(1.0 + 1.3 * logit(p))))
    same = rng.random(1500) < truth
    fitted = calibrate(p, same, seed=1)
    assert fitted.fitted
    assert fitted.intercept == pytest.approx(1.0, abs=0.25)
    assert fitted.slope == pytest.approx(1.3, abs=0.2)
    assert fitted.ece_before is not None and fitted.ece_after is not None
    assert fitted.ece_after < fitted.ece_before / 2
    assert fitted.brier_after is not None and fitted.brier_before is not None
    assert fitted.brier_after < fitted.brier_before
    assert sum(row.pairs for row in fitted.reliability) == 1500
    assert fitted.apply([0.5])[0] == pytest.approx(1 / (1 + math.exp(-fitted.intercept)))
    # ECE by hand: two bins, predicted 0.05 and 0.95, observed 0 and 1.
    assert expected_calibration_error([0.05, 0.05, 0.95, 0.95], [0, 0, 1, 1]) == \
        pytest.approx(0.05)
    few = calibrate(p[:10], same[:10], threshold=0.1)
    assert not few.fitted and "only 10 decided pairs" in few.note
    # Not fitted: the run's threshold counts as even odds.
    assert few.apply([0.1])[0] == pytest.approx(0.5)
    assert calibrate(p[:50], np.ones(50, dtype=bool)).fitted is False
