"""Partitions drawn from the linkage's uncertainty, one connected component at a time.

The estimate counts persons, so the uncertainty that matters is over whole
partitions of records into persons, not over pairs one at a time: drawing
each pair as a link with its probability and then joining everything linked
(transitive closure) chains namesakes together and over-merges. Here the
records are split into connected components of the candidate pairs (every
scored pair the run kept, and every "same" decision); records outside any
pair are people of their own in every draw. Within a component a partition Z
has the score

    log w(Z) = sum over pairs (a, b) put in one cluster of logit(p_ab)

where p_ab is the pair's calibrated match probability
(:mod:`dadkhahi.linkage.calibration`) and a pair the run did not score
(its records were never compared, or scored below what the run kept) counts
with ``unscored`` (0.01 by default: below the weakest pair kept). For two
records alone this gives exactly P(same) = p_ab. Partitions that break the
constraints of :func:`dadkhahi.linkage.clusters.cluster_pairs` have weight 0:
two records of one list in one person (unless they are linked at the
duplicate threshold, or a person said "same", or the list is exempt as full
of duplicates), a pair a person called "different". Records a person called
"same" move together. Two different identity numbers are no constraint, as in
the point partition: the model weighs them (its ``id_number`` comparison) as
strong evidence against the pair, already in p_ab, and does not split on them,
because lists miscopy whole numbers (FEBRL replaces the whole number in 420 of
FEBRL3's true pairs: a split would cap recall with the number at 0.936,
``benchmarks/linkage/study_febrl_ids.py``).

The run's clustering weighs a link between two lists against its rivals
(:func:`~dadkhahi.linkage.clusters.rival_adjusted`) before it links. The
draws weigh them through the constraint instead: a record is with at most
one record of another list, so drawn from the model's odds it is with each
of its rivals exactly as often as that rule says. Calibration is therefore
fitted at the probability the clustering weighed (:func:`weighed_probabilities`)
and moves each pair's model log-odds by what it does there
(:func:`draw_weights`), so the rivals count once, as in the partition held fixed.

Draws come from a Gibbs sampler over cluster assignments (each record group
in turn moves to the cluster its conditional weight picks), started from the
run's own partition, ``burnin`` sweeps before the first kept draw and
``thin`` sweeps between draws; components of two groups are drawn exactly.
Everything is seeded: the same inputs and settings give the same draws.
This is a two-stage approach in the sense of Sadinle (2018, Annals of
Applied Statistics 12(2), "Bayesian propagation of record linkage
uncertainty into population size estimation of human rights violations"):
the estimator runs on each drawn partition and its posterior draws are
pooled ("linkage-averaging"). The pairwise score above stands in for a
Bayesian record-linkage posterior; it is written here because no maintained
library samples partitions from Fellegi-Sunter pair probabilities under
these constraints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dadkhahi.linkage.calibration import Calibration, expit, logit
from dadkhahi.linkage.clusters import (
    DUPLICATE_THRESHOLD,
    EXEMPT_THRESHOLD,
    MAX_DUPLICATE_SHARE,
    _list_codes,
    ordered_pairs,
    weigh_rivals,
)

#: A forbidden pair's score: far below anything real, finite so sums stay exact.
FORBIDDEN = -1e6


@dataclass(frozen=True)
class DrawSettings:
    """How many partitions to draw and how (see the module docstring)."""

    draws: int = 20
    seed: int = 0
    burnin: int = 20
    thin: int = 5
    unscored: float = 0.01
    #: Added to every scored pair's logit (see :func:`fit_offset`).
    offset: float = 0.0
    #: Components with more record groups than this keep the run's partition
    #: (a dense score matrix of that size would not fit), and a warning says so.
    max_component: int = 3000

    def as_json(self) -> dict[str, Any]:
        """The settings as recorded in the ledger."""
        return {"draws": self.draws, "seed": self.seed, "burnin": self.burnin,
                "thin": self.thin, "unscored": self.unscored, "offset": round(self.offset, 6),
                "max_component": self.max_component}


@dataclass(frozen=True)
class PartitionDraws:
    """``labels[m, i]``: the person of record ``record_ids[i]`` in draw m (0-based ids)."""

    record_ids: NDArray[Any]
    labels: NDArray[np.int64]
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def persons(self) -> NDArray[np.int64]:
        """How many persons each draw has."""
        return np.array([len(np.unique(row)) for row in self.labels], dtype=np.int64)


def _groups(n: int, same_l: NDArray[np.int64], same_r: NDArray[np.int64],
            forbidden: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Group of each record once "same" decisions are joined (in order, keeping the rules)."""
    parent = np.arange(n)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    for a, b in zip(same_l.tolist(), same_r.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra == rb or forbidden[np.ix_(members[ra], members[rb])].any():
            continue
        parent[rb] = ra
        members[ra] += members.pop(rb)
    roots = np.array([find(i) for i in range(n)])
    _, group = np.unique(roots, return_inverse=True)
    out: NDArray[np.int64] = group.astype(np.int64)
    return out


def _gibbs(weights: NDArray[np.float64], start: NDArray[np.int64], rng: np.random.Generator,
           burnin: int, thin: int, draws: int) -> NDArray[np.int64]:
    """Draws (draws x k) of cluster labels for k groups with pairwise scores ``weights``."""
    k = len(start)
    z = np.unique(start, return_inverse=True)[1].astype(np.int64)
    out = np.empty((draws, k), dtype=np.int64)
    kept = 0
    sweep = 0
    while kept < draws:
        for i in range(k):
            w = weights[i]
            sums = np.bincount(z, weights=w, minlength=k + 1)
            sums -= np.bincount([z[i]], weights=[w[i]], minlength=k + 1)
            sizes = np.bincount(z, minlength=k + 1)
            sizes[z[i]] -= 1
            occupied = sizes > 0
            empty = int(z[i]) if not occupied[z[i]] else int(np.flatnonzero(~occupied)[0])
            score = np.where(occupied, sums, -np.inf)
            score[empty] = 0.0
            z[i] = int(np.argmax(score + rng.gumbel(size=k + 1)))
        sweep += 1
        if sweep >= burnin and (sweep - burnin) % thin == 0:
            out[kept] = z
            kept += 1
    return out


def draw_partitions(
    record_ids: pd.Series,
    sources: pd.Series,
    pairs: pd.DataFrame,
    start: pd.DataFrame,
    *,
    decisions: pd.DataFrame | None = None,
    settings: DrawSettings | None = None,
    duplicate_threshold: float = DUPLICATE_THRESHOLD,
    max_duplicate_share: float = MAX_DUPLICATE_SHARE,
    exempt_threshold: float = EXEMPT_THRESHOLD,
    order: pd.DataFrame | None = None,
) -> PartitionDraws:
    """Draw ``settings.draws`` partitions of the records (see the module docstring).

    ``pairs``: ``record_id_l``, ``record_id_r``, ``match_probability`` (the
    model's, which decides the within-list duplicate rule as in
    :func:`~dadkhahi.linkage.clusters.cluster_pairs`) and ``calibrated`` (the
    probability the draws use; the model's when absent). ``start``:
    ``record_id``, ``cluster_id``, the run's partition. ``decisions``:
    ``record_id_l``, ``record_id_r``, ``decision``. ``order`` (aligned
    with ``record_ids``): columns to sort the records by, first column first,
    that are the same in every home (the list's import and the row in it);
    record ids are random at import, so without it two homes would visit
    the records in different orders and draw different partitions.
    """
    s = settings or DrawSettings()
    if s.draws < 1 or s.burnin < 0 or s.thin < 1 or not 0 < s.unscored < 1 \
            or not np.isfinite(s.offset):
        raise ValueError(f"bad draw settings: {s}")
    ids_in = record_ids.astype(str).to_numpy()
    if order is None:
        order_ix = np.argsort(ids_in, kind="stable")
    else:
        keys_in = [order[c].to_numpy() for c in reversed(list(order.columns))]
        order_ix = np.lexsort(keys_in) if keys_in else np.arange(len(ids_in))
    ids = ids_in[order_ix]
    index = pd.Index(ids)
    if index.has_duplicates:
        raise ValueError("record ids must be unique")
    n = len(ids)
    src = sources.astype(str).to_numpy()[order_ix]

    scored = ordered_pairs(pairs[["record_id_l", "record_id_r", "match_probability",
                                  *(["calibrated"] if "calibrated" in pairs else [])]])
    li = index.get_indexer(pd.Index(scored["record_id_l"]))
    ri = index.get_indexer(pd.Index(scored["record_id_r"]))
    known = (li >= 0) & (ri >= 0)
    scored, li, ri = scored[known], li[known], ri[known]
    model_p = scored["match_probability"].to_numpy(dtype=np.float64)
    used_p = (scored["calibrated"] if "calibrated" in scored else scored["match_probability"]
              ).to_numpy(dtype=np.float64)

    list_codes, list_names = pd.factorize(src)
    codes, exempt = _list_codes(index, list_codes, list_names, scored, exempt_threshold,
                                max_duplicate_share)
    if decisions is not None and len(decisions):
        decided = ordered_pairs(decisions[["record_id_l", "record_id_r", "decision"]])
        dl = index.get_indexer(pd.Index(decided["record_id_l"]))
        dr = index.get_indexer(pd.Index(decided["record_id_r"]))
        ok = (dl >= 0) & (dr >= 0)
        decided, dl, dr = decided[ok], dl[ok], dr[ok]
        is_same = (decided["decision"] == "same").to_numpy()
    else:
        dl = dr = np.zeros(0, dtype=np.int64)
        is_same = np.zeros(0, dtype=bool)
    same_l, same_r = dl[is_same], dr[is_same]
    diff_l, diff_r = dl[~is_same], dr[~is_same]
    weight = logit(used_p) + s.offset
    # A within-list pair may share a person when linked at the duplicate threshold.
    dup_ok = model_p >= duplicate_threshold

    graph = coo_matrix(
        (np.ones(len(li) + len(same_l)), (np.concatenate([li, same_l]),
                                          np.concatenate([ri, same_r]))), shape=(n, n))
    n_comp, component = connected_components(graph, directed=False)
    start_ids = start.astype({"record_id": str, "cluster_id": str}).set_index("record_id")
    start_label = pd.factorize(
        start_ids["cluster_id"].reindex(ids).fillna(pd.Series(ids, index=ids)).to_numpy()
    )[0]

    rng = np.random.default_rng(s.seed)
    labels = np.empty((s.draws, n), dtype=np.int64)
    members_of = pd.Series(np.arange(n)).groupby(component).indices
    pairs_of = pd.Series(np.arange(len(li))).groupby(component[li]).indices
    same_of = pd.Series(np.arange(len(same_l))).groupby(component[same_l]).indices
    diff_of = pd.Series(np.arange(len(diff_l))).groupby(component[diff_l]).indices
    nothing = np.zeros(0, dtype=np.int64)
    position = np.zeros(n, dtype=np.int64)
    next_label = 0
    default = float(logit(s.unscored))
    sampled = fixed = largest = 0
    warnings: list[str] = []
    for comp in range(n_comp):
        members = np.asarray(members_of[comp])
        size = len(members)
        largest = max(largest, size)
        if size == 1:
            labels[:, members[0]] = next_label
            next_label += 1
            continue
        position[members] = np.arange(size)
        at = np.asarray(pairs_of.get(comp, nothing))
        pl, pr = position[li[at]], position[ri[at]]
        c = codes[members]
        forbidden = c[:, None] == c[None, :]
        dl_, dr_ = pl[dup_ok[at]], pr[dup_ok[at]]
        forbidden[dl_, dr_] = forbidden[dr_, dl_] = False
        at_s = np.asarray(same_of.get(comp, nothing))
        sl, sr = position[same_l[at_s]], position[same_r[at_s]]
        # A person said "same": the list rule does not keep them apart.
        forbidden[sl, sr] = forbidden[sr, sl] = False
        at_d = np.asarray(diff_of.get(comp, nothing))
        xl, xr = position[diff_l[at_d]], position[diff_r[at_d]]
        forbidden[xl, xr] = forbidden[xr, xl] = True
        np.fill_diagonal(forbidden, False)
        record_w = np.full((size, size), default)
        record_w[pl, pr] = record_w[pr, pl] = weight[at]
        record_w[sr, sl] = record_w[sl, sr] = np.maximum(record_w[sl, sr], 30.0)
        record_w[forbidden] = FORBIDDEN
        np.fill_diagonal(record_w, 0.0)
        group = _groups(size, sl, sr, forbidden)
        k = int(group.max()) + 1
        if k > s.max_component:
            fixed += 1
            draws_local = np.tile(np.unique(start_label[members], return_inverse=True)[1],
                                  (s.draws, 1))
            warnings.append(
                f"a component of {k} record groups is larger than {s.max_component}: "
                "it keeps the run's partition in every draw"
            )
        else:
            sampled += 1
            first = np.unique(group, return_index=True)[1]
            start_groups = start_label[members][first].astype(np.int64)
            if k == 1:
                group_draws = np.zeros((s.draws, 1), dtype=np.int64)
            else:
                onehot = np.zeros((size, k))
                onehot[np.arange(size), group] = 1.0
                weights = onehot.T @ record_w @ onehot
                np.fill_diagonal(weights, 0.0)
                group_draws = _gibbs(weights, start_groups, rng, s.burnin, s.thin, s.draws)
            draws_local = group_draws[:, group]
        labels[:, members] = next_label + draws_local
        next_label += size
    # Compact labels per draw, in record order, so equal partitions give equal rows.
    compact = np.vstack([pd.factorize(row)[0] for row in labels]).astype(np.int64)
    stats = {
        "records": n, "components": int(n_comp), "components_sampled": sampled,
        "components_fixed": fixed, "largest_component": int(largest),
        "exempt_lists": list(exempt),
    }
    return PartitionDraws(ids, compact, stats, tuple(dict.fromkeys(warnings)))


def weighed_probabilities(
    record_ids: pd.Series,
    sources: pd.Series,
    pairs: pd.DataFrame,
    threshold: float,
    decisions: pd.DataFrame | None = None,
    *,
    max_duplicate_share: float = MAX_DUPLICATE_SHARE,
    exempt_threshold: float = EXEMPT_THRESHOLD,
) -> NDArray[np.float64]:
    """The probability the run's clustering weighs for each pair, aligned with ``pairs``.

    :func:`~dadkhahi.linkage.clusters.cluster_pairs` weighs each undecided
    link between two lists at ``threshold`` or more against its rivals before
    it links (:func:`~dadkhahi.linkage.clusters.weigh_rivals`, the one choice
    of which links are weighed, used by both); every other pair keeps the
    model's probability. This is the probability a reviewed pair was in effect judged
    at by the partition the estimate holds fixed, so it is what calibration
    must map to the share of pairs found "same" (see :func:`draw_weights`).
    """
    ids = pd.Index(np.sort(record_ids.astype(str).to_numpy()))
    src = sources.astype(str).set_axis(record_ids.astype(str).to_numpy()).reindex(ids)
    scored = ordered_pairs(pairs[["record_id_l", "record_id_r", "match_probability"]])
    list_codes, list_names = pd.factorize(src.to_numpy())
    codes, _ = _list_codes(ids, list_codes, list_names, scored, exempt_threshold,
                           max_duplicate_share)
    decided = (ordered_pairs(decisions[["record_id_l", "record_id_r"]])
               if decisions is not None and len(decisions) else None)
    out = weigh_rivals(ids, codes, scored, threshold, decided)
    # ordered_pairs dropped self-pairs only (they keep their own probability);
    # align back with the input's rows.
    result: NDArray[np.float64] = pairs["match_probability"].to_numpy(dtype=np.float64).copy()
    result[pairs["record_id_l"].astype(str).to_numpy()
           != pairs["record_id_r"].astype(str).to_numpy()] = out
    return result


def draw_weights(probability: ArrayLike, weighed: ArrayLike,
                 calibration: Calibration) -> NDArray[np.float64]:
    """The probability each pair enters the draws with (their ``calibrated`` column).

    Calibration maps the probability the clustering weighed (rivals included,
    :func:`weighed_probabilities`) to the share found "same". The draws must
    not weigh the rivals a second time: a partition holds a record with at
    most one record of another list, so drawn from the model's own odds a
    record with rivals is already with each of them only as often as the
    rivals rule says (for a record and its rivals alone, exactly
    o / (1 + o + R)). So each pair keeps the model's log-odds, moved by what
    calibration does at the probability the clustering weighed:
    logit(q) = logit(p) + logit(cal(p')) - logit(p'). A pair without rivals
    gets cal(p), as before.
    """
    p = np.asarray(probability, dtype=np.float64)
    w = np.asarray(weighed, dtype=np.float64)
    shift = logit(calibration.apply(w)) - logit(w)
    return expit(logit(p) + shift)


def fit_offset(
    measure: Callable[[float], float], target: float, low: float = -4.0, high: float = 6.0,
    steps: int = 8,
) -> float:
    """The offset at which ``measure(offset)`` (increasing in it) meets ``target``.

    Bisection over [low, high]; the ends are returned when the target lies
    beyond them. Used to centre the draws: on the share of decided pairs put
    together (it must equal the share decided "same"), or, with no decided
    pairs, on the number of persons (it must equal the run's own).
    """
    if measure(low) >= target:
        return low
    if measure(high) <= target:
        return high
    for _ in range(steps):
        middle = (low + high) / 2
        if measure(middle) < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2
