"""Dadkhahi's Persian-aware linkage on the SYNTHETIC lists, scored against the truth.

Generates lists of invented people with `generate.py` (independent of
`dadkhahi.persian`), links them with `dadkhahi.linkage.link`, and prints
pairwise precision/recall/F1, B-cubed, the error in the number of distinct
people, recall of true pairs by script pair (cross-script vs within-script),
the recall of the blocking rules alone, time and peak memory. `--baseline` also
runs plain Splink (`baseline.py`) on the same data.

    .venv/bin/python benchmarks/linkage/bench_dadkhahi.py --people 2000 --lists 5
    .venv/bin/python benchmarks/linkage/bench_dadkhahi.py --people 2000 --baseline
    .venv/bin/python benchmarks/linkage/bench_dadkhahi.py --people 160 --lists 3 \
        --backend spark --same-as-duckdb          # Spark gives DuckDB's clusters
    .venv/bin/python benchmarks/linkage/bench_dadkhahi.py --people 161700 --no-diagnostics \
        --backend spark --spark-memory 3g         # the JVM's heap capped (default 4g)
    .venv/bin/python benchmarks/linkage/bench_dadkhahi.py --people 400000 --lists 5 --no-diagnostics
    .venv/bin/python benchmarks/linkage/bench_dadkhahi.py --people 161700 --no-diagnostics \
        --save /tmp/d300k                          # then study_misses.py --save /tmp/d300k
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import describe, generate, load_config
from metrics import score, true_pair_recall_by

from dadkhahi.linkage import link, local_spark_session, record_features
from dadkhahi.linkage.model import blocking_keys


def _peak_rss_gib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _script_labels(df: pd.DataFrame) -> pd.Series:
    lists = df.attrs.get("lists", {})
    return df["source_id"].map({k: v["script"] for k, v in lists.items()})


def blocking_recall(df: pd.DataFrame) -> tuple[int, int, int]:
    """(true pairs, true pairs any blocking rule reaches, comparisons generated).

    On the linker's own blocking keys (:func:`dadkhahi.linkage.model.blocking_keys`:
    blocks larger than ``BLOCK_CAP`` left out, as ``link`` leaves them out). Joined on
    the raw columns, as before stop 31, it counted blocks the linker never compares and,
    at 300,000 records, held 7.9 GB before it was stopped.
    """
    features = record_features(df.drop(columns=["true_person_id"]))
    keys = blocking_keys(features)
    keys["record_id"] = features["record_id"].to_numpy()
    keys["truth"] = df["true_person_id"].to_numpy()
    con = duckdb.connect()
    con.register("f", keys)
    union = " UNION ".join(
        "SELECT l.record_id AS a, r.record_id AS b, l.truth = r.truth AS same FROM f l JOIN f r "
        f"ON l.{column} = r.{column} AND l.record_id < r.record_id"
        for column in keys.columns if column.startswith("blk_")
    )
    found, total = con.execute(
        f"SELECT count(*) FILTER (WHERE same), count(*) FROM ({union})"
    ).fetchone() or (0, 0)
    sizes = df["true_person_id"].value_counts()
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    return true_pairs, int(found), int(total)


def _parameters(model: dict[str, Any], key: str) -> dict[tuple[str, int], float]:
    return {(c["output_column_name"], i): float(level[key])
            for c in model["comparisons"]
            for i, level in enumerate(c["comparison_levels"])
            if not level.get("is_null_level") and level.get(key) is not None}


def backend_differences(spark: Any, duck: Any) -> list[str]:
    """Where two runs of ``link`` (Spark, DuckDB) differ: persons (as sets of record ids),
    prior, u and m (how many levels, the largest relative gap), kept pairs and weights."""
    def persons(result: Any) -> set[frozenset[str]]:
        groups = result.clusters.groupby("cluster_id")["record_id"].apply(frozenset)
        return set(groups)

    ours, theirs = persons(spark), persons(duck)
    lines = [f"persons {len(ours):,} / {len(theirs):,}; records in clusters not shared: "
             f"{sum(map(len, ours - theirs)):,} / {sum(map(len, theirs - ours)):,}",
             f"prior {spark.model['probability_two_random_records_match']} / "
             f"{duck.model['probability_two_random_records_match']}"]
    for key in ("u_probability", "m_probability"):
        a, b = _parameters(spark.model, key), _parameters(duck.model, key)
        gaps = {level: abs(a[level] - b[level]) / max(abs(b[level]), 1e-300)
                for level in a.keys() & b.keys()
                if a[level] != b[level]}
        worst = max(gaps, key=lambda level: gaps[level], default=None)
        lines.append(f"{key[0]}: {len(gaps)} of {len(b)} levels differ"
                     + ("" if worst is None else
                        f", most {gaps[worst]:.3g} relative at {worst}: {a[worst]} / {b[worst]}"))
    keys = ["record_id_l", "record_id_r"]
    weights = spark.pairs.merge(duck.pairs, on=keys, how="outer", suffixes=("_s", "_d"),
                                indicator=True)
    both = weights[weights["_merge"] == "both"]
    gap = (both["match_weight_s"] - both["match_weight_d"]).abs()
    lines.append(f"kept pairs {len(spark.pairs):,} / {len(duck.pairs):,}, "
                 f"{int((weights['_merge'] == 'left_only').sum()):,} Spark's only, "
                 f"{int((weights['_merge'] == 'right_only').sum()):,} DuckDB's only; "
                 f"{int((gap > 0).sum()):,} of {len(both):,} common weights differ "
                 f"(most {gap.max() if len(gap) else 0.0:.4g} bits)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Dadkhahi linkage on SYNTHETIC lists")
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--lists", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", help="generator configuration (configs/NAME.json or a "
                        "file; --people, --lists, --seed given as well override it)")
    parser.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE",
                        help="override a generator knob")
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--backend", choices=["duckdb", "spark"], default="duckdb")
    parser.add_argument("--baseline", action="store_true", help="also run plain Splink")
    parser.add_argument("--same-as-duckdb", action="store_true",
                        help="with --backend spark: also link on DuckDB and say whether the "
                             "clusters are identical (the heavy check moved out of make test)")
    parser.add_argument("--spark-memory", default=None, metavar="SIZE",
                        help="with --backend spark: the driver's heap (e.g. 3g; the JVM runs "
                             "the local executors too); default linkage.run.local_spark_shape")
    parser.add_argument("--no-diagnostics", action="store_true",
                        help="skip blocking recall and per-script recall (large runs)")
    parser.add_argument("--save", type=Path, default=None, metavar="DIR",
                        help="write the lists (with truth), pairs, clusters and model here "
                             "(as bench_common_names.py --save: for study_misses.py, "
                             "study_errors.py with --people N)")
    parser.add_argument("--log-stages", action="store_true",
                        help="Splink's progress (each training step and EM iteration) with "
                             "the time, to stderr: where a long run spends its time")
    args = parser.parse_args(argv)
    logging.getLogger("splink").setLevel(logging.WARNING)
    if args.log_stages:
        # The linker sets the "splink" logger to WARNING on every Linker it makes; a level
        # set on Splink's modules' own parent logger is theirs and outlives that.
        stages = logging.getLogger("splink.internals")
        stages.setLevel(logging.INFO)
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        stages.addHandler(handler)
        stages.propagate = False

    knobs: dict[str, float] = {}
    if args.config:
        config = load_config(args.config)
        given = set(sys.argv[1:] if argv is None else argv)
        args.people = args.people if "--people" in given else config["people"]
        args.lists = args.lists if "--lists" in given else config["lists"]
        args.seed = args.seed if "--seed" in given else config["seed"]
        knobs.update(config.get("knobs", {}))
    for item in args.knob:
        name, _, value = item.partition("=")
        knobs[name] = float(value)
    tick = time.perf_counter()
    df = generate(args.people, args.lists, args.seed, **knobs)
    print(f"generated in {time.perf_counter() - tick:.1f} s")
    print("SYNTHETIC lists (invented people):", describe(df))
    records = df.drop(columns=["true_person_id"])

    options = {} if args.threshold is None else {"threshold": args.threshold}
    session = None
    if args.backend == "spark" and args.spark_memory:
        session = local_spark_session(memory=args.spark_memory, records=len(records))
        print(f"Spark: {session.sparkContext.master}, driver memory "
              f"{session.sparkContext.getConf().get('spark.driver.memory')}")
    tick = time.perf_counter()
    result = link(records, backend=args.backend, spark=session, **options)
    seconds = time.perf_counter() - tick
    predicted = result.clusters.rename(columns={"cluster_id": "person_id"})
    if args.save is not None:
        args.save.mkdir(parents=True, exist_ok=True)
        df.to_pickle(args.save / f"{args.people}-records.pkl")
        result.pairs.to_pickle(args.save / f"{args.people}-pairs.pkl")
        result.clusters.to_pickle(args.save / f"{args.people}-clusters.pkl")
        (args.save / f"{args.people}-model.json").write_text(
            json.dumps(result.model, indent=1), "utf-8")
    lists = df[["record_id", "source_id"]]
    scores = score(df[["record_id", "true_person_id"]], predicted, lists=lists)
    print(f"dadkhahi.linkage ({args.backend}, {seconds:.1f} s, peak RSS {_peak_rss_gib():.2f} GiB)")
    print(f"  {scores.summary()}")
    print("  stages:", {k: round(v, 2) for k, v in result.stats.items()})
    print(f"  review queue: {len(result.review_candidates):,} pairs")
    if args.same_as_duckdb and args.backend == "spark":
        tick = time.perf_counter()
        duck = link(records, **options)
        same = result.clusters.equals(duck.clusters)
        print(f"  duckdb: {time.perf_counter() - tick:.1f} s; clusters identical to spark: {same}")
        for line in backend_differences(result, duck):
            print(f"  {line}")
        if not same:
            return 1
    if not args.no_diagnostics:
        truth = df[["record_id", "true_person_id"]].assign(script=_script_labels(df).to_numpy())
        for row in true_pair_recall_by(truth, predicted, "script").itertuples(index=False):
            print(f"  recall {row.category:<16} {row.found:>8,} / {row.true_pairs:<8,} "
                  f"= {row.recall:.4f}")
        true_pairs, reached, comparisons = blocking_recall(df)
        print(f"  blocking: {reached:,} / {true_pairs:,} true pairs reached "
              f"({reached / max(true_pairs, 1):.4f}) in {comparisons:,} comparisons")

    if args.baseline:
        from baseline import run_baseline

        tick = time.perf_counter()
        plain = run_baseline(records)
        plain_scores = score(df[["record_id", "true_person_id"]], plain, lists=lists)
        print(f"plain Splink ({time.perf_counter() - tick:.1f} s)")
        print(f"  {plain_scores.summary()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
