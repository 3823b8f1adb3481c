"""gap marks (and case links) earlier erasures left readable, erased

No schema change. Erasures between 0cdcbf4 and 65d827a erased a case link with its fact
but left the gap marks of its case on the same charge and element readable (a mark's note
may quote the erased witness); erasures before 0cdcbf4 left the link readable too. Each
is destroyed by a ``key.destroyed`` event, by the erasure's own rule
(``store.case_erasure.sweep``): a mark written after the link's erasure stays. The
home's keys and signer come from ``Store.open`` (``migrate.upgrade``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 03:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from dadkhahi.store.case_erasure import sweep

    config = op.get_context().config
    attributes = config.attributes if config is not None else {}
    sweep(op.get_bind(), attributes.get("keys"), attributes.get("signer"))


def downgrade() -> None:
    # A destroyed key is gone: nothing of the schema to undo, and no event is unwritten.
    pass
