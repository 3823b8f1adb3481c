"""Where the capture-history error comes from: saved runs of SYNTHETIC namesake lists.

``bench_common_names.py --people N --seed S --save DIR`` writes a run's lists with
their truth, scored pairs, clusters and model. For each saved run this script
clusters the saved pairs again (as ``link`` does; it checks the result is the run's)
and splits the capture-history error (CHE: sum over capture patterns of
|n̂(h) - n(h)| / N, what multiple systems estimation reads) by its causes:

* **splits**: true persons whose records sit in two or more predicted persons. Pieces
  on *disjoint* lists move a person from a multi-list pattern to two patterns with
  fewer lists (the estimate sees less overlap and rises); pieces that share a list are
  a within-list duplicate kept apart;
* **merges**: predicted persons holding records of two or more true persons.

Each alone is measured by repairing the other with an oracle (merges cut along true
persons: what the splits cost; each split person's records moved to its largest piece:
what the merges cost), and the signed error is tabled by the number of lists in the
pattern. For every pair of pieces of one true person it then says which rule kept them
apart (``study_misses.classify``: never blocked, below threshold, within-list rule,
rivals, one-per-list or bridge, chain check) with the best link's score. With
``--variant`` the same figures are printed for a clustering option (e.g. a rule under
study), so a change is judged on the draws it was not tuned on. Every person is invented.

    .venv/bin/python benchmarks/linkage/study_che.py --people 4000 --save DIR0 --save DIR1
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics import capture_history_error, capture_patterns
from study_merges import features_of, load
from study_misses import STAGES, classify, score_all, summarise

from dadkhahi.linkage.clusters import DEFAULT_THRESHOLD, chain_apart, cluster_with_chain_check


def _codes(records: pd.DataFrame, clusters: pd.DataFrame) -> tuple[np.ndarray, np.ndarray,
                                                                     np.ndarray]:
    """Truth codes, predicted codes and list of each record, in the records' order."""
    ids = records["record_id"].astype(str)
    cluster = clusters.set_index(clusters["record_id"].astype(str))["cluster_id"]
    truth = pd.factorize(records["true_person_id"].to_numpy())[0]
    predicted = pd.factorize(cluster.loc[ids].to_numpy())[0]
    return truth, predicted, records["source_id"].astype(str).to_numpy()


def _by_list_count(truth: np.ndarray, predicted: np.ndarray, lists: np.ndarray,
                   absolute: bool = False) -> pd.Series:
    """Error n̂(h) - n(h) (``absolute``: |n̂(h) - n(h)|) summed by number of lists in h."""
    t = capture_patterns(truth, lists)
    p = capture_patterns(predicted, lists)
    both = pd.concat([t.rename("t"), p.rename("p")], axis=1).fillna(0)
    width = pd.Series(both.index.str.count(r"\|") + 1, index=both.index)
    error = both["p"] - both["t"]
    return (error.abs() if absolute else error).groupby(width).sum().astype(int)


