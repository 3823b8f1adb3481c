"""Counts under the one disclosure rule (the workspace's dashboard, ``/api/status``).

A count applies the rule once per group of rows alike in what the rule reads
(:func:`dadkhahi.access.disclosure.count_statement`), not once per row: for every
principal, on SQLite and PostgreSQL, each count must be the number of rows the rule
discloses row by row (:func:`~dadkhahi.access.disclosure.disclosable` on every ID), in a
world of every object at every level, objects resting on more protected ones, persons
made of records, and partial grants. And a row someone may not see moves none of their
counts, while it moves the count of who may.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from dadkhahi.access import grants, passwords, users
from dadkhahi.access.disclosure import KINDS, disclosable
from dadkhahi.access.policy import Principal, Role, audience
from dadkhahi.access.reads import count_visible
from dadkhahi.domain.vocab import ActType, EntityKind, InvolvementRole, Sensitivity
from dadkhahi.facts import entities
from dadkhahi.facts.entities import Support
from dadkhahi.intake.records import add_record
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))
from api_world import PEOPLE, World, build_world
from disclosure_world import new_item, new_source

PUB, RES, PRO = Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.PROTECTED
#: Every table a count is asked of.
COUNTED = ("sources", "items", "records", "lists", "list_imports", "persons",
           "organizations", "places", "acts", "involvements", "claims")
_KIND_OF = {table.name: kind for kind, table in KINDS.items()}


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    # Cheap Argon2: the world adds a user per role; password strength is not under test.
    monkeypatch.setattr(passwords, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    world = build_world(store, tmp_path)
    pub, res, pro = (world.objects[level] for level in (PUB, RES, PRO))
    with store.transaction("setup") as tx:
        # Less protected objects resting on protected ones: the rule looks through them.
        other = new_source(store, tx, PRO, "second protected source")
        new_item(store, tx, pub.source, PUB, derived_from=pro.item)
        add_record(tx, pub.source, PUB, {"name": "on a protected item"}, item_id=pro.item)
        add_record(tx, pro.source, RES, {"name": "restricted, in a protected source"})
        add_record(tx, other, PRO, {"name": "in a source nobody was granted"})
        entities.create_act(tx, ActType.EXECUTION, place_id=pro.place, sensitivity=PUB)
        entities.add_involvement(tx, pub.act, InvolvementRole.VICTIM,
                                 person_id=pro.person, sensitivity=PUB)
        entities.add_claim(tx, EntityKind.PERSON, res.person, "p", 1,
                           [Support(pub.source), Support(pro.source)], sensitivity=PUB)
    # A team member granted the protected list's source only: its persons (made of its
    # records) but not the protected person, place or act.
    uid = users.add_user(store, "partial", Role.ANALYST, "SYNTHETIC long passphrase", "setup")
    grants.grant(store, pro.list_source, uid, "setup")
    world.user_ids["partial"], world.roles["partial"] = uid, Role.ANALYST
    return world


def _principals(world: World) -> dict[str, Principal]:
    found = {"anonymous": Principal()}
    for name in (*(p[0] for p in PEOPLE), "partial"):
        found[name] = Principal(user_id=world.user_ids[name], username=name,
                                role=world.roles[name])
    return found


def _row_by_row(store: Store, principal: Principal) -> dict[str, int]:
    with store.reading() as conn:
        return {name: len(disclosable(
            conn, _KIND_OF[name],
            [str(i) for i in conn.execute(select(s.metadata.tables[name].c.id)).scalars()],
            audience(principal))) for name in COUNTED}


def test_counts_are_the_rule_row_by_row_for_every_principal(world: World) -> None:
    seen = {}
    for who, principal in _principals(world).items():
        seen[who] = count_visible(world.store, principal, COUNTED)
        assert seen[who] == _row_by_row(world.store, principal), who
    # The world hides something of every kind from someone, and groups rows alike.
    for name in COUNTED:
        assert seen["researcher"][name] < seen["admin_g"][name] or name == "lists", name
    assert seen["partial"]["persons"] > seen["analyst"]["persons"]
    assert seen["anonymous"]["records"] < seen["researcher"]["records"]


def test_a_row_one_may_not_see_moves_none_of_ones_counts(world: World) -> None:
    people = _principals(world)
    before = {who: count_visible(world.store, p, COUNTED) for who, p in people.items()}
    pro = world.objects[PRO]
    with world.store.transaction("setup") as tx:
        # A record like the protected list's (the same group as counted ones), a
        # restricted record in the protected source, a protected person.
        add_record(tx, pro.list_source, PRO, {"name": "one more"})
        add_record(tx, pro.source, RES, {"name": "one more, restricted"})
        person = entities.create_person(tx, "SECRET-one more SYNTHETIC",
                                        sensitivity=PRO, synthetic=True)
    after = {who: count_visible(world.store, p, COUNTED) for who, p in people.items()}
    for who in ("anonymous", "viewer_g", "researcher", "analyst", "admin"):
        assert after[who] == before[who], who
    assert after["admin_g"]["records"] == before["admin_g"]["records"] + 2
    assert after["partial"]["records"] == before["partial"]["records"] + 1
    # The protected person is nobody's until granted; then it is its holder's only.
    assert all(after[who]["persons"] == before[who]["persons"] for who in people)
    grants.grant(world.store, person, world.user_ids["partial"], "setup")
    granted = {who: count_visible(world.store, p, COUNTED) for who, p in people.items()}
    for who in people:
        assert granted[who]["persons"] == after[who]["persons"] + (who == "partial"), who


def test_the_dashboard_s_counts_are_the_rule_row_by_row_after_events(world: World) -> None:
    """The overview's counts (the dashboard's; its acts counted with the acts by month,
    prison and province, its answers kept while the ledger stands still) are, for every
    principal, the rule row by row, small ones suppressed outside the team; and they are
    counted again after events, not served from before them."""
    from dadkhahi.access import answers
    from dadkhahi.access.overview import COUNTED as SHOWN
    from dadkhahi.access.overview import acts_by, overview, suppressed

    people = _principals(world)
    pub, pro = world.objects[PUB], world.objects[PRO]

    def check() -> dict[str, dict[str, int | None]]:
        seen = {}
        for who, principal in people.items():
            acts_by(world.store, principal)  # as the page: the breakdowns, then the counts
            seen[who] = overview(world.store, principal).counts
            exact = _row_by_row(world.store, principal)
            assert seen[who] == {k: suppressed(exact[k], principal) for k in SHOWN}, who
        return seen

    answers.forget()
    before = check()
    with world.store.transaction("setup") as tx:
        for level, place in ((PUB, pub.place), (PUB, pro.place), (RES, None), (PRO, None)):
            entities.create_act(tx, ActType.EXECUTION, place_id=place, sensitivity=level)
        add_record(tx, pub.source, PUB, {"name": "one more public record"})
    after = check()
    # The public act at the public place and the restricted one: not the two resting on
    # protected objects (this admin holds no grant).
    assert after["admin"]["acts"] == before["admin"]["acts"] + 2  # type: ignore[operator]
    assert after["admin"]["records"] == before["admin"]["records"] + 1  # type: ignore[operator]
