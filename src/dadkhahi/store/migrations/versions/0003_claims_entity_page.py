"""an entity's claims indexed in the person page's order

``ix_claims_entity`` (entity_kind, entity_id) is replaced by ``ix_claims_entity_page``
(entity_kind, entity_id, property, ledger_index, id): the person page reads a person's
claims a page at a time in that order, and with the order in the index the rule is
checked on the claims up to the page's end only, not on every claim of the person
before a sort (issue 14: the 500-record person's 724 claims, 2,823 supports). The wider
index serves every lookup the narrower one did (its first two columns).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PAGE = ("entity_kind", "entity_id", "property", "ledger_index", "id")


def upgrade() -> None:
    indexes = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("claims")}
    if "ix_claims_entity_page" not in indexes:
        op.create_index("ix_claims_entity_page", "claims", list(PAGE), unique=False)
    if "ix_claims_entity" in indexes:
        op.drop_index("ix_claims_entity", table_name="claims")


def downgrade() -> None:
    op.create_index("ix_claims_entity", "claims", ["entity_kind", "entity_id"], unique=False)
    op.drop_index("ix_claims_entity_page", table_name="claims")
