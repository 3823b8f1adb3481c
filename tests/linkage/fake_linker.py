"""A stand-in linker for store tests: the clusters are the ones the test names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dadkhahi.linkage.store_io import load_records
from dadkhahi.store.store import Store


@dataclass
class FakeResult:
    pairs: pd.DataFrame
    clusters: pd.DataFrame
    review_candidates: pd.DataFrame
    conflicts: pd.DataFrame
    model: dict[str, Any]
    stats: dict[str, float]


def fake_linker(
    store: Store,
    groups: Callable[[pd.DataFrame], list[list[str]]],
    seen: list[Any] | None = None,
) -> Callable[..., FakeResult]:
    """A linker returning the clusters ``groups(records)`` names (by record id).

    The service hands a linker link keys, not record ids: the stand-in translates
    the groups to keys, and the labels it is given back to record ids for ``seen``.
    """

    def link(records: pd.DataFrame, labels: Any = None, backend: str = "duckdb",
             threshold: float = 0.9, seed: int = 1) -> FakeResult:
        key = load_records(store).set_index("record_id")["link_key"].to_dict()
        record = {k: r for r, k in key.items()}
        if seen is not None:
            seen.append(None if labels is None else labels.assign(
                record_id_l=labels["record_id_l"].map(record),
                record_id_r=labels["record_id_r"].map(record)))
        keyed = [[key[rid] for rid in g] for g in groups(records)]
        cluster = {rid: rid for rid in records["record_id"]}
        for group in keyed:
            for rid in group:
                cluster[rid] = min(group)
        clusters = pd.DataFrame({"record_id": list(cluster), "cluster_id": list(cluster.values())})
        pairs = pd.DataFrame(
            [(a, b, 0.95, 4.0) for g in keyed for a in g for b in g if a < b],
            columns=["record_id_l", "record_id_r", "match_probability", "match_weight"],
        )
        empty = pd.DataFrame(columns=["record_id_l", "record_id_r"])
        return FakeResult(pairs, clusters, pairs.iloc[:0], empty, {"fake": True}, {"x": 1.0})

    return link
