"""Partitions drawn from a recorded audit's error rates: the audit feeds the estimate.

A linkage audit (:mod:`dadkhahi.linkage.audit`) measures, per stratum of the
run's pairs, the share that are one person: for links (two records the run put
in one person) that share is the stratum's precision, for non-links near the
threshold it is the stratum's miss rate. Those shares are what is *known*
about the linkage's error on the lists themselves, so when a run has a
recorded audit its partitions are drawn from them:

1. each draw takes one rate per stratum from the audit's Jeffreys posterior
   Beta(k + 1/2, n - k + 1/2) (k pairs labelled "same" of n labelled), so a
   small audit, or a stratum no one labelled (Beta(1/2, 1/2)), spreads the
   draws more than a large one;
2. each link of stratum h is declared two people with probability 1 - rate_h,
   and each non-link of stratum h one person with probability rate_h (pairs a
   person decided are left as decided);
3. the records are clustered again with :func:`~dadkhahi.linkage.clusters.
   cluster_pairs`, the run's own clustering, with those declarations as
   labels beside the chain check's conflicts and the human decisions (which
   win): the same rules hold in every draw (one record per list, "different"
   keeps apart, "same" moves records together), and a declared merge joins two
   persons only as far as those rules allow, so drawn merges cannot chain
   namesakes through one another the way independent pair draws followed by
   transitive closure would.

A declared split inside a cluster of more than two records separates the two
records; the clustering then rebuilds the cluster strongest link first, so one
declared pair can take a third record with it (the drawn pairwise precision is
then a little below the audit's). Everything is seeded and ordered by keys the
same in every home: the same audit, run and seed give the same partitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dadkhahi.linkage.clusters import cluster_pairs, ordered_pairs
from dadkhahi.linkage.draws import DrawSettings, PartitionDraws

_LABEL_COLUMNS = ["record_id_l", "record_id_r", "decision"]


def _labels(frame: pd.DataFrame | None, decision: str | None = None) -> pd.DataFrame:
    if frame is None or not len(frame):
        return pd.DataFrame(columns=_LABEL_COLUMNS)
    out = ordered_pairs(frame[["record_id_l", "record_id_r"]
                              + ([] if decision else ["decision"])])
    return out.assign(decision=decision) if decision else out[_LABEL_COLUMNS]


def audited_partitions(
    record_ids: pd.Series,
    sources: pd.Series,
    pairs: pd.DataFrame,
    threshold: float,
    candidates: pd.DataFrame,
    counts: Mapping[str, tuple[int, int]],
    *,
    decisions: pd.DataFrame | None = None,
    apart: pd.DataFrame | None = None,
    settings: DrawSettings | None = None,
) -> PartitionDraws:
    """Draw ``settings.draws`` partitions from an audit's rates (see the module docstring).

    Every id is a key the same in two homes (the records' link keys).
    ``pairs``: the run's scored pairs (``record_id_l``, ``record_id_r``,
    ``match_probability``). ``candidates``: the audited population,
    ``record_id_l``, ``record_id_r``, ``stratum``, ``linked`` (True for a
    link of the run). ``counts``: stratum -> (pairs labelled, of them "same").
    ``decisions``: human decisions (``decision`` "same"/"different");
    ``apart``: the pairs the chain check kept apart in the run.
    """
    s = settings or DrawSettings()
    if s.draws < 1:
        raise ValueError(f"bad draw settings: {s}")
    ids = pd.Index(np.sort(record_ids.astype(str).to_numpy()))
    if ids.has_duplicates:
        raise ValueError("record ids must be unique")
    human = _labels(decisions)
    fixed = _labels(apart, "different")
    cand = ordered_pairs(candidates[["record_id_l", "record_id_r", "stratum", "linked"]])
    cand = cand[cand["record_id_l"].isin(ids) & cand["record_id_r"].isin(ids)]
    cand = cand.drop_duplicates(["record_id_l", "record_id_r"])
    decided = pd.MultiIndex.from_frame(human[["record_id_l", "record_id_r"]])
    cand = cand[~pd.MultiIndex.from_frame(cand[["record_id_l", "record_id_r"]]).isin(decided)]
    cand = cand.sort_values(["record_id_l", "record_id_r"], kind="stable").reset_index(drop=True)
    strata = sorted(counts)
    code = pd.Categorical(cand["stratum"], categories=strata).codes
    # A stratum the audit does not know (no population when drawn) is left as the run has it.
    known = code >= 0
    linked = cand["linked"].to_numpy(dtype=bool)
    labelled = np.array([counts[h][0] for h in strata], dtype=np.float64)
    same = np.array([counts[h][1] for h in strata], dtype=np.float64)
    rng = np.random.default_rng(s.seed)
    sorted_sources = sources.astype(str).set_axis(record_ids.astype(str).to_numpy())
    labels = np.empty((s.draws, len(ids)), dtype=np.int64)
    splits, merges = [], []
    for m in range(s.draws):
        rate = rng.beta(same + 0.5, labelled - same + 0.5)
        u = rng.random(len(cand))
        r = np.where(known, rate[np.maximum(code, 0)], np.where(linked, 1.0, 0.0))
        split = linked & (u >= r)
        merge = ~linked & (u < r)
        drawn = pd.concat([
            fixed,
            cand.loc[split, ["record_id_l", "record_id_r"]].assign(decision="different"),
            cand.loc[merge, ["record_id_l", "record_id_r"]].assign(decision="same"),
            human,  # last: a person's decision wins (cluster_pairs keeps the last)
        ], ignore_index=True)
        clustering = cluster_pairs(pd.Series(ids), pairs, threshold, drawn,
                                   sources=sorted_sources.reindex(ids).reset_index(drop=True))
        cluster = clustering.clusters.set_index("record_id")["cluster_id"].reindex(ids)
        labels[m] = pd.factorize(cluster.to_numpy())[0]
        splits.append(int(split.sum()))
        merges.append(int(merge.sum()))
    stats: dict[str, Any] = {
        "records": len(ids), "audited_population": len(cand),
        "splits_declared_mean": round(float(np.mean(splits)), 3),
        "merges_declared_mean": round(float(np.mean(merges)), 3),
    }
    return PartitionDraws(ids.to_numpy(), labels, stats)
