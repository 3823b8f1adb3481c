"""A small SYNTHETIC world for the disclosure rule: one chain of every kind per level.

Each level (public, restricted, protected) gets a source, an item in it with a
derivative, a record of that item, a two-row list, a person, an organisation, a
place, an act at the place, an involvement of the person in the act and a claim
about the person resting on the source, record and item. Everything one object
depends on has that object's level, so what an audience may see of a level is
decided by the level alone (the *mixed* objects are built by the tests).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import (
    ActType,
    EntityKind,
    InvolvementRole,
    PlaceKind,
    Sensitivity,
    SourceKind,
)
from dadkhahi.facts import entities
from dadkhahi.facts.entities import Support
from dadkhahi.intake.evidence import Receipt, add_item
from dadkhahi.intake.lists import import_list
from dadkhahi.intake.records import add_record
from dadkhahi.intake.sources import register_source
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, Transaction

LEVELS = (Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.PROTECTED)


@dataclass
class Chain:
    """IDs of one level's objects, by object kind (as :data:`disclosure.KINDS` names them)."""

    ids: dict[str, str]

    def scopes(self) -> list[str]:
        """What a grant (or a share) on this level's material names."""
        return [self.ids[k] for k in ("source", "list_source", "person", "organization",
                                      "place", "act")]


def new_item(store: Store, tx: Transaction, source_id: str, level: Sensitivity,
             *, derived_from: str | None = None) -> str:
    """An item of ``level`` in a source (a derivative when ``derived_from`` is given)."""
    blob = store.blobs.put_bytes(secrets.token_bytes(16))
    return add_item(store, tx, source_id, level, "SYNTHETIC.bin", blob,
                    Receipt(actor="setup", how="test"), derived_from=derived_from,
                    derivation="metadata_stripped" if derived_from else None)


def new_source(store: Store, tx: Transaction, level: Sensitivity, title: str) -> str:
    return register_source(store, tx, SourceSpec(title=f"{title} SYNTHETIC",
                                                 kind=SourceKind.TESTIMONY, sensitivity=level))


def build_chain(store: Store, level: Sensitivity, tmp: Path) -> Chain:
    ids: dict[str, str] = {}
    with store.transaction("setup") as tx:
        ids["source"] = source = new_source(store, tx, level, f"{level} source")
        ids["item"] = item = new_item(store, tx, source, level)
        ids["derivative"] = new_item(store, tx, source, level, derived_from=item)
        ids["record"] = record = add_record(tx, source, level, {"name": f"{level} record"},
                                            item_id=item)
        ids["person"] = person = entities.create_person(
            tx, f"{level} person SYNTHETIC", sensitivity=level, synthetic=True)
        ids["organization"] = entities.create_organization(tx, f"{level} org",
                                                           sensitivity=level)
        ids["place"] = place = entities.create_place(tx, f"{level} place", PlaceKind.PRISON,
                                                     sensitivity=level)
        ids["act"] = act = entities.create_act(tx, ActType.EXECUTION, place_id=place,
                                               sensitivity=level)
        ids["involvement"] = entities.add_involvement(
            tx, act, InvolvementRole.VICTIM, person_id=person, sensitivity=level)
        ids["claim"] = entities.add_claim(
            tx, EntityKind.PERSON, person, "death_date", f"{level} value",
            [Support(source, record_id=record, item_id=item)], sensitivity=level)
    folder = tmp / secrets.token_hex(4)
    folder.mkdir(parents=True)
    path = folder / f"{level}.csv"
    path.write_text(f"ID,Full name\n{level}-1,Karimi Ali\n{level}-2,Moradi Zahra\n", "utf-8")
    report = import_list(store, path, actor="setup", id_column="ID", source=SourceSpec(
        title=f"{level} list SYNTHETIC", kind=SourceKind.LIST, sensitivity=level))
    ids["list_source"], ids["list"] = report.source_id, report.list_id
    ids["list_import"] = report.import_id
    with store.reading() as conn:
        r, c = s.records.c, s.custody.c
        ids["list_record"] = str(conn.execute(
            select(r.id).where(r.import_id == report.import_id).order_by(r.row_number)
        ).scalars().first())
        ids["custody"] = str(conn.execute(
            select(c.id).where(c.item_id == item)).scalars().one())
    return Chain(ids)


#: Object kinds of a chain → the kind :func:`may_disclose` takes.
KIND_OF = {"derivative": "item", "list_record": "record", "list_source": "source"}


def kind_of(name: str) -> str:
    return KIND_OF.get(name, name)
