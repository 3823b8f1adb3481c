"""Clustering scores for record linkage against a known truth.

Pairwise precision/recall/F1 and B-cubed precision/recall/F1 are computed from
the contingency table of (true cluster, predicted cluster) counts, never by
enumerating pairs, so they take seconds at a million records:

* a pair of records is a true link if both have the same true id, a predicted
  link if both have the same predicted id; with n_ij records in true cluster i
  and predicted cluster j, a_i = sum_j n_ij and b_j = sum_i n_ij:
  TP = sum C(n_ij, 2), true pairs = sum C(a_i, 2), predicted pairs = sum C(b_j, 2);
* B-cubed (Bagga & Baldwin 1998) averages per record: precision of record r in
  cell (i, j) is n_ij / b_j, recall n_ij / a_i.

The capture-history error is what multiple systems estimation sees of linkage
errors: each cluster's capture pattern is the set of lists its records come
from; with n(h) true people and n̂(h) predicted people of pattern h, the error
is sum_h |n̂(h) - n(h)| / N, N the number of true people. Merging two people
found on lists 1 and 2 turns two single-list patterns into one two-list
pattern (an error of 3/N); the estimator reads this table, not pairs.

Conventions: a record the prediction leaves out is its own singleton cluster;
a predicted record absent from the truth is an error.  With no predicted
pairs, pairwise precision is 1 (no false link was made); with no true pairs,
pairwise recall is 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

Assignment = pd.Series | Mapping[object, object] | pd.DataFrame


@dataclass(frozen=True)
class LinkageScores:
    """Scores of one predicted clustering against the truth."""

    records: int
    true_people: int
    predicted_people: int
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    # Sum over capture patterns of |predicted - true people| / true people; None
    # when the lists of the records were not given.
    capture_history_error: float | None = None

    @property
    def people_error(self) -> float:
        """Relative error of the number of distinct people: (predicted - true) / true."""
        return (self.predicted_people - self.true_people) / self.true_people

    def as_dict(self) -> dict[str, float | int]:
        """All scores, including `people_error`, as a flat dict."""
        return {**asdict(self), "people_error": self.people_error}

    def summary(self) -> str:
        """One line for a benchmark report."""
        history = ("" if self.capture_history_error is None
                   else f" | capture-history error {self.capture_history_error:.4f}")
        return (
            f"pairwise P={self.pairwise_precision:.4f} R={self.pairwise_recall:.4f} "
            f"F1={self.pairwise_f1:.4f} | B3 P={self.bcubed_precision:.4f} "
            f"R={self.bcubed_recall:.4f} F1={self.bcubed_f1:.4f} | people "
            f"{self.predicted_people:,} vs {self.true_people:,} "
            f"({100 * self.people_error:+.2f}%){history}"
        )


def _as_series(assignment: Assignment, id_column: str, value_column: str | None) -> pd.Series:
    if isinstance(assignment, pd.DataFrame):
        value = value_column or next(c for c in assignment.columns if c != id_column)
        return pd.Series(assignment[value].to_numpy(), index=assignment[id_column].to_numpy())
    if isinstance(assignment, pd.Series):
        return assignment
    return pd.Series(dict(assignment))


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _pairs(counts: np.ndarray) -> int:
    c = counts.astype(np.int64)
    return int((c * (c - 1) // 2).sum())


def capture_patterns(codes: np.ndarray, lists: np.ndarray) -> pd.Series:
    """Number of clusters per capture pattern (the sorted lists a cluster is on).

    `codes` gives each record's cluster, `lists` its list; the pattern is written
    as the list names joined by "|" ("list_1|list_3").
    """
    frame = pd.DataFrame({"c": codes, "s": pd.Series(lists).astype(str).to_numpy()})
    frame = frame.drop_duplicates().sort_values(["c", "s"], kind="stable")
    patterns = frame.groupby("c", sort=False)["s"].agg("|".join)
    return patterns.value_counts()


def capture_history_error(truth_codes: np.ndarray, predicted_codes: np.ndarray,
                          lists: np.ndarray) -> float:
    """Sum over capture patterns of |predicted - true clusters| / true clusters."""
    true_n = capture_patterns(truth_codes, lists)
    pred_n = capture_patterns(predicted_codes, lists)
    both = pd.concat([true_n.rename("t"), pred_n.rename("p")], axis=1).fillna(0)
    return float((both["p"] - both["t"]).abs().sum() / true_n.sum())


def score(
    truth: Assignment,
    predicted: Assignment,
    *,
    id_column: str = "record_id",
    truth_column: str | None = None,
    predicted_column: str | None = None,
    lists: Assignment | None = None,
    list_column: str | None = None,
) -> LinkageScores:
    """Score predicted clusters against true clusters.

    `truth` and `predicted` map record id -> cluster id, as a Series indexed by
    record id, a mapping, or a DataFrame with `id_column` and one cluster column
    (named by `truth_column` / `predicted_column`, else the first other column).
    `lists` (same forms, every true record) names each record's list and adds the
    capture-history error.
    """
    t = _as_series(truth, id_column, truth_column)
    p = _as_series(predicted, id_column, predicted_column)
    if t.index.has_duplicates:
        raise ValueError("truth lists a record id twice")
    if p.index.has_duplicates:
        raise ValueError("prediction lists a record id twice")
    unknown = p.index.difference(t.index)
    if len(unknown):
        raise ValueError(f"{len(unknown)} predicted record ids are not in the truth, "
                         f"e.g. {unknown[0]!r}")
    n = len(t)
    if n == 0:
        raise ValueError("empty truth")
    true_codes = pd.factorize(t.to_numpy())[0].astype(np.int64)
    pred = p.reindex(t.index)
    pred_codes = pd.factorize(pred.to_numpy(), use_na_sentinel=True)[0].astype(np.int64)
    missing = pred_codes < 0
    # Records the prediction leaves out are singletons: give each a fresh code.
    pred_codes[missing] = pred_codes.max(initial=-1) + 1 + np.arange(int(missing.sum()))

    n_pred = int(pred_codes.max()) + 1
    cell = true_codes * n_pred + pred_codes
    _, cell_index, cell_counts = np.unique(cell, return_index=True, return_counts=True)
    cell_true = true_codes[cell_index]
    cell_pred = pred_codes[cell_index]
    a = np.bincount(true_codes).astype(np.int64)
    b = np.bincount(pred_codes).astype(np.int64)

    tp = _pairs(cell_counts)
    true_pairs = _pairs(a)
    pred_pairs = _pairs(b)
    precision = 1.0 if pred_pairs == 0 else tp / pred_pairs
    recall = 1.0 if true_pairs == 0 else tp / true_pairs
    sq = cell_counts.astype(float) ** 2
    b3_precision = float((sq / b[cell_pred]).sum() / n)
    b3_recall = float((sq / a[cell_true]).sum() / n)
    history = None
    if lists is not None:
        where = _as_series(lists, id_column, list_column).reindex(t.index)
        if where.isna().any():
            raise ValueError("lists must name the list of every true record")
        history = capture_history_error(true_codes, pred_codes, where.to_numpy())
    return LinkageScores(
        records=n,
        true_people=len(a),
        predicted_people=int((b > 0).sum()),
        true_pairs=true_pairs,
        predicted_pairs=pred_pairs,
        true_positive_pairs=tp,
        pairwise_precision=precision,
        pairwise_recall=recall,
        pairwise_f1=_f1(precision, recall),
        bcubed_precision=b3_precision,
        bcubed_recall=b3_recall,
        bcubed_f1=_f1(b3_precision, b3_recall),
        capture_history_error=history,
    )


def true_pair_recall_by(
    truth: pd.DataFrame,
    predicted: Assignment,
    label_column: str,
    *,
    id_column: str = "record_id",
    truth_column: str = "true_person_id",
    predicted_column: str | None = None,
) -> pd.DataFrame:
    """Recall of true pairs broken down by the labels of the two records.

    A pair's category is its two labels sorted and joined ("latin|persian"), so
    with a script label this separates within-script from cross-script
    recall.  True pairs are enumerated (a self-join within true clusters),
    which is cheap because real clusters are small.
    """
    p = _as_series(predicted, id_column, predicted_column)
    t = truth[[id_column, truth_column, label_column]].copy()
    t["_pred"] = p.reindex(t[id_column].to_numpy()).to_numpy()
    t["_row"] = np.arange(len(t))
    pairs = t.merge(t, on=truth_column, suffixes=("_l", "_r"))
    pairs = pairs[pairs["_row_l"] < pairs["_row_r"]]
    left = pairs[f"{label_column}_l"].astype(str).to_numpy()
    right = pairs[f"{label_column}_r"].astype(str).to_numpy()
    category = np.where(left <= right, np.char.add(np.char.add(left, "|"), right),
                        np.char.add(np.char.add(right, "|"), left))
    found = (pairs["_pred_l"].to_numpy() == pairs["_pred_r"].to_numpy()) & pairs[
        "_pred_l"].notna().to_numpy()
    out = (pd.DataFrame({"category": category, "found": found})
           .groupby("category")["found"].agg(true_pairs="size", found="sum"))
    out["recall"] = out["found"] / out["true_pairs"]
    return out.reset_index()
