"""Changes to existing facts, each refused if the object moved on since the caller read it.

They run inside the caller's transaction, which holds the ledger's write lock,
so checking the version and writing the change cannot be split by another writer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import ConflictError, NotFoundError, ValidationError
from dadkhahi.domain.vocab import ActType, PlaceStatus
from dadkhahi.facts.entities import change_place_status, date_fields, sealed_if_protected
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


#: What a change of an act may set: its kind, place, date (as an interval with the
#: source's words) and description. Its sensitivity is not among them: making an act
#: less protected is a disclosure decision, not an edit.
ACT_FIELDS = ("type", "place_id", "date_earliest", "date_latest", "date_text", "description")


def change_act(
    tx: Transaction, act_id: str, *, act_type: ActType, place_id: str | None,
    date: DateRange | None, description: str | None, expected_version: int | None = None,
) -> list[str]:
    """Set an act's kind, place, date and description to those given, as one
    ``act.changed`` event carrying the whole act after the change and the names of the
    fields changed, sealed as ``act.created`` is when the act is protected (each version
    under a key of its own; what it replaces stays in the ledger). ``expected_version``:
    the act's version as read (``VersionMismatchError`` if it changed since; None: no
    check). Returns the fields changed (none, and no event, when nothing changes). An
    act whose payload was erased (its key destroyed) cannot change: ``ConflictError``
    (what it read is gone, so no change could say what it replaces)."""
    row = tx.conn.execute(select(s.acts).where(s.acts.c.id == act_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no act {act_id!r}")
    check_version(tx.conn, s.acts, act_id, expected_version, current=int(row["ledger_index"]))
    opened = tx.keys.open_row(tx.conn, dict(row))
    if opened.get("erased"):
        raise ConflictError(f"act {act_id} was erased: it cannot change")
    new: dict[str, Any] = {"type": str(act_type), "place_id": place_id, **date_fields(date),
                           "description": description}
    changed = [name for name in ACT_FIELDS if new[name] != opened.get(name)]
    if changed:
        tx.emit("act.changed", sealed_if_protected(tx, "act", {
            "id": act_id, **new, "sensitivity": row["sensitivity"], "changed": changed}))
    return changed


def withdraw_involvement(tx: Transaction, involvement_id: str) -> int:
    """Withdraw a person's or organisation's involvement in an act (named in error, or a
    role to be stated anew): an ``involvement.withdrawn`` event whose projection removes
    the involvement and its supports from the tables, so no reader (the act and person
    pages, the registry, a case's evidence, the memorial) counts it any more; the
    ledger keeps what was stated and its withdrawal. Returns the event's index."""
    i, sup = s.involvements.c, s.involvement_support.c
    row = tx.conn.execute(select(i.id, i.act_id).where(i.id == involvement_id)).first()
    if row is None:
        raise NotFoundError(f"no involvement {involvement_id!r}")
    supports = int(tx.conn.execute(select(func.count()).where(
        sup.involvement_id == involvement_id)).scalar_one())
    # The projection is pure (it reads nothing): the event says how many supports go.
    return tx.emit("involvement.withdrawn", {"id": involvement_id, "act_id": row.act_id,
                                             "supports": supports})
