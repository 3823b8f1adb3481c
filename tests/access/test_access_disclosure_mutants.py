"""Rules of ``access.disclosure`` its mutation run (1 in 12, stop 24) left unchecked.

Each test states a rule of the disclosure amendment (docs/ARCHITECTURE.md and the
module's docstring) with answers written from it, not from the code:

* a redacted copy stands on its own level only once a recorded ``item.released``
  decision says so; until then it reveals its original and its source like any
  derivative (fail closed);
* a person linkage made of records is in the scope of whoever may see *every* one of
  its records: a record is seen when its row, its source, its item, its list import
  and that import's list are (the records rule, which the persons rule writes again as
  one join: stop 26 found the item and the list missing there);
* an act without a place reveals no place: it goes where its own level goes.

Where the store's own writers cannot produce a row (a source, file, import or list
stricter than its records: ``import_list`` refuses it), the row is written directly, as
an older version or an edited database could leave it: the rule must fail closed on it.
All values are SYNTHETIC.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from disclosure_world import new_item, new_source
from sqlalchemy import select

from dadkhahi.access import users
from dadkhahi.access.disclosure import Audience, AudienceKind, may_disclose
from dadkhahi.access.policy import Role
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import ActType, InvolvementRole, Sensitivity, SourceKind
from dadkhahi.facts import entities
from dadkhahi.intake.evidence import Receipt, add_item
from dadkhahi.intake.lists import import_list
from dadkhahi.intake.redactions import release_copy
from dadkhahi.linkage.service import run_linkage
from dadkhahi.linkage.store_io import load_records
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

PUB, RES, PRO = Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.PROTECTED


def _researcher(store: Store, name: str = "researcher") -> Audience:
    uid = users.add_user(store, name, Role.RESEARCHER, "SYNTHETIC long passphrase", "setup")
    return Audience.user(uid, team=True)


def test_an_unreleased_redacted_copy_reveals_its_original_and_source(store: Store) -> None:
    # A redacted copy written below its original's level without a release decision (a
    # caller that passed the wrong level): it still reveals the protected original and
    # source, so it goes only where they go. The recorded release is what lets it stand
    # on its own level.
    with store.transaction("setup") as tx:
        source = new_source(store, tx, PRO, "protected source")
        original = new_item(store, tx, source, PRO)
        blob = store.blobs.put_bytes(secrets.token_bytes(16))
        copy = add_item(store, tx, source, RES, None, blob,
                        Receipt(actor="setup", how="test"), derived_from=original,
                        derivation="redacted")
    researcher = _researcher(store)
    partner = Audience.outside(AudienceKind.PARTNER, "partner-1", [source])
    with store.reading() as conn:
        for audience in (researcher, partner, Audience.public()):
            assert not may_disclose(conn, ("item", copy), audience), audience
    release_copy(store, copy, "setup", sensitivity=PUB,
                 reason="SYNTHETIC: the redaction removed the witness's name")
    with store.reading() as conn:
        for audience in (researcher, partner, Audience.public()):
            assert may_disclose(conn, ("item", copy), audience), audience
            assert not may_disclose(conn, ("item", original), audience), audience
            assert not may_disclose(conn, ("source", source), audience), audience


@dataclass
class _Linked:
    source: str
    import_id: str
    record: str
    person: str


class _Result:
    """What ``run_linkage`` reads of a linker's result (see ``linkage.service``)."""

    def __init__(self, records: pd.DataFrame) -> None:
        ids = [str(x) for x in records["record_id"]]
        empty = pd.DataFrame(columns=["record_id_l", "record_id_r"])
        self.pairs = pd.DataFrame(columns=["record_id_l", "record_id_r", "match_probability",
                                           "match_weight"])
        self.clusters = pd.DataFrame({"record_id": ids, "cluster_id": ids})
        self.review_candidates = self.pairs
        self.conflicts = empty
        self.model: dict[str, Any] = {"stand_in": True}
        self.stats = {"x": 1.0}


