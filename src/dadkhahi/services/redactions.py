"""Redacted copies on a user's behalf (the API's; the CLI acts as operator).

The item must be visible (else "not found"), then the role must allow adding evidence.
Making the copy reads the whole item, so a protected item's read is audited. The answer
names the copy and counts what was removed; never the removed words.

Releasing a copy at a lower sensitivity than its original is a disclosure decision: the
copy and its original must be visible to the caller (who judges the redaction against
the whole), and the caller must hold the grant permission (``grant``: whoever may let a
person see protected material may decide that a copy no longer is).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dadkhahi.access import reads
from dadkhahi.access.audit import record_reads
from dadkhahi.access.policy import Permission, Principal, require
from dadkhahi.documents.redact import Area
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.redactions import DERIVATION, redact_item, release_copy
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store


def redact_for(store: Store, principal: Principal, item_id: str, *, reason: str,
               areas: Sequence[Area] = (), texts: Sequence[str] = ()) -> dict[str, Any]:
    """Make a redacted copy of a visible item (``add_evidence``)."""
    with store.reading() as conn:
        item = reads.visible_row(conn, principal, s.items, item_id, "item")
    require(principal, Permission.ADD_EVIDENCE)
    done = redact_item(store, item_id, principal.name, reason=reason, areas=areas,
                       texts=texts)
    if item["sensitivity"] == str(Sensitivity.PROTECTED):
        record_reads(store, principal, "redacted copy of", [("item", item_id)])
    return done


def release_for(store: Store, principal: Principal, copy_id: str, *,
                sensitivity: Sensitivity, reason: str) -> dict[str, Any]:
    """Release a visible redacted copy at a lower sensitivity (``grant``), recorded as an
    ``item.released`` event; the original stays as protected as it was."""
    with store.reading() as conn:
        copy = reads.visible_row(conn, principal, s.items, copy_id, "item")
        if copy["derivation"] != DERIVATION:
            raise ValidationError("only a redacted copy is released at a lower sensitivity")
        reads.visible_row(conn, principal, s.items, str(copy["derived_from"]), "item")
    require(principal, Permission.GRANT)
    return release_copy(store, copy_id, principal.name, sensitivity=sensitivity,
                        reason=reason)
