"""Capture-history tables: reading, validating, building and reshaping them.

A capture-history table is a DataFrame with one 0/1 integer column per list, a
``count`` column (how many people have that pattern of appearances) and,
optionally, a ``stratum`` column. Rows whose list columns are all zero are
absent: nobody can be documented by no list.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from dadkhahi.domain.errors import UserError, ValidationError

COUNT = "count"
STRATUM = "stratum"
_RESERVED = frozenset({COUNT, STRATUM})


def list_names(table: pd.DataFrame) -> list[str]:
    """The list columns of a capture-history table, in table order."""
    return [str(c) for c in table.columns if c not in _RESERVED]


def documented(table: pd.DataFrame) -> int:
    """How many people the lists document between them (the sum of ``count``)."""
    return int(table[COUNT].sum())


def read_table(path: Path | str) -> pd.DataFrame:
    """Read and validate a capture-history CSV.

    Every problem found is reported as ``line N, field F: what`` (line 1 is the
    header), all at once, in a :class:`ValidationError`; nothing is returned
    unless the whole file is valid.
    """
    p = Path(path)
    if not p.is_file():
        raise UserError(f"table file not found: {p}")
    try:
        raw = pd.read_csv(
            p, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{p}: not a readable CSV ({exc})") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    return validate_table(raw, source=str(p))


def validate_table(raw: pd.DataFrame, source: str = "table") -> pd.DataFrame:
    """Check a capture-history table given as text or numbers; return it typed.

    Line numbers in the problems count the header as line 1, as a CSV reader
    would.
    """
    problems: list[str] = []
    columns = [str(c) for c in raw.columns]
    if COUNT not in columns:
        problems.append(f"line 1, field {COUNT}: missing column '{COUNT}'")
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    problems.extend(f"line 1, field {c}: duplicate column" for c in dupes)
    lists = [c for c in columns if c not in _RESERVED]
    if not lists:
        problems.append("line 1: no list columns (one 0/1 column per list is needed)")
    if problems:
        raise ValidationError(f"{source}: {len(problems)} problem(s)", problems)

    text = raw.astype(str).apply(lambda s: s.str.strip())
    lines = np.arange(len(text)) + 2
    typed: dict[str, NDArray[np.int64]] = {}
    for col in [*lists, COUNT]:
        values = pd.to_numeric(text[col], errors="coerce")
        bad_number = values.isna() | (values != np.floor(values.fillna(0)))
        if col == COUNT:
            bad = bad_number | (values < 0)
            what = "count must be a whole number >= 0"
        else:
            bad = bad_number | ~values.isin([0, 1])
            what = "must be 0 or 1"
        for line, value in zip(lines[bad.to_numpy()], text[col][bad], strict=True):
            problems.append(f"line {line}, field {col}: {what}, got {value!r}")
        typed[col] = values.fillna(0).to_numpy(dtype=np.int64)
    if lists:
        matrix = np.column_stack([typed[c] for c in lists])
        all_zero = (matrix == 0).all(axis=1)
        problems.extend(
            f"line {line}, field {','.join(lists)}: a row must have at least one list set to 1"
            for line in lines[all_zero]
        )
    if problems:
        raise ValidationError(f"{source}: {len(problems)} problem(s)", problems)

    table = pd.DataFrame({c: typed[c] for c in lists})
    table[COUNT] = typed[COUNT]
    if STRATUM in columns:
        strata = text[STRATUM]
        empty = strata == ""
        problems.extend(
            f"line {line}, field {STRATUM}: empty stratum" for line in lines[empty.to_numpy()]
        )
        if problems:
            raise ValidationError(f"{source}: {len(problems)} problem(s)", problems)
        table[STRATUM] = strata.to_numpy()
    return aggregate(table)


def aggregate(table: pd.DataFrame) -> pd.DataFrame:
    """Merge duplicate capture patterns (within a stratum) by summing their counts.

    Rows with a zero count are dropped: they carry no information.
    """
    keys = [*list_names(table), *([STRATUM] if STRATUM in table.columns else [])]
    out = table.groupby(keys, as_index=False, sort=True)[COUNT].sum()
    out = out[out[COUNT] > 0].reset_index(drop=True)
    for col in list_names(table):
        out[col] = out[col].astype(np.int64)
    out[COUNT] = out[COUNT].astype(np.int64)
    result: pd.DataFrame = out
    return result


def histories_to_table(
    df_persons: pd.DataFrame,
    list_columns: Sequence[str],
    stratum_column: str | None = None,
) -> pd.DataFrame:
    """Aggregate one row per person (0/1 per list) into a capture-history table.

    People on no list at all are dropped (they are not documented by any list
    and so cannot enter the estimate). Truthy values other than 0/1 (``True``,
    ``1.0``) are accepted; anything else is refused.
    """
    lists = [str(c) for c in list_columns]
    if not lists:
        raise UserError("no list columns given")
    missing = [c for c in [*lists, *([stratum_column] if stratum_column else [])]
               if c not in df_persons.columns]
    if missing:
        raise UserError(f"columns not found: {', '.join(missing)}")
    if set(lists) & _RESERVED:
        raise UserError(f"a list may not be called {' or '.join(sorted(_RESERVED))}")
    values = df_persons[lists].apply(pd.to_numeric, errors="coerce")
    bad = ~values.isin([0, 1])
    if bool(bad.to_numpy().any()):
        rows, cols = np.nonzero(bad.to_numpy())
        first = [f"row {r + 1}, field {lists[c]}" for r, c in zip(rows[:5], cols[:5], strict=True)]
        raise ValidationError(
            "capture histories must be 0/1 per list", [f"{w}: must be 0 or 1" for w in first]
        )
    table = values.astype(np.int64)
    table[COUNT] = 1
    if stratum_column is not None:
        strata = df_persons[stratum_column]
        if bool(strata.isna().any()):
            raise UserError(
                f"{int(strata.isna().sum())} people have no value for '{stratum_column}'; "
                "give them one (e.g. 'unknown') or leave --by out"
            )
        table[STRATUM] = strata.astype(str).to_numpy()
    table = table[(table[lists] == 1).any(axis=1)]
    return aggregate(table)


def split_strata(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One table per stratum (without the stratum column), in sorted order."""
    if STRATUM not in table.columns:
        raise UserError("the table has no 'stratum' column to stratify by")
    return {
        str(name): part.drop(columns=[STRATUM]).reset_index(drop=True)
        for name, part in table.groupby(STRATUM, sort=True)
    }


