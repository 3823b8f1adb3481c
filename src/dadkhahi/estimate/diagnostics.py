"""Descriptive checks of a capture-history table before any model is fitted."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dadkhahi.domain.errors import UserError
from dadkhahi.estimate.result import ListSize
from dadkhahi.estimate.table import (
    COUNT,
    STRATUM,
    collapse_strata,
    documented,
    full_counts,
    list_names,
    split_strata,
)

#: Below this many documented people, any model-based estimate is fragile.
SPARSE_DOCUMENTED = 30
#: More than this share of empty observable cells makes a sparse table.
SPARSE_CELL_SHARE = 0.5


@dataclass(frozen=True)
class Merged:
    """Which strata ``--merge-sparse`` put together, and under what name."""

    into: str
    strata: tuple[str, ...]
    minimum: int

    def as_dict(self) -> dict[str, Any]:
        """``{"into", "strata", "minimum"}``: the JSON an estimate and a description share."""
        return {"into": self.into, "strata": list(self.strata), "minimum": self.minimum}

    def sentence(self) -> str:
        """What was merged into what, in words."""
        return (f"{len(self.strata)} strata with fewer than {self.minimum} documented people "
                f"(or nobody on two lists) were merged into '{self.into}': "
                f"{', '.join(self.strata)}")


@dataclass(frozen=True)
class StratumDescription:
    """One stratum's lists before any model: sizes, capture frequencies, problems."""

    stratum: str
    documented: int
    lists: tuple[ListSize, ...]
    capture_frequencies: tuple[int, ...]
    problem: str | None
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Description:
    """What the lists look like: sizes, overlaps, pairwise dependence, warnings.

    ``strata`` describes each stratum when the table has a ``stratum`` column
    (``estimate --describe --by``); the other figures are for all strata together.
    ``estimand``: what the lists count, when they are a store's (which lists were left
    out and why), as an estimate of them states it.
    """

    documented: int
    lists: tuple[ListSize, ...]
    overlap: pd.DataFrame
    pairwise: pd.DataFrame
    capture_frequencies: tuple[int, ...]
    warnings: tuple[str, ...]
    strata: tuple[StratumDescription, ...] = ()
    estimand: str | None = None
    merged: Merged | None = None


def list_sizes(table: pd.DataFrame) -> tuple[ListSize, ...]:
    """How many documented people each list names."""
    counts = table[COUNT].to_numpy()
    return tuple(
        ListSize(name, int(counts[table[name].to_numpy() == 1].sum()))
        for name in list_names(table)
    )


def overlap_matrix(table: pd.DataFrame) -> pd.DataFrame:
    """People on both list i and list j (the diagonal holds list sizes)."""
    lists = list_names(table)
    x = table[lists].to_numpy(dtype=np.int64)
    weighted = x * table[COUNT].to_numpy(dtype=np.int64)[:, None]
    return pd.DataFrame(weighted.T @ x, index=lists, columns=lists)


def capture_frequencies(table: pd.DataFrame) -> tuple[int, ...]:
    """f_1..f_K: how many people appear on exactly 1, 2, ..., K lists."""
    lists = list_names(table)
    times = table[lists].to_numpy().sum(axis=1)
    f = np.bincount(times, weights=table[COUNT].to_numpy(), minlength=len(lists) + 1)
    return tuple(int(v) for v in f[1:])


def pairwise_dependence(table: pd.DataFrame) -> pd.DataFrame:
    """For each pair of lists: the 2x2 overlap, an odds ratio and a Chapman estimate.

    ``n11``/``n10``/``n01`` count everyone documented; ``n00`` those on
    neither list of the pair but on some other list. The odds ratio is
    computed among people on at least one *other* list, where all four cells
    are observed, so independent lists give about 1: above 1 the pair tends
    to name the same people (positive dependence, which makes two-list
    estimates too low), below 1 the opposite. A 0.5 continuity correction
    (Haldane) is used when a cell is empty; with two lists there is no
    other list and the odds ratio is NaN. ``chapman`` is the two-list
    estimate from that pair alone, a quick look at how much pairs disagree.
    """
    lists = list_names(table)
    x = table[lists].to_numpy(dtype=np.int64)
    c = table[COUNT].to_numpy(dtype=np.float64)
    rows = []
    for i, j in itertools.combinations(range(len(lists)), 2):
        a, b = x[:, i] == 1, x[:, j] == 1
        n11, n10, n01, n00 = (float(c[m].sum()) for m in (a & b, a & ~b, ~a & b, ~a & ~b))
        others = np.delete(x, [i, j], axis=1).any(axis=1)
        cells = np.array(
            [float(c[m & others].sum()) for m in (a & b, a & ~b, ~a & b, ~a & ~b)]
        )
        adj = cells + 0.5 if (cells == 0).any() else cells
        odds = (adj[0] * adj[3]) / (adj[1] * adj[2]) if len(lists) > 2 else float("nan")
        chapman = (n11 + n10 + 1) * (n11 + n01 + 1) / (n11 + 1) - 1
        rows.append(
            {"list_a": lists[i], "list_b": lists[j], "n11": int(n11), "n10": int(n10),
             "n01": int(n01), "n00": int(n00), "odds_ratio": float(odds), "chapman": chapman}
        )
    return pd.DataFrame(rows)


