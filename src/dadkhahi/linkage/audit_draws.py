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
then a little below the audit's).

Splits and merges do not move the count alike. A declared split always takes
effect and adds a person; a declared merge takes effect only where the rules
allow, and a merge into a person who already holds a record of the list
pushes that record out (a swap: no fewer persons). The pairs are declared
independently, while in the lists one wrong record makes several wrong pairs
at once, so left alone the draws hold more persons than the run's partition
whatever the audit says (SYNTHETIC namesake lists, stop 23: 1,374 persons per
draw against the run's 1,320 and 1,281 true). The draws are therefore
centred (``centre``, on by default): one log-odds shift ``tilt`` is added to
every stratum's drawn rate, the same for links and non-links, so that a
declared split becomes as much less likely as a declared merge becomes more
likely; it is set by bisection on the draws themselves (the same random
numbers at every trial shift) so that their mean number of persons equals the
run's partition's (the clustering with no declaration). The audit then sets
the spread of the draws, not their centre: they are as unbiased as the run's
own count, no more. The stats record the shift and the mean persons with no
shift. Everything is seeded and ordered by keys the same in every home: the
same audit, run and seed give the same partitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dadkhahi.linkage.calibration import expit, logit
from dadkhahi.linkage.clusters import cluster_pairs, ordered_pairs
from dadkhahi.linkage.draws import DrawSettings, PartitionDraws, fit_offset

_LABEL_COLUMNS = ["record_id_l", "record_id_r", "decision"]
#: The range and bisection steps of the centring shift (log-odds): at ±6 a rate
#: of 0.5 becomes 0.0025 or 0.9975, beyond anything an audit could say.
TILT_RANGE = 6.0
TILT_STEPS = 8


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
    centre: bool = True,
) -> PartitionDraws:
    """Draw ``settings.draws`` partitions from an audit's rates (see the module docstring).

    Every id is a key the same in two homes (the records' link keys).
    ``pairs``: the run's scored pairs (``record_id_l``, ``record_id_r``,
    ``match_probability``). ``candidates``: the audited population,
    ``record_id_l``, ``record_id_r``, ``stratum``, ``linked`` (True for a
    link of the run). ``counts``: stratum -> (pairs labelled, of them "same").
    ``decisions``: human decisions (``decision`` "same"/"different");
    ``apart``: the pairs the chain check kept apart in the run. ``centre``:
    shift the rates so that the draws hold as many persons on average as the
    run's partition (see the module docstring); off, the audit's rates as drawn.
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
    in_order = sorted_sources.reindex(ids).reset_index(drop=True)
    id_series = pd.Series(ids)
    # Every random number first (as many and in the order the draws always took
    # them), so each trial shift below sees the same ones.
    rates = np.empty((s.draws, len(strata)))
    uniforms = np.empty((s.draws, len(cand)))
    for m in range(s.draws):
        rates[m] = rng.beta(same + 0.5, labelled - same + 0.5)
        uniforms[m] = rng.random(len(cand))

    def cluster(*declared: pd.DataFrame) -> np.ndarray:
        labels_in = pd.concat([fixed, *declared, human],  # a person's decision wins (last)
                              ignore_index=True)
        clustering = cluster_pairs(id_series, pairs, threshold, labels_in, sources=in_order)
        cluster_of = clustering.clusters.set_index("record_id")["cluster_id"].reindex(ids)
        return np.asarray(pd.factorize(cluster_of.to_numpy())[0], dtype=np.int64)

    tried: dict[float, tuple[np.ndarray, list[int], list[int]]] = {}

    def draw_all(tilt: float) -> tuple[np.ndarray, list[int], list[int]]:
        if tilt in tried:
            return tried[tilt]
        out = np.empty((s.draws, len(ids)), dtype=np.int64)
        splits, merges = [], []
        for m in range(s.draws):
            shifted = rates[m] if tilt == 0 else expit(logit(rates[m]) + tilt)
            r = np.where(known, shifted[np.maximum(code, 0)], np.where(linked, 1.0, 0.0))
            split = linked & (uniforms[m] >= r)
            merge = ~linked & (uniforms[m] < r)
            out[m] = cluster(
                cand.loc[split, ["record_id_l", "record_id_r"]].assign(decision="different"),
                cand.loc[merge, ["record_id_l", "record_id_r"]].assign(decision="same"))
            splits.append(int(split.sum()))
            merges.append(int(merge.sum()))
        tried[tilt] = (out, splits, merges)
        return tried[tilt]

    def mean_persons(tilt: float) -> float:
        return float(np.mean([len(np.unique(row)) for row in draw_all(tilt)[0]]))

    point = len(np.unique(cluster()))
    tilt = 0.0
    untilted = mean_persons(0.0)
    if centre and untilted != point:
        # A larger shift keeps more links and makes more merges: fewer persons.
        tilt = fit_offset(lambda x: -mean_persons(x), -float(point), low=-TILT_RANGE,
                          high=TILT_RANGE, steps=TILT_STEPS)
    labels, splits, merges = draw_all(tilt)
    stats: dict[str, Any] = {
        "records": len(ids), "audited_population": len(cand),
        "splits_declared_mean": round(float(np.mean(splits)), 3),
        "merges_declared_mean": round(float(np.mean(merges)), 3),
        "persons_point": point, "persons_untilted_mean": round(untilted, 3),
        "persons_drawn_mean": round(mean_persons(tilt), 3), "tilt": round(tilt, 6),
        "centred": centre,
    }
    return PartitionDraws(ids.to_numpy(), labels, stats)