def merge_strata(table: pd.DataFrame, names: Sequence[str], into: str) -> pd.DataFrame:
    """The table with the strata ``names`` relabelled ``into`` and their rows summed."""
    if STRATUM not in table.columns:
        raise UserError("the table has no 'stratum' column to merge")
    out = table.copy()
    out[STRATUM] = out[STRATUM].where(~out[STRATUM].isin(list(names)), into)
    return aggregate(out)


def collapse_strata(table: pd.DataFrame) -> pd.DataFrame:
    """The table summed over strata (unchanged if it has none)."""
    if STRATUM not in table.columns:
        return table
    return aggregate(table.drop(columns=[STRATUM]))


def all_patterns(k: int) -> NDArray[np.int64]:
    """All 2^k - 1 observable capture patterns as rows, in lexicographic order."""
    return np.array(list(itertools.product((0, 1), repeat=k))[1:], dtype=np.int64)


def full_counts(table: pd.DataFrame) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Patterns (2^K - 1 rows, all observable ones) and their counts (0 where absent)."""
    lists = list_names(table)
    patterns = all_patterns(len(lists))
    weights = 1 << np.arange(len(lists))[::-1]
    index = table[lists].to_numpy(dtype=np.int64) @ weights - 1
    counts = np.zeros(len(patterns), dtype=np.int64)
    np.add.at(counts, index, table[COUNT].to_numpy(dtype=np.int64))
    return patterns, counts


def table_from_counts(
    lists: Sequence[str], patterns: NDArray[np.int64], counts: NDArray[np.int64]
) -> pd.DataFrame:
    """Build a table from pattern rows and their counts (zero counts dropped)."""
    table = pd.DataFrame(np.asarray(patterns, dtype=np.int64), columns=list(lists))
    table[COUNT] = np.asarray(counts, dtype=np.int64)
    table = table[(table[list(lists)] == 1).any(axis=1)]
    return aggregate(table)