def sparsity_warnings(table: pd.DataFrame) -> list[str]:
    """Warnings about a table too thin to support the models fitted to it."""
    warnings: list[str] = []
    n = documented(table)
    lists = list_names(table)
    if n < SPARSE_DOCUMENTED:
        warnings.append(
            f"only {n} documented people: any estimate from so few is fragile"
        )
    empty = [s.name for s in list_sizes(table) if s.size == 0]
    if empty:
        warnings.append(f"lists with nobody on them: {', '.join(empty)}; drop them")
    if len(lists) >= 2:
        _, counts = full_counts(table)
        share = float((counts == 0).mean())
        if share > SPARSE_CELL_SHARE:
            warnings.append(
                f"sparse table: {share:.0%} of the {len(counts)} possible capture "
                "patterns are empty; interaction terms may not be estimable"
            )
        overlap = overlap_matrix(table).to_numpy()
        zero_pairs = [
            f"{lists[i]}&{lists[j]}"
            for i, j in itertools.combinations(range(len(lists)), 2)
            if overlap[i, j] == 0
        ]
        if zero_pairs:
            warnings.append(f"lists that share nobody: {', '.join(zero_pairs)}")
    return warnings


def describe(table: pd.DataFrame) -> Description:
    """List sizes, overlap matrix, pairwise dependence and sparse-table warnings.

    A table with a ``stratum`` column is also described stratum by stratum.
    """
    flat = collapse_strata(table)
    strata: tuple[StratumDescription, ...] = ()
    if STRATUM in table.columns:
        strata = tuple(
            StratumDescription(
                stratum=name,
                documented=documented(part),
                lists=list_sizes(part),
                capture_frequencies=capture_frequencies(part),
                problem=estimability_problem(part),
                warnings=tuple(sparsity_warnings(part)),
            )
            for name, part in split_strata(table).items()
        )
    return Description(
        documented=documented(flat),
        lists=list_sizes(flat),
        overlap=overlap_matrix(flat),
        pairwise=pairwise_dependence(flat),
        capture_frequencies=capture_frequencies(flat),
        warnings=tuple(sparsity_warnings(flat)),
        strata=strata,
    )


def estimability_problem(table: pd.DataFrame) -> str | None:
    """Why no model can estimate from this table (a few words), or None if one can.

    The checks every estimator makes before its work: someone is documented,
    and someone is on two lists or more (the overlaps are all a model learns
    the undocumented from). They cost nothing, so stratified estimates run
    them on every stratum before any sampling starts.
    """
    n = documented(table)
    if n == 0:
        return "nobody documented"
    if capture_frequencies(table)[0] == n:
        return f"{n} documented, nobody on two lists"
    return None


def require_lists(table: pd.DataFrame, method: str, minimum: int = 3) -> None:
    """Refuse a method that needs more lists than the table has, saying why."""
    lists = list_names(table)
    if len(lists) < minimum:
        raise UserError(
            f"{method} needs at least {minimum} lists and the table has {len(lists)} "
            f"({', '.join(lists)}): with two lists the dependence between them cannot be "
            "estimated from the data. Use --method lp (Lincoln-Petersen/Chapman) as a "
            "rough reference only: it assumes the lists are independent and everyone "
            "equally likely to be listed, and is usually too low when lists overlap "
            "more than chance."
        )
    problem = estimability_problem(table)
    if problem == "nobody documented":
        raise UserError("the table documents nobody")
    if problem is not None:
        raise UserError(
            "no one appears on more than one list: without overlaps there is nothing "
            "to estimate the undocumented from"
        )
