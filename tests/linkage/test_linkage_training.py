"""Which comparisons each EM session of the training can estimate (issue 13).

Splink leaves out of an EM session every comparison that reads a column of the
session's blocking rule (``EMTrainingSession``: the columns its SQL names). The
training's rules (:data:`dadkhahi.linkage.model.TRAINING_BLOCKING`) are chosen so
that each comparison is left free by one of them. The swapped-name levels once read
the other name's skeletons (``given_skel`` in the family name's comparison), so no
session could estimate either name and both ran on their start values. Checked here
with Splink's own column reading, without data or training.
"""

from __future__ import annotations

import random

import duckdb
import numpy as np
import pandas as pd
import pytest
from splink import DuckDBAPI
from splink.internals.dialects import DuckDBDialect
from splink.internals.parse_sql import get_columns_used_from_sql
from test_linkage_link import synthetic_lists

import dadkhahi.linkage.run as run
from dadkhahi.linkage import link
from dadkhahi.linkage.features import record_features
from dadkhahi.linkage.model import (
    SEX_CONFLICT,
    TRAINING_BLOCKING,
    blocking_keys,
    blocking_rules,
    model_settings,
)
from dadkhahi.linkage.run import estimate_u, u_sample


def test_every_comparison_is_estimated_by_some_training_session() -> None:
    settings = model_settings().get_settings("duckdb")
    rule_columns = [
        set(get_columns_used_from_sql(rule.get_blocking_rule("duckdb").blocking_rule_sql,
                                      "duckdb"))
        for rule in blocking_rules(TRAINING_BLOCKING)
    ]
    never = []
    for comparison in settings.comparisons:
        reads = {c.input_name for c in comparison._input_columns_used_by_case_statement}
        if all(reads & columns for columns in rule_columns):
            never.append(comparison.output_column_name)
    assert never == []


def test_the_names_are_left_free_by_the_sessions_meant_for_them() -> None:
    """The family name by the session on given name, father and birth; the given name by
    the session on family name, death and birth (the order of TRAINING_BLOCKING)."""
    settings = model_settings().get_settings("duckdb")
    reads = {c.output_column_name: {i.input_name for i in c._input_columns_used_by_case_statement}
             for c in settings.comparisons}
    family_session, given_session = TRAINING_BLOCKING[1], TRAINING_BLOCKING[2]
    assert not reads["family_name"] & set(family_session)
    assert not reads["given_name"] & set(given_session)


def test_u_is_counted_over_every_pair_of_the_sample() -> None:
    """u of "different sex" is the share of all pairs (both sexes known) that differ.

    Below max_pairs the sample is every record; Splink's default stopped at a 1% probe
    (here about 5,000 of 500,000 pairs) and gave 0.47 for an exact 0.43 on this input.
    SYNTHETIC records.
    """
    rng = random.Random(3)
    records = pd.DataFrame(
        {"record_id": f"r{i:04d}", "source_id": "A",
         "given_name": rng.choice(["Ali", "Reza", "Zahra", "Maryam"]),
         "family_name": rng.choice(["Ahmadi", "Karimi"]),
         "sex": rng.choice(["m", "f", "f", None])}
        for i in range(1000)
    )  # fmt: skip
    features = record_features(records)
    features = pd.concat([features, blocking_keys(features)], axis=1)
    with duckdb.connect() as con:
        api = DuckDBAPI(connection=con)
        model = estimate_u(model_settings(), api.register(features, table_name="records"),
                           len(features))
    sex = next(c for c in model["comparisons"] if c["output_column_name"] == "sex")
    u = {lv["label_for_charts"]: lv.get("u_probability") for lv in sex["comparison_levels"]}
    men, women = (int((features["sex"] == s).sum()) for s in ("m", "f"))
    known = men + women
    assert u[SEX_CONFLICT] == pytest.approx(men * women / (known * (known - 1) / 2), rel=1e-12)


def test_u_sample_is_ours_seeded_and_whole_below_the_cap() -> None:
    ids = pd.Series([f"r{i:04d}" for i in range(300)])
    assert (u_sample(ids, seed=1) == np.arange(300)).all()  # 44,850 pairs: all of them
    sample = u_sample(ids, seed=1, max_pairs=1000)
    assert len(sample) == 45 and 45 * 44 / 2 <= 1000 < 46 * 45 / 2
    # The same records whatever the order they come in; another seed, other records.
    shuffled = ids.sample(frac=1.0, random_state=5).reset_index(drop=True)
    assert set(ids[sample]) == set(shuffled[u_sample(shuffled, seed=1, max_pairs=1000)])
    assert set(ids[sample]) != set(ids[u_sample(ids, seed=2, max_pairs=1000)])


def test_the_backends_hash_decides_nothing_in_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Splink hashes record ids with the backend's own hash to sample records for u and to
    cut them into chunks; Spark's hash is not DuckDB's. DuckDB with another hash stands in
    for Spark here: the model and the persons must not change. u's sample is capped low
    (the path every input over 3,162 records takes); with Splink's sample (stop 33) the two
    hashes gave u on different records. SYNTHETIC lists (test_linkage_link.py).
    """
    monkeypatch.setattr(run, "U_MAX_PAIRS", 10_000)  # 141 of 375 records
    records = synthetic_lists().drop(columns=["pid"])
    first = link(records)
    monkeypatch.setattr(DuckDBDialect, "hash_function_expression",
                        lambda self, column: f"hash(({column}) || '#another hash')")
    second = link(records)
    assert first.stats["u_sample_records"] == 141
    assert first.model == second.model
    assert first.clusters.equals(second.clusters)
