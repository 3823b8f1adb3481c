"""Where the missed links come from: a study of one saved run of SYNTHETIC lists.

``bench_common_names.py --people N --save DIR`` writes the lists with their truth,
the scored pairs (those that can link), the clusters and the trained model of a
run. This script scores every blocked pair again with that model (no training),
clusters as the run did, and sorts each missed true pair (two records of one true
person left in two predicted persons) by what kept the two predicted persons
apart: the furthest any link between their records got, in the order the run
applies its rules:

* **never blocked**: no blocking rule put any record of one with any of the other;
* **below threshold**: compared, but the best link scored below the run's
  threshold (with the conflict levels that best link met: different known
  fathers, birth years more than 5 apart, deaths more than a year apart, sex);
* **within-list rule**: the best link joins two records of one list, at or above
  the threshold but below ``DUPLICATE_THRESHOLD``;
* **rivals**: at or above the threshold, below it once weighed against its rivals;
* **one-per-list / bridge**: a link the clustering took, refused when the groups
  were rebuilt: two records of one list (a true within-list duplicate, or another
  person's record holding that list's place), or a weak link between sparse groups;
* **chain check**: joined by the clustering, kept apart by the chain check.

Then what each kind of error costs: the run's clustering with one stage's missed links
found by an oracle (nothing else moved), with every missed link found, and with every
wrong merge cut (the persons cut along true persons): the capture-history error and count
each repair alone would leave, a floor for what the other errors cost. Then, for the
same pairs, what switching each rule off alone would give (recall,
precision, persons): the counterfactuals a change would be weighed on. Every person
is invented.

    .venv/bin/python benchmarks/linkage/study_misses.py --save DIR --people 4000
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Collection
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from splink import DuckDBAPI, Linker

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics import score
from study_merges import features_of, load

from dadkhahi.linkage.clusters import (
    DEFAULT_THRESHOLD,
    DUPLICATE_THRESHOLD,
    chain_apart,
    cluster_pairs,
    cluster_with_chain_check,
    ordered_pairs,
)
from dadkhahi.linkage.model import PREDICTION_BLOCKING, blocking_keys
from dadkhahi.linkage.run import WEIGHT_DECIMALS, probability_from_weight

STAGES = ("chain check", "one-per-list / bridge", "rivals", "within-list rule",
          "below threshold", "never blocked")


def score_all(features: pd.DataFrame, model: dict[str, Any],
              current_blocking: bool = False) -> pd.DataFrame:
    """Every blocked pair scored by ``model``, weights rounded as ``link`` rounds them.

    ``current_blocking``: block with this code's prediction rules instead of the saved
    run's (a new rule changes which pairs are scored, not the model, which is trained
    on its own rules: the run's model then scores the pairs the new rules reach).
    """
    keyed = pd.concat([features, blocking_keys(features)], axis=1)
    if current_blocking:
        model = {**model, "blocking_rules_to_generate_predictions": [
            {"blocking_rule": f'l."blk_{i}" = r."blk_{i}"', "sql_dialect": "duckdb"}
            for i in range(len(PREDICTION_BLOCKING))]}
    with duckdb.connect() as con:
        con.execute("SET threads = 1")
        api = DuckDBAPI(connection=con)
        table = api.register(keyed, dataset_display_name="records",
                             table_name="__study_records")
        linker = Linker(table, model, log_level=logging.WARNING)
        predictions: Any = linker.inference.predict()
        weight = f"round(match_weight, {int(WEIGHT_DECIMALS)})"
        frame: pd.DataFrame = linker.misc.query_sql(
            f"SELECT record_id_l, record_id_r, {weight} AS match_weight "
            f"FROM {predictions.physical_name}", output_type="pandas")
    out = ordered_pairs(frame)
    out["match_weight"] = out["match_weight"].astype("float64")
    out["match_probability"] = probability_from_weight(out["match_weight"])
    return out.reset_index(drop=True)


def conflicts_of(features: pd.DataFrame, left: pd.Series, right: pd.Series) -> pd.Series:
    """The conflict levels each pair meets, as text ("" for none)."""
    f = features.set_index("record_id")
    fl, fr = f.loc[left], f.loc[right]

    def num(side: pd.DataFrame, column: str) -> np.ndarray:
        return pd.to_numeric(side[column], errors="coerce").to_numpy(dtype="float64")

    def differ(column: str) -> np.ndarray:
        a, b = fl[column].astype(object).to_numpy(), fr[column].astype(object).to_numpy()
        known = pd.notna(a) & pd.notna(b)
        out = np.zeros(len(a), dtype=bool)
        out[known] = a[known] != b[known]
        return out

    birth = np.fmax(num(fl, "birth_lo") - num(fr, "birth_hi"),
                    num(fr, "birth_lo") - num(fl, "birth_hi")) > 5
    death = np.fmax(num(fl, "death_lo") - num(fr, "death_hi"),
                    num(fr, "death_lo") - num(fl, "death_hi")) > 366
    kinds = {"father": differ("father_canon"), "birth>5": birth, "death>1y": death,
             "sex": differ("sex")}
    text = np.full(len(left), "", dtype=object)
    for name, hit in kinds.items():
        text[hit] = np.where(text[hit] == "", name, text[hit] + "+" + name)
    return pd.Series(text, index=left.index)


def missed_fragments(records: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """Each pair of predicted persons holding one true person's records, with its pairs."""
    truth = records.assign(record_id=records["record_id"].astype(str))[
        ["record_id", "true_person_id"]]
    frame = truth.merge(clusters.assign(record_id=clusters["record_id"].astype(str)),
                        on="record_id")
    cells = frame.groupby(["true_person_id", "cluster_id"]).size().rename("n").reset_index()
    split = cells.groupby("true_person_id")["cluster_id"].transform("size") > 1
    cells = cells[split]
    both = cells.merge(cells, on="true_person_id", suffixes=("_a", "_b"))
    both = both[both["cluster_id_a"] < both["cluster_id_b"]]
    return both.assign(missed=both["n_a"] * both["n_b"]).reset_index(drop=True)


