"""Cluster scored pairs into persons, with human decisions overriding the model.

Clustering is done here rather than by Splink so that human decisions are hard
constraints and the result is the same on every backend and every re-run:

1. Edges are the pairs at or above the threshold plus every pair a person
   labelled "same"; pairs labelled "different" are never edges.
2. Connected components of that graph (SciPy, vectorised) are the clusters,
   unless a component is *conflicted*: it holds a pair labelled "different", or
   (when sources are given) two records of the same list. A list names a person
   once, save for rare duplicates, so two of its records in one cluster usually
   mean two people chained together through look-alikes. A list is held to this
   only while its duplicates are rare: when more than ``max_duplicate_share`` of
   its records link at ``exempt_threshold`` to another record of the same list
   (a compilation that repeats people, or a file to deduplicate), the data show
   that the list does not name a person once, and its records cluster like
   records of different lists (:func:`duplicate_lists`), save that two of them
   link directly only at ``deduplicating_threshold``. Two records of any other
   list link directly only at ``duplicate_threshold``.
3. A conflicted component is rebuilt greedily: its edges are taken strongest
   first (human "same", then descending probability, then record ids) and an
   edge is skipped when it would join groups that a "different" label keeps
   apart, or that hold two records of one list unless those two are themselves
   linked at ``duplicate_threshold`` or labelled "same" (a duplicate within the
   list). Only conflicted components pay for this Python loop.
4. Before any of this, when sources are given, a link between two lists is weighed
   against its rivals (:func:`rival_adjusted`): a list names a person once, so a
   record linked to several records of one other list can be at most one of them.
5. A cluster's id is its smallest record id, so ids stay put across re-runs while
   membership does not change.

Must-links that contradict cannot-links (A=B, B=C, A≠C) cannot all hold; the
"same" edge that would break a "different" label is skipped and reported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

_HUMAN_SAME = 2.0  # sorts human "same" edges before any model probability


@dataclass(frozen=True)
class Clustering:
    """Cluster of every record plus the human "same" labels that could not hold."""

    clusters: pd.DataFrame  # record_id, cluster_id
    conflicts: pd.DataFrame  # record_id_l, record_id_r: "same" labels left unmet
    # Lists too full of duplicates for the one-record-per-list rule (see above).
    duplicate_lists: tuple[str, ...] = ()
    # The model links the clustering weighed (record_id_l, record_id_r,
    # match_probability), after rival adjustment; None when it took the pairs as given.
    links: pd.DataFrame | None = None


def ordered_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Pairs with the smaller id on the left, self-pairs removed."""
    left = frame["record_id_l"].astype(str)
    right = frame["record_id_r"].astype(str)
    swap = left > right
    out = pd.DataFrame(
        {"record_id_l": left.where(~swap, right), "record_id_r": right.where(~swap, left)}
    )
    for column in frame.columns.difference(["record_id_l", "record_id_r"]):
        out[column] = frame[column].to_numpy()
    return out[out["record_id_l"] != out["record_id_r"]]


