"""Other clusterings of the same pair scores, on SYNTHETIC lists with known truth.

``study_ceiling.py --save RUN --write DIR`` writes every pair of a saved run that can
link (down to probability 0.005 under any of its weights: the model's ``w_model``, oracle
m ``w_oracle``, oracle m and the true prior ``w_prior``) and the records' features. This
script clusters those pairs in other ways than the project's single link with its rules
(:func:`dadkhahi.linkage.clusters.cluster_with_chain_check`) and scores each against the
truth, so the ceiling of the clustering, not only of the weights, is measured:

* ``project``: the project's clustering at 0.05 (the reference line);
* ``cc``: correlation clustering on the pair log-odds, by local moves. A partition is
  worth the sum, over the pairs it puts in one person, of the pair's weight (bits of
  posterior odds) plus ``offset``; a pair not among the written ones counts ``missing``
  bits; two records of one list count as a pair only when linked at ``dup`` or more, else
  they cannot be one person (a list names a person once, save for its rare duplicates).
  Rounds of two vectorised steps until neither finds a gain: every two persons whose
  cross pairs gain merge, and every record moves to the neighbouring person (or alone)
  that gains most; each person takes part in one merge or move per round, so each gain
  is exact. Started from every record alone (``cc``) or from the project's partition at
  ``--start`` (``cc-from-project``; ``merges-from-project`` and ``moves-from-project``
  take one of the two steps only);
* ``avg``: the merges alone, two persons merging when the mean of their cross pairs
  (missing ones included) reaches ``offset`` bits: average link;
* ``pivot``: KwikCluster (Ailon, Charikar and Newman 2008) in a fixed order (records by
  their strongest link, then position): a pivot takes every unassigned record linked
  to it above ``-offset`` bits and of a list the cluster lacks;
* ``matched``: a greedy one-to-one matching between every two lists, then the project's
  clustering of the matched pairs;
* ``oracle-edges``: the truth's own clustering of the pairs at a cut (each person joined
  through its true pairs only): what deciding every given pair right would reach.

``--rivals`` weighs the pairs at 0.05 or more against their rivals first, as the project
does (:func:`dadkhahi.linkage.clusters.rival_adjusted`). ``--run DIR --people N`` reads a
saved ``bench_dadkhahi.py --save DIR`` run instead (its pairs kept at 0.05 or more, the
model's weights only).

Every tie is broken on positions (records in record-id order), never at random. Every
person here is invented.

    .venv/bin/python benchmarks/linkage/study_ceiling.py --save RUN --people 161700 \\
        --chunks 8 --write DIR
    .venv/bin/python benchmarks/linkage/study_clustering.py --dir DIR --rivals \\
        --method project --method cc --offset 4 --missing -2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics import score
from study_merges import features_of, load

from dadkhahi.linkage.clusters import (
    DEFAULT_THRESHOLD,
    cluster_with_chain_check,
    rival_adjusted,
)
from dadkhahi.linkage.run import probability_from_weight

#: Bits a pair of one list weighs when it is not linked at the duplicate level: never.
FORBIDDEN = -1e6


def _bits(p: float) -> float:
    return float(np.log2(p / (1 - p)))


class Graph:
    """Pairs as integer arrays in both directions, with each pair's value in bits."""

    def __init__(self, n: int, lists: np.ndarray, left: np.ndarray, right: np.ndarray,
                 weight: np.ndarray, offset: float, missing: float, dup: float) -> None:
        self.n = n
        self.lists = lists
        self.n_lists = int(lists.max()) + 1
        self.missing = missing
        same = lists[left] == lists[right]
        value = weight + offset
        value = np.where(same & (weight < _bits(dup)), FORBIDDEN, value)
        # A pair's value over what it would count if it were missing (the default of
        # its kind), so a person's sum is the defaults by counts plus these excesses.
        default = np.where(same, FORBIDDEN, missing)
        excess = value - default
        self.x = np.concatenate([left, right]).astype(np.int64)
        self.y = np.concatenate([right, left]).astype(np.int64)
        self.excess = np.concatenate([excess, excess])
        self.value = np.concatenate([value, value])

    def objective(self, c: np.ndarray) -> float:
        """The partition's worth in bits (each pair once)."""
        inside = c[self.x] == c[self.y]
        sizes = np.bincount(c)
        per_list = np.bincount(c * self.n_lists + self.lists, minlength=(c.max() + 1)
                               * self.n_lists).reshape(-1, self.n_lists)
        pairs = (sizes * (sizes - 1) // 2).sum()
        same = (per_list * (per_list - 1) // 2).sum()
        total = self.missing * (pairs - same) + FORBIDDEN * same
        return float(total + self.excess[inside].sum() / 2)


def _compact(c: np.ndarray) -> np.ndarray:
    return np.unique(c, return_inverse=True)[1].astype(np.int64)


def _counts(g: Graph, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = int(c.max()) + 1
    sizes = np.bincount(c, minlength=k)
    per_list = np.bincount(c * g.n_lists + g.lists, minlength=k * g.n_lists).reshape(k, -1)
    return sizes, per_list


def move_round(g: Graph, c: np.ndarray) -> tuple[np.ndarray, int, float]:
    """Every record to the person that gains most; one move per person per round."""
    sizes, per_list = _counts(g, c)
    own = c[g.x] == c[g.y]
    # What the record holds to its own person (itself left out).
    own_excess = np.bincount(g.x[own], weights=g.excess[own], minlength=g.n)
    same_own = per_list[c, g.lists] - 1
    s_own = own_excess + g.missing * (sizes[c] - 1 - same_own) + FORBIDDEN * same_own
    # What it would hold to each neighbouring person.
    k = int(c.max()) + 1
    cross = ~own
    key = g.x[cross] * k + c[g.y[cross]]
    keys, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, weights=g.excess[cross])
    x, target = keys // k, keys % k
    same_t = per_list[target, g.lists[x]]
    s_to = summed + g.missing * (sizes[target] - same_t) + FORBIDDEN * same_t
    gain = s_to - s_own[x]
    # Alone: a person of its own.
    alone = np.flatnonzero((sizes[c] > 1) & (-s_own > 1e-9))
    x = np.concatenate([x, alone])
    target = np.concatenate([target, np.full(len(alone), -1)])
    gain = np.concatenate([gain, -s_own[alone]])
    ok = gain > 1e-9
    x, target, gain = x[ok], target[ok], gain[ok]
    if not len(x):
        return c, 0, 0.0
    order = np.lexsort((target, x, -gain))
    x, target, gain = x[order], target[order], gain[order]
    first = np.unique(x, return_index=True)[1]
    first.sort()
    x, target, gain = x[first], target[first], gain[first]
    out = c.copy()
    used: set[int] = set()
    fresh = k
    moved, total = 0, 0.0
    for xi, ti, gi in zip(x.tolist(), target.tolist(), gain.tolist(), strict=True):
        src = int(c[xi])
        if src in used or (ti >= 0 and ti in used):
            continue
        used.add(src)
        if ti >= 0:
            used.add(ti)
            out[xi] = ti
        else:
            out[xi] = fresh
            fresh += 1
        moved += 1
        total += gi
    return _compact(out), moved, total


def merge_round(g: Graph, c: np.ndarray, mean: float | None = None) -> tuple[np.ndarray, int]:
    """Merge every two persons whose cross pairs gain (or, with ``mean``, whose cross
    pairs average ``mean`` bits or more); one merge per person per round."""
    sizes, per_list = _counts(g, c)
    k = len(sizes)
    a, b = c[g.x], c[g.y]
    cross = a < b
    key = a[cross] * k + b[cross]
    keys, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, weights=g.excess[cross])
    ca, cb = keys // k, keys % k
    same = (per_list[ca] * per_list[cb]).sum(axis=1)
    across = sizes[ca] * sizes[cb]
    total = summed + g.missing * (across - same) + FORBIDDEN * same
    if mean is None:
        gain = total
        ok = gain > 1e-9
    else:
        gain = np.where(same > 0, FORBIDDEN, total / across)
        ok = gain >= mean
    ca, cb, gain = ca[ok], cb[ok], gain[ok]
    if not len(ca):
        return c, 0
    order = np.lexsort((cb, ca, -gain))
    target = np.arange(k)
    used = np.zeros(k, dtype=bool)
    merged = 0
    for i in order.tolist():
        p, q = int(ca[i]), int(cb[i])
        if used[p] or used[q]:
            continue
        used[p] = used[q] = True
        target[q] = p
        merged += 1
    return _compact(target[c]), merged


def local_search(g: Graph, c: np.ndarray, mean: float | None = None, rounds: int = 200,
                 moves: bool = True, merges: bool = True) -> tuple[np.ndarray, int]:
    """Merge and move rounds until neither changes anything."""
    c = _compact(c)
    for r in range(rounds):
        merged = moved = 0
        if merges:
            c, merged = merge_round(g, c, mean)
        if moves:
            c, moved, _ = move_round(g, c)
        if not merged and not moved:
            return c, r + 1
    return c, rounds


def pivot(g: Graph, offset_cut: float = 0.0) -> np.ndarray:
    """KwikCluster in a fixed order: strongest link first, then position."""
    positive = g.value > offset_cut
    x, y, v = g.x[positive], g.y[positive], g.value[positive]
    order = np.lexsort((y, -v, x))  # per record: strongest first, then position
    x, y = x[order], y[order]
    start = np.searchsorted(x, np.arange(g.n + 1))
    best = np.full(g.n, -np.inf)
    np.maximum.at(best, g.x, g.value)
    sequence = np.lexsort((np.arange(g.n), -best))
    c = np.full(g.n, -1, dtype=np.int64)
    lists = g.lists
    label = 0
    for p in sequence.tolist():
        if c[p] >= 0:
            continue
        c[p] = label
        taken = {int(lists[p])}
        for q in y[start[p]:start[p + 1]].tolist():
            if c[q] < 0 and int(lists[q]) not in taken:
                c[q] = label
                taken.add(int(lists[q]))
        label += 1
    return c


def oracle_edges(n: int, left: np.ndarray, right: np.ndarray, is_true: np.ndarray,
                 weight: np.ndarray, cut: float) -> np.ndarray:
    """The truth's own clustering of the pairs at ``cut`` or more: each person's records
    joined through its true pairs alone (no false merge; a person whose records no
    chain of true pairs at the cut joins stays split). What a clustering that decided
    every pair right, and linked only through pairs it was given, would reach."""
    keep = is_true & (weight >= _bits(cut))
    graph = coo_matrix((np.ones(int(keep.sum())), (left[keep], right[keep])), shape=(n, n))
    return np.asarray(connected_components(graph, directed=False)[1], dtype=np.int64)


def greedy_matching(left: np.ndarray, right: np.ndarray, lists: np.ndarray,
                    weight: np.ndarray) -> np.ndarray:
    """Which pairs a greedy one-to-one matching between each two lists keeps (strongest
    first, ties on positions): a record keeps at most one partner on each other list.
    Pairs within one list are all kept."""
    cross = lists[left] != lists[right]
    keep = ~cross
    order = np.lexsort((right, left, -weight))
    taken: set[tuple[int, int]] = set()
    for i in order[cross[order]].tolist():
        a, b = int(left[i]), int(right[i])
        ka, kb = (a, int(lists[b])), (b, int(lists[a]))
        if ka in taken or kb in taken:
            continue
        taken.add(ka)
        taken.add(kb)
        keep[i] = True
    return keep


def report(label: str, c: np.ndarray, features: pd.DataFrame, tick: float,
           extra: str = "") -> None:
    """Score a partition (positions) against the truth and print one line."""
    clusters = pd.DataFrame({"record_id": features["record_id"].to_numpy(),
                             "person_id": c})
    s = score(features[["record_id", "true_person_id"]], clusters,
              lists=features[["record_id", "source_id"]])
    print(f"  {label:<46} P {s.pairwise_precision:.4f} R {s.pairwise_recall:.4f} "
          f"F1 {s.pairwise_f1:.4f} B3 F1 {s.bcubed_f1:.4f} persons "
          f"{100 * s.people_error:+.2f}% CHE {s.capture_history_error:.4f} "
          f"({time.process_time() - tick:.1f} s CPU{extra})", flush=True)


def project(pairs: pd.DataFrame, weight: np.ndarray, features: pd.DataFrame,
            threshold: float) -> np.ndarray:
    """The project's clustering of the pairs (positions in, labels per position out)."""
    keep = weight >= _bits(threshold * 0.99)
    ids = features["record_id"].to_numpy()
    scored = pd.DataFrame({"record_id_l": ids[pairs["pos_l"].to_numpy()[keep]],
                           "record_id_r": ids[pairs["pos_r"].to_numpy()[keep]],
                           "match_weight": weight[keep]})
    scored["match_probability"] = probability_from_weight(scored["match_weight"])
    clustering, _, _ = cluster_with_chain_check(
        features["record_id"], scored, threshold, None, features,
        sources=features["source_id"])
    label = clustering.clusters.set_index("record_id")["cluster_id"]
    return pd.factorize(label.loc[features["record_id"].astype(str)].to_numpy())[0]


def from_run(save: Path, people: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A saved run's kept pairs (positions, truth, ``w_model``) and its features."""
    records, kept, _ = load(save, people)
    features = features_of(records).reset_index(drop=True)
    truth = records.set_index(records["record_id"].astype(str))["true_person_id"]
    features["true_person_id"] = truth.loc[features["record_id"]].to_numpy()
    index = pd.Index(features["record_id"].astype(str))
    left = index.get_indexer(pd.Index(kept["record_id_l"].astype(str)))
    right = index.get_indexer(pd.Index(kept["record_id_r"].astype(str)))
    person = features["true_person_id"].to_numpy()
    pairs = pd.DataFrame({"pos_l": np.minimum(left, right), "pos_r": np.maximum(left, right),
                          "is_true": person[left] == person[right],
                          "w_model": kept["match_weight"].to_numpy(np.float64)})
    return pairs, features


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="study_ceiling.py --write DIR")
    parser.add_argument("--run", type=Path, default=None,
                        help="instead, a saved run (bench_dadkhahi.py --save DIR): its pairs "
                             "kept at 0.05 or more, the model's weights only")
    parser.add_argument("--people", type=int, default=None, help="the saved run's population")
    parser.add_argument("--weight", action="append", default=None,
                        help="w_model, w_oracle, w_prior (repeatable; all three if none)")
    parser.add_argument("--method", action="append", default=None,
                        help="project, cc, cc-from-project, avg, pivot (repeatable)")
    parser.add_argument("--offset", type=float, action="append", default=None,
                        help="bits added to every pair's weight (repeatable; 0 if none)")
    parser.add_argument("--missing", type=float, action="append", default=None,
                        help="bits a pair not written counts (repeatable; -8 if none)")
    parser.add_argument("--dup", type=float, default=0.9,
                        help="probability at which two records of one list may be one person")
    parser.add_argument("--start", type=float, default=DEFAULT_THRESHOLD,
                        help="the threshold of the project's partition the *-from-project "
                             "methods start from")
    parser.add_argument("--rivals", action="store_true",
                        help="weigh the pairs at 0.05 or more against their rivals first "
                             "(clusters.rival_adjusted), as the project's clustering does")
    args = parser.parse_args(argv)
    tick = time.process_time()
    if args.run is not None:
        pairs, features = from_run(args.run, args.people)
    else:
        pairs = pd.read_parquet(args.dir / "pairs.parquet")
        features = pd.read_pickle(args.dir / "features.pkl")
    lists = pd.factorize(features["source_id"].astype(str))[0].astype(np.int64)
    left = pairs["pos_l"].to_numpy(np.int64)
    right = pairs["pos_r"].to_numpy(np.int64)
    print(f"{len(features):,} records, {len(pairs):,} pairs "
          f"({time.process_time() - tick:.1f} s CPU)", flush=True)
    for column in args.weight or ["w_model", "w_oracle", "w_prior"]:
        weight = np.round(pairs[column].to_numpy(np.float64), 6)
        print(f"{column}:", flush=True)
        cc_weight = weight
        if args.rivals:
            p = probability_from_weight(weight)
            edge = p >= DEFAULT_THRESHOLD
            p[edge] = rival_adjusted(left[edge], right[edge], lists, p[edge])
            with np.errstate(divide="ignore"):
                cc_weight = np.maximum(np.log2(p / (1 - p)), -60.0)
        base: np.ndarray | None = None
        start_base: np.ndarray | None = None
        for method in args.method or ["project", "cc-from-project", "cc", "avg", "pivot"]:
            if method == "oracle-edges":
                for cut in (0.5, 0.2, DEFAULT_THRESHOLD, 0.01, 0.005):
                    t0 = time.process_time()
                    c = oracle_edges(len(features), left, right,
                                     pairs["is_true"].to_numpy(bool), weight, cut)
                    report(f"truth's clustering of the pairs at {cut}", c, features, t0)
                continue
            if method == "matched":
                t0 = time.process_time()
                kept = greedy_matching(left, right, lists, weight)
                c = project(pairs[kept], weight[kept], features, DEFAULT_THRESHOLD)
                report(f"one-to-one per two lists, then project ({int(kept.sum()):,})", c,
                       features, t0)
                continue
            if method == "project":
                t0 = time.process_time()
                base = project(pairs, weight, features, DEFAULT_THRESHOLD)
                report(f"project at {DEFAULT_THRESHOLD}", base, features, t0)
                if args.start == DEFAULT_THRESHOLD:
                    start_base = base
                continue
            for offset in args.offset or [0.0]:
                for missing in args.missing or [-8.0]:
                    t0 = time.process_time()
                    g = Graph(len(features), lists, left, right, cc_weight, offset, missing,
                              args.dup)
                    name = f"{method} offset {offset:+g} missing {missing:g}"
                    if method == "pivot":
                        c = pivot(g)
                        report(name, c, features, t0, f", worth {g.objective(c):.0f}")
                        continue
                    if method.endswith("-from-project"):
                        if start_base is None:
                            start_base = project(pairs, weight, features, args.start)
                            t0 = time.process_time()
                        start = start_base
                        mean = None
                    elif method == "cc":
                        start, mean = np.arange(len(features)), None
                    else:  # avg: merges only, on the mean of the cross pairs
                        start, mean = np.arange(len(features)), offset
                        g = Graph(len(features), lists, left, right, cc_weight, 0.0,
                                  missing, args.dup)
                    c, rounds = local_search(g, start, mean,
                                             moves=method not in ("avg", "merges-from-project"),
                                             merges=method != "moves-from-project")
                    report(name, c, features, t0,
                           f", {rounds} rounds, worth {g.objective(c):.0f}")
    print(f"study: {time.process_time() - tick:.0f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
