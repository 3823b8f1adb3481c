"""Wrong and missed pairs of saved runs of SYNTHETIC lists, by list, fields known and band.

``bench_common_names.py --people N --seed S --save DIR`` writes a run's lists (with their
truth), scored pairs, clusters and model. This script scores every blocked pair again with
that model (:func:`study_errors.scored_levels`: each comparison's level), and counts

* the **wrong pairs linked directly** (two true people, one predicted person, their own
  pair at or above the threshold) and the **missed true pairs** (one true person, two
  predicted persons; by what kept them apart: never compared, below the threshold, linked
  at or above it but kept apart by the clustering), beside the **right links** (true pairs
  at or above the threshold, in one predicted person);
* each by: the two records on one list or on two; which fields both records give (father's
  name, birth year, death date to the day, a place: city or province); the band of the
  pair's probability.

Then, for pairs of two records of one list, the true and false ones by band: how far the
within-list rule (:data:`~dadkhahi.linkage.clusters.DUPLICATE_THRESHOLD`) separates them.
Several saved runs (``--save`` repeated) are counted side by side, so a change is judged on
more than one draw. Every person is invented.

    .venv/bin/python benchmarks/linkage/study_breakdown.py --people 4000 \\
        --save /tmp/cn/s0 --save /tmp/cn/s1 --save /tmp/cn/s2
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from study_errors import scored_levels
from study_merges import features_of, load

from dadkhahi.linkage.clusters import DEFAULT_THRESHOLD, DUPLICATE_THRESHOLD

BANDS = (0.0, 0.001, 0.01, 0.05, 0.2, 0.5, 0.9, 0.99, 1.0 + 1e-9)


def _both_known(features: pd.DataFrame, left: pd.Series, right: pd.Series,
                column: str) -> np.ndarray:
    f = features.set_index("record_id")[column]
    return np.asarray(f.loc[left].notna().to_numpy() & f.loc[right].notna().to_numpy())


def facts(save: Path, people: int, threshold: float) -> pd.DataFrame:
    """Every scored or true pair of one saved run, with its kind and what both records give.

    ``kind``: right (true, linked, together), wrong (false, linked, together), missed-below
    (true, apart, scored below the threshold), missed-apart (true, apart, linked), missed-
    never (true, apart, never compared); other pairs are dropped.
    """
    records, _, clusters = load(save, people)
    model = json.loads((save / f"{people}-model.json").read_text("utf-8"))
    features = features_of(records)
    levels = scored_levels(records, model)
    truth = records.set_index(records["record_id"].astype(str))["true_person_id"]
    source = records.set_index(records["record_id"].astype(str))["source_id"]
    cluster = clusters.set_index(clusters["record_id"].astype(str))["cluster_id"]
    true_pairs = records[["record_id", "true_person_id"]].astype({"record_id": str})
    true_pairs = true_pairs.merge(true_pairs, on="true_person_id", suffixes=("_l", "_r"))
    true_pairs = true_pairs[true_pairs["record_id_l"] < true_pairs["record_id_r"]]
    pairs = levels.merge(true_pairs[["record_id_l", "record_id_r"]], how="outer",
                         on=["record_id_l", "record_id_r"], indicator=True)
    left, right = pairs["record_id_l"], pairs["record_id_r"]
    pairs["true"] = truth.loc[left].to_numpy() == truth.loc[right].to_numpy()
    pairs["together"] = cluster.loc[left].to_numpy() == cluster.loc[right].to_numpy()
    pairs["compared"] = pairs["_merge"] != "right_only"
    prob = 1.0 / (1.0 + np.exp2(-pairs["match_weight"].to_numpy(dtype="float64")))
    pairs["probability"] = np.where(pairs["compared"], prob, np.nan)
    linked = pairs["probability"] >= threshold
    pairs["kind"] = np.select(
        [pairs["true"] & pairs["together"] & linked,
         ~pairs["true"] & pairs["together"] & linked,
         pairs["true"] & ~pairs["together"] & ~pairs["compared"],
         pairs["true"] & ~pairs["together"] & linked,
         pairs["true"] & ~pairs["together"]],
        ["right", "wrong", "missed-never", "missed-apart", "missed-below"], default="")
    pairs = pairs[pairs["kind"] != ""].copy()
    left, right = pairs["record_id_l"], pairs["record_id_r"]
    pairs["one_list"] = source.loc[left].to_numpy() == source.loc[right].to_numpy()
    pairs["father"] = _both_known(features, left, right, "father_canon")
    pairs["birth"] = _both_known(features, left, right, "birth_lo")
    f = features.set_index("record_id")
    day = (f["death_lo"] == f["death_hi"]).reindex(f.index).fillna(False)
    pairs["death_day"] = day.loc[left].to_numpy() & day.loc[right].to_numpy()
    pairs["place"] = (_both_known(features, left, right, "city_key")
                      | _both_known(features, left, right, "region_key"))
    pairs["band"] = pd.cut(pairs["probability"], BANDS, right=False)
    return pairs.reset_index(drop=True)


def _share(frame: pd.DataFrame, column: str) -> str:
    return f"{frame[column].mean():.2f}" if len(frame) else "-"


def report(runs: dict[str, pd.DataFrame]) -> None:
    """Print the tables of the module docstring, one column per run."""
    kinds = ("right", "wrong", "missed-below", "missed-apart", "missed-never")
    print("pairs by kind (one list / two lists), per run:")
    for kind in kinds:
        cells = []
        for frame in runs.values():
            part = frame[frame["kind"] == kind]
            cells.append(f"{len(part):5,} ({int(part['one_list'].sum()):4,} / "
                         f"{int((~part['one_list']).sum()):5,})")
        print(f"  {kind:<13} " + "  ".join(cells))
    print("share with both records giving: father / birth / death to the day / place")
    for kind in kinds:
        cells = []
        for frame in runs.values():
            part = frame[frame["kind"] == kind]
            cells.append(" / ".join(_share(part, c) for c in ("father", "birth", "death_day",
                                                                "place")))
        print(f"  {kind:<13} " + "   ".join(cells))
    print("by band of the pair's probability (all runs): kind x band, two lists | one list")
    every = pd.concat(runs.values(), ignore_index=True)
    for one_list, name in ((False, "two lists"), (True, "one list")):
        part = every[every["one_list"] == one_list]
        table = part.groupby(["kind", "band"], observed=False).size().unstack(fill_value=0)
        print(f"  {name}:")
        print("    " + table.to_string().replace("\n", "\n    "))
    print("pairs of one list, true / false by band (all runs; every scored pair, linked or "
          f"not; within-list duplicates link directly from {DUPLICATE_THRESHOLD}):")


def within_list(saves: list[Path], people: int) -> None:
    """True and false pairs of one list by band, over every scored pair of each run."""
    counts = []
    for save in saves:
        records, _, _ = load(save, people)
        model = json.loads((save / f"{people}-model.json").read_text("utf-8"))
        levels = scored_levels(records, model)
        truth = records.set_index(records["record_id"].astype(str))["true_person_id"]
        source = records.set_index(records["record_id"].astype(str))["source_id"]
        left, right = levels["record_id_l"], levels["record_id_r"]
        same = source.loc[left].to_numpy() == source.loc[right].to_numpy()
        part = levels[same]
        prob = 1.0 / (1.0 + np.exp2(-part["match_weight"].to_numpy(dtype="float64")))
        true = (truth.loc[part["record_id_l"]].to_numpy()
                == truth.loc[part["record_id_r"]].to_numpy())
        counts.append(pd.DataFrame({"band": pd.cut(prob, BANDS, right=False), "true": true}))
    frame = pd.concat(counts, ignore_index=True)
    table = frame.groupby(["band", "true"], observed=False).size().unstack(fill_value=0)
    print("    " + table.to_string().replace("\n", "\n    "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, action="append", required=True,
                        help="folder of a saved run (repeatable)")
    parser.add_argument("--people", type=int, required=True, help="population size of the runs")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args(argv)
    logging.getLogger("splink").setLevel(logging.ERROR)
    runs = {str(save): facts(save, args.people, args.threshold) for save in args.save}
    report(runs)
    within_list(args.save, args.people)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
