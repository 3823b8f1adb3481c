"""Files on a user's behalf: where an upload may go, and erasure of items and sources.

The same order as every change: the object must be visible (else "not found"), then the
role must allow it, then the work is done.
"""

from __future__ import annotations

from typing import Any

from dadkhahi.access import reads
from dadkhahi.access.policy import Permission, Principal, require
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.erasure import erase_item, erase_source
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.versions import check_version


def upload_sensitivity(store: Store, principal: Principal, source_id: str) -> Sensitivity:
    """The sensitivity a file uploaded into a visible source takes (``add_evidence``).

    Checked before the file is read, so an invisible source or a missing permission is
    refused without taking the upload.
    """
    with store.reading() as conn:
        source = reads.visible_row(conn, principal, s.sources, source_id, "source")
    require(principal, Permission.ADD_EVIDENCE)
    return Sensitivity(source["sensitivity"])


def erase_item_for(
    store: Store, principal: Principal, item_id: str, reason: str, expected_version: int
) -> dict[str, Any]:
    """Erase a visible item's file and name by destroying its key (``erase``; If-Match)."""
    with store.reading() as conn:
        reads.visible_row(conn, principal, s.items, item_id, "item")
        check_version(conn, s.items, item_id, expected_version)
    require(principal, Permission.ERASE)
    index = erase_item(store, item_id, reason, principal.name)
    return {"item_id": item_id, "event": index}


def erase_source_for(
    store: Store, principal: Principal, source_id: str, reason: str, expected_version: int
) -> dict[str, Any]:
    """Erase a visible protected source and everything of it: its fields, items, lists,
    testimonies and the protected claims it supports (``erase``; If-Match)."""
    with store.reading() as conn:
        row = reads.visible_row(conn, principal, s.sources, source_id, "source")
        check_version(conn, s.sources, source_id, expected_version)
    require(principal, Permission.ERASE)
    if not row["sealed"]:
        raise ValidationError("this source holds no sealed fields to erase")
    index = erase_source(store, source_id, reason, principal.name)[0]
    return {"source_id": source_id, "event": index}
