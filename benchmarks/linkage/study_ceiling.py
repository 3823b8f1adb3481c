"""How far the comparisons themselves can link a saved run of SYNTHETIC lists: a ceiling.

``bench_dadkhahi.py --save DIR`` (or ``bench_common_names.py --save DIR``) writes a run's
lists with their truth, its scored pairs, clusters and trained model. This script scores
every pair the blocking reaches again with that model (each comparison's level, the
frequency adjustments, the weight; :func:`study_errors.blocked_predictions`), and with
the generator's truth asks what better parameters, or any model of these comparisons,
could do:

* **oracle m**: each level's m counted on the blocked true pairs (the share of true
  pairs, among those the comparison is not null for, at that level; floored as the run
  floors it), every pair's weight moved by log2(m_oracle / m_model) per comparison (the
  u, the frequency adjustments and the prior stay the model's); then, besides, the
  prior at the true share of pairs that are one person. Each is clustered by the
  project's own clustering (:func:`dadkhahi.linkage.clusters.cluster_with_chain_check`)
  at the thresholds asked for and scored. This separates "EM learned poor parameters"
  from "the fields cannot tell the pairs apart";
* **exact twins**: records whose every compared feature equals a record of another
  person (no model of these features tells the two apart);
* **the comparison vectors**: pairs with the same level on every comparison are one
  cell (and, in a second count, the same frequency adjustment to the nearest bit too:
  everything a Fellegi-Sunter model reads); how many true pairs share their cell with
  false pairs, and the best pairwise F1 any rule deciding per cell could reach (cells
  taken purest first; counted on the same pairs it is fitted to, so an upper bound),
  the never-compared true pairs counted as missed; then each cell's share of true
  pairs, counted on the other half of the pairs (cross-fitted, :func:`candidates`),
  used as each pair's probability and clustered: what a model that knew every
  combination's true rate, no independence assumed, would link. A third cell adds, for
  pairs agreeing on given name, family name and province, how many records share all
  three (log2, rounded): the frequency of whole-name + place combinations that issue 13
  asks for, which the per-field frequency adjustments multiply instead of counting.

Levels with equal weights in the model (null and neutral levels; a level weighed as
another, :data:`dadkhahi.linkage.model.WEIGHED_AS`) are read from the weights and so
count as one level here. The first line re-clusters the model's own weights: it
should give the run's figures. Every person is invented.

    .venv/bin/python benchmarks/linkage/study_ceiling.py --save DIR --people 161700
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics import score
from study_errors import blocked_linker
from study_merges import features_of, load

from dadkhahi.linkage.clusters import DEFAULT_THRESHOLD, cluster_with_chain_check
from dadkhahi.linkage.run import M_FLOOR, WEIGHT_DECIMALS, probability_from_weight


def _levels(comparison: Any) -> tuple[list[float], list[str], list[float]]:
    """Distinct weights of a comparison's levels (null first, as 0), their labels, and the
    model's m of the first level of each weight."""
    weights: list[float] = []
    labels: list[str] = []
    ms: list[float] = []
    for level in comparison.comparison_levels:
        weight = 0.0 if level.is_null_level else float(level._log2_bayes_factor)
        m = math.nan if level.is_null_level else float(level.m_probability)
        for i, known in enumerate(weights):
            if abs(known - weight) < 1e-9:
                labels[i] += " = " + str(level.label_for_charts)
                # The first level's m and u weigh the whole group (a neutral level
                # reads as null; a level weighed as another has that level's m and u).
                break
        else:
            weights.append(weight)
            labels.append(str(level.label_for_charts))
            ms.append(m)
    return weights, labels, ms


#: Records agreeing on these are namesakes in one province.
NAME_REGION = ("given_skel", "family_skel", "region_key")
#: ``--write`` keeps the pairs down to this probability (under any weight): a clustering
#: that counts a missing pair as evidence against a merge reads these as missing.
WRITE_BELOW = 0.005
#: The narrow table of every blocked pair the study works on (in DuckDB, spilled to disk).
PAIRS = "study_pairs"