def classify(records: pd.DataFrame, features: pd.DataFrame, scored: pd.DataFrame,
             first: pd.DataFrame, final: pd.DataFrame, weighed: pd.DataFrame,
             threshold: float) -> pd.DataFrame:
    """Each missed fragment pair with its stage (:data:`STAGES`) and best link."""
    fragments = missed_fragments(records, final)
    truth = records.set_index(records["record_id"].astype(str))["true_person_id"]
    source = records.set_index(records["record_id"].astype(str))["source_id"]
    cluster = final.set_index("record_id")["cluster_id"]
    together_first = first.set_index("record_id")["cluster_id"]
    pairs = scored.copy()
    pairs["true"] = truth.loc[pairs["record_id_l"]].to_numpy() == \
        truth.loc[pairs["record_id_r"]].to_numpy()
    pairs = pairs[pairs["true"]]
    pairs["c_l"] = cluster.loc[pairs["record_id_l"]].to_numpy()
    pairs["c_r"] = cluster.loc[pairs["record_id_r"]].to_numpy()
    pairs = pairs[pairs["c_l"] != pairs["c_r"]]
    w = weighed.set_index(["record_id_l", "record_id_r"])["match_probability"]
    key = pd.MultiIndex.from_frame(pairs[["record_id_l", "record_id_r"]])
    pairs["weighed"] = w.reindex(key).to_numpy()
    same_list = source.loc[pairs["record_id_l"]].to_numpy() == \
        source.loc[pairs["record_id_r"]].to_numpy()
    joined_first = together_first.loc[pairs["record_id_l"]].to_numpy() == \
        together_first.loc[pairs["record_id_r"]].to_numpy()
    p = pairs["match_probability"].to_numpy()
    stage = np.select(
        [joined_first,
         (p >= threshold) & same_list & (p < DUPLICATE_THRESHOLD),
         pairs["weighed"].to_numpy() >= threshold,
         (p >= threshold) & ~same_list,
         p < threshold],
        [0, 3, 1, 2, 4], default=1)
    pairs["stage"] = stage
    pairs["conflicts"] = conflicts_of(features, pairs["record_id_l"], pairs["record_id_r"])
    lo = np.minimum(pairs["c_l"].to_numpy(), pairs["c_r"].to_numpy())
    hi = np.maximum(pairs["c_l"].to_numpy(), pairs["c_r"].to_numpy())
    pairs = pairs.assign(cluster_id_a=lo, cluster_id_b=hi)
    # The best link of each fragment pair: the furthest stage, then the highest score.
    best = pairs.sort_values(["stage", "match_probability", "record_id_l", "record_id_r"],
                             ascending=[True, False, True, True], kind="stable")
    best = best.drop_duplicates(["cluster_id_a", "cluster_id_b"])
    out = fragments.merge(best[["cluster_id_a", "cluster_id_b", "stage", "match_probability",
                                "conflicts", "record_id_l", "record_id_r"]],
                          on=["cluster_id_a", "cluster_id_b"], how="left")
    out["stage"] = out["stage"].fillna(5).astype(int)
    out["same_list"] = False
    known = out["record_id_l"].notna()
    out.loc[known, "same_list"] = source.loc[out.loc[known, "record_id_l"]].to_numpy() == \
        source.loc[out.loc[known, "record_id_r"]].to_numpy()
    out["refused"] = ""
    members = final.groupby("cluster_id")["record_id"].apply(list)
    for i in out.index[out["stage"] == 1]:
        out.loc[i, "refused"] = _refused(members[out.loc[i, "cluster_id_a"]],
                                         members[out.loc[i, "cluster_id_b"]], source, truth)
    return out


