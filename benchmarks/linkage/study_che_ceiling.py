"""Can any decision on a run's scored pairs reach a capture-history error of 0.03? SYNTHETIC lists.

``bench_common_names.py --people N --seed S --save DIR`` writes a run's lists with their
truth, scored pairs, clusters and model. For each saved run this script scores every pair
the blocking reaches again with the run's model (:func:`study_ceiling.scored_pairs`) and
prints, besides the run's own capture-history error (CHE: sum over capture patterns of
|n̂(h) - n(h)| / N):

* **the truth's clustering of the pairs** (:func:`study_clustering.oracle_edges`): every
  pair at a cut decided right, each person joined through its true pairs only, for the
  pairs the run kept (its saved pairs), the blocked pairs at 0.05, at 0.005 and every
  blocked pair whatever its score. What a linker that decided every given pair right
  would reach: above 0.03, no decision on these pairs reaches the target save by wrong
  links that happen to offset splits;
* **oracle m** (:func:`study_ceiling.oracle_m`): each level's m counted on the true pairs,
  clustered by the project's clustering at 0.05;
* **where the run's error sits**: |n̂ - n| per capture pattern (the largest), split
  into what the splits alone (merges cut along true persons) and the merges alone
  (split persons joined) leave in that pattern;
* **within-list duplicates**: the CHE the truth itself would have if every second
  record of a person on one list were a person of its own (what a linker that never
  joins two records of one list pays), and the run's CHE with only its within-list
  splits repaired (a person's pieces that share a list joined).

Every person is invented.

    .venv/bin/python benchmarks/linkage/study_che_ceiling.py --people 4000 --save DIR0 --save DIR1
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics import capture_history_error, capture_patterns, score
from study_ceiling import PAIRS, oracle_m, oracle_shift_sql, scored_pairs
from study_che import draws_parser
from study_clustering import oracle_edges, project
from study_merges import load

from dadkhahi.linkage.clusters import DEFAULT_THRESHOLD


def _bits(p: float) -> float:
    return float(np.log2(p / (1 - p)))

#: Cuts (probabilities) at which the truth decides the blocked pairs: the run's threshold,
#: Splink's cut in `link` (the pairs it scores: 0.99 of the review band's 0.02), 0.005, and
#: 0: every blocked pair.
CUTS = (DEFAULT_THRESHOLD, 0.0198, 0.005, 0.0)


def _line(label: str, features: pd.DataFrame, codes: np.ndarray) -> dict[str, float]:
    """Score a partition of the records (one code per position); print and return it."""
    clusters = pd.DataFrame({"record_id": features["record_id"].to_numpy(), "person_id": codes})
    s = score(features[["record_id", "true_person_id"]], clusters,
              lists=features[["record_id", "source_id"]])
    print(f"  {label:<44} P {s.pairwise_precision:.4f} R {s.pairwise_recall:.4f} "
          f"B3 F1 {s.bcubed_f1:.4f} persons {100 * s.people_error:+.2f}% "
          f"CHE {s.capture_history_error:.4f}", flush=True)
    return {"P": s.pairwise_precision, "R": s.pairwise_recall, "B3": s.bcubed_f1,
            "persons": s.people_error, "CHE": s.capture_history_error}


def _largest_piece(truth: np.ndarray, predicted: np.ndarray, move: np.ndarray) -> np.ndarray:
    """``predicted`` with the records of the true persons in ``move`` moved to their
    person's largest piece (ties: the smallest code)."""
    cells = pd.DataFrame({"t": truth, "p": predicted}).value_counts().rename("n").reset_index()
    largest = cells.sort_values(["t", "n", "p"], ascending=[True, False, True],
                                kind="stable").drop_duplicates("t").set_index("t")["p"]
    return np.where(np.isin(truth, move), largest.reindex(truth).to_numpy(), predicted)


def duplicates_alone(truth: np.ndarray, lists: np.ndarray) -> np.ndarray:
    """``truth`` with every record after a person's first on a list made a person of its
    own: the partition of a linker that never joins two records of one list."""
    rank = pd.DataFrame({"t": truth, "s": lists}).groupby(["t", "s"]).cumcount().to_numpy()
    return np.where(rank > 0, int(truth.max()) + 1 + np.arange(len(truth)), truth)


def _shared_list_people(truth: np.ndarray, predicted: np.ndarray, lists: np.ndarray
                        ) -> np.ndarray:
    """True persons two of whose pieces hold a record of one list."""
    cells = pd.DataFrame({"t": truth, "p": predicted, "s": lists}).drop_duplicates()
    on_list = cells.groupby(["t", "s"]).size()
    return np.unique(on_list[on_list > 1].reset_index()["t"].to_numpy())


