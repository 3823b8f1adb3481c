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

from splink.internals.parse_sql import get_columns_used_from_sql

from dadkhahi.linkage.model import TRAINING_BLOCKING, blocking_rules, model_settings


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
