"""words in clear no erasure reached redacted from the ledger

No schema change. Two kinds of events kept identifying words in clear in their
hash-chained bodies (``store.redact``): the ``act.created``/``act.changed`` events of an
act recorded before 2701f0e, raised by 0004, whose raised version's key was destroyed
since (its source erased); and the ``case.linked`` event (and row) of a link an unsealed
case made of a restricted or protected fact before 4e19ea7. Each body is redacted (its
leaf hash kept, one ``event.redacted`` each) and each such link erased. The home's keys
and signer come from ``Store.open`` (``migrate.upgrade``), which then scrubs the tables.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 03:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from dadkhahi.store.redact import redact_at_upgrade

    config = op.get_context().config
    attributes = config.attributes if config is not None else {}
    redact_at_upgrade(op.get_bind(), attributes.get("keys"), attributes.get("signer"))


def downgrade() -> None:
    # The redaction is in the ledger: nothing of the schema to undo, no body to restore.
    pass
