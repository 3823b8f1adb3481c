"""How a person was linked (issue 14): the links that hold a person's records together
and the review queue's pairs carry the match weight of each field, stored by the
``link.run`` event and shown only with both of the pair's records (the one disclosure
rule), on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from api_world import (
    LINKED_FIELDS,
    PRIOR_BITS,
    REVIEW_FIELDS,
    World,
    weighing_linker,
)
from sqlalchemy import select

from dadkhahi.access.dossier import person_dossier
from dadkhahi.access.policy import Principal
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.linkage.service import run_linkage
from dadkhahi.services import lists_linkage
from dadkhahi.store import schema as s


def _principal(world: World, name: str) -> Principal:
    role = world.roles[name]
    assert role is not None
    return Principal(user_id=world.user_ids[name], username=name, role=role)


def _bits(fields: dict[str, float]) -> dict[str, float]:
    """As stored: each field to a thousandth of a bit, the absent ones at 0."""
    names = set(LINKED_FIELDS) | set(REVIEW_FIELDS)
    return {n: round(fields.get(n, 0.0), 3) for n in sorted(names)}


def test_a_person_s_links_carry_each_field_s_weight_shown_with_both_records(
        world: World) -> None:
    pub = world.objects[Sensitivity.PUBLIC]
    pro = world.objects[Sensitivity.PROTECTED]
    # One person of two public records, then a protected record joins them (the person
    # keeps the id most of its records had: a public one).
    first = [(pub.list_record, pub.list_record_b)]
    run_linkage(world.store, "setup", linker=weighing_linker(world.store, first, []))
    linked = [*first, (pub.list_record_b, pro.list_record)]
    run_linkage(world.store, "setup", linker=weighing_linker(world.store, linked,
                                                             world.review))
    with world.store.reading() as conn:
        person = conn.execute(select(s.person_records.c.person_id).where(
            s.person_records.c.record_id == pub.list_record)).scalar_one()
        event = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.type == "link.run").order_by(
                s.ledger_events.c.idx.desc())).scalars().first()
    # The ledger event itself holds the weights (the tables are its projection).
    data = json.loads(event)["data"]
    assert data["weight_fields"] == sorted(set(LINKED_FIELDS) | set(REVIEW_FIELDS))
    assert sum("link" in row for row in data["records"]) == 2
    weight = round(PRIOR_BITS + sum(LINKED_FIELDS.values()), 3)

    seen, _ = person_dossier(world.store, _principal(world, "investigator_g"), person)
    assert len(seen.records) == 3
    assert [(x["fields"], x["weight"]) for x in seen.links] == [
        (_bits(LINKED_FIELDS), weight)] * 2
    assert {frozenset((x["record_a"], x["record_b"])) for x in seen.links} == {
        frozenset(p) for p in linked}
    # Without the grant the protected record is not on the page, nor its link.
    outside, _ = person_dossier(world.store, _principal(world, "analyst"), person)
    assert {r["id"] for r in outside.records} == {pub.list_record, pub.list_record_b}
    assert [(x["record_a"], x["record_b"]) for x in outside.links] == [
        tuple(sorted((pub.list_record, pub.list_record_b)))]


def test_review_pairs_carry_each_field_s_weight(world: World) -> None:
    pub = world.objects[Sensitivity.PUBLIC]
    run_linkage(world.store, "setup", linker=weighing_linker(world.store, [], world.review))
    shown = lists_linkage.review_for(world.store, _principal(world, "analyst"), 50)
    assert shown and all(p["fields"] == _bits(REVIEW_FIELDS) for p in shown)
    assert all(p["weight"] == round(PRIOR_BITS + sum(REVIEW_FIELDS.values()), 3)
               for p in shown)
    # The analyst (no grant) is offered no pair with a protected record, nor its weights.
    pro = world.objects[Sensitivity.PROTECTED]
    hidden = {pro.list_record, pro.list_record_b}
    assert not hidden & {x for p in shown for x in (p["left"]["id"], p["right"]["id"])}
    assert any(pub.list_record in (p["left"]["id"], p["right"]["id"]) for p in shown)


def _three_record_person(world: World) -> tuple[str, list[str]]:
    """A person of two public records and a protected one (see the first test)."""
    pub, pro = world.objects[Sensitivity.PUBLIC], world.objects[Sensitivity.PROTECTED]
    first = [(pub.list_record, pub.list_record_b)]
    run_linkage(world.store, "setup", linker=weighing_linker(world.store, first, []))
    run_linkage(world.store, "setup", linker=weighing_linker(
        world.store, [*first, (pub.list_record_b, pro.list_record)], []))
    with world.store.reading() as conn:
        person = conn.execute(select(s.person_records.c.person_id).where(
            s.person_records.c.record_id == pub.list_record)).scalar_one()
    return str(person), [pub.list_record, pub.list_record_b, pro.list_record]


def _decisions(world: World) -> list[tuple[str, str, str]]:
    d = s.link_decisions.c
    with world.store.reading() as conn:
        return [tuple(x) for x in conn.execute(
            select(d.record_a, d.record_b, d.decision).order_by(d.ledger_index)).all()]


def test_a_split_is_previewed_then_recorded_as_different_decisions_all_or_none(
        world: World) -> None:
    person, (pub_a, pub_b, pro_a) = _three_record_person(world)
    granted = _principal(world, "investigator_g")
    preview = lists_linkage.split_preview(world.store, granted, person, [pro_a])
    # The protected record goes; both public ones stay, joined by their stored link.
    assert preview["picked"] == [[pro_a]] and preview["kept"] == [sorted([pub_a, pub_b])]
    assert [frozenset(x) for x in preview["cut"]] == [frozenset((pub_b, pro_a))]
    assert sorted(preview["decisions"]) == sorted([(pro_a, pub_a), (pro_a, pub_b)])
    assert _decisions(world) == []  # a preview records nothing
    before = len(_decisions(world))
    with pytest.raises(ValidationError):  # all or none: nothing of a refused split
        lists_linkage.split_for(world.store, granted, person, [pub_a, pub_b, pro_a], None)
    assert len(_decisions(world)) == before
    ids = lists_linkage.split_for(world.store, granted, person, [pro_a], "SYNTHETIC")
    assert len(ids) == 2
    assert sorted(_decisions(world)) == sorted(
        [(*sorted((pro_a, x)), "different") for x in (pub_a, pub_b)])
    # Without the grant the protected record is neither shown nor decided on: a split of
    # the two public records decides that pair only.
    analyst = _principal(world, "analyst")
    shown = lists_linkage.split_preview(world.store, analyst, person, [pub_b])
    assert pro_a not in shown["records"] and shown["decisions"] == [(pub_b, pub_a)]
    with pytest.raises(ValidationError):
        lists_linkage.split_preview(world.store, analyst, person, [pro_a])


def test_links_to_records_on_other_pages_are_shown_by_the_same_rule(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from dadkhahi.access import dossier

    person, (pub_a, pub_b, pro_a) = _three_record_person(world)
    monkeypatch.setattr(dossier, "RECORDS_PAGE", 1)  # one record a page

    def seen(who: str) -> set[frozenset[str]]:
        found: set[frozenset[str]] = set()
        for start in range(3):
            page, _ = person_dossier(world.store, _principal(world, who), person,
                                     records_from=start)
            found |= {frozenset((x["record_a"], x["record_b"])) for x in page.links}
        return found

    assert seen("investigator_g") == {frozenset((pub_a, pub_b)), frozenset((pub_b, pro_a))}
    assert seen("analyst") == {frozenset((pub_a, pub_b))}  # never the protected record's


def _person_row(world: World, record: str) -> tuple[str, str, str, bool]:
    p, pr = s.persons.c, s.person_records.c
    with world.store.reading() as conn:
        pid, label, level, sealed = conn.execute(
            select(p.id, p.label, p.sensitivity, p.sealed).join(
                s.person_records, pr.person_id == p.id).where(pr.record_id == record)
        ).one()
    return str(pid), str(label), str(level), sealed is not None


def test_a_kept_person_left_with_protected_records_only_is_protected_again(
        world: World) -> None:
    """A person keeps its id across runs; its label and level must follow its records:
    a public person split down to protected records must not stay in view, named."""
    pub, pro = world.objects[Sensitivity.PUBLIC], world.objects[Sensitivity.PROTECTED]
    together = [(pub.list_record, pro.list_record), (pro.list_record, pro.list_record_b)]
    run_linkage(world.store, "setup", linker=weighing_linker(world.store, together, []))
    person, label, level, _ = _person_row(world, pro.list_record)
    assert level == "public" and label != "[protected]"
    analyst = _principal(world, "analyst")
    person_dossier(world.store, analyst, person)  # in view while a public record is in it
    # The public record goes its own way; the two protected ones keep the person's id.
    apart = [(pro.list_record, pro.list_record_b)]
    run_linkage(world.store, "setup", linker=weighing_linker(world.store, apart, []))
    kept, label, level, sealed = _person_row(world, pro.list_record)
    assert kept == person
    assert (label, level, sealed) == ("[protected]", "protected", True)
    with pytest.raises(NotFoundError):
        person_dossier(world.store, analyst, person)
    granted, _ = person_dossier(world.store, _principal(world, "investigator_g"), person)
    assert {r["id"] for r in granted.records} == {pro.list_record, pro.list_record_b}
    # And back: the public record rejoins, and the person is public and named again.
    run_linkage(world.store, "setup", linker=weighing_linker(world.store, together, []))
    kept, label, level, sealed = _person_row(world, pub.list_record)
    assert kept == person and level == "public" and not sealed
    assert label not in ("[protected]", "(no name)")
    seen, _ = person_dossier(world.store, analyst, person)
    assert {r["id"] for r in seen.records} == {pub.list_record}
