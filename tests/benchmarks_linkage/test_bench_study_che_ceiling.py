"""The capture-history error's make-up (benchmarks/linkage/study_che_ceiling.py), by hand."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd

# Person 0 on lists a, b and twice on a; person 1 on b; person 2 on a and c.
TRUTH = np.array([0, 0, 0, 1, 2, 2])
LISTS = np.array(["a", "b", "a", "b", "a", "c"])


def test_duplicates_alone_splits_second_records_of_one_list(che_ceiling: ModuleType) -> None:
    alone = che_ceiling.duplicates_alone(TRUTH, LISTS)
    # Only the second record of person 0 on list a leaves its person.
    assert (alone == TRUTH).tolist() == [True, True, False, True, True, True]
    assert len(set(alone.tolist())) == 4


def test_patterns_table_splits_and_merges(che_ceiling: ModuleType) -> None:
    # Person 0's record on b sits with person 1 (a split and a merge); person 2 is whole.
    predicted = np.array([0, 1, 0, 1, 2, 2])
    table = che_ceiling.patterns_table(TRUTH, predicted, LISTS, 10)
    # Truth: a|b 1, b 1, a|c 1. Predicted: a 1 (person 0 without b), b 1 (b + b), a|c 1.
    assert table.loc["a", ["n", "n_hat", "error"]].tolist() == [0, 1, 1]
    assert table.loc["a|b", ["n", "n_hat", "error"]].tolist() == [1, 0, -1]
    assert table.loc["b", ["n", "n_hat", "error"]].tolist() == [1, 1, 0]
    # The splits alone (merge cut): a 1, b 2 (person 0's b piece and person 1), a|c 1.
    assert table.loc["b", "splits"] == 1 and table.loc["a", "splits"] == 1
    # The merges alone (person 0 joined to its largest piece, the two a records): that
    # piece takes the b record, so person 1 is left alone: no error anywhere.
    assert table.loc["a|b", "merges"] == 0 and table.loc["a", "merges"] == 0
    assert table["lists"].loc["a|c"] == 2


def test_missed_by_lists_bands(che_ceiling: ModuleType) -> None:
    predicted = np.array([0, 1, 0, 1, 2, 3])
    # Blocked pairs: (0, 1) at 0.01, (4, 5) never blocked; (0, 2) together, not missed.
    bits = float(np.log2(0.01 / 0.99))
    pairs = pd.DataFrame({"pos_l": [0, 0], "pos_r": [1, 2], "weight": [bits, 10.0]})
    table = che_ceiling.missed_by_lists(pairs, TRUTH, predicted, LISTS)
    assert table.loc["a|b", "0.005-0.05"] == 1
    assert table.loc["a|c", "never blocked"] == 1
    # Record 2 (person 0, list a) is apart from record 1 (list b): missed, never blocked.
    assert table.loc["a|b", "never blocked"] == 1
    assert int(table.to_numpy().sum()) == 3
