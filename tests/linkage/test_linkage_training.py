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

import logging
import random

import duckdb
import pandas as pd
import pytest
from splink import DuckDBAPI, Linker
from splink.internals.parse_sql import get_columns_used_from_sql

from dadkhahi.linkage.features import record_features
from dadkhahi.linkage.model import (
    SEX_CONFLICT,
    TRAINING_BLOCKING,
    blocking_keys,
    blocking_rules,
    model_settings,
)
from dadkhahi.linkage.run import estimate_u


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
        linker = Linker(api.register(features, table_name="records"), model_settings(),
                        log_level=logging.WARNING)
        estimate_u(linker, len(features), seed=1)
        model = linker.misc.save_model_to_json()
    sex = next(c for c in model["comparisons"] if c["output_column_name"] == "sex")
    u = {lv["label_for_charts"]: lv.get("u_probability") for lv in sex["comparison_levels"]}
    men, women = (int((features["sex"] == s).sum()) for s in ("m", "f"))
    known = men + women
    assert u[SEX_CONFLICT] == pytest.approx(men * women / (known * (known - 1) / 2), rel=1e-12)