def _list_codes(
    index: pd.Index,
    codes: np.ndarray,
    names: np.ndarray,
    scored: pd.DataFrame,
    exempt_threshold: float,
    max_duplicate_share: float,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """List code per record for the one-record-per-list rule, and the exempt lists.

    A list's duplicate share is the fraction of its records linked at
    ``exempt_threshold`` to another record of the same list. Each record of a
    list whose share exceeds ``max_duplicate_share`` gets a code of its own, so
    the rule never fires for it.
    """
    strong = scored[scored["match_probability"] >= exempt_threshold]
    left = index.get_indexer(pd.Index(strong["record_id_l"]))
    right = index.get_indexer(pd.Index(strong["record_id_r"]))
    known = (left >= 0) & (right >= 0)
    left, right = left[known], right[known]
    within = codes[left] == codes[right]
    with_duplicate = np.zeros(len(codes), dtype=bool)
    with_duplicate[left[within]] = True
    with_duplicate[right[within]] = True
    sizes = np.bincount(codes, minlength=len(names))
    share = np.bincount(codes, weights=with_duplicate, minlength=len(names)) / np.maximum(sizes, 1)
    exempt = share > max_duplicate_share
    if not exempt.any():
        return codes, ()
    codes = codes.copy()
    free = exempt[codes]
    codes[free] = len(names) + np.arange(int(free.sum()))
    return codes, tuple(sorted(str(n) for n in names[exempt]))


class _Groups:
    """Union-find that refuses merges breaking "keep apart" or one-per-list rules."""

    def __init__(
        self,
        members: list[int],
        source: dict[int, int] | None,
        apart: list[tuple[int, int]],
        allowed: set[tuple[int, int]],
        links: dict[int, set[int]] | None = None,
        min_density: float = 0.0,
    ) -> None:
        self.links = links or {}
        self.min_density = min_density
        self.parent = {m: m for m in members}
        self.members = {m: [m] for m in members}
        self.by_source = {m: {source[m]: [m]} for m in members} if source is not None else None
        self.apart: dict[int, set[int]] = defaultdict(set)
        for a, b in apart:
            self.apart[a].add(b)
            self.apart[b].add(a)
        self.allowed = allowed

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def _same_list_ok(self, ra: int, rb: int) -> bool:
        if self.by_source is None:
            return True
        small, large = sorted((self.by_source[ra], self.by_source[rb]), key=len)
        for src, records in small.items():
            for a in records:
                for b in large.get(src, ()):
                    if (min(a, b), max(a, b)) not in self.allowed:
                        return False
        return True

    def _dense_enough(self, ra: int, rb: int) -> bool:
        """Are at least ``min_density`` of the record pairs across the two groups linked?"""
        small, large = sorted((self.members[ra], self.members[rb]), key=len)
        inside = set(large)
        across = sum(len(self.links.get(x, set()) & inside) for x in small)
        return across >= self.min_density * len(small) * len(large)

    def union(self, a: int, b: int, weak: bool = False) -> bool:
        """Join the groups of a and b unless a rule forbids it.

        ``weak``: the link is below the bridge level, so the groups must also be
        linked densely enough (:data:`BRIDGE_DENSITY`).
        """
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if rb in self.apart.get(ra, ()) or not self._same_list_ok(ra, rb):
            return False
        if weak and not self._dense_enough(ra, rb):
            return False
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra  # merge the smaller group into the larger
        self.parent[rb] = ra
        self.members[ra] += self.members.pop(rb)
        if self.by_source is not None:
            for src, records in self.by_source.pop(rb).items():
                self.by_source[ra].setdefault(src, []).extend(records)
        gone = self.apart.pop(rb, set())
        if gone:
            self.apart[ra] |= gone
            for other in gone:  # re-point constraints at the surviving root
                self.apart[other].discard(rb)
                self.apart[other].add(ra)
        return True


#: A pair links at this match probability when its cluster stays list-consistent:
#: the model alone cannot know that a list names a person once, the clustering does,
#: so links are accepted lower than a pairwise 50/50. Chosen on the synthetic
#: benchmark (benchmarks/linkage/bench_dadkhahi.py --threshold T). `link run`, the
#: API and the demo all use it unless told otherwise. Lowered from 0.1 once the prior
#: came from the blocking rules (stop 24): at 0.05 the count of persons is closer to
#: the truth at 2,000, 4,000 and 40,000 people (40k: +8.25% -> +2.89%; 4k: P 0.9501
#: R 0.9280 against P 0.9626 R 0.9160; benchmarks/linkage/recluster.py).
DEFAULT_THRESHOLD = 0.05
#: Probability at which two records of one list count as the same person's duplicates.
#: Higher than a pair of two lists needs: a list rarely names one person twice, so the
#: prior odds that two of its records are one person are far lower (on the SYNTHETIC
#: namesake lists about 13 times lower, 3.7 bits: a pair at even odds across lists is
#: at 0.93 within one). Raising it from 0.5 to 0.9 took pairwise precision from 0.944
#: to 0.955 at recall 0.926 to 0.921 with the bridge rule (bench_common_names, 4,000).
#: Not for an exempt list (:data:`DEDUPLICATING_THRESHOLD`).
DUPLICATE_THRESHOLD = 0.9
#: Probability at which two records of an exempt list (a list being deduplicated, known
#: to name people more than once: the prior counts its pairs in full) link directly. Not
#: :data:`DUPLICATE_THRESHOLD`: such a list's duplicates are not rare. Not the run's
#: threshold either: links are accepted below a pairwise 50/50 because the one-record-
#: per-list and rivals rules stand behind them, and neither holds inside an exempt list.
#: FEBRL3 (one list of 5,000 records, 2,000 people) at the default threshold 0.05:
#: P 0.9972 R 0.9251 F1 0.9598 at 0.5, P 0.9816 R 0.9315 F1 0.9559 at the threshold,
#: P 0.9980 R 0.9186 F1 0.9567 at 0.9 (benchmarks/linkage/README.md).
DEDUPLICATING_THRESHOLD = 0.5
#: Share of a list's records with a near-certain duplicate above which it is exempt.
MAX_DUPLICATE_SHARE = 0.2
#: What counts as a near-certain duplicate for that share. Namesakes (same common
#: name, prison and month) reach 0.5 ever more often as lists grow: at 185,000
#: synthetic records 15% of one list had such a partner, almost all of them other
#: people, while pairs at 0.99 stayed at 1-3% (benchmarks/linkage, README). So the
#: exemption asks for near-certainty, or large lists would lose the rule they need most.
EXEMPT_THRESHOLD = 0.99
#: A link below this probability joins two groups of records only when the groups
#: are linked densely (:data:`BRIDGE_DENSITY`); 0 turns the rule off. A false merge of
#: namesakes is most often one weak link between two people's records (at 4,000
#: SYNTHETIC namesake people: 157 wrongly merged clusters, 140 of them two people,
#: 216 of 502 wrong pairs joined only through other records, most direct wrong links
#: below 0.9), while a record of a person resembles most of that person's records.
BRIDGE_BELOW = 0.5
#: Share of the record pairs across two groups that must be linked for a weak link
#: to join them.
BRIDGE_DENSITY = 0.5
#: A record left alone by the rules joins the person of a duplicate of its own list
#: linked at this probability (below :data:`DUPLICATE_THRESHOLD`), when it is also linked
#: to :data:`LONE_DUPLICATE_SUPPORT` of that person's other records. The one-record-per-
#: list rule is there to stop chains of look-alikes: a record with a rival home (a group
#: of its own) stays apart, but a record left alone has no rival, and links to the same
#: person's records on other lists are evidence the within-list link alone is not. On
#: the SYNTHETIC namesake lists at 4,000 people (five draws, recluster-style on saved
#: pairs: benchmarks/linkage/README.md, stop 33) 0.6 raised recall by 0.0020-0.0039 for
#: 0.0003-0.0012 of precision; every such pair below 0.9 joined directly would cost far
#: more (P 0.935 at the threshold, 0.950 at 0.5: stop 32).
LONE_DUPLICATE_THRESHOLD = 0.6
#: Share of the person's other records a lone record must be linked to (at the
#: threshold) to join it through a duplicate of its own list.
LONE_DUPLICATE_SUPPORT = 0.5
#: Decimals (of a bit) kept of a rival-adjusted match weight: the rivals' odds are summed
#: in a fixed order, and rounding keeps the last bits of that sum from moving a pair
#: across a threshold (as :data:`dadkhahi.linkage.run.WEIGHT_DECIMALS` does for weights).
RIVAL_WEIGHT_DECIMALS = 6


def rival_adjusted(
    left: np.ndarray, right: np.ndarray, lists: np.ndarray, probability: np.ndarray
) -> np.ndarray:
    """Match probabilities of links between two lists, weighed against their rivals.

    A list names a person once, so if record *a* is linked to several records of
    list L, at most one of them is *a*'s person. The model scores each pair alone
    and cannot know that; with odds o = p / (1 - p), a link a-b between two lists
    is given the odds of being the one among its rivals,
    o_ab / (1 + R) with R the summed odds of the other links of *a* to records of
    b's list or of *b* to records of a's list (the larger of the two sums), so
    p' = o_ab / (1 + o_ab + R). A link with no rival keeps its probability; two
    records of one list keep theirs. Among namesakes this is what separates: on the
    SYNTHETIC namesake lists at 40,000 people links at 0.5-0.9 with no rival were
    right 94% of the time, with two or more rivals 66% (at 4,000 people: 99% and
    74%; benchmarks/linkage/study_merges.py).

    ``left``, ``right``: positions of each pair's records in ``lists`` (each
    record's list code). Returns the adjusted probabilities, aligned with the input.
    """
    p = np.clip(np.asarray(probability, dtype="float64"), 0.0, 1.0 - 1e-15)
    odds = p / (1.0 - p)
    cross = lists[left] != lists[right]
    n_lists = int(lists.max()) + 1 if len(lists) else 1
    # Each cross-list link counts for both of its records, towards the other's list.
    x = np.concatenate([left[cross], right[cross]]).astype(np.int64)
    towards = np.concatenate([lists[right[cross]], lists[left[cross]]]).astype(np.int64)
    key = x * n_lists + towards
    values = np.concatenate([odds[cross], odds[cross]])
    # Summed in the order of (key, value): the same on every run and in every home.
    order = np.lexsort((values, key))
    groups, inverse = np.unique(key[order], return_inverse=True)
    total = np.bincount(inverse, weights=values[order], minlength=len(groups))
    left_key = left.astype(np.int64) * n_lists + lists[right]
    right_key = right.astype(np.int64) * n_lists + lists[left]
    rival_l = total[np.searchsorted(groups, left_key[cross])] - odds[cross]
    rival_r = total[np.searchsorted(groups, right_key[cross])] - odds[cross]
    rivals = np.maximum(np.maximum(rival_l, rival_r), 0.0)
    adjusted = odds[cross] / (1.0 + odds[cross] + rivals)
    # Rounded as a weight (bits), as the run rounds the model's weights.
    with np.errstate(divide="ignore"):
        weight = np.round(np.log2(adjusted / (1.0 - adjusted)), RIVAL_WEIGHT_DECIMALS)
    out = np.asarray(probability, dtype="float64").copy()
    out[cross] = 1.0 / (1.0 + np.exp2(-weight))
    return out


def _join_lone_duplicates(
    component: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    weight: np.ndarray,
    codes: np.ndarray,
    apart_l: np.ndarray,
    apart_r: np.ndarray,
    level: float,
    support: float,
    threshold: float,
) -> np.ndarray:
    """Move each record left alone into its duplicate's person (:data:`LONE_DUPLICATE_THRESHOLD`).

    ``left``, ``right``, ``weight``: every edge the clustering weighed (positions,
    probability), within-list ones included; ``codes``: list code per record (an
    exempt list's records have codes of their own, so the rule never reaches them);
    ``apart_l``, ``apart_r``: pairs labelled "different". A record x alone joins the
    cluster C of a record y of its own list linked at ``level`` or more when x is
    linked at ``threshold`` to at least ``support`` of C's other records and to none
    of C's records labelled "different"; the strongest such y first (then the lowest
    positions), and a cluster takes one lone record. Returns the new component labels.
    """
    sizes = np.bincount(component)
    both = np.concatenate([left, right]), np.concatenate([right, left])
    w = np.concatenate([weight, weight])
    x, y = both
    # Candidate joins: x alone, y in a cluster of two or more, same (non-exempt) list.
    cand = (sizes[component[x]] == 1) & (sizes[component[y]] >= 2) \
        & (codes[x] == codes[y]) & (w >= level)
    if not cand.any():
        return component
    joins = pd.DataFrame({"x": x[cand], "y": y[cand], "w": w[cand],
                          "c": component[y[cand]]})
    # x's links to the other records of C.
    linked = pd.DataFrame({"x": x, "m": y, "w": w, "c": component[y]})
    linked = linked[(linked["w"] >= threshold) & linked["x"].isin(joins["x"])]
    counted = joins.merge(linked[["x", "m", "c"]], on=["x", "c"], how="left")
    counted = counted[counted["m"].notna() & (counted["m"] != counted["y"])]
    support_n = counted.groupby(["x", "y"]).size().rename("n").reset_index()
    joins = joins.merge(support_n, on=["x", "y"], how="left").fillna({"n": 0})
    joins = joins[joins["n"] >= support * (sizes[joins["c"].to_numpy()] - 1)]
    if len(apart_l):
        pairs = pd.DataFrame({"x": np.concatenate([apart_l, apart_r]),
                              "c": component[np.concatenate([apart_r, apart_l])]})
        barred = pd.MultiIndex.from_frame(pairs)
        joins = joins[~pd.MultiIndex.from_frame(joins[["x", "c"]]).isin(barred)]
    # Strongest first, ties on positions (the same in every home): one home per lone
    # record, one lone record per cluster.
    joins = joins.sort_values(["w", "x", "y"], ascending=[False, True, True], kind="stable")
    joins = joins.drop_duplicates("x").drop_duplicates("c")
    out = component.copy()
    out[joins["x"].to_numpy()] = joins["c"].to_numpy()
    return out


def duplicate_lists(
    record_ids: pd.Series,
    sources: pd.Series,
    pairs: pd.DataFrame,
    max_duplicate_share: float = MAX_DUPLICATE_SHARE,
    exempt_threshold: float = EXEMPT_THRESHOLD,
) -> tuple[str, ...]:
    """The lists :func:`cluster_pairs` exempts as full of duplicates, sorted.

    A list is exempt when more than ``max_duplicate_share`` of its records link at
    ``exempt_threshold`` to another record of it (:func:`_list_codes`).
    :func:`dadkhahi.linkage.run.link` asks before it settles the prior, which counts
    an exempt list's pairs in full. ``sources`` is aligned with ``record_ids``;
    ``pairs`` has ``record_id_l``, ``record_id_r``, ``match_probability``.
    """
    ids_in = record_ids.astype(str).to_numpy()
    order = np.argsort(ids_in, kind="stable")
    codes, names = pd.factorize(sources.astype(str).to_numpy()[order])
    scored = ordered_pairs(pairs[["record_id_l", "record_id_r", "match_probability"]])
    return _list_codes(pd.Index(ids_in[order]), codes, names, scored, exempt_threshold,
                       max_duplicate_share)[1]


def weigh_rivals(
    index: pd.Index,
    codes: np.ndarray,
    scored: pd.DataFrame,
    threshold: float,
    decided: pd.DataFrame | None = None,
) -> np.ndarray:
    """The probability the clustering weighs each pair at: the rivals rule, chosen once.

    Which links are weighed against their rivals, and so which links are each other's
    rivals: the undecided ones (no pair of ``decided``) at ``threshold`` or more
    between two records of ``index``; each gets :func:`rival_adjusted`'s probability,
    every other pair keeps the model's. :func:`cluster_pairs` links on these
    probabilities and :func:`dadkhahi.linkage.draws.weighed_probabilities` calibrates
    on them, so the two cannot weigh a link differently.

    ``index``: the record ids, sorted; ``codes``: each record's list code
    (:func:`_list_codes`: an exempt list's records have codes of their own, so no
    rivals); ``scored``: :func:`ordered_pairs` with ``match_probability``;
    ``decided``: ordered pairs a person (or the chain check) decided. Returns the
    probabilities, aligned with ``scored``.
    """
    prob = scored["match_probability"].to_numpy(dtype=np.float64)
    left = index.get_indexer(pd.Index(scored["record_id_l"]))
    right = index.get_indexer(pd.Index(scored["record_id_r"]))
    edge = (prob >= threshold) & (left >= 0) & (right >= 0)
    if decided is not None and len(decided):
        edge &= ~pd.MultiIndex.from_frame(scored[["record_id_l", "record_id_r"]]).isin(
            pd.MultiIndex.from_frame(decided[["record_id_l", "record_id_r"]]))
    out = prob.copy()
    if edge.any():
        out[edge] = rival_adjusted(left[edge], right[edge], codes, prob[edge])
    return out


def cluster_pairs(
    record_ids: pd.Series,
    pairs: pd.DataFrame,
    threshold: float,
    labels: pd.DataFrame | None = None,
    *,
    sources: pd.Series | None = None,
    duplicate_threshold: float = DUPLICATE_THRESHOLD,
    max_duplicate_share: float = MAX_DUPLICATE_SHARE,
    exempt_threshold: float = EXEMPT_THRESHOLD,
    deduplicating_threshold: float = DEDUPLICATING_THRESHOLD,
    bridge_below: float = BRIDGE_BELOW,
    bridge_density: float = BRIDGE_DENSITY,
    rivals: bool = True,
    lone_duplicate_threshold: float = LONE_DUPLICATE_THRESHOLD,
    lone_duplicate_support: float = LONE_DUPLICATE_SUPPORT,
) -> Clustering:
    """Cluster records: pairs at/above ``threshold`` link, human labels override.

    ``pairs`` has ``record_id_l``, ``record_id_r``, ``match_probability``; ``labels``
    has ``record_id_l``, ``record_id_r``, ``decision`` in {"same", "different"}.
    ``sources`` (aligned with ``record_ids``) names each record's list: a cluster
    then holds two records of one list only when they are linked to each other at
    ``duplicate_threshold`` or a person said "same", unless more than
    ``max_duplicate_share`` of the list's records have such a duplicate (the list
    is then exempt: see the module docstring; two of its records link directly at
    ``deduplicating_threshold`` or ``threshold``, the higher). With ``sources`` and
    ``rivals``, each model link between two lists is first weighed against its
    rivals (:func:`weigh_rivals`). A record the rules leave alone joins the person of
    a duplicate on its own list linked at ``lone_duplicate_threshold`` when it is also
    linked to ``lone_duplicate_support`` of that person's other records
    (:func:`_join_lone_duplicates`). Every record gets a cluster.
    """
    ids_in = record_ids.astype(str).to_numpy()
    order = np.argsort(ids_in, kind="stable")
    ids = ids_in[order]
    index = pd.Index(ids)
    if index.has_duplicates:
        raise ValueError("record ids must be unique")
    scored = ordered_pairs(pairs[["record_id_l", "record_id_r", "match_probability"]])
    list_codes = source_codes = None
    duplicate_lists: tuple[str, ...] = ()
    if sources is not None:
        list_codes, list_names = pd.factorize(sources.astype(str).to_numpy()[order])
        source_codes, duplicate_lists = _list_codes(
            index, list_codes, list_names, scored, exempt_threshold, max_duplicate_share
        )
    if labels is not None and len(labels):
        decided = ordered_pairs(labels[["record_id_l", "record_id_r", "decision"]])
        decided = decided[decided["record_id_l"].isin(index) & decided["record_id_r"].isin(index)]
        decided = decided.drop_duplicates(["record_id_l", "record_id_r"], keep="last")
    else:
        decided = pd.DataFrame(columns=["record_id_l", "record_id_r", "decision"])
    keyed = scored.merge(decided, on=["record_id_l", "record_id_r"], how="left")
    model = (keyed["match_probability"] >= threshold) & keyed["decision"].isna()
    weighed: pd.DataFrame | None = None
    if source_codes is not None and rivals and model.any():
        keyed = keyed.assign(match_probability=weigh_rivals(
            index, source_codes, scored, threshold, decided))
        model = ((keyed["match_probability"] >= threshold) & keyed["decision"].isna()
                 & keyed["record_id_l"].isin(index) & keyed["record_id_r"].isin(index))
        weighed = keyed.loc[model, ["record_id_l", "record_id_r", "match_probability"]
                            ].reset_index(drop=True)
    model_edges = keyed[model]
    same = decided[decided["decision"] == "same"]
    different = decided[decided["decision"] == "different"]
    parts = [
        frame
        for frame in (
            same[["record_id_l", "record_id_r"]].assign(match_probability=_HUMAN_SAME),
            model_edges[["record_id_l", "record_id_r", "match_probability"]],
        )
        if len(frame)
    ]
    edges = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({"record_id_l": [], "record_id_r": [], "match_probability": []})
    )
    left = index.get_indexer(pd.Index(edges["record_id_l"]))
    right = index.get_indexer(pd.Index(edges["record_id_r"]))
    known = (left >= 0) & (right >= 0)
    left, right = left[known], right[known]
    weight = edges["match_probability"].to_numpy(dtype="float64")[known]
    every_edge = (left, right, weight)
    if list_codes is not None and source_codes is not None:
        # Two records of one list link directly only at duplicate_threshold: a list
        # rarely names a person twice. An exempt list's records (codes of their own)
        # at deduplicating_threshold: that list is known to name people more than once.
        one_list = list_codes[left] == list_codes[right]
        exempt_pair = one_list & (source_codes[left] != source_codes[right])
        direct = ~one_list | (weight >= duplicate_threshold) \
            | (exempt_pair & (weight >= deduplicating_threshold))
        left, right, weight = left[direct], right[direct], weight[direct]
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(len(ids), len(ids)))
    _, component = connected_components(graph, directed=False)

    apart_l = index.get_indexer(pd.Index(different["record_id_l"]))
    apart_r = index.get_indexer(pd.Index(different["record_id_r"]))
    conflicted = set(component[apart_l][component[apart_l] == component[apart_r]].tolist())
    if source_codes is not None:
        per_list = pd.DataFrame({"c": component, "s": source_codes}).value_counts()
        conflicted |= set(per_list[per_list > 1].index.get_level_values("c").tolist())
    if bridge_below > 0:
        # A weak link in a component of three or more may be a bridge between people.
        sizes = np.bincount(component)
        weak_edge = (weight < bridge_below) & (sizes[component[left]] >= 3)
        conflicted |= set(component[left][weak_edge].tolist())

    conflicts: list[tuple[str, str]] = []
    if conflicted:
        component = component.copy()
        next_label = int(component.max()) + 1
        edge_component = component[left]
        for comp in sorted(conflicted):
            inside = edge_component == comp
            l_in, r_in, w_in = left[inside], right[inside], weight[inside]
            strongest = np.lexsort((r_in, l_in, -w_in))
            allowed = {
                (int(a), int(b))
                for a, b, w in zip(l_in, r_in, w_in, strict=True)
                if w >= duplicate_threshold
            }
            in_comp = component[apart_l] == comp
            members = np.flatnonzero(component == comp).tolist()
            links: dict[int, set[int]] = defaultdict(set)
            if bridge_below > 0:
                for a, b in zip(l_in.tolist(), r_in.tolist(), strict=True):
                    links[a].add(b)
                    links[b].add(a)
            groups = _Groups(
                members,
                None if source_codes is None else {m: int(source_codes[m]) for m in members},
                list(zip(apart_l[in_comp].tolist(), apart_r[in_comp].tolist(), strict=True)),
                allowed,
                links,
                bridge_density,
            )
            for k in strongest:
                a, b = int(l_in[k]), int(r_in[k])
                if not groups.union(a, b, bool(w_in[k] < bridge_below)) \
                        and w_in[k] == _HUMAN_SAME:
                    conflicts.append((str(ids[a]), str(ids[b])))
            roots = sorted({groups.find(m) for m in members})
            relabel = {root: next_label + i for i, root in enumerate(roots)}
            next_label += len(relabel)
            for member in members:
                component[member] = relabel[groups.find(member)]

    if source_codes is not None and lone_duplicate_threshold < duplicate_threshold:
        component = _join_lone_duplicates(
            component, *every_edge, source_codes, apart_l, apart_r,
            lone_duplicate_threshold, lone_duplicate_support, threshold)

    frame = pd.DataFrame({"record_id": ids, "component": component})
    # The smallest record id names the cluster: stable while membership is stable.
    frame["cluster_id"] = frame.groupby("component")["record_id"].transform("min")
    return Clustering(
        clusters=frame[["record_id", "cluster_id"]].reset_index(drop=True),
        conflicts=pd.DataFrame(conflicts, columns=["record_id_l", "record_id_r"]),
        duplicate_lists=duplicate_lists,
        links=weighed,
    )


