"""Accepting a proposed claim whose sentence attributes the statement to a party, with
that party linked to an organisation or a person of the store (``attributed_to``): the
party must be visible to the reviewer ("not found" otherwise, and no claim made), must be
a person or an organisation, and the claim is never less protected than the party."""

from __future__ import annotations

from typing import Any

import pytest
from api_world import World
from sqlalchemy import select

from dadkhahi.domain.ids import new_id
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import schema as s

PARTY = "SYNTHETIC Example Watch"


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world


def _proposal(world: World, *, said: bool = True) -> str:
    """A pending count on the restricted item, its sentence attributed to PARTY."""
    o = world.objects[Sensitivity.RESTRICTED]
    pid = new_id("proposal")
    value: dict[str, Any] = {"count": 40} | ({"attributed_to": PARTY} if said else {})
    with world.store.transaction("setup") as tx:
        tx.emit("mentions.found", {
            "id": new_id("mentionrun"), "item_id": o.item, "text_item_id": o.item,
            "source_id": o.source, "sensitivity": "restricted", "at": "2026-01-01T00:00:00Z",
            "mentions": [], "proposals": [{
                "id": pid, "seq": 0, "property": "victim_count", "entity_kind": "place",
                "entity_id": o.place, "value": value, "sensitivity": "restricted",
                "locator": "text, page 1, characters 0-40"}]})
    return pid


def _claim(world: World, claim_id: str) -> dict[str, Any]:
    with world.store.reading() as conn:
        row = conn.execute(select(s.claims).where(s.claims.c.id == claim_id)).mappings().one()
        return world.store.keys.open_row(conn, dict(row))


def _claims(world: World) -> int:
    with world.store.reading() as conn:
        return len(conn.execute(select(s.claims.c.id)).all())


def test_an_attributed_party_is_linked_to_an_organisation_or_a_person(world: World) -> None:
    c, h = world.client, world.headers
    restricted = world.objects[Sensitivity.RESTRICTED].organization
    protected = world.objects[Sensitivity.PROTECTED].organization
    # The analyst has no grant: the protected organisation is "not found", nothing made.
    pid = _proposal(world)
    before = _claims(world)
    hidden = c.post(f"/api/proposals/{pid}/accept", headers=h("analyst"),
                    json={"attributed_to": f"organization:{protected}"})
    assert hidden.status_code == 404, hidden.text
    assert _claims(world) == before
    # A place makes no statement.
    place = world.objects[Sensitivity.RESTRICTED].place
    wrong = c.post(f"/api/proposals/{pid}/accept", headers=h("analyst"),
                   json={"attributed_to": f"place:{place}"})
    assert wrong.status_code == 422 and "person or an organisation" in wrong.text
    made = c.post(f"/api/proposals/{pid}/accept", headers=h("analyst"),
                  json={"attributed_to": f"organization:{restricted}"})
    assert made.status_code == 200, made.text
    claim = _claim(world, made.json()["claim_id"])
    # A proposal made before counts were proposed as figures ("count") is accepted as one.
    assert claim["value"] == {"approximately": 40, "attributed_to": PARTY, "attributed_party": {
        "kind": "organization", "id": restricted}}
    assert claim["sensitivity"] == "restricted"
    # Linked to a protected organisation by a grant holder: the claim becomes protected.
    pid = _proposal(world)
    made = c.post(f"/api/proposals/{pid}/accept", headers=h("investigator_g"),
                  json={"attributed_to": f"organization:{protected}"})
    assert made.status_code == 200 and made.json()["claim_sensitivity"] == "protected"
    claim = _claim(world, made.json()["claim_id"])
    assert claim["value"]["attributed_party"] == {"kind": "organization", "id": protected}
    # A person may be the party too (a spokesman quoted by name).
    pid = _proposal(world)
    person = world.objects[Sensitivity.PUBLIC].person
    made = c.post(f"/api/proposals/{pid}/accept", headers=h("analyst"),
                  json={"attributed_to": person})
    assert made.status_code == 200, made.text
    assert _claim(world, made.json()["claim_id"])["value"]["attributed_party"] == {
        "kind": "person", "id": person}
    # A sentence that names no party has none to link.
    pid = _proposal(world, said=False)
    none = c.post(f"/api/proposals/{pid}/accept", headers=h("analyst"),
                  json={"attributed_to": f"organization:{restricted}"})
    assert none.status_code == 422 and "no party" in none.text
