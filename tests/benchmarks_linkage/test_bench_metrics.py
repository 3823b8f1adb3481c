"""Clustering metrics of the linkage benchmark, checked by hand and by brute force."""

from __future__ import annotations

import itertools
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

TRUTH = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2}
PRED = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}


def test_hand_example(met: ModuleType) -> None:
    # Contingency: true 1 = {x: 2, y: 1}, true 2 = {y: 1, z: 1}.
    s = met.score(TRUTH, PRED)
    assert (s.true_pairs, s.predicted_pairs, s.true_positive_pairs) == (4, 2, 1)
    assert s.pairwise_precision == pytest.approx(1 / 2)
    assert s.pairwise_recall == pytest.approx(1 / 4)
    assert s.pairwise_f1 == pytest.approx(1 / 3)
    # B-cubed precision per record: a 1, b 1, c 1/2, d 1/2, e 1.
    assert s.bcubed_precision == pytest.approx(4 / 5)
    # B-cubed recall per record: a 2/3, b 2/3, c 1/3, d 1/2, e 1/2.
    assert s.bcubed_recall == pytest.approx(8 / 15)
    assert s.bcubed_f1 == pytest.approx(2 * (4 / 5) * (8 / 15) / (4 / 5 + 8 / 15))
    assert (s.true_people, s.predicted_people) == (2, 3)
    assert s.people_error == pytest.approx(0.5)


def test_perfect_prediction(met: ModuleType) -> None:
    relabelled = {k: f"p{v}" for k, v in TRUTH.items()}
    s = met.score(TRUTH, relabelled)
    assert s.pairwise_f1 == 1.0
    assert s.bcubed_f1 == 1.0
    assert s.people_error == 0.0


def test_all_singletons(met: ModuleType) -> None:
    s = met.score(TRUTH, {k: k for k in TRUTH})
    assert s.predicted_pairs == 0
    assert s.pairwise_precision == 1.0  # no false link was made
    assert s.pairwise_recall == 0.0
    assert s.pairwise_f1 == 0.0
    assert s.bcubed_recall == pytest.approx((3 * (1 / 3) + 2 * (1 / 2)) / 5)


def test_left_out_records_are_singletons(met: ModuleType) -> None:
    partial = {"a": "x", "b": "x"}
    assert met.score(TRUTH, partial) == met.score(TRUTH, {**partial, "c": "c", "d": "d",
                                                          "e": "e"})


def test_dataframe_and_series_inputs(met: ModuleType) -> None:
    truth = pd.DataFrame({"record_id": list(TRUTH), "true_person_id": list(TRUTH.values())})
    pred = pd.DataFrame({"record_id": list(PRED), "person_id": list(PRED.values())})
    assert met.score(truth, pred) == met.score(TRUTH, PRED)
    assert met.score(pd.Series(TRUTH), pd.Series(PRED)) == met.score(TRUTH, PRED)


def test_bad_inputs_are_refused(met: ModuleType) -> None:
    with pytest.raises(ValueError, match="not in the truth"):
        met.score(TRUTH, {**PRED, "zz": "x"})
    dup = pd.DataFrame({"record_id": ["a", "a"], "c": [1, 2]})
    with pytest.raises(ValueError, match="twice"):
        met.score(dup, PRED)


def _brute(truth: dict[int, int], pred: dict[int, int]) -> tuple[int, int, int, float, float]:
    ids = list(truth)
    tp = fp_pairs = t_pairs = 0
    for x, y in itertools.combinations(ids, 2):
        same_t, same_p = truth[x] == truth[y], pred[x] == pred[y]
        tp += same_t and same_p
        fp_pairs += same_p
        t_pairs += same_t
    b3p = np.mean([
        sum(pred[y] == pred[x] and truth[y] == truth[x] for y in ids)
        / sum(pred[y] == pred[x] for y in ids) for x in ids
    ])
    b3r = np.mean([
        sum(pred[y] == pred[x] and truth[y] == truth[x] for y in ids)
        / sum(truth[y] == truth[x] for y in ids) for x in ids
    ])
    return tp, fp_pairs, t_pairs, float(b3p), float(b3r)


assignments = st.integers(1, 40).flatmap(
    lambda n: st.tuples(st.lists(st.integers(0, 6), min_size=n, max_size=n),
                        st.lists(st.integers(0, 6), min_size=n, max_size=n))
)


