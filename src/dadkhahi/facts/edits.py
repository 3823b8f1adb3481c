"""Changes to existing facts, each refused if the object moved on since the caller read it.

They run inside the caller's transaction, which holds the ledger's write lock,
so checking the version and writing the change cannot be split by another writer.
"""

from __future__ import annotations

from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.vocab import PlaceStatus
from dadkhahi.facts.entities import change_place_status
from dadkhahi.facts.place_status import is_status_claim, refresh_place_status
from dadkhahi.store import schema as s
from dadkhahi.store.store import Transaction
from dadkhahi.store.versions import check_version

#: What a claim's status may be: as asserted by its source, backed by others,
#: contested by others, or withdrawn.
CLAIM_STATUSES = ("asserted", "corroborated", "disputed", "retracted")


def set_claim_status(
    tx: Transaction, claim_id: str, status: str, expected_version: int | None = None
) -> int:
    """Change a claim's status; returns the event index (the claim's new version)."""
    if status not in CLAIM_STATUSES:
        raise ValidationError(f"claim status must be one of {', '.join(CLAIM_STATUSES)}")
    check_version(tx.conn, s.claims, claim_id, expected_version)
    index = tx.emit("claim.status_changed", {"id": claim_id, "status": status})
    place_id = is_status_claim(tx.conn, claim_id)
    if place_id is not None:
        # A site's column shows its latest accepted status claim: disputing or
        # retracting that claim changes it.
        refresh_place_status(tx, place_id)
    return index


def set_place_status(
    tx: Transaction, place_id: str, status: PlaceStatus, expected_version: int | None = None
) -> int:
    """Record a site's new status (e.g. a burial ground built over); returns its new version."""
    check_version(tx.conn, s.places, place_id, expected_version)
    change_place_status(tx, place_id, status)
    return tx.size - 1
