"""People, organisations, places, acts, involvements and claims.

Each function emits one event in the caller's transaction and returns the new
ID. Values about an entity are claims tied to their support (source, record,
item); two claims that disagree are both kept, each with its own support.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import NotFoundError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.sources import REDACTED
from dadkhahi.domain.vocab import (
    ActType,
    EntityKind,
    InvolvementRole,
    PlaceKind,
    PlaceStatus,
    Sensitivity,
    strictest,
)
from dadkhahi.store import schema as s
from dadkhahi.store.store import Transaction


@dataclass(frozen=True)
class Support:
    """What backs a claim: a source, and optionally the record/item and where in it."""

    source_id: str
    record_id: str | None = None
    item_id: str | None = None
    locator: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "record_id": self.record_id,
            "item_id": self.item_id,
            "locator": self.locator,
        }


def create_person(
    tx: Transaction, label: str, *, sensitivity: Sensitivity = Sensitivity.RESTRICTED,
    synthetic: bool = False,
) -> str:
    """A person (victim, perpetrator, witness…); what is known of them goes in claims."""
    pid = new_id("person")
    data: dict[str, Any] = {"id": pid, "label": label, "sensitivity": str(sensitivity),
                            "synthetic": int(synthetic)}
    if sensitivity is Sensitivity.PROTECTED:
        # A protected person's label is usually their name: seal it, erasable later.
        data = tx.seal_protected("person", data, pid)
    tx.emit("person.created", data)
    return pid


def create_organization(
    tx: Transaction, name: str, kind: str | None = None,
    *, sensitivity: Sensitivity = Sensitivity.PUBLIC,
) -> str:
    """An organisation such as a death commission, court or prison administration."""
    oid = new_id("organization")
    tx.emit("organization.created", sealed_if_protected(
        tx, "organization", {"id": oid, "name": name, "kind": kind,
                             "sensitivity": str(sensitivity)}))
    return oid


def create_place(
    tx: Transaction,
    name: str,
    kind: PlaceKind,
    *,
    name_fa: str | None = None,
    parent_id: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    status: PlaceStatus = PlaceStatus.UNKNOWN,
    sensitivity: Sensitivity = Sensitivity.PUBLIC,
) -> str:
    """A place in the gazetteer: prison, city, province, burial site…"""
    pid = new_id("place")
    tx.emit("place.created", sealed_if_protected(tx, "place", {
        "id": pid, "kind": str(kind), "name": name, "name_fa": name_fa, "parent_id": parent_id,
        "latitude": latitude, "longitude": longitude, "status": str(status),
        "sensitivity": str(sensitivity),
    }))
    return pid


def change_place_status(tx: Transaction, place_id: str, status: PlaceStatus) -> None:
    """Record a new status of a site (e.g. a burial ground built over)."""
    tx.emit("place.status_changed", {"id": place_id, "status": str(status)})


def create_act(
    tx: Transaction,
    act_type: ActType,
    *,
    place_id: str | None = None,
    date: DateRange | None = None,
    description: str | None = None,
    sensitivity: Sensitivity = Sensitivity.RESTRICTED,
) -> str:
    """An act: who did what to whom is added as involvements."""
    aid = new_id("act")
    tx.emit("act.created", sealed_if_protected(tx, "act", {
        "id": aid, "type": str(act_type), "place_id": place_id,
        **date_fields(date), "description": description, "sensitivity": str(sensitivity),
    }))
    return aid


def add_involvement(
    tx: Transaction,
    act_id: str,
    role: InvolvementRole,
    *,
    person_id: str | None = None,
    organization_id: str | None = None,
    sensitivity: Sensitivity = Sensitivity.RESTRICTED,
    support: Sequence[Support] = (),
) -> str:
    """Tie a person or organisation to an act in a role (victim, signed, guarded, witness…).

    An involvement is a factual, sourced statement ("named as having signed the order
    by source X"): ``support`` names the sources that say so, as a claim's does. Older
    involvements carry none. Like a claim, it is never less protected than what supports
    it: its sensitivity is raised to the strictest of its supports.
    """
    if (person_id is None) == (organization_id is None):
        raise ValueError("an involvement names exactly one person or organisation")
    if support:
        tx.flush()  # supports added earlier in this transaction must be read too
        sensitivity = strictest(sensitivity, *support_levels(tx.conn, support))
    iid = new_id("involvement")
    data: dict[str, Any] = {
        "id": iid, "act_id": act_id, "person_id": person_id,
        "organization_id": organization_id, "role": str(role), "sensitivity": str(sensitivity),
    }
    if support:
        data["support"] = [s.as_dict() for s in support]
    tx.emit("involvement.added", sealed_if_protected(tx, "involvement", data))
    return iid


@dataclass(frozen=True)
class Position:
    """An office held: what, in which organisation, where, when (all as a source says)."""

    office: str
    organization_id: str | None = None
    place_id: str | None = None
    period: DateRange | None = None


#: The claim property under which positions held are stated.
POSITION = "position"


def add_position(
    tx: Transaction, person_id: str, position: Position, support: Sequence[Support],
    *, sensitivity: Sensitivity = Sensitivity.RESTRICTED,
) -> str:
    """State that a source names a person as holding an office: a claim like any other."""
    value = {"office": position.office, "organization_id": position.organization_id,
             "place_id": position.place_id}
    return add_claim(tx, EntityKind.PERSON, person_id, POSITION, value, support,
                     date=position.period, sensitivity=sensitivity)


def add_claim(
    tx: Transaction,
    entity_kind: EntityKind,
    entity_id: str,
    prop: str,
    value: Any,
    support: Sequence[Support],
    *,
    date: DateRange | None = None,
    sensitivity: Sensitivity = Sensitivity.RESTRICTED,
) -> str:
    """State one property value of an entity, with the sources that support it.

    A claim is never less protected than what supports it: its sensitivity is
    raised to the strictest of its supporting sources, records and items (a
    "public" claim resting on a protected testimony would publish it).
    """
    if not support:
        raise ValueError("a claim needs at least one supporting source")
    tx.flush()  # supports added earlier in this transaction must be read too
    sensitivity = strictest(sensitivity, *support_levels(tx.conn, support))
    cid = new_id("claim")
    tx.emit("claim.added", sealed_if_protected(tx, "claim", {
        "id": cid, "entity_kind": str(entity_kind), "entity_id": entity_id, "property": prop,
        "value": value, **date_fields(date), "sensitivity": str(sensitivity),
        "status": "asserted", "support": [x.as_dict() for x in support],
    }, placeholders={"value": REDACTED}))
    return cid


def sealed_if_protected(
    tx: Transaction, kind: str, data: dict[str, Any],
    placeholders: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Every field of a protected object sealed but its ID, kind, sensitivity and links."""
    if data["sensitivity"] != str(Sensitivity.PROTECTED):
        return data
    return tx.seal_protected(kind, data, str(data["id"]), placeholders)


def support_levels(conn: Connection, support: Sequence[Support]) -> list[Sensitivity]:
    """Sensitivities of every source, record and item named in ``support``.

    A reference to nothing is refused here, before its sensitivity could be missed.
    """
    wanted = {s.sources: {x.source_id for x in support},
              s.records: {x.record_id for x in support if x.record_id is not None},
              s.items: {x.item_id for x in support if x.item_id is not None}}
    levels: list[Sensitivity] = []
    for table, ids in wanted.items():
        if not ids:
            continue
        rows = {str(r.id): str(r.sensitivity) for r in conn.execute(
            select(table.c.id, table.c.sensitivity).where(table.c.id.in_(sorted(ids))))}
        missing = sorted(ids - set(rows))
        if missing:
            raise NotFoundError(f"no {table.name.rstrip('s')} {missing[0]!r} to support a claim")
        levels += [Sensitivity(v) for v in rows.values()]
    return levels


def date_fields(date: DateRange | None) -> Mapping[str, str | None]:
    """An interval's columns: ISO days and the source's words (all None without one)."""
    if date is None:
        return {"date_earliest": None, "date_latest": None, "date_text": None}
    return {
        "date_earliest": date.earliest.isoformat() if date.earliest else None,
        "date_latest": date.latest.isoformat() if date.latest else None,
        "date_text": date.text,
    }
