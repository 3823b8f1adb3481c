"""scrub_due: a scrub left to run after an erasure's commit is marked, and run at open

The erasure (and an upgrade that destroyed keys or redacted events) scrubs the database's
files after its transaction has committed (``store.erase.scrub``); a crash, a kill or a
failed scrub there left the destroyed keys' wrapped bytes and the redacted words in free
pages, the WAL or dead tuples, and nothing ran the scrub again. ``scrub_due`` holds a
mark written in the transaction that makes a scrub due, deleted after the scrub went
through; ``Store.open`` scrubs when one is left. This revision makes the table (a home
from 0001 has it from the declared schema at 0003: looked for first) and marks a scrub
due on a home whose ledger holds a ``key.destroyed`` (``data_keys``) or an
``event.redacted`` (``store.erase.REDACTED_TABLES``): one scrub of each home that ever
erased, which covers what 0004-0006 did in this same upgrade transaction and any scrub
an earlier erasure did not finish.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from dadkhahi.store.erase import REDACTED_TABLES, mark_scrub_due

    bind = op.get_bind()
    if not sa.inspect(bind).has_table("scrub_due"):
        op.create_table(
            "scrub_due",
            sa.Column("table_name", sa.Text(), nullable=False),
            sa.Column("ledger_index", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.PrimaryKeyConstraint("table_name", "ledger_index", name=op.f("pk_scrub_due")),
        )
    events = sa.table("ledger_events", sa.column("idx", sa.BigInteger()),
                      sa.column("type", sa.Text()))
    for kind, tables in (("key.destroyed", ("data_keys",)),
                         ("event.redacted", REDACTED_TABLES)):
        last = bind.execute(sa.select(sa.func.max(events.c.idx)).where(
            events.c.type == kind)).scalar()
        if last is not None:
            mark_scrub_due(bind, tables, int(last))


def downgrade() -> None:
    op.drop_table("scrub_due")