def _refused(a: list[str], b: list[str], source: pd.Series, truth: pd.Series) -> str:
    """Why two predicted persons a link joins stayed apart: a list clash, or a weak bridge.

    A clash is two records of one list, one in each; it is a true within-list duplicate
    the rule kept apart, or a record of another person holding that list's place.
    """
    lists: dict[str, list[str]] = {}
    for x in a:
        lists.setdefault(str(source[x]), []).append(x)
    clash = [(x, y) for y in b for x in lists.get(str(source[y]), [])]
    if not clash:
        return "weak link, sparse groups"
    if all(truth[x] == truth[y] for x, y in clash):
        return "list clash: a true duplicate"
    return "list clash: another person's record"


def repaired(records: pd.DataFrame, clusters: pd.DataFrame, table: pd.DataFrame,
             stages: Collection[int], split_wrong: bool = False) -> pd.DataFrame:
    """The run's clustering with the missed links of ``stages`` found, nothing else moved.

    For each missed pair of predicted persons of those stages (``table``: :func:`classify`),
    the true person's records in the second join its records in the first (a chain of
    fragments ends in one); the other records of both stay where they are. With
    ``split_wrong`` every predicted person is also cut along true persons (no wrong merge
    left). What fixing those errors alone would give: a floor for the rest.
    """
    truth = records.set_index(records["record_id"].astype(str))["true_person_id"]
    frame = clusters.assign(record_id=clusters["record_id"].astype(str),
                            cluster_id=clusters["cluster_id"].astype(str))
    person = truth.loc[frame["record_id"]].astype(str).to_numpy()
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(cell: tuple[str, str]) -> tuple[str, str]:
        while parent.get(cell, cell) != cell:
            cell = parent[cell]
        return cell

    chosen = table[table["stage"].isin(list(stages))]
    for p, a, b in zip(chosen["true_person_id"].astype(str), chosen["cluster_id_a"].astype(str),
                       chosen["cluster_id_b"].astype(str), strict=True):
        ra, rb = find((p, a)), find((p, b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    target = [find((p, c))[1] for p, c in zip(person, frame["cluster_id"], strict=True)]
    label = [f"{t}|{p}" for t, p in zip(target, person, strict=True)] if split_wrong else target
    return pd.DataFrame({"record_id": frame["record_id"], "cluster_id": label})


def summarise(records: pd.DataFrame, clusters: pd.DataFrame) -> str:
    """P / R / persons of a clustering, one line."""
    predicted = clusters.rename(columns={"cluster_id": "person_id"})
    s = score(records[["record_id", "true_person_id"]].astype({"record_id": str}), predicted,
              lists=records[["record_id", "source_id"]].astype({"record_id": str}))
    return (f"P {s.pairwise_precision:.4f} R {s.pairwise_recall:.4f} F1 {s.pairwise_f1:.4f} "
            f"B3 F1 {s.bcubed_f1:.4f} persons {s.predicted_people:,} vs {s.true_people:,} "
            f"({100 * s.people_error:+.2f}%) CHE {s.capture_history_error:.4f} "
            f"TP {s.true_positive_pairs:,} FP {s.predicted_pairs - s.true_positive_pairs:,} "
            f"FN {s.true_pairs - s.true_positive_pairs:,}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, required=True, help="folder of a saved run")
    parser.add_argument("--people", type=int, required=True, help="population size of the run")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--no-counterfactuals", action="store_true")
    parser.add_argument("--current-blocking", action="store_true",
                        help="score the pairs this code's blocking rules reach (not the run's)")
    args = parser.parse_args(argv)
    logging.getLogger("splink").setLevel(logging.WARNING)
    records, saved_pairs, saved_clusters = load(args.save, args.people)
    model = json.loads((args.save / f"{args.people}-model.json").read_text("utf-8"))
    features = features_of(records)
    scored = score_all(features, model, args.current_blocking)
    strong = scored[scored["match_probability"] >= args.threshold].reset_index(drop=True)
    check = ordered_pairs(saved_pairs[["record_id_l", "record_id_r", "match_weight"]])
    same = strong[["record_id_l", "record_id_r", "match_weight"]].sort_values(
        ["record_id_l", "record_id_r"]).reset_index(drop=True).equals(
        check.sort_values(["record_id_l", "record_id_r"]).reset_index(drop=True))
    print(f"scored {len(scored):,} blocked pairs again; {len(strong):,} at the threshold "
          f"{args.threshold} (the run's saved pairs: {len(saved_pairs):,}, identical: {same})")
    ids, sources = features["record_id"], features["source_id"]
    first, _ = chain_apart(ids, strong, args.threshold, None, features, sources=sources)
    final, kept_apart, _ = cluster_with_chain_check(ids, strong, args.threshold, None, features,
                                                    sources=sources)
    print(f"final clustering identical to the run's: "
          f"{final.clusters.equals(saved_clusters)}; chain pairs kept apart {kept_apart:,}")
    print(f"run:              {summarise(records, final.clusters)}")
    weighed = first.links if first.links is not None else strong
    table = classify(records, features, scored, first.clusters, final.clusters, weighed,
                     args.threshold)
    total = int(table["missed"].sum())
    print(f"missed true pairs {total:,} in {len(table):,} pairs of predicted persons, "
          "by what kept them apart (the furthest any link between them got):")
    print("  stage                     fragments  missed pairs  share  same list")
    for k, name in enumerate(STAGES):
        part = table[table["stage"] == k]
        print(f"  {name:<25} {len(part):>9,} {int(part['missed'].sum()):>13,}  "
              f"{part['missed'].sum() / max(total, 1):.3f}  {int(part['same_list'].sum()):>9,}")
    refused = table[table["stage"] == 1]
    print("  one-per-list / bridge, by what the rebuilt groups held (missed pairs):")
    print(refused.groupby("refused")["missed"].agg(["size", "sum"]).to_string())
    below = table[table["stage"] == 4]
    print("  below threshold, by the best link's band and conflicts (missed pairs):")
    bands = pd.cut(below["match_probability"], [0, 0.001, 0.01, 0.02, 0.03, 0.05],
                   right=False)
    print(below.groupby([bands, below["conflicts"].replace("", "none")], observed=True)[
        "missed"].sum().to_string())
    print("the run's errors repaired by an oracle, each alone (what is left is the rest):")
    final_clusters = final.clusters
    every = range(len(STAGES))
    oracles: dict[str, tuple[Collection[int], bool]] = {
        **{f"{name} found": ((k,), False) for k, name in enumerate(STAGES)},
        "every missed link found": (every, False),
        "no wrong merge": ((), True),
        "both (the truth)": (every, True),
    }
    for name, (stages, split_wrong) in oracles.items():
        fixed = repaired(records, final_clusters, table, stages, split_wrong)
        print(f"  {name:<30} {summarise(records, fixed)}")
    if args.no_counterfactuals:
        return 0
    print("each rule alone switched off (the same pairs):")
    variants: dict[str, dict[str, Any]] = {
        "no chain check": {"chain": False},
        "no rivals": {"rivals": False},
        "no bridge rule": {"bridge_below": 0.0},
        "within-list at the threshold": {"duplicate_threshold": args.threshold},
        "within-list at 0.5": {"duplicate_threshold": 0.5},
    }
    for name, options in variants.items():
        chain = options.pop("chain", True)
        if chain:
            c, _, _ = cluster_with_chain_check(ids, strong, args.threshold, None, features,
                                               sources=sources, **options)
        else:
            c = cluster_pairs(ids, strong, args.threshold, None, sources=sources, **options)
        print(f"  {name:<30} {summarise(records, c.clusters)}")
    for low in (0.03, 0.02):
        lower = scored[scored["match_probability"] >= low]
        c, _, _ = cluster_with_chain_check(ids, lower, low, None, features, sources=sources)
        print(f"  {'threshold ' + str(low):<30} {summarise(records, c.clusters)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
