"""The one disclosure rule: object kind x sensitivity x audience, and what objects reveal.

The expected answers are written here from the security model (docs/ARCHITECTURE.md
and the disclosure amendment), not computed from the code: public material goes to
everyone; restricted material to the team, and outside the team only where it was
shared; protected material only to those with a grant (or a case or a share naming
it), and outside the team only with the witness's consent for that recipient.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from disclosure_world import LEVELS, Chain, build_chain, kind_of, new_item, new_source
from sqlalchemy import ColumnElement, FromClause, bindparam

from dadkhahi.access import disclosure, grants, passwords, users
from dadkhahi.access.disclosure import Audience, AudienceKind, Tier, may_disclose
from dadkhahi.access.policy import Role
from dadkhahi.domain.vocab import ActType, EntityKind, InvolvementRole, Sensitivity
from dadkhahi.facts import entities
from dadkhahi.facts.entities import Support
from dadkhahi.intake import testimonies
from dadkhahi.intake.records import add_record
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

PUB, RES, PRO = LEVELS
ALL, TEAM, PUBLIC_ONLY = {PUB, RES, PRO}, {PUB, RES}, {PUB}

#: Audience name → the levels of a homogeneous chain it may be shown (the specification).
EXPECTED: dict[str, set[Sensitivity]] = {
    "anonymous": PUBLIC_ONLY,
    "viewer granted": PUBLIC_ONLY,  # a viewer sees public data, whatever it was granted
    "researcher": TEAM,  # a team member without a grant
    "researcher granted": ALL,
    "case team, in scope": ALL,
    "case team, other scope": TEAM,
    "partner, shared": TEAM,  # no consent recorded: protected goes nowhere outside
    "partner, not shared": PUBLIC_ONLY,
    "court, shared": TEAM,
    "un mechanism, shared": TEAM,
    "public": PUBLIC_ONLY,
}
#: With a consent rule that lets witnesses' material go to courts only.
EXPECTED_WITH_COURT_CONSENT = {**EXPECTED, "court, shared": ALL}


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def world(store: Store, tmp_path: Path) -> tuple[Store, dict[Sensitivity, Chain],
                                                  dict[str, Audience]]:
    chains = {level: build_chain(store, level, tmp_path) for level in LEVELS}
    protected = chains[PRO].scopes()
    shared = [*chains[RES].scopes(), *protected]
    uid = {}
    for name, role in (("researcher", Role.RESEARCHER), ("granted", Role.RESEARCHER),
                       ("viewer", Role.VIEWER)):
        uid[name] = users.add_user(store, name, role, "SYNTHETIC long passphrase", "setup")
    for scope in protected:
        grants.grant(store, scope, uid["granted"], "setup")
        grants.grant(store, scope, uid["viewer"], "setup")
    audiences = {
        "anonymous": Audience.user(None, team=False),
        "viewer granted": Audience.user(uid["viewer"], team=False),
        "researcher": Audience.user(uid["researcher"], team=True),
        "researcher granted": Audience.user(uid["granted"], team=True),
        "case team, in scope": Audience.case_team("case-1", protected),
        "case team, other scope": Audience.case_team("case-2", ["src_elsewhere"]),
        "partner, shared": Audience.outside(AudienceKind.PARTNER, "partner-1", shared),
        "partner, not shared": Audience.outside(AudienceKind.PARTNER, "partner-2", []),
        "court, shared": Audience.outside(AudienceKind.COURT, "court-1", shared),
        "un mechanism, shared": Audience.outside(AudienceKind.UN_MECHANISM, "un-1", shared),
        "public": Audience.public(),
    }
    return store, chains, audiences


def _matrix(world: tuple[Store, dict[Sensitivity, Chain], dict[str, Audience]],
            expected: dict[str, set[Sensitivity]]) -> None:
    store, chains, audiences = world
    wrong = []
    by_kind: dict[str, list[tuple[Sensitivity, str, str]]] = {}
    for level, chain in chains.items():
        for name, object_id in chain.ids.items():
            by_kind.setdefault(kind_of(name), []).append((level, name, object_id))
    with store.reading() as conn:
        for who, audience in audiences.items():
            for kind, objects in by_kind.items():
                shown = disclosure.disclosable(conn, kind, [o for _, _, o in objects], audience)
                for level, name, object_id in objects:
                    if (object_id in shown) != (level in expected[who]):
                        wrong.append(f"{level} {name} to {who}: {object_id in shown}")
        # The single-object form is the same rule (one object of each kind, both ways).
        for name, object_id in chains[PRO].ids.items():
            assert may_disclose(conn, (kind_of(name), object_id),
                                audiences["researcher granted"]) is (PRO in expected[
                                    "researcher granted"])
            assert not may_disclose(conn, (kind_of(name), object_id), audiences["researcher"])
    assert not wrong, "\n".join(wrong)
    assert len(chains[PUB].ids) >= 14  # every kind of the world was checked


def test_kind_by_sensitivity_by_audience(
    world: tuple[Store, dict[Sensitivity, Chain], dict[str, Audience]],
) -> None:
    _matrix(world, EXPECTED)


def _court_consent(table: FromClause, tier: Tier) -> ColumnElement[bool]:
    return bindparam(disclosure.AUDIENCE_KIND) == str(AudienceKind.COURT)


@pytest.fixture
def court_consent() -> Iterator[None]:
    # This rule alone: the testimony package's own rules (registered when it is imported)
    # would keep protected material of sources that are no testimony from every court.
    for table, rule in testimonies.CONSENT_RULES.items():
        disclosure.unregister_consent(table, rule)
    for table in disclosure.GOVERNED_TABLES:
        disclosure.register_consent(table, _court_consent)
    yield
    for table in disclosure.GOVERNED_TABLES:
        disclosure.unregister_consent(table, _court_consent)
    for table, rule in testimonies.CONSENT_RULES.items():
        disclosure.register_consent(table, rule)


@pytest.mark.usefixtures("court_consent")
def test_consent_decides_protected_material_outside_the_team(
    world: tuple[Store, dict[Sensitivity, Chain], dict[str, Audience]],
) -> None:
    # The team keeps what witnesses gave it only where consent allows it too: with this
    # rule a granted team member is refused, as the rule says for every audience but courts.
    expected = {**EXPECTED_WITH_COURT_CONSENT, "researcher granted": TEAM,
                "case team, in scope": TEAM}
    _matrix(world, expected)


def test_unknown_kinds_and_missing_objects_are_not_disclosed(
    world: tuple[Store, dict[Sensitivity, Chain], dict[str, Audience]],
) -> None:
    store, chains, audiences = world
    with store.reading() as conn:
        assert not may_disclose(conn, ("source", "src_missing"), audiences["public"])
        assert not may_disclose(conn, ("user", chains[PUB].ids["source"]), audiences["public"])
        assert not disclosure.disclosable(conn, "source", [], audiences["public"])
    with pytest.raises(ValueError, match="outside the team"):
        Audience.outside(AudienceKind.PUBLIC, "x", [])


# --- an object is disclosable only if everything it reveals is ---------------------


def test_mixed_dependencies(
    world: tuple[Store, dict[Sensitivity, Chain], dict[str, Audience]],
) -> None:
    store, chains, audiences = world
    pub, res, pro = chains[PUB].ids, chains[RES].ids, chains[PRO].ids
    with store.transaction("setup") as tx:
        other = new_source(store, tx, PRO, "second protected source")
        mixed = {
            # public objects that hang on protected ones
            "derivative of a protected original": (
                "item", new_item(store, tx, pub["source"], PUB, derived_from=pro["item"])),
            "record of a protected item": (
                "record", add_record(tx, pub["source"], PUB, {"n": "x"}, item_id=pro["item"])),
            "involvement of a protected act": ("involvement", entities.add_involvement(
                tx, pro["act"], InvolvementRole.VICTIM, person_id=pub["person"],
                sensitivity=PUB)),
            "involvement of a protected person": ("involvement", entities.add_involvement(
                tx, pub["act"], InvolvementRole.VICTIM, person_id=pro["person"],
                sensitivity=PUB)),
            "involvement on a protected source": ("involvement", entities.add_involvement(
                tx, pub["act"], InvolvementRole.SIGNED, person_id=pub["person"],
                sensitivity=PUB, support=[Support(pub["source"]), Support(pro["source"])])),
            "act at a protected place": ("act", entities.create_act(
                tx, ActType.EXECUTION, place_id=pro["place"], sensitivity=PUB)),
            "claim about a protected person": ("claim", entities.add_claim(
                tx, EntityKind.PERSON, pro["person"], "p", 1, [Support(pub["source"])],
                sensitivity=PUB)),
            "claim on a public and a protected source": ("claim", entities.add_claim(
                tx, EntityKind.PERSON, pub["person"], "p", 2,
                [Support(pub["source"]), Support(pro["source"])], sensitivity=PUB)),
            "claim on a protected record and item": ("claim", entities.add_claim(
                tx, EntityKind.PERSON, pub["person"], "p", 3,
                [Support(pro["source"], record_id=pro["record"], item_id=pro["item"])],
                sensitivity=PUB)),
            "claim on two protected sources": ("claim", entities.add_claim(
                tx, EntityKind.PERSON, res["person"], "p", 4,
                [Support(pro["source"]), Support(other)], sensitivity=PRO)),
        }
    # Nobody was granted the second protected source, so the last claim is shown to no
    # user; every other mixed object is shown exactly to who may see the protected part.
    with store.reading() as conn:
        for label, obj in mixed.items():
            for who, audience in audiences.items():
                expected = PRO in EXPECTED[who] and label != "claim on two protected sources"
                assert may_disclose(conn, obj, audience) is expected, (label, who)
    # A grant on the second source makes that claim visible to its holder.
    granted = audiences["researcher granted"]
    assert granted.user_id is not None
    grants.grant(store, other, granted.user_id, "setup")
    with store.reading() as conn:
        assert may_disclose(conn, mixed["claim on two protected sources"], granted)
        assert not may_disclose(conn, mixed["claim on two protected sources"],
                                audiences["researcher"])


def test_record_of_a_protected_list_in_a_restricted_source(
    world: tuple[Store, dict[Sensitivity, Chain], dict[str, Audience]],
) -> None:
    store, chains, audiences = world
    res = chains[RES].ids
    # The list itself protected while its source and records are restricted (a list can
    # be described as protected): its records reveal it, so they follow it.
    with store.transaction("setup") as tx:
        tx.conn.execute(s.lists.update().where(s.lists.c.id == res["list"])
                        .values(sensitivity=str(PRO)))
    with store.reading() as conn:
        for who in ("researcher", "case team, in scope", "partner, shared"):
            assert not may_disclose(conn, ("record", res["list_record"]), audiences[who])
            assert not may_disclose(conn, ("list_import", res["list_import"]), audiences[who])
        assert may_disclose(conn, ("record", res["record"]), audiences["researcher"])
        # The same list, shared by name with a case team, is disclosed with its records.
        case = Audience.case_team("case-3", [res["list_source"]])
        assert may_disclose(conn, ("record", res["list_record"]), case)