@contextmanager
def scored_pairs(save: Path, people: int, chunks: int
                 ) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, Any], pd.DataFrame]]:
    """Every blocked pair in the table :data:`PAIRS`: positions, whether true, the model's
    weight, its frequency adjustments' bits (``tf_bits``) and one level code per
    comparison (``c_<name>``, read from the weights). Yields the connection, the level
    table per comparison (weights, labels, model m) and the features (in record-id order,
    as the run had them) with the truth. Scored in ``chunks`` parts (Splink's chunks),
    each narrowed before the next: the whole predictions table of 300,000 records does
    not fit in memory.
    """
    records, _, _ = load(save, people)
    model = json.loads((save / f"{people}-model.json").read_text("utf-8"))
    features = features_of(records).reset_index(drop=True)
    truth = records.set_index(records["record_id"].astype(str))["true_person_id"]
    features["true_person_id"] = truth.loc[features["record_id"]].to_numpy()
    features["pos"] = np.arange(len(features), dtype=np.int64)
    features["person"] = pd.factorize(features["true_person_id"])[0]
    # How many records share the given and family name in the province (issue 13's
    # "frequency of whole-name + place combinations"), as log2 of the count.
    group = features.groupby(list(NAME_REGION), dropna=True, sort=False)
    features["name_region"] = group.ngroup()
    count = group["record_id"].transform("size").reindex(features.index)
    features["namesakes"] = np.round(np.log2(count.fillna(1).to_numpy())).astype("int64")
    levels: dict[str, Any] = {}
    with blocked_linker(features.drop(columns=["true_person_id"]), model,
                        retain=("pos", "person", "name_region", "namesakes"),
                        matching=False) as (con, linker):
        columns = ["CAST(pos_l AS INTEGER) AS pos_l", "CAST(pos_r AS INTEGER) AS pos_r",
                   "person_l = person_r AS is_true", "match_weight AS weight",
                   "CAST(CASE WHEN name_region_l >= 0 AND name_region_l = name_region_r "
                   "THEN least(namesakes_l, 18) ELSE -1 END AS TINYINT) AS namesakes"]
        tf = []
        for comparison in linker._settings_obj.comparisons:
            name = comparison.output_column_name
            weights, labels, ms = _levels(comparison)
            levels[name] = {"weights": weights, "labels": labels, "m": ms}
            cases = " ".join(f"WHEN abs(mw_{name} - {float(w)!r}) < 1e-6 THEN {i}"
                             for i, w in enumerate(weights))
            columns.append(f"CAST(CASE {cases} ELSE -1 END AS TINYINT) AS c_{name}")
            if any(level._has_tf_adjustments for level in comparison.comparison_levels):
                tf.append(f"coalesce(mw_tf_adj_{name}, 0)")
        columns.append(f"CAST({' + '.join(tf) or '0'} AS FLOAT) AS tf_bits")
        select = ", ".join(columns)
        for chunk in range(1, chunks + 1):
            part: Any = linker.inference.predict_chunk(left_chunk=(chunk, chunks),
                                                       right_chunk=(1, 1))
            verb = "CREATE TABLE" if chunk == 1 else "INSERT INTO"
            into = f"{PAIRS} AS" if chunk == 1 else PAIRS
            con.execute(f"{verb} {into} SELECT {select} FROM {part.physical_name}")
            part.drop_table_from_database_and_remove_from_cache()
        unread = con.execute(" UNION ALL ".join(
            f"SELECT '{name}', count(*) FROM {PAIRS} WHERE c_{name} < 0"
            for name in levels)).fetchall()
        if any(n for _, n in unread):
            raise RuntimeError(f"levels not read from the weights: {unread}")
        yield con, levels, features


def oracle_m(con: duckdb.DuckDBPyConnection, levels: dict[str, Any]) -> dict[str, np.ndarray]:
    """Per comparison, each level's m counted on the blocked true pairs (null: nan)."""
    out = {}
    for name, table in levels.items():
        rows = con.execute(f"SELECT c_{name}, count(*) FROM {PAIRS} "
                           f"WHERE is_true GROUP BY 1").fetchall()
        counts = np.zeros(len(table["weights"]))
        for level, n in rows:
            counts[level] = n
        counts[0] = 0.0  # null (and neutral): no m
        if counts.sum() == 0:
            out[name] = np.array(table["m"], dtype="float64")
            continue
        m = np.maximum(counts / counts.sum(), M_FLOOR)
        m[0] = 0.0
        m = m / m.sum()
        m[0] = math.nan
        out[name] = m
    return out


