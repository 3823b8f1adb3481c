"""A site's status over time as dated, sourced claims (issue 17).

Graves were hidden, damaged, destroyed and built over, and each of those is itself a
documented fact: "the Khavaran plot was bulldozed in January 2009, says source X". A
status is therefore a claim about the place (property :data:`STATUS`, value one of
:class:`~dadkhahi.domain.vocab.PlaceStatus`), dated when the status held and backed by
its sources like any claim; conflicting statements stay side by side.

The ``places.status`` column shows the latest *accepted* status claim (status asserted or
corroborated, not disputed or retracted): latest by the date the status held (undated
claims count as oldest), then by ledger order. It is kept by ``place.status_changed``
events written in the same transaction as the claim (or the claim's status change), so
a replay of the ledger gives the same column. Only claims no more protected than the
place count (a restricted statement must not show through a public place's column), and
protected claims never do (their value is sealed). A protected place's column is sealed,
so it is left alone; its history is its claims.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, select, true

from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.vocab import EntityKind, PlaceStatus, Sensitivity
from dadkhahi.facts.entities import Support, add_claim
from dadkhahi.store import schema as s
from dadkhahi.store.store import Transaction

#: The claim property of a site's status.
STATUS = "status"
#: Claim statuses that count for the current status.
ACCEPTED = ("asserted", "corroborated")
#: Statuses a claim may state ("unknown" is the absence of one).
STATED = tuple(p for p in PlaceStatus if p is not PlaceStatus.UNKNOWN)
_LEVELS = {str(Sensitivity.PUBLIC): 0, str(Sensitivity.RESTRICTED): 1,
           str(Sensitivity.PROTECTED): 2}


@dataclass(frozen=True)
class StatusClaim:
    """One dated, sourced statement of a site's status; ``current`` marks the one the
    place's column shows."""

    claim_id: str
    status: str
    date_earliest: str | None
    date_latest: str | None
    date_text: str | None
    claim_status: str
    sensitivity: str
    sources: tuple[str, ...]
    ledger_index: int
    current: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"claim_id": self.claim_id, "status": self.status,
                "date_earliest": self.date_earliest, "date_latest": self.date_latest,
                "date_text": self.date_text, "claim_status": self.claim_status,
                "sensitivity": self.sensitivity, "sources": list(self.sources),
                "current": self.current}


def add_place_status(
    tx: Transaction, place_id: str, status: PlaceStatus | str, support: Sequence[Support], *,
    date: DateRange | None = None, sensitivity: Sensitivity = Sensitivity.PUBLIC,
) -> str:
    """State a site's status as a claim of ``support`` (dated when it held) and bring
    the place's column up to date; returns the claim's ID.

    Raises :class:`ValidationError` for a status that is not a site's status and
    :class:`NotFoundError` for an unknown place (nothing is written).
    """
    try:
        value = PlaceStatus(status)
    except ValueError:
        value = PlaceStatus.UNKNOWN
    if value is PlaceStatus.UNKNOWN:
        raise ValidationError(
            f"status must be one of {', '.join(STATED)} (got {str(status)!r})")
    tx.flush()  # an entity made earlier in this transaction counts
    if tx.conn.execute(select(s.places.c.id).where(s.places.c.id == place_id)).first() is None:
        raise NotFoundError(f"no place {place_id!r}")
    claim_id = add_claim(tx, EntityKind.PLACE, place_id, STATUS, str(value), support,
                         date=date, sensitivity=sensitivity)
    refresh_place_status(tx, place_id)
    return claim_id


def is_status_claim(conn: Connection, claim_id: str) -> str | None:
    """The place a claim states the status of, or None for any other claim."""
    c = s.claims.c
    row = conn.execute(select(c.entity_id).where(
        c.id == claim_id, c.entity_kind == str(EntityKind.PLACE), c.property == STATUS)).first()
    return None if row is None else str(row.entity_id)


def refresh_place_status(tx: Transaction, place_id: str) -> None:
    """Write ``place.status_changed`` when the latest accepted status claim differs from
    the place's column (nothing for a protected place, whose column is sealed)."""
    tx.flush()
    p = s.places.c
    place = tx.conn.execute(select(p.status, p.sensitivity).where(p.id == place_id)).first()
    if place is None or place.sensitivity == str(Sensitivity.PROTECTED):
        return
    history = status_history(tx.conn, place_id, max_sensitivity=str(place.sensitivity))
    current = next((h for h in history if h.current), None)
    status = current.status if current is not None else str(PlaceStatus.UNKNOWN)
    if status != place.status:
        tx.emit("place.status_changed", {
            "id": place_id, "status": status,
            "claim_id": None if current is None else current.claim_id})


def status_history(
    conn: Connection, place_id: str, *, where: ColumnElement[bool] | None = None,
    params: Mapping[str, Any] | None = None, max_sensitivity: str | None = None,
) -> list[StatusClaim]:
    """A site's status claims, oldest first (undated ones first), each with its sources.

    ``where`` (with its bind ``params``) is a reader's visibility condition on
    ``claims`` (``access.policy.visible`` for a user, ``access.disclosure.condition``
    for an audience such as the public); ``max_sensitivity`` keeps claims at most that
    protected. ``current`` marks the latest accepted claim among those returned.
    Protected claims' values are sealed, so they are never returned.
    """
    c, cs = s.claims.c, s.claim_support.c
    levels = [lvl for lvl, n in _LEVELS.items()
              if n < 2 and (max_sensitivity is None or n <= _LEVELS[max_sensitivity])]
    rows = conn.execute(
        select(c.id, c.value, c.date_earliest, c.date_latest, c.date_text, c.status,
               c.sensitivity, c.ledger_index, cs.source_id)
        .join(s.claim_support, cs.claim_id == c.id)
        .where(c.entity_kind == str(EntityKind.PLACE), c.entity_id == place_id,
               c.property == STATUS, c.sensitivity.in_(levels),
               true() if where is None else where)
        .order_by(c.ledger_index, c.id, cs.seq), dict(params or {})).all()
    claims: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = claims.setdefault(str(row.id), {"row": row, "sources": []})
        entry["sources"].append(str(row.source_id))
    ordered = sorted(claims.values(), key=lambda e: _order(e["row"]))
    accepted = [e for e in ordered if e["row"].status in ACCEPTED
                and e["row"].value in {str(p) for p in STATED}]
    latest = accepted[-1]["row"].id if accepted else None
    out = []
    for entry in ordered:
        r = entry["row"]
        out.append(StatusClaim(str(r.id), str(r.value), r.date_earliest, r.date_latest,
                               r.date_text, str(r.status), str(r.sensitivity),
                               tuple(dict.fromkeys(entry["sources"])), int(r.ledger_index),
                               r.id == latest))
    return out


def _order(row: Any) -> tuple[int, str, str, int, str]:
    # When the status held: the interval's end, then its start (an undated claim is
    # oldest); then the order it was recorded in (never a random ID before that).
    dated = row.date_latest is not None or row.date_earliest is not None
    return (int(dated), row.date_latest or row.date_earliest or "",
            row.date_earliest or "", int(row.ledger_index), str(row.id))


__all__ = [
    "ACCEPTED",
    "STATED",
    "STATUS",
    "StatusClaim",
    "add_place_status",
    "is_status_claim",
    "refresh_place_status",
    "status_history",
]
