"""The one small-number rule: no shown count, nor a difference of shown counts, is 1–4."""

from __future__ import annotations

import itertools

from dadkhahi.access.small_counts import SMALL_CELL, is_small, merge_small


def test_a_lone_count_under_five_is_small_and_zero_is_not() -> None:
    assert [n for n in range(8) if is_small(n)] == [1, 2, 3, 4]
    assert SMALL_CELL == 5


def test_small_cells_are_merged_into_one_cell_of_at_least_five() -> None:
    table = merge_small([("a", 40), ("b", 3), ("c", 9), ("d", 1)])
    # b and d (4 together) are still small: the smallest shown cell, c, joins them.
    assert table.shown == [("a", 40)]
    assert table.merged == ["b", "c", "d"]
    assert (table.other, table.total) == (13, 53)
    enough = merge_small([("a", 40), ("b", 3), ("c", 2)])
    assert (enough.shown, enough.merged, enough.other) == ([("a", 40)], ["b", "c"], 5)
    plain = merge_small([("a", 5), ("b", 0)])
    assert (plain.shown, plain.merged, plain.other) == ([("a", 5), ("b", 0)], [], None)


def test_a_small_total_suppresses_the_whole_table() -> None:
    table = merge_small([("a", 3), ("b", 1)])
    assert (table.shown, table.merged, table.other, table.total) == ([], ["a", "b"], None,
                                                                    None)


def test_no_table_lets_a_small_count_be_shown_or_subtracted() -> None:
    for counts in itertools.product(range(0, 8), repeat=4):
        table = merge_small(list(enumerate(counts)))
        shown = [n for _, n in table.shown]
        figures = [*shown, *(x for x in (table.other, table.total) if x is not None)]
        assert not any(is_small(n) for n in figures), counts
        if table.total is not None:
            # The total minus every shown cell is the merged cell, never small.
            assert not is_small(table.total - sum(shown)), counts
        # Every cell is either shown or counted in the merged cell, once.
        assert sorted([*(k for k, _ in table.shown), *table.merged]) == [0, 1, 2, 3]
