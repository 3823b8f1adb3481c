"""acts recorded less protected than their sources raised to their level

No schema change. Acts recorded before 2701f0e from a source more protected than the act
kept the level asked (an act recorded restricted from a protected testimony showed its
words to restricted readers, with no key of its own for the testimony's erasure to
destroy). Each is raised by an ``act.raised`` event, sealed under a new key of the act's
when protected (``store.act_levels``), so a replay of the ledger gives the raised level.
The home's keys and signer come from ``Store.open`` (``migrate.upgrade``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from dadkhahi.store.act_levels import raise_told_acts

    config = op.get_context().config
    attributes = config.attributes if config is not None else {}
    raise_told_acts(op.get_bind(), attributes.get("keys"), attributes.get("signer"))


def downgrade() -> None:
    # The raise is in the ledger: nothing of the schema to undo, and no event is unwritten.
    pass