def oracle_shift_sql(levels: dict[str, Any], m: dict[str, np.ndarray]) -> str:
    """SQL: the bits a pair's weight moves when each comparison's m is replaced by ``m``."""
    terms = []
    for name, table in levels.items():
        model_m = np.array(table["m"], dtype="float64")
        delta = np.nan_to_num(np.log2(m[name]) - np.log2(model_m), nan=0.0)
        cases = " ".join(f"WHEN {i} THEN {float(d)!r}" for i, d in enumerate(delta) if i and d)
        if cases:
            terms.append(f"CASE c_{name} {cases} ELSE 0 END")
    return " + ".join(terms) or "0"


def code_sql(levels: dict[str, Any], detail: int) -> str:
    """SQL: one integer per pair, its level on every comparison; with ``detail`` 1 its tf
    bits too (rounded), with 2 also how many namesakes share the pair's province."""
    code = "CAST(0 AS BIGINT)"
    for name, table in levels.items():
        code = f"({code} * {len(table['weights'])} + c_{name})"
    if detail >= 1:
        code = f"({code} * 81 + CAST(round(greatest(least(tf_bits, 40), -40)) AS BIGINT) + 40)"
    if detail >= 2:
        code = f"({code} * 20 + namesakes + 1)"
    return code


def clustered(pairs: pd.DataFrame, weight: np.ndarray, features: pd.DataFrame,
              thresholds: list[float], label: str) -> None:
    """Cluster the pairs at each threshold on ``weight`` and print the scores."""
    weight = np.round(weight, WEIGHT_DECIMALS)
    keep = weight >= _cut(thresholds)
    ids = features["record_id"].to_numpy()
    scored = pd.DataFrame({
        "record_id_l": ids[pairs["pos_l"].to_numpy()[keep]],
        "record_id_r": ids[pairs["pos_r"].to_numpy()[keep]],
        "match_weight": weight[keep]})
    scored["match_probability"] = probability_from_weight(scored["match_weight"])
    truth = features[["record_id", "true_person_id"]]
    for threshold in thresholds:
        tick = time.process_time()
        clustering, _, _ = cluster_with_chain_check(
            features["record_id"], scored, threshold, None, features,
            sources=features["source_id"])
        s = score(truth, clustering.clusters.rename(columns={"cluster_id": "person_id"}),
                  lists=features[["record_id", "source_id"]])
        print(f"  {label:<34} at {threshold:<5}: P {s.pairwise_precision:.4f} "
              f"R {s.pairwise_recall:.4f} F1 {s.pairwise_f1:.4f} B3 F1 {s.bcubed_f1:.4f} "
              f"persons {100 * s.people_error:+.2f}% CHE {s.capture_history_error:.4f} "
              f"({int(keep.sum()):,} pairs; {time.process_time() - tick:.0f} s CPU)",
              flush=True)


def _cut(thresholds: list[float]) -> float:
    """The weight below which no pair can link at any of ``thresholds``."""
    low = min(thresholds) * 0.99
    return math.log2(low / (1 - low))


def cells(con: duckdb.DuckDBPyConnection, code: str, true_pairs: int, name: str) -> None:
    """Print what the cells of ``code`` (SQL) can tell apart."""
    counts = con.execute(f"SELECT sum(CAST(is_true AS INTEGER)) AS t, count(*) AS n "
                         f"FROM {PAIRS} GROUP BY {code}").df()
    n_true = counts["t"].to_numpy(dtype="float64")
    n_all = counts["n"].to_numpy(dtype="float64")
    n_false = n_all - n_true
    purity = n_true / n_all
    print(f"cells by {name}: {len(counts):,} cells; blocked true pairs {int(n_true.sum()):,} "
          f"of {true_pairs:,}; false pairs {int(n_false.sum()):,}")
    blocked = n_true.sum()
    for what, mask in (("sharing a cell with any false pair", n_false >= 1),
                       ("in a cell with at least as many false pairs", n_false >= n_true),
                       ("in a cell under 0.05 true (odds 1:19)", n_false >= 19 * n_true)):
        found = n_true[mask].sum()
        print(f"  true pairs {what}: {int(found):,} ({found / blocked:.4f} of the blocked)")
    # Best F1 of a rule that links whole cells, purest first (in-sample: an upper bound).
    order = np.argsort(-purity, kind="stable")
    tp = np.cumsum(n_true[order])
    precision = tp / np.cumsum(n_all[order])
    recall = tp / true_pairs
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    best = int(np.argmax(f1))
    print(f"  best per-cell rule, pairs only (no clustering): P {precision[best]:.4f} "
          f"R {recall[best]:.4f} F1 {f1[best]:.4f} (cells of purity >= {purity[order][best]:.3f})")


