"""Corrections of acts and withdrawals of involvements through ``services.objects`` (the
API's and the pages' one path), on SQLite and PostgreSQL: the rules (visible first, then
the permission, then the act's version), the events, sealing, replay, and that a
withdrawn involvement is gone from every reader."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from api_world import World
from sqlalchemy import func, select

from dadkhahi.access.policy import ForbiddenError, Principal
from dadkhahi.access.reads import RESOURCES, export_events, get_object
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.vocab import ActType, InvolvementRole, Sensitivity
from dadkhahi.facts import entities
from dadkhahi.facts.entities import Support
from dadkhahi.services import facts, objects
from dadkhahi.store import schema as s
from dadkhahi.store.verify import verify_ledger
from dadkhahi.store.versions import VersionMismatchError

PUBLIC, PROTECTED = Sensitivity.PUBLIC, Sensitivity.PROTECTED
MORDAD = DateRange(date(1988, 7, 23), date(1988, 8, 22), "Mordad 1367")


def _who(world: World, name: str) -> Principal:
    return Principal(user_id=world.user_ids[name], username=name, role=world.roles[name])


def _version(world: World, act: str) -> int:
    with world.store.reading() as conn:
        return int(conn.execute(select(s.acts.c.ledger_index).where(s.acts.c.id == act))
                   .scalar_one())


def _last(world: World, kind: str) -> dict[str, Any]:
    e = s.ledger_events.c
    with world.store.reading() as conn:
        body = conn.execute(select(e.body).where(e.type == kind).order_by(e.idx.desc())
                            .limit(1)).scalar_one()
    found: dict[str, Any] = json.loads(body)
    return found


def _verified(world: World) -> None:
    with world.store.reading() as conn:
        report = verify_ledger(conn, world.store.verifier_key())
    assert report.ok, report.findings[:3]


def test_an_act_is_recorded_only_from_a_source(world: World) -> None:
    """The one rule of every face (API, page, command line): an act names its source, or
    it is refused naming the field and nothing is written; ``create_act``, the way to an
    act without one, is gone from the services."""
    who = _who(world, "investigator_g")
    with world.store.reading() as conn:
        before = conn.execute(select(func.count()).select_from(s.ledger_events)).scalar_one()
    with pytest.raises(ValidationError, match="field support: an act must cite"):
        objects.record_act(world.store, who, ActType.TORTURE, Support(""), place_id=None,
                           date=MORDAD, description="SYNTHETIC words", sensitivity=PUBLIC)
    with world.store.reading() as conn:
        assert conn.execute(select(func.count()).select_from(s.ledger_events)
                            ).scalar_one() == before
    assert not hasattr(objects, "create_act")


def test_an_act_is_corrected_as_a_source_tells_it(world: World) -> None:
    pub = world.objects[PUBLIC]
    who = _who(world, "investigator_g")
    before = _version(world, pub.act)
    changed = objects.change_act(world.store, who, pub.act, ActType.UNMARKED_BURIAL,
                                 Support(pub.source, locator="p. 4"), place_id=pub.place,
                                 date=MORDAD, description="SYNTHETIC corrected",
                                 expected_version=before)
    assert changed["type"] == "unmarked_burial" and changed["place_id"] == pub.place
    assert changed["date_earliest"] == "1988-07-23" and changed["date_text"] == "Mordad 1367"
    event = _last(world, "act.changed")["data"]
    assert event["changed"] == ["type", "place_id", "date_earliest", "date_latest",
                                "date_text", "description"]
    claim = _last(world, "claim.added")["data"]
    assert claim["entity_id"] == pub.act and claim["property"] == "account"
    assert claim["value"] == {"type": "unmarked_burial", "date": "Mordad 1367"}
    assert claim["support"][0]["source_id"] == pub.source
    # The version read before is stale now; the same act again is "nothing to change".
    with pytest.raises(VersionMismatchError):
        objects.change_act(world.store, who, pub.act, ActType.TORTURE, Support(pub.source),
                           place_id=None, date=None, description=None,
                           expected_version=before)
    with pytest.raises(ValidationError, match="nothing to change"):
        objects.change_act(world.store, who, pub.act, ActType.UNMARKED_BURIAL,
                           Support(pub.source), place_id=pub.place, date=MORDAD,
                           description="SYNTHETIC corrected",
                           expected_version=_version(world, pub.act))
    _verified(world)  # the projection is what a replay of the events gives


def test_who_may_correct_an_act(world: World) -> None:
    pub, pro = world.objects[PUBLIC], world.objects[PROTECTED]
    size = world.store.size()

    def change(name: str, act: str, source: str, place: str | None = None) -> None:
        objects.change_act(world.store, _who(world, name), act, ActType.TORTURE,
                           Support(source), place_id=place, date=None, description=None,
                           expected_version=_version(world, act))

    # Whoever may not see the act, the place or the source: "not found", as a missing one.
    for act, source, place in ((pro.act, pub.source, None), (pub.act, pro.source, None),
                               (pub.act, pub.source, pro.place)):
        with pytest.raises(NotFoundError):
            change("analyst", act, source, place)
    # Who sees it but may not add facts: forbidden (the API's rule for recording acts).
    for name in ("viewer_g", "researcher", "lawyer_g"):
        with pytest.raises(ForbiddenError):
            change(name, pub.act, pub.source)
    assert world.store.size() == size  # nothing written


def test_a_protected_act_s_correction_is_sealed(world: World) -> None:
    pro = world.objects[PROTECTED]
    who = _who(world, "investigator_g")
    tir = DateRange(date(1988, 6, 22), date(1988, 7, 22), "Tir 1367, sealed")
    objects.change_act(world.store, who, pro.act, ActType.TORTURE, Support(pro.source),
                       place_id=pro.place, date=tir, description="SECRET-corrected act",
                       expected_version=_version(world, pro.act))
    e = s.ledger_events.c
    with world.store.reading() as conn:
        bodies = b"".join(conn.execute(select(e.body)).scalars())
        row = conn.execute(select(s.acts.c.description, s.acts.c.date_text).where(
            s.acts.c.id == pro.act)).one()
    assert b"SECRET-corrected" not in bodies and b"Tir 1367, sealed" not in bodies
    assert "SECRET" not in str(row.description) and row.date_text != "Tir 1367, sealed"
    shown = get_object(world.store, who, RESOURCES["acts"], pro.act)
    assert shown["description"] == "SECRET-corrected act" and shown["type"] == "torture"
    # The account claim is as protected as the act, and its author may see it.
    claim = _last(world, "claim.added")["data"]
    assert claim["sensitivity"] == "protected"
    assert get_object(world.store, who, RESOURCES["claims"], claim["id"])["value"][
        "type"] == "torture"
    _verified(world)


def _supports(world: World, involvement: str) -> int:
    with world.store.reading() as conn:
        return int(conn.execute(select(func.count()).where(
            s.involvement_support.c.involvement_id == involvement)).scalar_one())


def test_a_withdrawn_involvement_is_gone_from_every_reader(world: World) -> None:
    pub = world.objects[PUBLIC]
    with world.store.transaction("setup") as tx:
        signed = entities.add_involvement(
            tx, pub.act, InvolvementRole.SIGNED, person_id=pub.person, sensitivity=PUBLIC,
            support=[Support(pub.source, locator="p. 1"), Support(pub.source)])
    assert _supports(world, signed) == 2
    admin = _who(world, "admin_g")
    # Named in another act's address: not found; who may not add facts: forbidden.
    with pytest.raises(NotFoundError):
        objects.withdraw_involvement(world.store, admin, signed,
                                     act_id=world.objects[PROTECTED].act)
    with pytest.raises(ForbiddenError):
        objects.withdraw_involvement(world.store, _who(world, "lawyer_g"), signed)
    objects.withdraw_involvement(world.store, admin, signed, act_id=pub.act)
    assert _supports(world, signed) == 0
    with pytest.raises(NotFoundError):
        get_object(world.store, admin, RESOURCES["involvements"], signed)
    shown, _ = facts.act_view(world.store, admin, pub.act)
    assert signed not in {x["id"] for x in shown["involvements"]}
    assert pub.involvement in {x["id"] for x in shown["involvements"]}
    entries, _, _, _ = facts.registry_for(world.store, admin)
    assert signed not in json.dumps(entries, default=str)
    # Its events are the auditors' only: no row is left to decide who may read them.
    viewer = _who(world, "viewer_g")
    shown_events = "".join(e.get("event", "") for e in export_events(world.store, viewer))
    assert signed not in shown_events and pub.involvement in shown_events
    with pytest.raises(NotFoundError):  # withdrawn already
        objects.withdraw_involvement(world.store, admin, signed)
    _verified(world)


def test_a_hidden_involvement_cannot_be_withdrawn(world: World) -> None:
    pro = world.objects[PROTECTED]
    size = world.store.size()
    with pytest.raises(NotFoundError):
        objects.withdraw_involvement(world.store, _who(world, "analyst"), pro.involvement)
    assert world.store.size() == size