#: A conflicting pair linked to each other at this probability stays together: the
#: model weighed the conflict and was still sure.
CHAIN_DIRECT_THRESHOLD = 0.5
#: Birth-year intervals further apart than this are a conflict inside a cluster.
CHAIN_BIRTH_GAP = 5


def chain_conflicts(
    clusters: pd.DataFrame,
    features: pd.DataFrame,
    pairs: pd.DataFrame,
    labels: pd.DataFrame | None = None,
    direct_threshold: float = CHAIN_DIRECT_THRESHOLD,
) -> pd.DataFrame:
    """Pairs of one cluster joined through a chain or a weak link although they conflict.

    Two records conflict when both name a father and the names are different known
    names (``father_canon``), or their birth-year intervals are more than
    :data:`CHAIN_BIRTH_GAP` years apart. A chain of links through other records
    never weighed the conflict; a pair linked to each other at ``direct_threshold``
    or more stays together (the model weighed it and was sure), and records a
    person labelled stay as the person said. Not a hard split of a strong link:
    real lists carry coding errors. On the
    SYNTHETIC namesake lists (benchmarks/linkage/bench_common_names.py) keeping
    these apart raised pairwise precision from 0.905 to 0.926 at 4,000 people and
    from 0.647 to 0.686 at 40,000, recall unchanged to within 0.003.
    Returns ``record_id_l``, ``record_id_r`` (smaller id left).
    """
    members = clusters[["record_id", "cluster_id"]].astype(str)
    together = members.merge(members, on="cluster_id", suffixes=("_l", "_r"))
    together = together[together["record_id_l"] < together["record_id_r"]]
    empty = pd.DataFrame({"record_id_l": pd.Series(dtype=str), "record_id_r": pd.Series(dtype=str)})
    if together.empty:
        return empty
    f = features.set_index(features["record_id"].astype(str))
    left, right = f.loc[together["record_id_l"]], f.loc[together["record_id_r"]]

    def num(column: str, side: pd.DataFrame) -> np.ndarray:
        return pd.to_numeric(side[column], errors="coerce").to_numpy(dtype="float64")

    father_l = left["father_canon"].astype(object).to_numpy()
    father_r = right["father_canon"].astype(object).to_numpy()
    known = pd.notna(father_l) & pd.notna(father_r)
    fathers = np.zeros(len(together), dtype=bool)
    fathers[known] = father_l[known] != father_r[known]
    gap = np.fmax(num("birth_lo", left) - num("birth_hi", right),
                  num("birth_lo", right) - num("birth_hi", left))
    conflict = together[fathers | (gap > CHAIN_BIRTH_GAP)][["record_id_l", "record_id_r"]]
    if conflict.empty:
        return empty
    strong = ordered_pairs(pairs[pairs["match_probability"] >= direct_threshold][
        ["record_id_l", "record_id_r"]])
    keep = pd.MultiIndex.from_frame(strong[["record_id_l", "record_id_r"]])
    labelled: set[str] = set()
    if labels is not None and len(labels):
        labelled = set(labels["record_id_l"].astype(str)) | set(labels["record_id_r"].astype(str))
    out: pd.DataFrame = conflict[~pd.MultiIndex.from_frame(conflict).isin(keep)
                                 & ~conflict["record_id_l"].isin(labelled)
                                 & ~conflict["record_id_r"].isin(labelled)]
    return out.reset_index(drop=True)