#: The features the comparisons read, at their finest (canonical names, not skeletons).
COMPARED = ("given_canon", "family_canon", "father_canon", "birth_lo", "birth_hi", "death_lo",
            "death_hi", "sex", "city_key", "region_key", "prison_key", "burial_key",
            "affiliation_key", "id_key")


def twins(features: pd.DataFrame) -> None:
    """Print how many records have an exact twin of another person (every compared
    feature the same): no model of these features can tell a twin's partners apart."""
    key = features[[c for c in COMPARED if c in features]].astype(str).agg("|".join, axis=1)
    twin = pd.Series(pd.factorize(key)[0], index=features.index)
    people = features.groupby(twin)["true_person_id"].nunique()
    twinned = twin.map(people).to_numpy() > 1
    pairs = pd.DataFrame({"person": features["true_person_id"].to_numpy(), "twinned": twinned,
                          "pos": np.arange(len(features))})
    pairs = pairs.merge(pairs, on="person")
    pairs = pairs[pairs["pos_x"] < pairs["pos_y"]]
    hit = int((pairs["twinned_x"] | pairs["twinned_y"]).sum())
    print(f"records with an exact twin of another person: {int(twinned.sum()):,} "
          f"({twinned.mean():.4f}); true pairs with such a record: {hit:,} of {len(pairs):,}")