def decompose(records: pd.DataFrame, clusters: pd.DataFrame) -> dict[str, Any]:
    """CHE of the run, with merges repaired, with splits repaired; split persons by kind."""
    truth, predicted, lists = _codes(records, clusters)
    n_pred = int(predicted.max()) + 1
    meet = truth * n_pred + predicted  # cut along true persons: splits only
    cells = pd.DataFrame({"t": truth, "p": predicted, "s": lists})
    per_cell = cells.groupby(["t", "p"]).size().rename("n").reset_index()
    pieces = per_cell.groupby("t").size()
    split_people = pieces[pieces > 1].index
    # Splits repaired: every record of a split person moves to its largest piece (ties:
    # the smallest predicted code), other persons' records stay.
    largest = per_cell.sort_values(["t", "n", "p"], ascending=[True, False, True],
                                   kind="stable").drop_duplicates("t").set_index("t")["p"]
    joined = largest.loc[truth].to_numpy()
    people_per_cluster = per_cell.groupby("p").size()
    # Pieces on disjoint lists: no list holds records of two pieces of the person.
    lists_per_piece = cells.drop_duplicates(["t", "p", "s"])
    on_list = lists_per_piece.groupby(["t", "s"]).size()
    shared = on_list[on_list > 1].reset_index()["t"].unique()
    person_of_code = pd.unique(records["true_person_id"].to_numpy())
    split = per_cell[per_cell["t"].isin(split_people)]
    with_merge = split.assign(m=people_per_cluster.loc[split["p"]].to_numpy() > 1
                              ).groupby("t")["m"].any()
    disjoint = ~pd.Index(split_people).isin(shared)
    return {
        "che": capture_history_error(truth, predicted, lists),
        "che_splits_only": capture_history_error(truth, meet, lists),
        "che_merges_only": capture_history_error(truth, joined, lists),
        "split_people": len(split_people),
        "split_disjoint": int(disjoint.sum()),
        "split_shared_list": int((~disjoint).sum()),
        "split_with_merged_piece": int(with_merge.sum()),
        "merged_clusters": int((people_per_cluster > 1).sum()),
        "by_lists": _by_list_count(truth, predicted, lists),
        "by_lists_splits_only": _by_list_count(truth, meet, lists),
        "abs_by_lists": _by_list_count(truth, predicted, lists, absolute=True),
        "shared_people": set(person_of_code[shared].tolist()),
    }


def repair_grid(records: pd.DataFrame, clusters: pd.DataFrame,
                shares: tuple[float, ...] = (0.0, 0.5, 1.0), seed: int = 0) -> pd.DataFrame:
    """CHE with a share of the wrong merges cut and a share of the split persons joined.

    The merged predicted persons cut (along true persons) and the split true persons
    joined (all records to the largest piece) are drawn at random with ``seed`` from the
    run's errors, so the grid says how far the error falls when a rule fixes some of one
    kind of error, some of the other, or both.
    """
    truth, predicted, lists = _codes(records, clusters)
    rng = np.random.default_rng(seed)
    per_cell = pd.DataFrame({"t": truth, "p": predicted}).value_counts().rename("n").reset_index()
    merged = np.sort(per_cell.groupby("p").size().loc[lambda x: x > 1].index.to_numpy())
    split = np.sort(per_cell.groupby("t").size().loc[lambda x: x > 1].index.to_numpy())
    merged, split = rng.permutation(merged), rng.permutation(split)
    grid = pd.DataFrame(index=pd.Index(shares, name="merges cut"),
                        columns=pd.Index(shares, name="splits joined"), dtype=float)
    for m in shares:
        cut = np.isin(predicted, merged[: round(m * len(merged))])
        base = np.where(cut, predicted * (int(truth.max()) + 1) + truth + int(predicted.max()) + 1,
                        predicted)
        for j in shares:
            cells = pd.DataFrame({"t": truth, "p": base}).value_counts().rename("n").reset_index()
            largest = cells.sort_values(["t", "n", "p"], ascending=[True, False, True],
                                        kind="stable").drop_duplicates("t").set_index("t")["p"]
            move = np.isin(truth, split[: round(j * len(split))])
            labels = np.where(move, largest.reindex(truth).to_numpy(), base)
            grid.loc[m, j] = capture_history_error(truth, labels, lists)
    return grid


