"""Clustering of scored pairs: threshold, human overrides, one-record-per-list rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dadkhahi.linkage.clusters import (
    chain_conflicts,
    cluster_pairs,
    cluster_with_chain_check,
    duplicate_lists,
    rival_adjusted,
)


def _pairs(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability"])


def _labels(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "decision"])


def _groups(clusters: pd.DataFrame) -> set[frozenset[str]]:
    return {frozenset(g) for _, g in clusters.groupby("cluster_id")["record_id"]}


IDS = pd.Series(["a", "b", "c", "d", "e"])


def test_pairs_at_threshold_link_and_singletons_stay() -> None:
    result = cluster_pairs(IDS, _pairs(("a", "b", 0.95), ("b", "c", 0.5), ("d", "e", 0.91)), 0.9)
    assert _groups(result.clusters) == {
        frozenset("ab"),
        frozenset("c"),
        frozenset("de"),
    }
    # Cluster ids are the smallest member id.
    assert dict(zip(result.clusters.record_id, result.clusters.cluster_id, strict=True)) == {
        "a": "a",
        "b": "a",
        "c": "c",
        "d": "d",
        "e": "d",
    }


def test_different_label_splits_a_chain_at_its_weakest_link() -> None:
    pairs = _pairs(("a", "b", 0.99), ("b", "c", 0.92), ("c", "d", 0.98))
    result = cluster_pairs(IDS, pairs, 0.9, _labels(("a", "d", "different")))
    groups = _groups(result.clusters)
    assert not any({"a", "d"} <= g for g in groups)
    assert frozenset("ab") in groups
    assert frozenset("cd") in groups


def test_same_label_links_what_the_model_does_not() -> None:
    result = cluster_pairs(IDS, _pairs(("a", "b", 0.1)), 0.9, _labels(("b", "a", "same")))
    assert frozenset("ab") in _groups(result.clusters)


def test_different_label_overrides_a_confident_pair() -> None:
    result = cluster_pairs(IDS, _pairs(("a", "b", 0.999)), 0.9, _labels(("a", "b", "different")))
    assert frozenset("a") in _groups(result.clusters)


def test_contradictory_labels_are_reported_not_obeyed() -> None:
    labels = _labels(("a", "b", "same"), ("b", "c", "same"), ("a", "c", "different"))
    result = cluster_pairs(IDS, _pairs(), 0.9, labels)
    assert not any({"a", "c"} <= g for g in _groups(result.clusters))
    assert len(result.conflicts) == 1


def test_one_record_per_list_unless_the_two_are_duplicates() -> None:
    # a and c are both in list L1; b (list L2) looks like both.
    ids = pd.Series(["a", "b", "c"])
    sources = pd.Series(["L1", "L2", "L1"])
    pairs = _pairs(("a", "b", 0.95), ("b", "c", 0.6), ("a", "c", 0.05))
    split = cluster_pairs(ids, pairs, 0.5, sources=sources, duplicate_threshold=0.8)
    assert _groups(split.clusters) == {frozenset("ab"), frozenset("c")}
    # Without list information the chain merges all three.
    assert _groups(cluster_pairs(ids, pairs, 0.5).clusters) == {frozenset("abc")}
    # A within-list duplicate (a, c linked to each other) may share the cluster.
    dup = _pairs(("a", "b", 0.95), ("b", "c", 0.6), ("a", "c", 0.9))
    assert _groups(cluster_pairs(ids, dup, 0.5, sources=sources).clusters) == {frozenset("abc")}


def test_a_record_left_alone_joins_its_duplicates_person_when_linked_to_it() -> None:
    # y (L1), b (L2), c (L3) are one person; x is a second L1 record of y, linked to y
    # at 0.7 (below the duplicate threshold 0.9) and to b (0.9, 0.08 against its rival
    # y): the rules leave x alone, and it has no other home, so it joins them.
    ids = pd.Series(["b", "c", "x", "y"])
    sources = pd.Series(["L2", "L3", "L1", "L1"])
    person = _pairs(("y", "b", 0.99), ("y", "c", 0.99), ("b", "c", 0.99))
    pairs = pd.concat([person, _pairs(("x", "y", 0.7), ("x", "b", 0.9))])
    joined = cluster_pairs(ids, pairs, 0.05, sources=sources)
    assert _groups(joined.clusters) == {frozenset("bcxy")}
    # Not linked to the person's other records (b, c): x stays alone.
    alone = cluster_pairs(ids, pd.concat([person, _pairs(("x", "y", 0.7))]), 0.05,
                          sources=sources)
    assert _groups(alone.clusters) == {frozenset("bcy"), frozenset("x")}
    # Linked to y below the level: x stays alone.
    weak = cluster_pairs(ids, pd.concat([person, _pairs(("x", "y", 0.5), ("x", "b", 0.9))]),
                         0.05, sources=sources)
    assert _groups(weak.clusters) == {frozenset("bcy"), frozenset("x")}
    # A person said x and b are different people: x stays alone.
    said = cluster_pairs(ids, pairs, 0.05, _labels(("x", "b", "different")), sources=sources)
    assert _groups(said.clusters) == {frozenset("bcy"), frozenset("x")}
    # x with a home of its own (d of L4) stays there.
    ids4 = pd.Series(["b", "c", "d", "x", "y"])
    home = cluster_pairs(ids4, pd.concat([pairs, _pairs(("x", "d", 0.99))]), 0.05,
                         sources=pd.Series(["L2", "L3", "L4", "L1", "L1"]))
    assert _groups(home.clusters) == {frozenset("bcy"), frozenset("dx")}


def test_human_same_allows_two_records_of_one_list() -> None:
    ids = pd.Series(["a", "c"])
    sources = pd.Series(["L1", "L1"])
    result = cluster_pairs(ids, _pairs(), 0.5, _labels(("a", "c", "same")), sources=sources)
    assert _groups(result.clusters) == {frozenset("ac")}


def test_result_does_not_depend_on_input_order() -> None:
    pairs = _pairs(("a", "b", 0.95), ("b", "c", 0.93), ("c", "d", 0.97), ("d", "e", 0.2))
    labels = _labels(("a", "c", "different"))
    first = cluster_pairs(IDS, pairs, 0.9, labels)
    shuffled = pairs.sample(frac=1.0, random_state=3).rename(
        columns={"record_id_l": "record_id_r", "record_id_r": "record_id_l"}
    )
    second = cluster_pairs(IDS.sample(frac=1.0, random_state=4), shuffled, 0.9, labels)
    assert first.clusters.equals(second.clusters)


def test_duplicate_record_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        cluster_pairs(pd.Series(["a", "a"]), _pairs(), 0.9)


def test_a_list_full_of_duplicates_is_exempt_from_the_one_per_list_rule() -> None:
    # One list, six records: a-b and c-d are duplicates linked directly; e links
    # a and c in a chain. A list where most records have a duplicate does not
    # name each person once, so the chain may join two records of it.
    ids = pd.Series(list("abcdef"))
    sources = pd.Series(["L1"] * 6)
    pairs = _pairs(("a", "b", 0.95), ("c", "d", 0.95), ("a", "e", 0.9), ("c", "e", 0.9))
    exempt = cluster_pairs(ids, pairs, 0.5, sources=sources, duplicate_threshold=0.8,
                           exempt_threshold=0.9)
    assert _groups(exempt.clusters) == {frozenset("abcde"), frozenset("f")}
    assert exempt.duplicate_lists == ("L1",)
    # With the share limit above the list's share (5 of 6 records), the rule holds.
    kept = cluster_pairs(
        ids, pairs, 0.5, sources=sources, duplicate_threshold=0.8, max_duplicate_share=0.9,
        exempt_threshold=0.9,
    )
    assert kept.duplicate_lists == ()
    assert len(_groups(kept.clusters)) > 2
    # By default only near-certain duplicates count: look-alikes at 0.95 do not
    # make a list exempt, so the chain through e stays broken.
    default = cluster_pairs(ids, pairs, 0.5, sources=sources, duplicate_threshold=0.8)
    assert default.duplicate_lists == ()
    assert frozenset("abcde") not in _groups(default.clusters)


def test_two_records_of_one_list_link_directly_only_at_the_duplicate_threshold() -> None:
    # L1 names a person once but for rare duplicates (a-b at 0.95, 2 of 10 records,
    # not over the share): c-d at 0.6 is above the threshold but below
    # duplicate_threshold, so c and d stay apart.
    ids = pd.Series(list("abcdefghij"))
    sources = pd.Series(["L1"] * 10)
    pairs = _pairs(("a", "b", 0.95), ("c", "d", 0.6))
    result = cluster_pairs(ids, pairs, 0.5, sources=sources, duplicate_threshold=0.8,
                           exempt_threshold=0.9)
    assert result.duplicate_lists == ()
    assert {frozenset("ab"), frozenset("c"), frozenset("d")} <= _groups(result.clusters)


def test_two_records_of_a_list_being_deduplicated_link_from_a_pairwise_even_chance() -> None:
    # A list being deduplicated (a-b at 0.95: 2 of 4 records have a near-certain
    # duplicate, over the share) is known to name people more than once: the prior
    # counts its pairs in full (linkage.model.prior_from_rules), and c-d at 0.6 links
    # from deduplicating_threshold (0.5), not only from duplicate_threshold (0.8).
    # The partition draws allowed this already.
    ids = pd.Series(list("abcd"))
    sources = pd.Series(["L1"] * 4)

    def groups(c_d: float, deduplicating_threshold: float = 0.5) -> set[frozenset[str]]:
        pairs = _pairs(("a", "b", 0.95), ("c", "d", c_d))
        result = cluster_pairs(ids, pairs, 0.1, sources=sources, duplicate_threshold=0.8,
                               exempt_threshold=0.9,
                               deduplicating_threshold=deduplicating_threshold)
        assert result.duplicate_lists == ("L1",)
        assert duplicate_lists(ids, sources, pairs, exempt_threshold=0.9) == ("L1",)
        return _groups(result.clusters)

    assert groups(0.6) == {frozenset("ab"), frozenset("cd")}
    # Above the run's threshold (0.1) but below 0.5: no direct link inside the list,
    # where neither the one-record-per-list rule nor rivals stand behind a weak link.
    apart = {frozenset("ab"), frozenset("c"), frozenset("d")}
    assert groups(0.3) == apart
    assert groups(0.6, deduplicating_threshold=0.7) == apart


def _features(**fathers_and_births: tuple[str | None, int | None]) -> pd.DataFrame:
    rows = [{"record_id": rid, "father_canon": father, "birth_lo": birth, "birth_hi": birth}
            for rid, (father, birth) in fathers_and_births.items()]
    return pd.DataFrame(rows)


def test_a_chain_never_joins_records_with_different_fathers_or_distant_births() -> None:
    # a-b-c chained at 0.95; a and c name different fathers and were never compared.
    features = _features(a=("reza", 1960), b=(None, None), c=("hassan", 1961),
                         d=(None, 1950), e=(None, 1962))
    pairs = _pairs(("a", "b", 0.95), ("b", "c", 0.95), ("d", "e", 0.3))
    result, apart, added = cluster_with_chain_check(IDS, pairs, 0.1, None, features)
    assert apart == 2 and added == 2
    # d-e: birth years 12 apart, linked only weakly (0.3): kept apart too.
    assert _groups(result.clusters) == {frozenset("ab"), frozenset("c"), frozenset("d"),
                                        frozenset("e")}
    # A conflicting pair linked strongly to each other stays: the model weighed it.
    strong = _pairs(("a", "c", 0.97), ("a", "b", 0.95))
    kept, apart, added = cluster_with_chain_check(IDS, strong, 0.1, None, features)
    assert frozenset("abc") in _groups(kept.clusters) and (apart, added) == (0, 0)
    # What a person decided stands.
    same = _labels(("a", "b", "same"), ("b", "c", "same"))
    decided, apart, _ = cluster_with_chain_check(IDS, pairs, 0.1, same, features)
    assert frozenset("abc") in _groups(decided.clusters) and apart == 1  # d-e only
    assert not chain_conflicts(decided.clusters, features, pairs, same).isin(["a"]).any().any()


def test_the_chain_check_holds_across_lists_but_not_inside_a_list_being_deduplicated() -> None:
    # a-b-c chained by near-certain links; a and c have birth years 12 apart (a rewritten
    # date) and were never compared.
    features = _features(a=(None, 1950), b=(None, 1956), c=(None, 1962), d=(None, 1970),
                         e=(None, 1971))
    pairs = _pairs(("a", "b", 0.995), ("b", "c", 0.995), ("d", "e", 0.995))
    # One list being deduplicated: every record has a near-certain duplicate, so the list
    # is exempt; it is known to name one person several times, each written differently.
    deduplicating = pd.Series(["L"] * 5)
    kept, apart, added = cluster_with_chain_check(IDS, pairs, 0.05, None, features,
                                                  sources=deduplicating)
    assert kept.duplicate_lists == ("L",)
    assert (apart, added) == (0, 0)
    assert _groups(kept.clusters) == {frozenset("abc"), frozenset("de")}
    # The same chain across lists that name a person once: a and c are kept apart.
    lists = pd.Series(["L1", "L2", "L3", "L1", "L2"])
    split, apart, added = cluster_with_chain_check(IDS, pairs, 0.05, None, features,
                                                   sources=lists)
    assert split.duplicate_lists == ()
    assert (apart, added) == (1, 1)
    assert frozenset("abc") not in _groups(split.clusters)
    assert frozenset("de") in _groups(split.clusters)


def test_a_weak_link_joins_two_groups_only_when_they_are_densely_linked() -> None:
    ids = pd.Series(["a", "b", "c", "d", "e"])
    lists = pd.Series(["L1", "L2", "L3", "L4", "L5"])
    people = (("a", "b", 0.99), ("c", "d", 0.99))
    # One weak link between two people's records: a bridge, not a person.
    bridged = cluster_pairs(ids, _pairs(*people, ("b", "c", 0.3)), 0.1, sources=lists)
    assert _groups(bridged.clusters) == {frozenset("ab"), frozenset("cd"), frozenset("e")}
    # The same link when the model was sure (at 0.5 or more) joins them.
    sure = cluster_pairs(ids, _pairs(*people, ("b", "c", 0.6)), 0.1, sources=lists)
    assert frozenset("abcd") in _groups(sure.clusters)
    # Weak links between half the records across or more: one person.
    dense = cluster_pairs(ids, _pairs(*people, ("b", "c", 0.3), ("a", "d", 0.2)), 0.1,
                          sources=lists)
    assert frozenset("abcd") in _groups(dense.clusters)
    # A lone record weakly linked to one of a pair's two records joins them.
    lone = cluster_pairs(ids, _pairs(*people, ("a", "e", 0.2)), 0.1, sources=lists)
    assert frozenset("abe") in _groups(lone.clusters)
    # The rule off: the bridge links as before.
    off = cluster_pairs(ids, _pairs(*people, ("b", "c", 0.3)), 0.1, sources=lists,
                        bridge_below=0.0)
    assert frozenset("abcd") in _groups(off.clusters)


def test_a_link_is_weighed_against_its_rivals_on_the_same_list() -> None:
    ids = pd.Series(["a", "b", "c", "d"])
    lists = pd.Series(["L1", "L2", "L2", "L3"])
    # a is as like b as c, both of list L2, which names a person once: a is at most
    # one of them, so neither link is as likely as it is alone.
    rivals = _pairs(("a", "b", 0.22), ("a", "c", 0.22))
    weighed = cluster_pairs(ids, rivals, 0.2, sources=lists)
    assert _groups(weighed.clusters) == {frozenset("a"), frozenset("b"), frozenset("c"),
                                         frozenset("d")}
    # Without the rule the tie went to the smaller id.
    alone = cluster_pairs(ids, rivals, 0.2, sources=lists, rivals=False)
    assert frozenset("ab") in _groups(alone.clusters)
    # A link without a rival keeps its probability, as do two records of one list.
    single = cluster_pairs(ids, _pairs(("a", "b", 0.22), ("a", "d", 0.3)), 0.2, sources=lists)
    assert frozenset("abd") in _groups(single.clusters)
    assert single.links is not None
    assert single.links["match_probability"].round(6).tolist() == [0.22, 0.3]
    # o / (1 + o + rivals' odds): 0.6 and 0.6 give 1.5 / 4; a strong link keeps most.
    left, right = np.array([0, 0, 0, 1]), np.array([1, 2, 3, 2])
    codes = np.array([0, 1, 1, 2])
    adjusted = rival_adjusted(left, right, codes, np.array([0.6, 0.6, 0.6, 0.95]))
    assert np.allclose(adjusted, [0.375, 0.375, 0.6, 0.95])
    uneven = rival_adjusted(left[:2], right[:2], codes, np.array([0.9, 0.2]))
    assert np.allclose(uneven, [9 / 10.25, 0.25 / 10.25], atol=1e-6)
