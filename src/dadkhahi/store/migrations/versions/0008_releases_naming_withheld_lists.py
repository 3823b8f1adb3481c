"""estimate releases naming in clear lists withheld from their audience, redacted

No schema change. An ``estimate.released`` event recorded before 715f23b holds every
list's title and kind in clear (its ``lists``, and its sentence ``estimand``: "left out:
<title> (<kind>)"), a restricted list's too in a release to the public, where no
erasure reaches. Each body naming a list the disclosure rule, as it stands, withholds
from the release's audience is redacted (``analysis.release_redaction``: ``lists``, and
``estimand`` when it names such a list; its leaf hash kept, one ``event.redacted``
each), the scrub marked due (``scrub_due``). The home's keys and
signer come from ``Store.open`` (``migrate.upgrade``), which then scrubs the tables.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 04:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from dadkhahi.analysis.release_redaction import redact_withheld_lists

    config = op.get_context().config
    attributes = config.attributes if config is not None else {}
    redact_withheld_lists(op.get_bind(), attributes.get("keys"), attributes.get("signer"))


def downgrade() -> None:
    # The redaction is in the ledger: nothing of the schema to undo, no body to restore.
    pass
