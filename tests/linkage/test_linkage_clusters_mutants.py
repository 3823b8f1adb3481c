"""What the mutation survey of ``linkage.clusters`` (1 in 15, stop 25) found unchecked.

Expected values are counted by hand from the module's rule. All records are SYNTHETIC.
"""

from __future__ import annotations

import pandas as pd

from dadkhahi.linkage.clusters import MAX_DUPLICATE_SHARE, cluster_pairs


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
