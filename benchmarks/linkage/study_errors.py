"""Wrong and missed links of one saved run of SYNTHETIC lists, by what each pair's levels say.

``bench_common_names.py --people N --save DIR`` writes the lists with their truth, the
scored pairs, the clusters and the trained model of a run. This script scores every
pair the blocking reaches again with that model, keeping each comparison's level and
match weight (no training, no clustering), and sorts

* every **wrong pair** (two records of one predicted person that are two true people),
  linked to each other directly (scored at or above the threshold) or only through
  other records, the direct ones by cause: two records of one list; names swapped;
  a name that disagrees (different known names, or nothing alike); names that agree
  only loosely (coarse letters, Jaro-Winkler, one a prefix of the other); namesakes
  with a conflict (fathers, birth years more than 5 apart, deaths more than a year
  apart, sex); namesakes nothing in the lists tells apart;
* every **missed pair** (two records of one true person in two predicted persons):
  never compared (no blocking rule reaches it), scored below the threshold (by the
  same causes, and whether the death dates only overlap: a year or month against a
  day), or linked and kept apart by the clustering.

``--show K`` prints the K strongest pairs of each cause with both records and each
comparison's level and weight. Every person is invented.

    .venv/bin/python benchmarks/linkage/study_errors.py --save DIR --people 4000 --show 5
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from splink import DuckDBAPI, Linker

sys.path.insert(0, str(Path(__file__).resolve().parent))

from study_merges import features_of, load

from dadkhahi.linkage.clusters import DEFAULT_THRESHOLD, ordered_pairs
from dadkhahi.linkage.model import (
    BIRTH_CONFLICT,
    DEATH_CONFLICT,
    FAMILY_UNLIKE,
    FATHER_CONFLICT,
    PREDICTION_BLOCKING,
    SEX_CONFLICT,
    blocking_keys,
)

COMPARISONS = ("given_name", "family_name", "father_name", "birth", "death", "sex", "city",
               "province", "prison", "burial_place", "affiliation")
SHOWN = ("full_name", "given_name", "family_name", "father_name", "sex", "birth_year", "age",
         "city", "province", "prison", "death_date", "burial_place", "affiliation")
CONFLICTS = {FATHER_CONFLICT, BIRTH_CONFLICT, DEATH_CONFLICT, SEX_CONFLICT}


@contextmanager
def blocked_linker(
    features: pd.DataFrame, model: dict[str, Any], retain: tuple[str, ...] = (),
    *, matching: bool = True, memory_limit: str = "3GB",
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Any]]:
    """A linker that scores every pair this code's blocking reaches in ``features`` with
    ``model``, on one DuckDB thread (spilling to the temporary folder past
    ``memory_limit``): yields the connection and the linker, whose predictions keep each
    comparison's weights (``mw_<name>``, ``mw_tf_adj_<name>``) and, with ``matching``,
    its level (``gamma_<name>``: Splink keeps it only with the compared values, a wide
    table on large inputs); ``retain``: feature columns kept (``<column>_l``, ``_r``)."""
    keyed = pd.concat([features, blocking_keys(features)], axis=1)
    model = {**model, "retain_intermediate_calculation_columns": True,
             "retain_matching_columns": matching,
             "additional_columns_to_retain": list(retain),
             "blocking_rules_to_generate_predictions": [
                 {"blocking_rule": f'l."blk_{i}" = r."blk_{i}"', "sql_dialect": "duckdb"}
                 for i in range(len(PREDICTION_BLOCKING))]}
    with tempfile.TemporaryDirectory(prefix="study-") as spill, duckdb.connect() as con:
        con.execute("SET threads = 1")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{spill}'")
        api = DuckDBAPI(connection=con)
        table = api.register(keyed, dataset_display_name="records", table_name="__errors")
        yield con, Linker(table, model, log_level=logging.WARNING)


def scored_levels(records: pd.DataFrame, model: dict[str, Any]) -> pd.DataFrame:
    """Every pair this code's blocking reaches, scored by ``model``: each comparison's
    level label (``lv_<comparison>``) and weight with its frequency adjustment
    (``bits_<comparison>``), ``match_weight``; smaller record id left."""
    with blocked_linker(features_of(records), model) as (con, linker):
        predictions: Any = linker.inference.predict()
        frame = con.execute(f"SELECT * FROM {predictions.physical_name}").df()
        comparisons = linker._settings_obj.comparisons
    out = pd.DataFrame({"record_id_l": frame["record_id_l"], "record_id_r": frame["record_id_r"],
                        "match_weight": frame["match_weight"].astype(float)})
    for comparison in comparisons:
        name = comparison.output_column_name
        labels = {lv.comparison_vector_value: lv.label_for_charts
                  for lv in comparison.comparison_levels}
        out[f"lv_{name}"] = frame[f"gamma_{name}"].map(labels)
        bits = frame[f"mw_{name}"].astype(float)
        if f"mw_tf_adj_{name}" in frame:
            bits = bits + frame[f"mw_tf_adj_{name}"].astype(float)
        out[f"bits_{name}"] = bits
    return ordered_pairs(out).reset_index(drop=True)


def _name_state(label: str) -> str:
    if label.startswith(("same canonical", "same names run together")) \
            or (label.endswith(" skeleton") and label.startswith("same ")):
        return "agree"
    if " swapped with " in label:
        return "swapped"
    if label.startswith("different known") or label in ("All other comparisons", FAMILY_UNLIKE):
        return "disagree"
    if label.lower().startswith("null"):
        return "unknown"
    return "loose"


def cause(row: pd.Series, source: pd.Series) -> str:
    """What the levels of one scored pair say (see the module docstring)."""
    if source[row["record_id_l"]] == source[row["record_id_r"]]:
        return "one list"
    names = [_name_state(str(row[f"lv_{n}"])) for n in ("given_name", "family_name")]
    if "swapped" in names:
        return "names swapped"
    if "disagree" in names:
        return "a name disagrees"
    if "loose" in names:
        return "names agree loosely"
    if any(str(row[f"lv_{c}"]) in CONFLICTS for c in COMPARISONS):
        return "namesakes, a conflict"
    return "namesakes, nothing apart"


def study(save: Path, people: int, threshold: float, show: int) -> None:
    records, pairs, clusters = load(save, people)
    model = json.loads((save / f"{people}-model.json").read_text("utf-8"))
    truth = records.set_index(records["record_id"].astype(str))["true_person_id"]
    source = records.set_index(records["record_id"].astype(str))["source_id"]
    cluster = clusters.set_index(clusters["record_id"].astype(str))["cluster_id"]
    levels = scored_levels(records, model)
    levels["true"] = (levels["record_id_l"].map(truth).to_numpy()
                      == levels["record_id_r"].map(truth).to_numpy())
    levels["together"] = (levels["record_id_l"].map(cluster).to_numpy()
                          == levels["record_id_r"].map(cluster).to_numpy())
    kept = ordered_pairs(pairs[["record_id_l", "record_id_r", "match_probability"]])
    linked = pd.MultiIndex.from_frame(kept.loc[kept["match_probability"] >= threshold,
                                               ["record_id_l", "record_id_r"]])
    levels["linked"] = pd.MultiIndex.from_frame(levels[["record_id_l", "record_id_r"]]).isin(linked)
    levels["cause"] = levels.apply(cause, axis=1, source=source)
    levels["death_partial"] = levels["lv_death"].isin(["death intervals overlap"])

    # Wrong pairs: every pair of records in one predicted person, two true people.
    members = clusters.astype({"record_id": str})
    together = members.merge(members, on="cluster_id", suffixes=("_l", "_r"))
    together = together[together["record_id_l"] < together["record_id_r"]]
    wrong = together[together["record_id_l"].map(truth).to_numpy()
                     != together["record_id_r"].map(truth).to_numpy()]
    key = pd.MultiIndex.from_frame(wrong[["record_id_l", "record_id_r"]])
    direct = levels[levels["linked"] & ~levels["true"] & levels["together"]]
    through = int((~key.isin(pd.MultiIndex.from_frame(direct[["record_id_l", "record_id_r"]]))
                   ).sum())
    print(f"wrong pairs {len(wrong):,}: linked directly {len(direct):,}, through other records "
          f"{through:,}")
    _table(direct, "direct wrong links by cause")
    _show(direct, records, show)

    # Missed pairs: every true pair split between two predicted persons.
    true_pairs = records[["record_id", "true_person_id"]].astype({"record_id": str})
    true_pairs = true_pairs.merge(true_pairs, on="true_person_id", suffixes=("_l", "_r"))
    true_pairs = true_pairs[true_pairs["record_id_l"] < true_pairs["record_id_r"]]
    missed = true_pairs[true_pairs["record_id_l"].map(cluster).to_numpy()
                        != true_pairs["record_id_r"].map(cluster).to_numpy()]
    scored_missed = levels[levels["true"] & ~levels["together"]]
    below = scored_missed[~scored_missed["linked"]]
    apart = scored_missed[scored_missed["linked"]]
    print(f"\nmissed true pairs {len(missed):,}: never compared "
          f"{len(missed) - len(scored_missed):,}, below the threshold {len(below):,} "
          f"(death dates only overlapping {int(below['death_partial'].sum()):,}), "
          f"linked and kept apart by the clustering {len(apart):,}")
    _table(below, "missed below the threshold by cause")
    _show(below, records, show)


def _table(frame: pd.DataFrame, title: str) -> None:
    print(f"  {title}:")
    counts = frame["cause"].value_counts()
    for name, n in counts.items():
        weights = frame.loc[frame["cause"] == name, "match_weight"]
        print(f"    {name:28s} {n:6,}   weight median {weights.median():+.2f}")


def _show(frame: pd.DataFrame, records: pd.DataFrame, show: int) -> None:
    if show <= 0:
        return
    by_id = records.set_index(records["record_id"].astype(str))
    for name, group in frame.groupby("cause", sort=True):
        print(f"  -- {name}")
        for _, row in group.sort_values("match_weight", ascending=False).head(show).iterrows():
            bits = " ".join(f"{c}={row[f'bits_{c}']:+.1f}" for c in COMPARISONS
                            if not str(row[f"lv_{c}"]).lower().startswith("null")
                            and pd.notna(row[f"bits_{c}"]))
            print(f"     w {row['match_weight']:+.2f}: {bits}")
            for rid in (row["record_id_l"], row["record_id_r"]):
                rec = by_id.loc[rid]
                values = " | ".join(str(rec[k]) for k in SHOWN if k in rec and pd.notna(rec[k]))
                print(f"       {rid} {values} (person {rec['true_person_id']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, required=True, help="folder of a saved run")
    parser.add_argument("--people", type=int, required=True, help="population size of the run")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--show", type=int, default=0, help="pairs printed per cause")
    args = parser.parse_args(argv)
    logging.getLogger("splink").setLevel(logging.ERROR)
    study(args.save, args.people, args.threshold, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