def study(save: Path, people: int, threshold: float, options: dict[str, Any]) -> dict[str, Any]:
    """Print the study of one saved run; return its decomposition."""
    records, pairs, saved = load(save, people)
    features = features_of(records)
    ids, sources = features["record_id"], features["source_id"]
    tick = time.process_time()
    final, _, _ = cluster_with_chain_check(ids, pairs, threshold, None, features,
                                           sources=sources, **options)
    seconds = time.process_time() - tick
    same = final.clusters.equals(saved) if not options else None
    print(f"{save}: {summarise(records, final.clusters)} (clustered in {seconds:.1f} s CPU; "
          f"the same partition as the saved run: {same})")
    d = decompose(records, final.clusters)
    print(f"  CHE {d['che']:.4f}; splits alone (merges cut) {d['che_splits_only']:.4f}; "
          f"merges alone (splits joined) {d['che_merges_only']:.4f}")
    print(f"  split persons {d['split_people']:,}: pieces on disjoint lists "
          f"{d['split_disjoint']:,}, sharing a list {d['split_shared_list']:,}; with a piece "
          f"in a merged person {d['split_with_merged_piece']:,}; merged persons "
          f"{d['merged_clusters']:,}")
    table = pd.DataFrame({"run": d["by_lists"], "splits only": d["by_lists_splits_only"],
                          "run |n̂ - n|": d["abs_by_lists"]})
    print("  n̂ - n summed by number of lists in the pattern:\n" + table.fillna(0).astype(int)
          .T.to_string().replace("\n", "\n    ").join(["    ", ""]))
    grid = repair_grid(records, final.clusters)
    print("  CHE with a random share of the merges cut (rows) and of the splits joined "
          "(columns):\n    " + grid.round(4).to_string().replace("\n", "\n    "))
    d["grid"] = grid
    d["records"], d["features"], d["final"] = records, features, final
    return d


def pieces_report(d: dict[str, Any], save: Path, people: int, threshold: float) -> pd.DataFrame:
    """Each pair of pieces of a split person: the rule that kept them apart, its best link."""
    records, features = d["records"], d["features"]
    model = json.loads((save / f"{people}-model.json").read_text("utf-8"))
    scored = score_all(features, model)
    strong = scored[scored["match_probability"] >= threshold].reset_index(drop=True)
    first, _ = chain_apart(features["record_id"], strong, threshold, None, features,
                           sources=features["source_id"])
    weighed = first.links if first.links is not None else strong
    table = classify(records, features, scored, first.clusters, d["final"].clusters, weighed,
                     threshold)
    table["disjoint"] = ~table["true_person_id"].isin(d["shared_people"])
    table["stage_name"] = [STAGES[k] for k in table["stage"]]
    band = pd.cut(table["match_probability"].fillna(0), [0, 0.05, 0.5, 0.9, 1.01], right=False,
                  labels=["<0.05", "0.05-0.5", "0.5-0.9", ">=0.9"])
    out = table.assign(band=band)
    print("  pairs of pieces by the rule that kept them apart, disjoint lists or not, and "
          "the best link's band:")
    counts = out.groupby(["stage_name", "disjoint", "band"], observed=True).size()
    print("    " + counts.to_string().replace("\n", "\n    "))
    refused = out[out["stage"] == 1].groupby(["refused", "disjoint"]).size()
    if len(refused):
        print("  one-per-list / bridge, by what the groups held:\n    "
              + refused.to_string().replace("\n", "\n    "))
    return out


def draws_parser(doc: str) -> argparse.ArgumentParser:
    """A parser reading saved runs of several draws (``--save``, repeatable) of one size."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--save", type=Path, action="append", required=True,
                        help="folder of a saved run (repeatable: one per draw)")
    parser.add_argument("--people", type=int, required=True, help="population size of the runs")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = draws_parser(__doc__)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--variant", default="{}",
                        help="clustering options as JSON, e.g. '{\"bridge_below\": 0}'")
    parser.add_argument("--no-pieces", action="store_true",
                        help="skip the rule-by-rule table of split persons (scores pairs again)")
    args = parser.parse_args(argv)
    logging.getLogger("splink").setLevel(logging.WARNING)
    options = json.loads(args.variant)
    rows, kept = [], []
    for save in args.save:
        d = study(save, args.people, args.threshold, options)
        kept.append({"grid": d["grid"]})
        if not args.no_pieces:
            pieces_report(d, save, args.people, args.threshold)
        rows.append({k: d[k] for k in ("che", "che_splits_only", "che_merges_only",
                                       "split_people", "split_disjoint", "merged_clusters")})
    if len(rows) > 1:
        grids = [d["grid"] for d in kept]
        print("mean over the runs of the repair grid (merges cut: rows, splits joined: "
              "columns):\n  " + (sum(grids[1:], grids[0]) / len(grids)).round(4).to_string()
              .replace("\n", "\n  "))
        print("mean over the runs: " + pd.DataFrame(rows).mean().round(4).to_string()
              .replace("\n", "; "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
