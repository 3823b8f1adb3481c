"""What the API does on a user's behalf: check, write through the services, show the result.

Every change follows one order: referenced objects must be visible (404, never
403, so nothing protected is confirmed to exist), then the role must allow the
change (403, or 401 when not signed in), then the change is written in one
ledger transaction. A new protected source or entity is granted to its creator
in the same transaction; a new object its creator could not see is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select

from dadkhahi.access import grants
from dadkhahi.access.policy import Permission, Principal, params, require, visible
from dadkhahi.access.reads import RESOURCES, get_object, visible_row
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import (
    ACT_ACCOUNT,
    ActType,
    EntityKind,
    InvolvementRole,
    PlaceKind,
    PlaceStatus,
    Sensitivity,
    strictest,
)
from dadkhahi.facts import edits, entities, place_status
from dadkhahi.intake.records import add_record
from dadkhahi.intake.sources import register_source
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, Transaction

_ENTITY_TABLES = {EntityKind.PERSON: s.persons, EntityKind.ORGANIZATION: s.organizations,
                  EntityKind.PLACE: s.places, EntityKind.ACT: s.acts}


def _create(
    store: Store, principal: Principal, resource: str, permission: Permission,
    build: Callable[[Transaction], str], *, sensitivity: Sensitivity,
    refs: Callable[[Transaction], None] = lambda tx: None, grant_self: bool = False,
) -> dict[str, Any]:
    table = RESOURCES[resource].table
    with store.transaction(principal.name) as tx:
        refs(tx)
        require(principal, permission)
        new_id = build(tx)
        tx.flush()
        if grant_self and principal.user_id and _protected(tx, table, new_id, sensitivity):
            grants.grant_in(tx, new_id, principal.user_id)
        try:
            visible_row(tx.conn, principal, table, new_id, RESOURCES[resource].kind)
        except NotFoundError:
            raise ValidationError(
                f"you would not be able to see this {RESOURCES[resource].kind}: "
                "check its sensitivity and your grants") from None
    return get_object(store, principal, RESOURCES[resource], new_id, action="create")


def _protected(tx: Transaction, table: Any, object_id: str, asked: Sensitivity) -> bool:
    """Whether a new object is protected: asked so, or raised so by what supports it."""
    if asked is Sensitivity.PROTECTED:
        return True
    return bool(tx.conn.execute(select(table.c.sensitivity).where(table.c.id == object_id))
                .scalar_one() == Sensitivity.PROTECTED)


def create_source(store: Store, principal: Principal, spec: SourceSpec) -> dict[str, Any]:
    """Register a source (a protected one is granted to its creator)."""
    return _create(store, principal, "sources", Permission.ADD_EVIDENCE,
                   lambda tx: register_source(store, tx, spec),
                   sensitivity=spec.sensitivity, grant_self=True)


def create_record(
    store: Store, principal: Principal, source_id: str, verbatim: dict[str, Any], *,
    normalized: dict[str, Any] | None, item_id: str | None, external_id: str | None,
    sensitivity: Sensitivity | None,
) -> dict[str, Any]:
    """Add one record to a visible source (never less protected than the source)."""
    found: dict[str, Any] = {}

    def refs(tx: Transaction) -> None:
        found.update(visible_row(tx.conn, principal, s.sources, source_id, "source"))
        if item_id is not None:
            item = visible_row(tx.conn, principal, s.items, item_id, "item")
            if item["source_id"] != source_id:
                raise ValidationError(f"item {item_id} is not part of source {source_id}")

    def build(tx: Transaction) -> str:
        return add_record(tx, source_id, Sensitivity(found["sensitivity"]), verbatim,
                          normalized=normalized, item_id=item_id, external_id=external_id,
                          sensitivity=sensitivity)

    level = sensitivity or Sensitivity.PUBLIC
    return _create(store, principal, "records", Permission.ADD_EVIDENCE, build,
                   sensitivity=level, refs=refs)


def create_person(
    store: Store, principal: Principal, label: str, sensitivity: Sensitivity, synthetic: bool
) -> dict[str, Any]:
    """A person (a protected one is granted to its creator)."""
    return _create(store, principal, "persons", Permission.ADD_FACTS,
                   lambda tx: entities.create_person(tx, label, sensitivity=sensitivity,
                                                     synthetic=synthetic),
                   sensitivity=sensitivity, grant_self=True)


def create_organization(
    store: Store, principal: Principal, name: str, kind: str | None, sensitivity: Sensitivity
) -> dict[str, Any]:
    """An organisation such as a commission or a court."""
    return _create(store, principal, "organizations", Permission.ADD_FACTS,
                   lambda tx: entities.create_organization(tx, name, kind,
                                                           sensitivity=sensitivity),
                   sensitivity=sensitivity, grant_self=True)


def create_place(
    store: Store, principal: Principal, name: str, kind: PlaceKind, *, name_fa: str | None,
    parent_id: str | None, latitude: float | None, longitude: float | None,
    status: PlaceStatus, sensitivity: Sensitivity,
) -> dict[str, Any]:
    """A place in the gazetteer."""
    def refs(tx: Transaction) -> None:
        if parent_id is not None:
            visible_row(tx.conn, principal, s.places, parent_id, "place")

    return _create(store, principal, "places", Permission.ADD_FACTS,
                   lambda tx: entities.create_place(
                       tx, name, kind, name_fa=name_fa, parent_id=parent_id,
                       latitude=latitude, longitude=longitude, status=status,
                       sensitivity=sensitivity),
                   sensitivity=sensitivity, refs=refs, grant_self=True)


def create_involvement(
    store: Store, principal: Principal, act_id: str, role: InvolvementRole, *,
    person_id: str | None, organization_id: str | None, sensitivity: Sensitivity,
    support: Sequence[entities.Support] = (),
) -> dict[str, Any]:
    """Tie a visible person or organisation to a visible act, as the visible sources in
    ``support`` say (an allegation with its sources, like a claim)."""
    if (person_id is None) == (organization_id is None):
        raise ValidationError("an involvement names exactly one person or organisation")

    def refs(tx: Transaction) -> None:
        visible_row(tx.conn, principal, s.acts, act_id, "act")
        if person_id is not None:
            visible_row(tx.conn, principal, s.persons, person_id, "person")
        if organization_id is not None:
            visible_row(tx.conn, principal, s.organizations, organization_id, "organization")
        _support_refs(tx, principal, support)

    return _create(store, principal, "involvements", Permission.ADD_FACTS,
                   lambda tx: entities.add_involvement(
                       tx, act_id, role, person_id=person_id, organization_id=organization_id,
                       sensitivity=sensitivity, support=support),
                   sensitivity=sensitivity, refs=refs, grant_self=True)


def record_act(
    store: Store, principal: Principal, act_type: ActType, support: entities.Support, *,
    place_id: str | None, date: DateRange | None, description: str | None,
    sensitivity: Sensitivity,
) -> dict[str, Any]:
    """An act as a source tells it, in one transaction: the act, and a claim on it (its
    kind and date as the source words them) supported by ``support``, so the act's
    evidence is that source (a case counts it); the act is raised to its source's level
    when that is stricter, as the claim is. Victims and perpetrators follow as
    involvements with their own sources (:func:`create_involvement`).

    This is the one way an act is made on a user's behalf (the API, the page and the
    command line call it): an act without a source is refused (422, nothing written), as
    nothing would tie its words to a source, and no erasure of that source would reach
    them (``intake.erasure`` finds an act by its account's support)."""
    if not support.source_id:
        raise ValidationError("field support: an act must cite the source that tells it "
                              "(a source, or a record or item of one)")

    def refs(tx: Transaction) -> None:
        if place_id is not None:
            visible_row(tx.conn, principal, s.places, place_id, "place")
        _support_refs(tx, principal, [support])

    def build(tx: Transaction) -> str:
        # The act's description and date are its source's words: never less protected
        # than that source (as its account claim is), so erasing the source can reach them.
        level = strictest(sensitivity, *entities.support_levels(tx.conn, [support]))
        act_id = entities.create_act(tx, act_type, place_id=place_id, date=date,
                                     description=description, sensitivity=level)
        _account(tx, principal, act_id, act_type, date, support, level)
        return act_id

    return _create(store, principal, "acts", Permission.ADD_FACTS, build,
                   sensitivity=sensitivity, refs=refs, grant_self=True)


def change_act(
    store: Store, principal: Principal, act_id: str, act_type: ActType,
    support: entities.Support, *, place_id: str | None, date: DateRange | None,
    description: str | None, expected_version: int | None,
) -> dict[str, Any]:
    """Correct a visible act's kind, place, date and description as the visible source in
    ``support`` tells it, if the act is still at ``expected_version`` (else 412), in one
    transaction: the act's change (``facts.edits.change_act``) and, as when it was
    recorded (:func:`record_act`), a claim on it citing that source, so every version of
    the act rests on one. The same permission as recording an act (add facts); nothing
    to change is refused, and so is any change of an erased act (409) and a source more
    protected than the act (422: the act's words would be less protected than it)."""
    with store.transaction(principal.name) as tx:
        act = visible_row(tx.conn, principal, s.acts, act_id, "act")
        if place_id is not None:
            visible_row(tx.conn, principal, s.places, place_id, "place")
        _support_refs(tx, principal, [support])
        require(principal, Permission.ADD_FACTS)
        level = Sensitivity(act["sensitivity"])
        if strictest(level, *entities.support_levels(tx.conn, [support])) != level:
            # Its words would be less protected than their source, and out of reach of
            # the source's erasure; raising the act's level is a decision of its own.
            raise ValidationError(f"this source is more protected than the act ({level}): "
                                  "it cannot correct it")
        changed = edits.change_act(tx, act_id, act_type=act_type, place_id=place_id,
                                   date=date, description=description,
                                   expected_version=expected_version)
        if not changed:
            raise ValidationError("nothing to change: the act already reads so")
        _account(tx, principal, act_id, act_type, date, support,
                 Sensitivity(act["sensitivity"]))
    return get_object(store, principal, RESOURCES["acts"], act_id, action="update")


def _account(tx: Transaction, principal: Principal, act_id: str, act_type: ActType,
             date: DateRange | None, support: entities.Support, level: Sensitivity) -> None:
    """The claim an act rests on: its kind and date as ``support``'s source words them. A
    claim raised to protected by its source is its author's to see, as the act is."""
    claim_id = entities.add_claim(
        tx, EntityKind.ACT, act_id, ACT_ACCOUNT,
        {"type": str(act_type), "date": date.text if date else None}, [support],
        date=date, sensitivity=level)
    tx.flush()
    if principal.user_id and _protected(tx, s.claims, claim_id, level):
        grants.grant_in(tx, claim_id, principal.user_id)


def withdraw_involvement(store: Store, principal: Principal, involvement_id: str, *,
                         act_id: str | None = None) -> int:
    """Withdraw a visible involvement (404 otherwise, and when ``act_id`` names another
    act than its own) from its act: the same permission as naming someone in an act (add
    facts). Returns the event's index."""
    with store.transaction(principal.name) as tx:
        found = visible_row(tx.conn, principal, s.involvements, involvement_id,
                            "involvement")
        if act_id is not None and found["act_id"] != act_id:
            raise NotFoundError(f"no involvement {involvement_id!r} in act {act_id!r}")
        visible_row(tx.conn, principal, s.acts, str(found["act_id"]), "act")
        require(principal, Permission.ADD_FACTS)
        return edits.withdraw_involvement(tx, involvement_id)


def create_claim(
    store: Store, principal: Principal, entity_kind: EntityKind, entity_id: str, prop: str,
    value: Any, support: Sequence[entities.Support], *, date: DateRange | None,
    sensitivity: Sensitivity,
) -> dict[str, Any]:
    """A claim about a visible entity, backed by visible sources (records, items)."""
    return _create(store, principal, "claims", Permission.ADD_FACTS,
                   lambda tx: entities.add_claim(tx, entity_kind, entity_id, prop, value,
                                                 support, date=date, sensitivity=sensitivity),
                   sensitivity=sensitivity,
                   refs=_claim_refs(principal, entity_kind, entity_id, support))


def _claim_refs(
    principal: Principal, entity_kind: EntityKind, entity_id: str,
    support: Sequence[entities.Support],
) -> Callable[[Transaction], None]:
    """The check before a claim: its entity and every support visible (404), each
    record or item part of the source it is cited with."""
    if not support:
        raise ValidationError("a claim needs at least one supporting source")

    def refs(tx: Transaction) -> None:
        visible_row(tx.conn, principal, _ENTITY_TABLES[entity_kind], entity_id,
                    str(entity_kind))
        _support_refs(tx, principal, support)

    return refs


def _support_refs(tx: Transaction, principal: Principal,
                  support: Sequence[entities.Support]) -> None:
    """Every cited source, record and item visible (404), each record or item part of
    the source it is cited with."""
    for sup in support:
        visible_row(tx.conn, principal, s.sources, sup.source_id, "source")
        for table, ref, what in ((s.records, sup.record_id, "record"),
                                 (s.items, sup.item_id, "item")):
            if ref is not None:
                row = visible_row(tx.conn, principal, table, ref, what)
                if row["source_id"] != sup.source_id:
                    raise ValidationError(f"{what} {ref} is not part of {sup.source_id}")


def add_place_status(
    store: Store, principal: Principal, place_id: str, status: PlaceStatus | str,
    support: Sequence[entities.Support], *, date: DateRange | None,
    sensitivity: Sensitivity = Sensitivity.PUBLIC,
) -> dict[str, Any]:
    """State a site's status (intact, damaged, destroyed, built over) as a dated claim of
    its sources; the place's status becomes the latest accepted one. Returns the claim."""
    return _create(store, principal, "claims", Permission.ADD_FACTS,
                   lambda tx: place_status.add_place_status(
                       tx, place_id, status, support, date=date, sensitivity=sensitivity),
                   sensitivity=sensitivity,
                   refs=_claim_refs(principal, EntityKind.PLACE, place_id, support))


def place_status_history(
    store: Store, principal: Principal, place_id: str,
) -> list[place_status.StatusClaim]:
    """A visible site's status claims the principal may see, oldest first, the current
    one marked (404 for a place the principal may not see)."""
    with store.reading() as conn:
        visible_row(conn, principal, s.places, place_id, "place")
        return place_status.status_history(conn, place_id, where=visible(principal, s.claims),
                                           params=params(principal))


def change_claim_status(
    store: Store, principal: Principal, claim_id: str, status: str, expected_version: int
) -> dict[str, Any]:
    """Set a claim's status if it is still at ``expected_version`` (else 412)."""
    with store.transaction(principal.name) as tx:
        visible_row(tx.conn, principal, s.claims, claim_id, "claim")
        require(principal, Permission.REVIEW)
        edits.set_claim_status(tx, claim_id, status, expected_version)
    return get_object(store, principal, RESOURCES["claims"], claim_id, action="update")


def change_place_status(
    store: Store, principal: Principal, place_id: str, status: PlaceStatus,
    expected_version: int,
) -> dict[str, Any]:
    """Set a place's status if it is still at ``expected_version`` (else 412)."""
    with store.transaction(principal.name) as tx:
        visible_row(tx.conn, principal, s.places, place_id, "place")
        require(principal, Permission.REVIEW)
        edits.set_place_status(tx, place_id, status, expected_version)
    return get_object(store, principal, RESOURCES["places"], place_id, action="update")