@settings(max_examples=60, deadline=None)
@given(assignments)
def test_matches_brute_force(met: ModuleType, pair: tuple[list[int], list[int]]) -> None:
    truth = dict(enumerate(pair[0]))
    pred = dict(enumerate(pair[1]))
    s = met.score(truth, pred)
    tp, p_pairs, t_pairs, b3p, b3r = _brute(truth, pred)
    assert (s.true_positive_pairs, s.predicted_pairs, s.true_pairs) == (tp, p_pairs, t_pairs)
    assert s.bcubed_precision == pytest.approx(b3p)
    assert s.bcubed_recall == pytest.approx(b3r)
    # Swapping truth and prediction swaps precision and recall.
    swapped = met.score(pred, truth)
    assert swapped.bcubed_precision == pytest.approx(s.bcubed_recall)
    assert swapped.true_positive_pairs == s.true_positive_pairs


def test_true_pair_recall_by_category(met: ModuleType) -> None:
    truth = pd.DataFrame({
        "record_id": list("abcde"),
        "true_person_id": [1, 1, 1, 2, 2],
        "script": ["latin", "persian", "latin", "persian", "persian"],
    })
    # True pairs: a-b (latin|persian, found), a-c (latin|latin, missed),
    # b-c (latin|persian, missed), d-e (persian|persian, found).
    pred = {"a": 1, "b": 1, "c": 2, "d": 3, "e": 3}
    out = met.true_pair_recall_by(truth, pred, "script").set_index("category")
    assert out.loc["latin|persian", "true_pairs"] == 2
    assert out.loc["latin|persian", "recall"] == pytest.approx(0.5)
    assert out.loc["latin|latin", "recall"] == 0.0
    assert out.loc["persian|persian", "recall"] == 1.0


def test_scales_to_many_records(met: ModuleType) -> None:
    rng = np.random.default_rng(0)
    n = 300_000
    truth = pd.Series(rng.integers(0, n // 2, n), index=np.arange(n))
    pred = truth.where(rng.random(n) < 0.9, -1 - np.arange(n))  # 10% split off alone
    s = met.score(truth, pred)
    assert 0.7 < s.pairwise_recall < 0.9
    assert s.pairwise_precision == 1.0


# Lists of the records of TRUTH/PRED: person 1 on lists A (a, b) and B (c);
# person 2 on lists A (d) and C (e).
LISTS = {"a": "A", "b": "A", "c": "B", "d": "A", "e": "C"}


def test_capture_history_error_by_hand(met: ModuleType) -> None:
    # True patterns: person 1 {A, B}, person 2 {A, C}: n(AB) = 1, n(AC) = 1.
    # Predicted: x = {a, b} -> A; y = {c, d} -> {A, B}; z = {e} -> C.
    # |n̂ - n|: A 1, AB 0, AC 1, C 1 -> 3, over N = 2 true people.
    s = met.score(TRUTH, PRED, lists=LISTS)
    assert s.capture_history_error == pytest.approx(3 / 2)
    assert "capture-history error 1.5000" in s.summary()
    assert met.score(TRUTH, TRUTH, lists=LISTS).capture_history_error == 0.0
    # Without lists there is no such error, and the pair scores are unchanged.
    plain = met.score(TRUTH, PRED)
    assert plain.capture_history_error is None
    assert plain.pairwise_f1 == s.pairwise_f1 and plain.bcubed_f1 == s.bcubed_f1


def test_capture_history_error_of_a_merge_and_a_split(met: ModuleType) -> None:
    truth = {"p1": 1, "q1": 1, "p2": 2, "q2": 2, "r3": 3}
    lists = {"p1": "L1", "q1": "L2", "p2": "L1", "q2": "L2", "r3": "L3"}
    # Merging person 3 (on L3 only) into person 1: n(L1|L2) 2 -> 1, n(L3) 1 -> 0,
    # n(L1|L2|L3) 0 -> 1: error 3/3.
    merged = {**truth, "r3": 1}
    assert met.score(truth, merged, lists=lists).capture_history_error == pytest.approx(1.0)
    # Splitting person 2 into its two records: n(L1|L2) 2 -> 1, n(L1) 0 -> 1,
    # n(L2) 0 -> 1: error 3/3.
    split = {**truth, "q2": 9}
    assert met.score(truth, split, lists=lists).capture_history_error == pytest.approx(1.0)
    # A within-list duplicate left apart counts once in pairs, but the person's
    # pattern stays the same: only the count of L1-only people moves (0 -> 1).
    dup_truth = {"a": 1, "b": 1, "c": 1}
    dup_lists = {"a": "L1", "b": "L1", "c": "L2"}
    dup_pred = {"a": "x", "b": "y", "c": "x"}
    assert met.score(dup_truth, dup_pred, lists=dup_lists).capture_history_error == (
        pytest.approx(1.0))


def test_capture_history_error_needs_every_list(met: ModuleType) -> None:
    with pytest.raises(ValueError, match="every true record"):
        met.score(TRUTH, PRED, lists={"a": "A"})
