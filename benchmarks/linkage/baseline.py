"""Plain Splink on the SYNTHETIC lists: the baseline a Persian-unaware analyst gets.

What "plain" means here (issue 3): every name folded to ASCII with
`unidecode` (Persian script is transliterated letter by letter, vowels lost:
محمد -> "mHmd"), "Family, Given" and "Given Family" split naively, exact
blocking rules on names, the standard comparisons (Jaro-Winkler on names,
exact on city and birth year), u by random sampling, m by EM, links at match
probability 0.5 and connected-components clustering (Splink's default).

    python benchmarks/linkage/baseline.py --people 2000 --lists 5
    python benchmarks/linkage/baseline.py --people 2000 --compare some.module:link_fn
"""

from __future__ import annotations

import argparse
import importlib
import logging
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from unidecode import unidecode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import describe, generate
from metrics import LinkageScores, score, true_pair_recall_by

_NOT_ALNUM = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def fold(value: object) -> str | None:
    """ASCII-fold, lower-case and strip punctuation, as a plain pipeline would."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = _SPACES.sub(" ", _NOT_ALNUM.sub("", unidecode(str(value)).lower())).strip()
    return text or None


def plain_features(df: pd.DataFrame) -> pd.DataFrame:
    """The columns the plain model compares, derived naively from the canonical fields."""
    full = df["full_name"].map(fold, na_action="ignore")
    comma = df["full_name"].str.contains(",", na=False)
    raw_full = df["full_name"].fillna("")
    family_first = raw_full.str.split(",", n=1).str[0]
    given_second = raw_full.str.split(",", n=1).str[-1]
    last_token = full.str.rsplit(" ", n=1)
    given_from_full = last_token.str[0].where(last_token.str.len() > 1)
    family_from_full = last_token.str[-1]
    given = df["given_name"].map(fold, na_action="ignore")
    family = df["family_name"].map(fold, na_action="ignore")
    given = given.fillna(given_second.where(comma).map(fold, na_action="ignore"))
    family = family.fillna(family_first.where(comma).map(fold, na_action="ignore"))
    given = given.fillna(given_from_full.where(~comma))
    family = family.fillna(family_from_full.where(~comma))
    birth = df["birth_year"].map(fold, na_action="ignore").str.extract(r"(\d{4})")[0]
    # An age at death becomes a birth year (the lists are about 1988).
    age = pd.to_numeric(df["age"].map(fold, na_action="ignore"), errors="coerce")
    birth = birth.fillna((1988 - age).astype("Int64").astype("string"))
    return pd.DataFrame({
        "record_id": df["record_id"].to_numpy(),
        "given_name": given.to_numpy(),
        "family_name": family.to_numpy(),
        "father_name": df["father_name"].map(fold, na_action="ignore").to_numpy(),
        "city": df["city"].map(fold, na_action="ignore").to_numpy(),
        "birth_year": birth.to_numpy(),
    })


BLOCKING_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("given_name", "family_name"),
    ("family_name", "birth_year"),
    ("given_name", "birth_year"),
    ("family_name", "city"),
)


def plain_settings() -> SettingsCreator:
    """The plain model: exact name blocking, Jaro-Winkler names, exact city and year."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        blocking_rules_to_generate_predictions=[block_on(*c) for c in BLOCKING_COLUMNS],
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("family_name", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("father_name", [0.9, 0.7]),
            cl.ExactMatch("city"),
            cl.ExactMatch("birth_year"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def run_baseline(df: pd.DataFrame, *, threshold: float = 0.5, seed: int = 1) -> pd.DataFrame:
    """Plain Splink (DuckDB) on canonical records -> DataFrame[record_id, person_id].

    The training follows Splink's tutorial recipe: the prior from deterministic
    rules with an assumed recall of 0.7, u by random sampling, m by EM in two
    sessions (blocking on the names, then on the birth year).
    """
    features = plain_features(df)
    db_api = DuckDBAPI()
    sdf = db_api.register(features, dataset_display_name="plain_records")
    linker = Linker(sdf, plain_settings(), log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("given_name", "family_name", "birth_year"),
            block_on("given_name", "family_name", "city"),
            block_on("given_name", "family_name", "father_name"),
        ],
        recall=0.7,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "family_name"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("birth_year"), estimate_without_term_frequencies=True
    )
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    ).as_pandas_dataframe()
    return pd.DataFrame({"record_id": clusters["record_id"].to_numpy(),
                         "person_id": clusters["cluster_id"].to_numpy()})


def blocking_recall(df: pd.DataFrame) -> float:
    """Share of true pairs that the plain blocking rules put up for comparison at all:
    an upper bound on the recall of any model scored on those blocks."""
    features = plain_features(df).assign(
        _person=df["true_person_id"].to_numpy(), _row=range(len(df))
    )
    found: set[tuple[int, int]] = set()
    for columns in BLOCKING_COLUMNS:
        part = features.dropna(subset=list(columns))
        pairs = part.merge(part, on=[*columns, "_person"])
        pairs = pairs[pairs["_row_x"] < pairs["_row_y"]]
        found.update(zip(pairs["_row_x"], pairs["_row_y"], strict=True))
    sizes = df["true_person_id"].value_counts().to_numpy()
    return len(found) / max(1, int((sizes * (sizes - 1) // 2).sum()))


def _load(spec: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    module, _, name = spec.partition(":")
    fn: Callable[[pd.DataFrame], pd.DataFrame] = getattr(importlib.import_module(module), name)
    return fn


def _script_labels(df: pd.DataFrame) -> pd.Series:
    lists = df.attrs.get("lists", {})
    return df["source_id"].map({k: v["script"] for k, v in lists.items()})


def report(name: str, df: pd.DataFrame, predicted: pd.DataFrame, seconds: float) -> LinkageScores:
    """Print the scores of one linker on one generated set."""
    s = score(df[["record_id", "true_person_id"]], predicted, lists=df[["record_id", "source_id"]])
    print(f"{name} ({seconds:.1f} s)")
    print(f"  {s.summary()}")
    truth = df[["record_id", "true_person_id"]].assign(script=_script_labels(df).to_numpy())
    by = true_pair_recall_by(truth, predicted, "script")
    for row in by.itertuples(index=False):
        print(f"  recall {row.category:<16} {row.found:>8,} / {row.true_pairs:<8,} "
              f"= {row.recall:.4f}")
    return s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Plain Splink on SYNTHETIC lists")
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--lists", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compare", metavar="MODULE:FUNCTION", action="append", default=[],
                        help="also run this linker (frame without truth -> record_id, cluster_id)")
    args = parser.parse_args(argv)
    df = generate(args.people, args.lists, args.seed)
    print("SYNTHETIC lists (invented people):", describe(df))
    start = time.perf_counter()
    predicted = run_baseline(df)
    report("plain Splink (EM)", df, predicted, time.perf_counter() - start)
    print(f"  blocking recall (true pairs the plain blocking rules even compare): "
          f"{blocking_recall(df):.4f}")
    for spec in args.compare:
        fn = _load(spec)
        start = time.perf_counter()
        out = fn(df.drop(columns="true_person_id"))  # the truth stays hidden
        cluster_col = "person_id" if "person_id" in out.columns else "cluster_id"
        report(spec, df, out[["record_id", cluster_col]], time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
