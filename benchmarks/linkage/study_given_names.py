"""Which given-name level the true pairs get, and the missed ones: a study of saved runs.

``bench_common_names.py --people N --save DIR`` writes the lists with their truth, the
clusters and the trained model of a run. This script puts every true pair (two records
of one invented person) through the saved model's given-name comparison, in DuckDB
from the model's own level conditions, and counts the pairs per level: all true pairs,
and the missed ones (left in two predicted persons). With ``--show`` it prints
examples of the names behind the missed pairs of each level. Every person is invented.

    .venv/bin/python benchmarks/linkage/study_given_names.py --save DIR --people 4000 --show 8
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from study_merges import features_of, load


def level_case(comparison: dict[str, Any]) -> str:
    """SQL CASE giving each pair the label of the first level it meets."""
    arms = []
    for level in comparison["comparison_levels"]:
        label = level.get("label_for_charts", "?").replace("'", "''")
        if level["sql_condition"] == "ELSE":
            arms.append(f"ELSE '{label}'")
        else:
            arms.append(f"WHEN {level['sql_condition']} THEN '{label}'")
    return "CASE " + " ".join(arms) + " END"


def true_pairs(records: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """Every pair of records of one true person, with whether the run kept them together."""
    frame = pd.DataFrame({"record_id": records["record_id"].astype(str),
                          "person": records["true_person_id"].to_numpy()})
    cluster = clusters.set_index(clusters["record_id"].astype(str))["cluster_id"]
    frame["cluster"] = cluster.reindex(frame["record_id"]).to_numpy()
    both = frame.merge(frame, on="person", suffixes=("_l", "_r"))
    both = both[both["record_id_l"] < both["record_id_r"]]
    both["missed"] = both["cluster_l"] != both["cluster_r"]
    return both[["record_id_l", "record_id_r", "missed"]].reset_index(drop=True)


def given_levels(save: Path, people: int, comparison_name: str = "given_name") -> pd.DataFrame:
    """Each true pair with its level on ``comparison_name`` and the names as written."""
    records, _, clusters = load(save, people)
    model = json.loads((save / f"{people}-model.json").read_text("utf-8"))
    comparison = next(c for c in model["comparisons"]
                      if c["output_column_name"] == comparison_name)
    features = features_of(records)
    pairs = true_pairs(records, clusters)
    column = comparison_name if comparison_name in records.columns else "given_name"
    written = records.assign(record_id=records["record_id"].astype(str),
                             written=records[column].fillna(records["full_name"]))
    columns = [c for c in features.columns if c != "record_id"]

    def side(suffix: str) -> str:
        renamed = ", ".join(f'"{c}" AS "{c}_{suffix}"' for c in columns)
        return f"(SELECT record_id, {renamed} FROM f) AS {suffix}"

    with duckdb.connect() as con:
        con.register("f", features)
        con.register("p", pairs)
        con.register("w", written[["record_id", "written"]])
        out: pd.DataFrame = con.execute(
            f"SELECT p.record_id_l, p.record_id_r, p.missed, wl.written AS written_l, "
            f"wr.written AS written_r, {level_case(comparison)} AS level "
            f"FROM p JOIN {side('l')} ON l.record_id = p.record_id_l "
            f"JOIN {side('r')} ON r.record_id = p.record_id_r "
            "JOIN w AS wl ON wl.record_id = p.record_id_l "
            "JOIN w AS wr ON wr.record_id = p.record_id_r "
            "ORDER BY p.record_id_l, p.record_id_r"
        ).df()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--save", type=Path, required=True, action="append",
                        help="folder of a saved run (repeat for several)")
    parser.add_argument("--people", type=int, required=True)
    parser.add_argument("--show", type=int, default=0, help="examples printed per level")
    parser.add_argument("--comparison", default="given_name",
                        help="the comparison to study (father_name, family_name...)")
    args = parser.parse_args(argv)
    for save in args.save:
        frame = given_levels(save, args.people, args.comparison)
        table = frame.groupby("level").agg(true=("missed", "size"), missed=("missed", "sum"))
        table = table.sort_values("missed", ascending=False)
        print(f"{save}: {len(frame):,} true pairs, {int(frame['missed'].sum()):,} missed")
        print(table.to_string())
        if args.show:
            missed = frame[frame["missed"]]
            for level, group in missed.groupby("level"):
                names = (group["written_l"].astype(str) + " / " + group["written_r"].astype(str))
                print(f"  {level}: " + "; ".join(names.head(args.show)))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