def _alone(records: pd.DataFrame, **_: Any) -> _Result:
    """A linker that links nothing: every record becomes a person made of it alone."""
    return _Result(records)


def _linked_list(store: Store, tmp: Path, level: Sensitivity) -> _Linked:
    path = tmp / "list.csv"
    path.write_text("ID,Full name\nL-1,Karimi Ali\n", "utf-8")
    report = import_list(store, path, actor="setup", id_column="ID", source=SourceSpec(
        title="SYNTHETIC list", kind=SourceKind.LIST, sensitivity=level))
    run_linkage(store, "setup", linker=_alone, synthetic=True)
    record = str(load_records(store)["record_id"].iloc[0])
    with store.reading() as conn:
        person = conn.execute(select(s.person_records.c.person_id).where(
            s.person_records.c.record_id == record)).scalar_one()
        level_of_person = conn.execute(select(s.persons.c.sensitivity).where(
            s.persons.c.id == person)).scalar_one()
    assert level_of_person == str(level)
    return _Linked(report.source_id, report.import_id, record, str(person))


def test_a_person_made_of_records_goes_only_where_each_record_goes(
    store: Store, tmp_path: Path,
) -> None:
    # A restricted list shared with a partner: the person linkage made of its one record
    # is in the partner's scope through that record (it was not shared by its own ID).
    linked = _linked_list(store, tmp_path, RES)
    partner = Audience.outside(AudienceKind.PARTNER, "partner-1", [linked.source])
    other = Audience.outside(AudienceKind.PARTNER, "partner-2", [])

    def shown() -> tuple[bool, bool]:
        with store.reading() as conn:
            assert not may_disclose(conn, ("person", linked.person), other)
            return (may_disclose(conn, ("person", linked.person), partner),
                    may_disclose(conn, ("record", linked.record), partner))

    assert shown() == (True, True)
    with store.reading() as conn:
        list_id, file_item = conn.execute(
            select(s.list_imports.c.list_id, s.list_imports.c.item_id)
            .where(s.list_imports.c.id == linked.import_id)).one()
        record_item = conn.execute(select(s.records.c.item_id).where(
            s.records.c.id == linked.record)).scalar_one()
    assert record_item == file_item  # a list's record comes from the list's file
    # Each row the record reveals (its source, its item, its list import, the import's
    # list) in turn stricter than the record: the record is not shown to the partner (no
    # consent for protected material outside the team), and neither is the person it
    # makes. The person's rule is written as one join (SQLite's parser depth), so this
    # is what keeps it the records rule.
    for table, row in ((s.sources, linked.source), (s.items, file_item),
                       (s.list_imports, linked.import_id), (s.lists, list_id)):
        with store.transaction("setup") as tx:
            tx.conn.execute(table.update().where(table.c.id == row).values(sensitivity=str(PRO)))
        assert shown() == (False, False), table.name
        with store.transaction("setup") as tx:
            tx.conn.execute(table.update().where(table.c.id == row).values(sensitivity=str(RES)))
        assert shown() == (True, True), table.name


def test_an_act_without_a_place_goes_where_its_own_level_goes(store: Store) -> None:
    with store.transaction("setup") as tx:
        acts = {level: entities.create_act(tx, ActType.EXECUTION, sensitivity=level)
                for level in (PUB, RES)}
        person = entities.create_person(tx, "SYNTHETIC person", sensitivity=PUB,
                                        synthetic=True)
        involvement = entities.add_involvement(tx, acts[PUB], InvolvementRole.VICTIM,
                                               person_id=person, sensitivity=PUB)
    researcher = _researcher(store)
    with store.reading() as conn:
        assert may_disclose(conn, ("act", acts[PUB]), Audience.public())
        assert may_disclose(conn, ("involvement", involvement), Audience.public())
        assert not may_disclose(conn, ("act", acts[RES]), Audience.public())
        assert may_disclose(conn, ("act", acts[RES]), researcher)
