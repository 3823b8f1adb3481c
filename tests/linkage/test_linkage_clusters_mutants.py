"""What the mutation survey of ``linkage.clusters`` (1 in 15, stop 25) found unchecked.

Expected values are counted by hand from the module's rule. All records are SYNTHETIC.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dadkhahi.linkage.clusters import (
    CHAIN_DIRECT_THRESHOLD,
    MAX_DUPLICATE_SHARE,
    chain_apart,
    cluster_pairs,
    cluster_with_chain_check,
    rival_adjusted,
)


def test_both_records_of_a_near_certain_duplicate_count_towards_the_share() -> None:
    # Ten records of one list, two pairs of near-certain duplicates (0.995 >= 0.99): four
    # of the ten records have a duplicate, a share of 0.4 > 0.2, so the list is exempt.
    # Counting one record of each pair would give 0.2, not over the limit.
    ids = pd.Series([f"r{i}" for i in range(10)])
    pairs = pd.DataFrame([("r0", "r1", 0.995), ("r2", "r3", 0.995)],
                         columns=["record_id_l", "record_id_r", "match_probability"])
    assert MAX_DUPLICATE_SHARE == 0.2
    done = cluster_pairs(ids, pairs, 0.5, sources=pd.Series(["L1"] * 10))
    assert done.duplicate_lists == ("L1",)
    # One pair: two records of ten, 0.2, not over the limit.
    one = cluster_pairs(ids, pairs.iloc[:1], 0.5, sources=pd.Series(["L1"] * 10))
    assert one.duplicate_lists == ()


def test_the_chain_check_judges_a_direct_link_after_its_rivals() -> None:
    # a (list L1, father Reza) and c (list L2, father Hassan) conflict. The model links
    # them directly at 0.6, and links a to x, another record of L2, at 0.5. L2 names a
    # person once, so a-c and a-x are rivals (rival_adjusted): a-c has odds 0.6/0.4 = 1.5
    # against a rival at odds 0.5/0.5 = 1, so p' = 1.5 / (1 + 1.5 + 1) = 3/7 = 0.43, below
    # CHAIN_DIRECT_THRESHOLD (0.5): not "linked to each other and sure", so kept apart.
    # Judged on the raw 0.6 instead, the pair would stay together.
    ids = pd.Series(["a", "c", "x"])
    lists = pd.Series(["L1", "L2", "L2"])
    features = pd.DataFrame({"record_id": ["a", "c", "x"],
                             "father_canon": ["reza", "hassan", None],
                             "birth_lo": [None, None, None], "birth_hi": [None, None, None]})
    pairs = pd.DataFrame([("a", "c", 0.6), ("a", "x", 0.5)],
                         columns=["record_id_l", "record_id_r", "match_probability"])
    assert CHAIN_DIRECT_THRESHOLD == 0.5
    first, apart = chain_apart(ids, pairs, 0.1, None, features, sources=lists)
    assert first.links is not None
    weighed = dict(zip(zip(first.links["record_id_l"], first.links["record_id_r"], strict=True),
                       first.links["match_probability"], strict=True))
    # a-x: odds 1 against a-c's 1.5, p' = 1 / 3.5 = 2/7.
    assert weighed == pytest.approx({("a", "c"): 3 / 7, ("a", "x"): 2 / 7}, abs=1e-6)
    # The first clustering takes a-c (the stronger) and refuses x, a second record of L2.
    assert sorted(first.clusters["cluster_id"]) == ["a", "a", "x"]
    assert apart.to_dict("records") == [{"record_id_l": "a", "record_id_r": "c"}]
    # Kept apart, a-c is decided: a-x has no rival left and links a with x.
    second, kept_apart, _ = cluster_with_chain_check(ids, pairs, 0.1, None, features,
                                                     sources=lists)
    assert kept_apart == 1
    assert dict(zip(second.clusters["record_id"], second.clusters["cluster_id"], strict=True)) \
        == {"a": "a", "c": "c", "x": "a"}
    # Without the rival a-c stays at 0.6: sure, so it stays together.
    alone, none_apart = chain_apart(ids, pairs.iloc[:1], 0.1, None, features, sources=lists)
    assert none_apart.empty
    assert sorted(alone.clusters["cluster_id"]) == ["a", "a", "x"]


def test_the_chain_check_keeps_the_human_labels_when_it_clusters_again() -> None:
    # Human decisions are hard constraints (module docstring, rule 1) in both clusterings
    # of the chain check, not only the first. The chain conflict of the test above (a-c
    # kept apart), beside two records nobody scored that a person labelled "same" (b-d):
    # the second clustering still puts b and d together.
    ids = pd.Series(["a", "b", "c", "d", "x"])
    lists = pd.Series(["L1", "L3", "L2", "L4", "L2"])
    features = pd.DataFrame({"record_id": ["a", "b", "c", "d", "x"],
                             "father_canon": ["reza", None, "hassan", None, None],
                             "birth_lo": [None] * 5, "birth_hi": [None] * 5})
    pairs = pd.DataFrame([("a", "c", 0.6), ("a", "x", 0.5)],
                         columns=["record_id_l", "record_id_r", "match_probability"])
    labels = pd.DataFrame([("b", "d", "same")],
                          columns=["record_id_l", "record_id_r", "decision"])
    second, kept_apart, _ = cluster_with_chain_check(ids, pairs, 0.1, labels, features,
                                                     sources=lists)
    assert kept_apart == 1
    assert dict(zip(second.clusters["record_id"], second.clusters["cluster_id"], strict=True)) \
        == {"a": "a", "b": "b", "c": "c", "d": "b", "x": "a"}


def test_the_rivals_of_the_right_hand_record_count_too() -> None:
    # A link a-b is weighed against the other links of a to b's list *or of b to a's
    # list*, the larger sum (rival_adjusted). Here the rivals are on the right: d (list
    # L3) is as like b as c, both of list L2, and b, c come first in ID order, so the
    # record with the rivals is the right-hand one of each pair, and the left one is not
    # on the first list (its code is 1, not 0). Odds 0.6/0.4 = 1.5 each:
    # p' = 1.5 / (1 + 1.5 + 1.5) = 0.375 (stop 28: rival_adjusted 62, `- lists[left]` in
    # the right-hand key, took the rivals of the right-hand record from another group).
    codes = np.array([0, 1, 1, 2])  # a: L1, b and c: L2, d: L3
    adjusted = rival_adjusted(np.array([1, 2]), np.array([3, 3]), codes, np.array([0.6, 0.6]))
    assert np.allclose(adjusted, [0.375, 0.375])
    # In the clustering: at 0.22 each (odds 0.282), both fall to 0.18, below 0.2, and d
    # stays alone; without the rivals rule the stronger-by-ID link b-d holds.
    ids = pd.Series(["a", "b", "c", "d"])
    lists = pd.Series(["L1", "L2", "L2", "L3"])
    pairs = pd.DataFrame([("b", "d", 0.22), ("c", "d", 0.22)],
                         columns=["record_id_l", "record_id_r", "match_probability"])
    weighed = cluster_pairs(ids, pairs, 0.2, sources=lists)
    assert sorted(weighed.clusters["cluster_id"]) == ["a", "b", "c", "d"]
    alone = cluster_pairs(ids, pairs, 0.2, sources=lists, rivals=False)
    assert sorted(alone.clusters["cluster_id"]) == ["a", "b", "b", "c"]


def test_unmet_same_labels_are_named_pair_by_pair() -> None:
    # "a same b", "b same c", "a different c": the strongest edges are joined first, in
    # ID order among equals, so a-b holds and b-c, which would put a beside c, is the
    # "same" left unmet. Clustering.conflicts names it by its two record IDs, under the
    # columns its docstring gives (stop 28: cluster_pairs 408, the frame built without
    # them, survived: the callers only counted its rows).
    labels = pd.DataFrame([("a", "b", "same"), ("b", "c", "same"), ("a", "c", "different")],
                          columns=["record_id_l", "record_id_r", "decision"])
    empty = pd.DataFrame(columns=["record_id_l", "record_id_r", "match_probability"])
    ids = pd.Series(["a", "b", "c", "d"])
    result = cluster_pairs(ids, empty, 0.5, labels)
    assert result.conflicts.to_dict("list") == {"record_id_l": ["b"], "record_id_r": ["c"]}
    # None left unmet: no rows, the same two columns.
    met = cluster_pairs(ids, empty, 0.5, labels.iloc[:2])
    assert list(met.conflicts.columns) == ["record_id_l", "record_id_r"]
    assert met.conflicts.empty
