"""Rules of ``access.disclosure`` that its mutation run found no test reaching or checking.

What a public copy's stripped metadata may go to: the rule for ``item_metadata``.

The mutation run of ``access.disclosure`` found no test reaching this rule. The camera,
time and place taken out of a picture are kept as a protected record of the original,
whatever the picture's own level (``intake.evidence``): the public may see the picture
and its public copy, never what was stripped; a team member needs a grant on the source,
as for any protected object (docs/ARCHITECTURE.md). All values are SYNTHETIC.
"""

from __future__ import annotations

from disclosure_world import new_item, new_source
from sqlalchemy import select

from dadkhahi.access import grants, users
from dadkhahi.access.disclosure import Audience, bind, condition, may_disclose
from dadkhahi.access.policy import Role
from dadkhahi.domain.vocab import EntityKind, Sensitivity
from dadkhahi.facts import entities
from dadkhahi.facts.entities import Support
from dadkhahi.intake.records import add_record
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store


def test_stripped_metadata_goes_only_where_protected_material_of_its_source_goes(
    store: Store,
) -> None:
    with store.transaction("setup") as tx:
        source = new_source(store, tx, Sensitivity.PUBLIC, "public source")
        picture = new_item(store, tx, source, Sensitivity.PUBLIC)
        copy = new_item(store, tx, source, Sensitivity.PUBLIC, derived_from=picture)
        tx.emit("item.metadata_removed", {
            "item_id": picture, "derivative_id": copy, "source_id": source,
            "sensitivity": str(Sensitivity.PROTECTED),
            "sealed": tx.seal({"metadata": {"GPS": "SYNTHETIC 0,0"}}, f"metadata:{picture}"),
        })
    plain = users.add_user(store, "plain", Role.RESEARCHER, "SYNTHETIC long passphrase", "s")
    granted = users.add_user(store, "granted", Role.RESEARCHER, "SYNTHETIC long passphrase",
                             "s")
    grants.grant(store, source, granted, "setup")

    def seen(audience: Audience) -> list[str]:
        t = s.item_metadata
        with store.reading() as conn:
            return [str(r[0]) for r in conn.execute(
                select(t.c.item_id).where(condition(audience, t)), bind(audience))]

    assert seen(Audience.public()) == []
    assert seen(Audience.user(plain, team=True)) == []
    assert seen(Audience.user(granted, team=True)) == [picture]
    assert seen(Audience.case_team("case-1", [source])) == [picture]


def test_a_record_below_its_source_level_goes_only_where_its_source_goes(
    store: Store,
) -> None:
    # A record whose own level is lower than its source's (a caller that passed the wrong
    # level, an older row): the rule fails closed, the record reveals its source.
    with store.transaction("setup") as tx:
        source = new_source(store, tx, Sensitivity.RESTRICTED, "restricted source")
        record = add_record(tx, source, Sensitivity.PUBLIC, {"name": "SYNTHETIC"})
    researcher = users.add_user(store, "researcher", Role.RESEARCHER,
                                "SYNTHETIC long passphrase", "s")
    with store.reading() as conn:
        level = conn.execute(select(s.records.c.sensitivity)
                             .where(s.records.c.id == record)).scalar_one()
        assert level == "public"
        assert not may_disclose(conn, ("record", record), Audience.public())
        assert may_disclose(conn, ("record", record), Audience.user(researcher, team=True))


def test_a_claims_support_rows_go_where_the_claim_goes(store: Store) -> None:
    with store.transaction("setup") as tx:
        public = new_source(store, tx, Sensitivity.PUBLIC, "public source")
        protected = new_source(store, tx, Sensitivity.PROTECTED, "protected source")
        person = entities.create_person(tx, "SYNTHETIC person", sensitivity=Sensitivity.PUBLIC,
                                        synthetic=True)
        open_claim = entities.add_claim(tx, EntityKind.PERSON, person, "born", "1360",
                                        [Support(public)], sensitivity=Sensitivity.PUBLIC)
        entities.add_claim(tx, EntityKind.PERSON, person, "born", "1361",
                           [Support(public), Support(protected)],
                           sensitivity=Sensitivity.PUBLIC)
    t = s.claim_support
    audience = Audience.public()
    with store.reading() as conn:
        rows = conn.execute(select(t.c.claim_id).where(condition(audience, t)),
                            bind(audience)).scalars().all()
    assert rows == [open_claim]