def chain_apart(
    record_ids: pd.Series,
    pairs: pd.DataFrame,
    threshold: float,
    labels: pd.DataFrame | None,
    features: pd.DataFrame,
    **options: Any,
) -> tuple[Clustering, pd.DataFrame]:
    """:func:`cluster_pairs`, and the pairs of its clusters :func:`chain_conflicts` keeps apart.

    The partition a run keeps is :func:`cluster_pairs` with those pairs labelled
    "different" (:func:`cluster_with_chain_check`); partitions drawn around it
    (:mod:`dadkhahi.linkage.audit_draws`) keep them apart too.

    Two records of one list being deduplicated (an exempt list: :func:`duplicate_lists`)
    are not kept apart. The check is set for lists that name a person once, where a
    chain through look-alikes joins namesakes; a list being deduplicated is known to
    hold one person's records several times, each written differently, and its records
    link to each other only at :data:`DEDUPLICATING_THRESHOLD`, a pairwise even chance,
    so a chain inside it is a chain of links the model was sure of. On FEBRL3 (one such
    list, whose corruption rewrites dates of birth) the check kept 65 pairs apart and
    bought no precision (P 0.9972 with and without it) for 0.017 of recall (R 0.9251
    against 0.9422); on the SYNTHETIC namesake lists, where no list is exempt, it removes
    49 of 378 wrong pairs for 7 of 6,272 right ones (benchmarks/linkage/README.md).
    """
    first = cluster_pairs(record_ids, pairs, threshold, labels, **options)
    # "Linked to each other and sure" is judged on the links the clustering weighed
    # (after their rivals), not on the pairs alone.
    weighed = pairs if first.links is None else first.links
    apart = chain_conflicts(first.clusters, features, weighed, labels, CHAIN_DIRECT_THRESHOLD)
    sources = options.get("sources")
    if first.duplicate_lists and sources is not None and not apart.empty:
        source = pd.Series(sources.astype(str).to_numpy(), index=record_ids.astype(str).to_numpy())
        left = source.loc[apart["record_id_l"]].to_numpy()
        right = source.loc[apart["record_id_r"]].to_numpy()
        inside = (left == right) & pd.Index(left).isin(first.duplicate_lists)
        apart = apart[~inside].reset_index(drop=True)
    return first, apart


def cluster_with_chain_check(
    record_ids: pd.Series,
    pairs: pd.DataFrame,
    threshold: float,
    labels: pd.DataFrame | None,
    features: pd.DataFrame,
    **options: Any,
) -> tuple[Clustering, int, int]:
    """:func:`cluster_pairs`, then again with :func:`chain_conflicts` kept apart.

    Returns the clustering, the number of conflicting pairs kept apart and the number
    of clusters that rule added.
    """
    first, apart = chain_apart(record_ids, pairs, threshold, labels, features, **options)
    if apart.empty:
        return first, 0, 0
    extra = apart.assign(decision="different")
    combined = extra if labels is None or not len(labels) else pd.concat(
        [labels[["record_id_l", "record_id_r", "decision"]], extra], ignore_index=True)
    second = cluster_pairs(record_ids, pairs, threshold, combined, **options)
    added = int(second.clusters["cluster_id"].nunique() - first.clusters["cluster_id"].nunique())
    return second, len(apart), added
