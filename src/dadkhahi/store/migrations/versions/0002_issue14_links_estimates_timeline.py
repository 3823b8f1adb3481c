"""person links, field weights, an estimate's capture table, the timeline's partial indexes

What changed in the declared tables after 0001 was frozen (0001 is the schema of
d70a0c9, the last main homes were built at; until then every change was edited into
0001, which a home already stamped at 0001 never ran):

* ``person_links`` (new table): the links holding each person of a run together, with
  each field's match weight (ebb574d, issue 14);
* ``link_review.fields``: each field's match weight of a pair sent to review (ebb574d);
* ``estimates.capture`` and ``estimates.diagnostics``: the capture-history table and the
  estimator's diagnostics (8d85ed9, issue 14);
* ``ix_acts_dated`` and ``ix_claims_dated`` replaced by one partial index per level,
  ``ix_<table>_dated_<level>`` (000dd9f: the timeline walks each level on its own).

No data is filled in: every new column and table is a projection of ledger events, and
the events a home built at 0001 holds carry none of it (``link.run`` rows gained
``link`` rows and ``weight_fields`` in ebb574d, ``estimate.computed`` its ``capture``
and ``diagnostics`` in 8d85ed9). Replaying such a ledger into the new tables writes
NULL and no person link, which is what this leaves, so ``ledger verify`` agrees.

Each step looks first (the inspector): a home built at a main between d70a0c9 and
this revision (stamped 0001, its 0001 already edited to hold some of this) gets only
what it lacks. The new columns are nullable, so SQLite adds them with a plain ALTER
TABLE (no batch copy of the table).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 18:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: The levels of ``domain.vocab.Sensitivity`` as they were at this revision (a migration
#: never imports the code's current vocabulary: it must build the same thing forever).
LEVELS = ("public", "restricted", "protected")
DATED = ("acts", "claims")


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def upgrade() -> None:
    look = sa.inspect(op.get_bind())
    tables = set(look.get_table_names())

    for table in DATED:
        indexes = {ix["name"] for ix in look.get_indexes(table)}
        if f"ix_{table}_dated" in indexes:
            op.drop_index(f"ix_{table}_dated", table_name=table)
        for level in LEVELS:
            if f"ix_{table}_dated_{level}" not in indexes:
                where = sa.text(f"sensitivity = '{level}'")
                op.create_index(f"ix_{table}_dated_{level}", table, ["date_earliest", "id"],
                                unique=False, sqlite_where=where, postgresql_where=where)

    for table, column in (("estimates", "capture"), ("estimates", "diagnostics"),
                          ("link_review", "fields")):
        if column not in {c["name"] for c in look.get_columns(table)}:
            op.add_column(table, sa.Column(column, _json(), nullable=True))

    if "person_links" not in tables:
        op.create_table(
            "person_links",
            sa.Column("run_id", sa.Text(), nullable=False),
            sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("record_a", sa.Text(), nullable=False),
            sa.Column("record_b", sa.Text(), nullable=False),
            sa.Column("probability", sa.Float(), nullable=False),
            sa.Column("weight", sa.Float(), nullable=False),
            sa.Column("fields", _json(), nullable=True),
            sa.Column("ledger_index", sa.BigInteger(), nullable=False),
            sa.ForeignKeyConstraint(["record_a"], ["records.id"],
                                    name=op.f("fk_person_links_record_a_records")),
            sa.ForeignKeyConstraint(["record_b"], ["records.id"],
                                    name=op.f("fk_person_links_record_b_records")),
            sa.ForeignKeyConstraint(["run_id"], ["link_runs.id"],
                                    name=op.f("fk_person_links_run_id_link_runs")),
            sa.PrimaryKeyConstraint("run_id", "seq", name=op.f("pk_person_links")),
        )
    if "ix_person_links_record_a" not in {
            ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("person_links")}:
        op.create_index("ix_person_links_record_a", "person_links", ["record_a", "run_id"],
                        unique=False)


def downgrade() -> None:
    op.drop_index("ix_person_links_record_a", table_name="person_links")
    op.drop_table("person_links")
    with op.batch_alter_table("link_review") as batch_op:
        batch_op.drop_column("fields")
    with op.batch_alter_table("estimates") as batch_op:
        batch_op.drop_column("diagnostics")
        batch_op.drop_column("capture")
    for table in reversed(DATED):
        for level in reversed(LEVELS):
            op.drop_index(f"ix_{table}_dated_{level}", table_name=table)
        op.create_index(f"ix_{table}_dated", table, ["date_earliest", "id"], unique=False)