def patterns_table(truth: np.ndarray, predicted: np.ndarray, lists: np.ndarray,
                   top: int) -> pd.DataFrame:
    """n, n̂ and n̂ - n per capture pattern, with what the splits alone and the merges
    alone leave there, largest |n̂ - n| first."""
    n_pred = int(predicted.max()) + 1
    splits_only = truth * n_pred + predicted
    cells = pd.DataFrame({"t": truth, "p": predicted}).value_counts().reset_index()
    split_people = cells.groupby("t").size().loc[lambda x: x > 1].index.to_numpy()
    merges_only = _largest_piece(truth, predicted, split_people)
    table = pd.concat([capture_patterns(truth, lists).rename("n"),
                       capture_patterns(predicted, lists).rename("n_hat"),
                       capture_patterns(splits_only, lists).rename("splits"),
                       capture_patterns(merges_only, lists).rename("merges")],
                      axis=1).fillna(0).astype(int)
    table["error"] = table["n_hat"] - table["n"]
    table["splits"] -= table["n"]
    table["merges"] -= table["n"]
    table["lists"] = table.index.str.count(r"\|") + 1
    order = table["error"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].head(top)


def level_profile(pairs: pd.DataFrame, levels: dict[str, Any], run: np.ndarray
                  ) -> pd.DataFrame:
    """Per comparison level: the true pairs the run misses (records in two predicted
    persons) that score 0.005-0.05 or 0.05 and more, the false pairs of the run's persons
    (records in one predicted person), and all false pairs at 0.005-0.05 (what linking a
    missed band would also take)."""
    left, right = pairs["pos_l"].to_numpy(), pairs["pos_r"].to_numpy()
    together = run[left] == run[right]
    weight = pairs["weight"].to_numpy()
    band = (weight >= _bits(0.005)) & (weight < _bits(DEFAULT_THRESHOLD))
    above = weight >= _bits(DEFAULT_THRESHOLD)
    is_true = pairs["is_true"].to_numpy(bool)
    kinds = {"missed <0.05": is_true & ~together & band,
             "missed >=0.05": is_true & ~together & above,
             "false in band": ~is_true & band,
             "wrongly merged": ~is_true & together}
    rows = []
    for name, table in levels.items():
        codes = pairs[f"c_{name}"].to_numpy()
        for level, label in enumerate(table["labels"]):
            at = codes == level
            rows.append({"comparison": name, "level": str(label)[:44],
                         **{k: int((mask & at).sum()) for k, mask in kinds.items()}})
    return pd.DataFrame(rows)


def missed_by_lists(pairs: pd.DataFrame, truth: np.ndarray, run: np.ndarray,
                    lists: np.ndarray) -> pd.DataFrame:
    """The run's missed true pairs (records of one person in two predicted persons) by the
    two lists and the pair's score: never blocked, under 0.005, 0.005-0.05, 0.05 and more."""
    pos = np.arange(len(truth))
    frame = pd.DataFrame({"t": truth, "pos": pos})
    every = frame.merge(frame, on="t")
    every = every[every["pos_x"] < every["pos_y"]]
    a, b = every["pos_x"].to_numpy(), every["pos_y"].to_numpy()
    missed = run[a] != run[b]
    a, b = a[missed], b[missed]
    blocked = pd.Series(pairs["weight"].to_numpy(),
                        index=pd.MultiIndex.from_arrays([pairs["pos_l"], pairs["pos_r"]]))
    weight = blocked.reindex(pd.MultiIndex.from_arrays([a, b])).to_numpy()
    band = np.select([np.isnan(weight), weight < _bits(0.005),
                      weight < _bits(DEFAULT_THRESHOLD)],
                     ["never blocked", "<0.005", "0.005-0.05"], ">=0.05")
    la, lb = lists[a].astype(str), lists[b].astype(str)
    first, second = np.where(la <= lb, la, lb), np.where(la <= lb, lb, la)
    name = np.where(first == second, np.char.add("within ", first),
                    np.char.add(np.char.add(first, "|"), second))
    return pd.crosstab(pd.Series(name, name="lists"), pd.Series(band, name="band"))