def candidates(con: duckdb.DuckDBPyConnection, levels: dict[str, Any], shift: str,
               prior_shift: float, cut: float) -> pd.DataFrame:
    """The pairs that can link under any of the study's weights, with those weights.

    ``w_model``, ``w_oracle`` (oracle m), ``w_prior`` (and the true prior), and the
    cross-fitted cell posteriors as weights: ``w_cells`` (level vectors), ``w_cells_tf``
    (with tf bits, else the level vector) and ``w_cells_names`` (with tf bits and the
    namesakes in the province, else the coarser cells). The pairs fall in two halves by a
    hash of the pair; a pair's cell rate is counted on the other half (no pair vouches for
    itself), and a cell the other half lacks takes the model's probability.
    """
    half = "hash(pos_l, pos_r) % 2"
    for detail in range(3):
        con.execute(f"CREATE OR REPLACE TABLE cells_{detail} AS SELECT "
                    f"{code_sql(levels, detail)} AS code, {half} AS half, "
                    f"sum(CAST(is_true AS DOUBLE)) / count(*) AS rate FROM {PAIRS} GROUP BY ALL")
    model_p = "1 / (1 + pow(2, -weight))"

    def as_weight(p: str) -> str:
        clipped = f"greatest(least({p}, 1 - 1e-9), 1e-9)"
        return f"log2({clipped} / (1 - {clipped}))"

    sql = f"""
        WITH p AS (
            SELECT pos_l, pos_r, is_true, weight, weight + ({shift}) AS oracle,
                   {code_sql(levels, 0)} AS code_0, {code_sql(levels, 1)} AS code_1,
                   {code_sql(levels, 2)} AS code_2, {half} AS half
            FROM {PAIRS}),
        w AS (
            SELECT pos_l, pos_r, is_true, weight AS w_model, oracle AS w_oracle,
                   oracle + {float(prior_shift)!r} AS w_prior,
                   {as_weight(f"coalesce(c0.rate, {model_p})")} AS w_cells,
                   {as_weight(f"coalesce(c1.rate, c0.rate, {model_p})")} AS w_cells_tf,
                   {as_weight(f"coalesce(c2.rate, c1.rate, c0.rate, {model_p})")}
                       AS w_cells_names
            FROM p
            LEFT JOIN cells_0 c0 ON c0.code = p.code_0 AND c0.half <> p.half
            LEFT JOIN cells_1 c1 ON c1.code = p.code_1 AND c1.half <> p.half
            LEFT JOIN cells_2 c2 ON c2.code = p.code_2 AND c2.half <> p.half)
        SELECT * FROM w
        WHERE greatest(w_model, w_oracle, w_prior, w_cells, w_cells_tf, w_cells_names)
            >= {float(cut)!r}
    """
    return con.execute(sql).df()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, required=True, help="folder of a saved run")
    parser.add_argument("--people", type=int, required=True, help="population size of the run")
    parser.add_argument("--threshold", type=float, action="append", default=None,
                        help=f"clustering threshold (repeatable; {DEFAULT_THRESHOLD} if none)")
    parser.add_argument("--chunks", type=int, default=1,
                        help="score the blocked pairs in this many parts (8 at 300,000 records)")
    parser.add_argument("--write", type=Path, default=None, metavar="DIR",
                        help="also write the pairs that can link (down to probability "
                             f"{WRITE_BELOW}) with their weights, and the features, to DIR "
                             "(for study_clustering.py)")
    args = parser.parse_args(argv)
    thresholds = args.threshold or [DEFAULT_THRESHOLD]
    logging.getLogger("splink").setLevel(logging.ERROR)
    tick = time.process_time()
    with scored_pairs(args.save, args.people, args.chunks) as (con, levels, features):
        sizes = features["true_person_id"].value_counts()
        true_pairs = int((sizes * (sizes - 1) // 2).sum())
        blocked, blocked_true = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE is_true) FROM {PAIRS}").fetchone() or (0, 0)
        print(f"{blocked:,} blocked pairs scored, {blocked_true:,} true of {true_pairs:,} "
              f"({time.process_time() - tick:.0f} s CPU)", flush=True)

        m = oracle_m(con, levels)
        print("m per level, model -> counted on the blocked true pairs (levels over 0.002 "
              "or 1 bit apart):")
        for name, table in levels.items():
            for label, model_m, true_m in zip(table["labels"][1:], table["m"][1:],
                                              m[name][1:], strict=True):
                if abs(math.log2(true_m / model_m)) >= 1 or max(true_m, model_m) > 0.002:
                    print(f"  {name:<13} {label[:60]:<60} {model_m:.4f} -> {true_m:.4f} "
                          f"({math.log2(true_m / model_m):+.2f} bits)")
        n = len(features)
        model = json.loads((args.save / f"{args.people}-model.json").read_text("utf-8"))
        prior = float(model["probability_two_random_records_match"])
        true_prior = true_pairs / (n * (n - 1) / 2)
        prior_shift = math.log2(true_prior / (1 - true_prior)) - math.log2(prior / (1 - prior))
        print(f"prior: model {prior:.4g}, true share of pairs {true_prior:.4g} "
              f"({prior_shift:+.2f} bits)")
        twins(features)
        cells(con, code_sql(levels, 0), true_pairs, "level vector")
        cells(con, code_sql(levels, 1), true_pairs, "level vector + tf bits")
        cells(con, code_sql(levels, 2), true_pairs, "level vector + tf bits + namesakes")
        pairs = candidates(con, levels, oracle_shift_sql(levels, m), prior_shift,
                           _cut([*thresholds, WRITE_BELOW] if args.write else thresholds))
    if args.write is not None:
        args.write.mkdir(parents=True, exist_ok=True)
        pairs.to_parquet(args.write / "pairs.parquet")
        features.to_pickle(args.write / "features.pkl")
    print(f"clustered (the project's clustering); {len(pairs):,} pairs can link "
          f"({time.process_time() - tick:.0f} s CPU so far):", flush=True)
    for column, label in (("w_model", "model (the run again)"), ("w_oracle", "oracle m"),
                          ("w_prior", "oracle m + true prior"),
                          ("w_cells", "cell posterior, cross-fitted"),
                          ("w_cells_tf", "cell (+ tf bits) posterior, c-f"),
                          ("w_cells_names", "cell (+ tf, namesakes) posterior")):
        clustered(pairs, pairs[column].to_numpy(dtype="float64"), features, thresholds, label)
    print(f"study: {time.process_time() - tick:.0f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
