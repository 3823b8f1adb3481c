"""How a pair was weighed: the match weight of each compared field (issue 14).

A pair's match weight is the prior's weight plus one weight per comparison (given
name, family name, father's name, birth, place …, each with its term-frequency
adjustment). Splink computes them while scoring but keeps only the sum; asking it to
keep every part for every scored pair would widen a table of millions of rows. So
:func:`weigh_fields` scores again, with every part kept, only the pairs a run keeps
(those that can link and the review band's few), through Splink's own
``register_blocked_pairs_for_predict``: the parts are Splink's, not a second copy of
its arithmetic.

Each field's weight is rounded to :data:`DECIMALS` decimals of a bit (a thousandth),
so the same pairs and model give the same stored weights in every home.
:func:`spanning_links` picks, per person, the links that hold its records together
(a maximum spanning tree, ties broken by link key), and :func:`pair_rows` writes
pairs as the integers a ``link.run`` event carries.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dadkhahi.store import link_rows

#: Columns holding a field's weight are this prefix and the comparison's name.
PREFIX = "w_"
#: Decimals of a bit kept of each field's weight (stored as thousandths).
DECIMALS = link_rows.FIELD_DECIMALS
_PAIR = ["record_id_l", "record_id_r"]


def field_names(frame: pd.DataFrame) -> list[str]:
    """The comparisons whose weights ``frame`` holds, in the model's order."""
    return [c[len(PREFIX):] for c in frame.columns if c.startswith(PREFIX)]


def comparison_names(model: dict[str, Any]) -> list[str]:
    """The output names of a saved Splink model's comparisons, in order."""
    return [str(c["output_column_name"]) for c in model.get("comparisons", ())]


def weigh_fields(table: Any, model: dict[str, Any], pairs: pd.DataFrame,
                 db_api: Any, register: Any) -> pd.DataFrame:
    """Per pair of ``pairs`` (``record_id_l``, ``record_id_r``), each comparison's
    weight in bits (``w_<name>``, rounded to :data:`DECIMALS`).

    ``table`` is the run's registered record table, ``model`` its trained model
    (Splink's JSON), ``register(frame, name)`` registers a frame with the backend.
    """
    from splink import Linker

    names = comparison_names(model)
    if pairs.empty or not names:
        return pd.DataFrame(columns=[*_PAIR, *(PREFIX + n for n in names)])
    settings = {**model, "retain_intermediate_calculation_columns": True}
    linker = Linker(table, settings, log_level=logging.WARNING)
    blocked = pd.DataFrame({
        "match_key": "0",
        "join_key_l": pairs["record_id_l"].astype(str).to_numpy(),
        "join_key_r": pairs["record_id_r"].astype(str).to_numpy(),
    }).drop_duplicates(["join_key_l", "join_key_r"])
    linker.table_management.register_blocked_pairs_for_predict(register(blocked, "kept_pairs"))
    scored = linker.inference.predict(warning_mode="never")
    columns = {c.unquote().name for c in scored.columns}
    parts = []
    for name in names:
        # Splink names the parts mw_<comparison> and mw_tf_adj_<comparison>; the SQL
        # holds only those names, taken from the model we trained.
        term = f"mw_{name}"
        if f"mw_tf_adj_{name}" in columns:
            term = f"{term} + coalesce(mw_tf_adj_{name}, 0)"
        parts.append(f"round({term}, {DECIMALS}) AS {PREFIX}{name}")
    sql = (f"SELECT record_id_l, record_id_r, {', '.join(parts)} "  # noqa: S608
           f"FROM {scored.physical_name}")
    out: pd.DataFrame = linker.misc.query_sql(sql, output_type="pandas")  # type: ignore[no-untyped-call]
    out["record_id_l"] = out["record_id_l"].astype(str)
    out["record_id_r"] = out["record_id_r"].astype(str)
    return out


def with_field_weights(frame: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s pairs (order kept) with their fields' weights joined on."""
    if weights.empty and not field_names(weights):
        return frame
    return frame.merge(weights, on=_PAIR, how="left")


def spanning_links(pairs: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """The links that hold each cluster together: among the scored pairs whose two
    records ended in one cluster, a maximum spanning tree of each cluster.

    ``pairs``: ``record_id_l``, ``record_id_r``, ``match_weight`` (and any further
    columns, kept); ``clusters``: ``record_id``, ``cluster_id``. Ties in weight are
    broken by the records' ids (pass link keys: the same in every home), so the tree
    is unique. A cluster joined only by a reviewer's decision has no link here.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree

    if pairs.empty or clusters.empty:
        return pairs.iloc[:0].copy()
    cluster = clusters.set_index("record_id")["cluster_id"]
    left, right = pairs["record_id_l"].map(cluster), pairs["record_id_r"].map(cluster)
    inside: pd.DataFrame = pairs[left.notna().to_numpy() & (left.to_numpy() == right.to_numpy())]
    if inside.empty:
        return inside.copy()
    # Distinct edge costs (the strongest link costs least) make the tree unique.
    order = inside.sort_values(["match_weight", "record_id_l", "record_id_r"],
                               ascending=[False, True, True], kind="stable")
    nodes = pd.Index(np.unique(np.concatenate([order["record_id_l"].to_numpy(dtype=str),
                                               order["record_id_r"].to_numpy(dtype=str)])))
    a = nodes.get_indexer(order["record_id_l"].astype(str))
    b = nodes.get_indexer(order["record_id_r"].astype(str))
    rank = np.arange(1, len(order) + 1, dtype=np.float64)
    graph = coo_matrix((rank, (a, b)), shape=(len(nodes), len(nodes))).tocsr()
    tree = minimum_spanning_tree(graph).tocoo()
    kept = np.sort(tree.data.astype(np.int64) - 1)
    out: pd.DataFrame = order.iloc[kept].reset_index(drop=True)
    return out


def _milli(value: Any) -> int | None:
    if value is None:
        return None
    number = float(value)
    return round(number * 10**DECIMALS) if math.isfinite(number) else None


def pair_rows(frame: pd.DataFrame, fields: Sequence[str]) -> list[list[Any]]:
    """Pairs as ``[a, b, probability in ppm, weight in thousandths of a bit]`` and, when
    ``fields`` are given, a fifth element: each field's weight in thousandths (integers
    only: the ledger's fast canonical JSON)."""
    if frame.empty:
        return []
    weights = frame["match_weight"] if "match_weight" in frame else pd.Series(
        [None] * len(frame), index=frame.index)
    columns = [frame[PREFIX + f] if PREFIX + f in frame else pd.Series(
        [None] * len(frame), index=frame.index) for f in fields]
    per_field = list(zip(*columns, strict=True)) if columns else [()] * len(frame)
    rows: list[list[Any]] = []
    for a, b, p, w, parts in zip(frame["record_id_l"], frame["record_id_r"],
                                 frame["match_probability"], weights, per_field, strict=True):
        row: list[Any] = [str(a), str(b), round(float(p) * 1e6), _milli(w)]
        if fields:
            row.append([_milli(x) for x in parts])
        rows.append(row)
    return rows


__all__ = ["DECIMALS", "PREFIX", "comparison_names", "field_names",
           "pair_rows", "spanning_links", "weigh_fields", "with_field_weights"]