def study(save: Path, people: int, top: int) -> dict[str, Any]:
    """Print the ceiling lines and the error's make-up for one saved run."""
    tick = time.process_time()
    _, kept, saved = load(save, people)
    out: dict[str, Any] = {}
    with scored_pairs(save, people, 1) as (con, levels, features):
        shift = oracle_shift_sql(levels, oracle_m(con, levels))
        pairs = con.execute(f"SELECT *, weight + ({shift}) AS oracle FROM {PAIRS}").df()
    n = len(features)
    left = pairs["pos_l"].to_numpy(np.int64)
    right = pairs["pos_r"].to_numpy(np.int64)
    is_true = pairs["is_true"].to_numpy(bool)
    weight = np.round(pairs["weight"].to_numpy(np.float64), 6)
    truth = features["person"].to_numpy(np.int64)
    lists = features["source_id"].astype(str).to_numpy()
    cluster = saved.set_index(saved["record_id"].astype(str))["cluster_id"]
    run = pd.factorize(cluster.loc[features["record_id"].astype(str)].to_numpy())[0]
    print(f"{save}: {n:,} records, {int(truth.max()) + 1:,} people, {len(pairs):,} blocked "
          f"pairs, {int(is_true.sum()):,} of them true", flush=True)
    out["run"] = _line("the run", features, run)
    # The truth's clustering of the run's kept pairs (those saved), then of blocked pairs.
    index = pd.Index(features["record_id"].astype(str))
    kl = index.get_indexer(pd.Index(kept["record_id_l"].astype(str)))
    kr = index.get_indexer(pd.Index(kept["record_id_r"].astype(str)))
    out["truth_kept"] = _line(f"truth's clustering of the kept pairs ({len(kept):,})",
                              features, oracle_edges(n, kl, kr, truth[kl] == truth[kr],
                                                     np.zeros(len(kl)), 0.5))
    for cut in CUTS:
        label = f"at {cut}" if cut else "every blocked pair"
        codes = (oracle_edges(n, left, right, is_true, weight, cut) if cut else
                 oracle_edges(n, left, right, is_true, np.zeros(len(left)), 0.5))
        out[f"truth_{cut}"] = _line(f"truth's clustering, {label}", features, codes)
    oracle = np.round(pairs["oracle"].to_numpy(np.float64), 6)
    out["oracle_m"] = _line("oracle m, project's clustering at 0.05", features,
                            project(pairs, oracle, features, DEFAULT_THRESHOLD))
    # Within-list duplicates: the truth with every second record of a person on one list
    # made a person of its own; the run with only the pieces sharing a list joined.
    alone = duplicates_alone(truth, lists)
    duplicates = int((alone != truth).sum())
    out["dup_stake"] = capture_history_error(truth, alone, lists)
    shared = _shared_list_people(truth, run, lists)
    out["dup_repaired"] = capture_history_error(truth, _largest_piece(truth, run, shared), lists)
    print(f"  within-list duplicates: {duplicates:,} records; the truth with each one a person "
          f"of its own: CHE {out['dup_stake']:.4f}; the run with the {len(shared):,} persons "
          f"whose pieces share a list joined: CHE {out['dup_repaired']:.4f}")
    table = patterns_table(truth, run, lists, top)
    print("  the patterns with the largest |n̂ - n| (splits: what the splits alone leave, "
          "merges: what the merges alone leave):\n    "
          + table.to_string().replace("\n", "\n    "))
    by_width = patterns_table(truth, run, lists, 10**6).groupby("lists")[
        ["error", "splits", "merges"]].agg(lambda x: int(x.abs().sum()))
    print("  |n̂ - n| summed by the number of lists in the pattern:\n    "
          + by_width.T.to_string().replace("\n", "\n    "))
    out["width"] = by_width
    out["levels"] = level_profile(pairs, levels, run)
    out["missed"] = missed_by_lists(pairs, truth, run, lists)
    print(f"  ({time.process_time() - tick:.1f} s CPU)", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = draws_parser(__doc__)
    parser.add_argument("--top", type=int, default=8, help="patterns printed per run")
    args = parser.parse_args(argv)
    logging.getLogger("splink").setLevel(logging.WARNING)
    rows, profiles, misses = {}, [], []
    for save in args.save:
        d = study(save, args.people, args.top)
        profiles.append(d["levels"].set_index(["comparison", "level"]))
        misses.append(d["missed"])
        rows[save.name] = {"run": d["run"]["CHE"], "kept, truth": d["truth_kept"]["CHE"],
                           **{f"blocked {c or 'all'}, truth": d[f"truth_{c}"]["CHE"]
                              for c in CUTS},
                           "oracle m": d["oracle_m"]["CHE"], "dups alone": d["dup_stake"],
                           "dups joined": d["dup_repaired"]}
    table = pd.DataFrame(rows).T
    print("CHE per run:\n  " + table.round(4).to_string().replace("\n", "\n  "))
    # Summed by label: a run may lack a row or column another has.
    missed = pd.concat(misses).fillna(0).groupby(level=0).sum().astype(int)
    print("the runs' missed true pairs by lists and score, summed over the runs:\n  "
          + missed.to_string().replace("\n", "\n  "))
    total = pd.concat(profiles).groupby(level=[0, 1], sort=False).sum()
    total = total[(total["missed <0.05"] + total["missed >=0.05"] + total["wrongly merged"]) > 0]
    print("comparison levels of the missed true pairs and the wrongly merged false pairs, "
          "summed over the runs:\n  " + total.to_string().replace("\n", "\n  "))
    print("mean:\n  " + table.mean().round(4).to_string().replace("\n", "\n  "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
