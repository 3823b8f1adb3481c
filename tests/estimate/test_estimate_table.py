"""Reading, validating and building capture-history tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhahi.domain.errors import UserError, ValidationError
from dadkhahi.estimate import histories_to_table, read_table
from dadkhahi.estimate.table import all_patterns, collapse_strata, full_counts, split_strata


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_read_table_types_and_merges_duplicates(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "A,B,C,count\n1,0,0,5\n1,0,0,2\n0,1,1,3\n"))
    assert list(table.columns) == ["A", "B", "C", "count"]
    assert table["count"].tolist() == [3, 7]
    assert table["A"].dtype == np.int64


def test_read_table_reports_every_problem_with_line_and_field(tmp_path: Path) -> None:
    text = "A,B,count\n1,2,5\n0,0,3\n1,1,-1\n1,0,x\n"
    with pytest.raises(ValidationError) as info:
        read_table(write(tmp_path, text))
    problems = info.value.problems
    assert "line 2, field B: must be 0 or 1, got '2'" in problems
    assert any(p.startswith("line 3, field A,B") for p in problems)
    assert any(p.startswith("line 4, field count") for p in problems)
    assert any(p.startswith("line 5, field count") for p in problems)


def test_read_table_needs_count_and_lists(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        read_table(write(tmp_path, "A,B\n1,0\n"))
    assert info.value.problems == ["line 1, field count: missing column 'count'"]
    with pytest.raises(UserError, match="not found"):
        read_table(tmp_path / "missing.csv")


def test_read_table_keeps_strata(tmp_path: Path) -> None:
    table = read_table(
        write(tmp_path, "A,B,C,count,stratum\n1,0,0,5,north\n1,1,0,2,south\n1,0,0,1,south\n")
    )
    parts = split_strata(table)
    assert sorted(parts) == ["north", "south"]
    assert parts["south"]["count"].sum() == 3
    assert collapse_strata(table)["count"].tolist() == [6, 2]


def test_histories_to_table_aggregates_people_and_drops_the_unlisted() -> None:
    persons = pd.DataFrame(
        {"A": [1, 1, 0, 0, 1], "B": [0, 0, 1, 0, 1], "prov": ["x", "x", "y", "y", "y"]}
    )
    table = histories_to_table(persons, ["A", "B"], stratum_column="prov")
    assert table.to_dict(orient="list") == {
        "A": [0, 1, 1], "B": [1, 0, 1], "stratum": ["y", "x", "y"], "count": [1, 2, 1],
    }


def test_histories_to_table_refuses_non_binary_values() -> None:
    with pytest.raises(ValidationError):
        histories_to_table(pd.DataFrame({"A": [1, 2], "B": [0, 1]}), ["A", "B"])
    with pytest.raises(UserError, match="not found"):
        histories_to_table(pd.DataFrame({"A": [1]}), ["A", "Z"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(0, 1)),
                min_size=1, max_size=200))
def test_aggregation_preserves_people(rows: list[tuple[int, int, int]]) -> None:
    persons = pd.DataFrame(rows, columns=["A", "B", "C"])
    table = histories_to_table(persons, ["A", "B", "C"])
    listed = int((persons.sum(axis=1) > 0).sum())
    assert int(table["count"].sum()) == listed
    patterns, counts = full_counts(table)
    assert patterns.shape == (7, 3)
    assert int(counts.sum()) == listed
    for pattern, count in zip(patterns, counts, strict=True):
        expected = int((persons.to_numpy() == pattern).all(axis=1).sum())
        assert count == expected


def test_all_patterns_excludes_the_unobservable_one() -> None:
    patterns = all_patterns(4)
    assert len(patterns) == 15
    assert not (patterns == 0).all(axis=1).any()
    assert len({tuple(p) for p in patterns}) == 15
