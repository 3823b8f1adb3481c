"""A small SYNTHETIC store for the memorial's tests, with markers where nothing may leak.

Two public victims lists name the same three invented people in both scripts; their
father's names, ID numbers and notes are unique marker strings, as are a restricted
list's names, a protected testimony, a protected person and a protected claim, and a
protected item (its file's name and content) in a public list's source, with a claim
about a published victim resting on it (its value and locator). The
linker is a stand-in that joins records by the number in their list ID (the tests are
about publication, not about linkage), and can leave one pair for review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import (
    Credibility,
    EntityKind,
    PlaceKind,
    PlaceStatus,
    Reliability,
    Sensitivity,
    SourceKind,
)
from dadkhahi.facts.entities import Support, add_claim, create_person, create_place
from dadkhahi.intake.evidence import Receipt, add_item
from dadkhahi.intake.lists import import_list
from dadkhahi.intake.sources import register_source
from dadkhahi.linkage.service import run_linkage
from dadkhahi.linkage.store_io import load_records
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: Strings that must never appear in any file of the site.
MARKERS = {
    "father": "Zxqfatherwq", "id_number": "IDMARK8841", "notes": "Notesmarkqq",
    "restricted_name": "Restrictedvqz", "protected_name": "Protectedpqz",
    "protected_claim": "Sealedclaimqz", "protected_source": "Secretwitnessqz",
    "protected_place": "Hiddengraveqz", "item_name": "Itemfilenameqz",
    "item_content": "Itemcontentqz", "item_claim": "Itemclaimqz",
    "item_locator": "Itemlocatorqz",
}

LIST_A = (
    "ID,Name,Father,National ID,Sex,Year of birth,City,Province,Prison,Date of execution,"
    "Burial place,Affiliation,Notes\n"
    f"A-1,Bahram Nemouneh,{MARKERS['father']}1,{MARKERS['id_number']}1,Male,1960,Tehran,"
    f"Tehran,Evin Prison,12 Mordad 1367,Khavaran,SYNTHETIC party,{MARKERS['notes']}1\n"
    f"A-2,Shirin Azmayesh,{MARKERS['father']}2,{MARKERS['id_number']}2,Female,1962,Tabriz,"
    f"East Azerbaijan,Tabriz Prison,Mordad 1367,,SYNTHETIC party,{MARKERS['notes']}2\n"
    f"A-3,Kaveh Sakhtegi,{MARKERS['father']}3,{MARKERS['id_number']}3,Male,1958,Shiraz,"
    f"Fars,Adelabad Prison,1988-09-01,,,{MARKERS['notes']}3\n"
)
LIST_B = (
    "ID,Name,Father,Prison,Date of execution\n"
    f"B-1,بهرام نمونه,{MARKERS['father']}4,اوین,۱۳۶۷/۰۵/۱۲\n"
    f"B-2,شیرین آزمایش,{MARKERS['father']}5,زندان تبریز,۱۳۶۷/۰۵/۲۰\n"
    f"B-3,کاوه ساختگی,{MARKERS['father']}6,عادل‌آباد,۱۳۶۷/۰۶/۱۰\n"
)
LIST_R = (
    "ID,Name,Prison\n"
    f"R-4,{MARKERS['restricted_name']} Person,Evin Prison\n"
)
MAP_A = {"full_name": "Name", "father_name": "Father", "id_number": "National ID",
         "sex": "Sex", "birth_year": "Year of birth", "city": "City", "province": "Province",
         "prison": "Prison", "death_date": "Date of execution", "burial_place": "Burial place",
         "affiliation": "Affiliation", "notes": "Notes"}
MAP_B = {"full_name": "Name", "father_name": "Father", "prison": "Prison",
         "death_date": "Date of execution"}


@dataclass
class World:
    """What the tests need to find again."""

    store: Store
    sources: dict[str, str] = field(default_factory=dict)
    persons: dict[str, str] = field(default_factory=dict)  # "A-1" → person ID
    protected_person: str = ""


def _linker(store: Store, review: tuple[str, str] | None,
            groups: dict[str, str] | None = None) -> Any:
    """Join records by the number after the dash in their list ID (or by ``groups``:
    list ID → group); ``review``: a pair (by list ID) left for a person to decide. The
    service hands a linker link keys in place of record IDs: the stand-in reads the
    list IDs behind them from the store."""

    def link(records: pd.DataFrame, labels: Any = None, backend: str = "duckdb",
             threshold: float = 0.9, seed: int = 1) -> Any:
        full = load_records(store)
        external = dict(zip(full["link_key"], full["external_id"], strict=True))
        keys = records["record_id"].tolist()
        first: dict[str, str] = {}
        cluster = []
        for key in sorted(keys):
            number = (groups or {}).get(str(external[key])) or str(external[key]).split("-")[-1]
            cluster.append((key, first.setdefault(number, key)))
        clusters = pd.DataFrame(cluster, columns=["record_id", "cluster_id"])
        columns = ["record_id_l", "record_id_r", "match_probability", "match_weight"]
        by_external = {v: k for k, v in external.items()}
        wanted = [] if review is None else [
            (by_external[review[0]], by_external[review[1]], 0.5, 0.0)]
        empty = pd.DataFrame(columns=["record_id_l", "record_id_r"])
        return _Result(pd.DataFrame(columns=columns), clusters,
                       pd.DataFrame(wanted, columns=columns), empty, {"stand-in": True},
                       {"x": 1.0})

    return link


@dataclass
class _Result:
    pairs: pd.DataFrame
    clusters: pd.DataFrame
    review_candidates: pd.DataFrame
    conflicts: pd.DataFrame
    model: dict[str, Any]
    stats: dict[str, float]


def build_world(store: Store, tmp: Path, *, review_pair: tuple[str, str] | None = None,
                approve: bool = True) -> World:
    """Import the lists, link them, add protected facts; approve every source."""
    world = World(store)
    for name, text, mapping, level in (
            ("A", LIST_A, MAP_A, Sensitivity.PUBLIC), ("B", LIST_B, MAP_B, Sensitivity.PUBLIC),
            ("R", LIST_R, {"full_name": "Name", "prison": "Prison"}, Sensitivity.RESTRICTED)):
        path = tmp / f"list-{name}.csv"
        path.write_text(text, "utf-8")
        report = import_list(store, path, source=f"SYNTHETIC list {name}", actor="tester",
                             id_column="ID", mapping=mapping, sensitivity=level)
        world.sources[name] = report.source_id

    run_linkage(store, "tester", linker=_linker(store, review_pair), synthetic=True)
    with store.reading() as conn:
        rows = conn.execute(s.person_records.select()).mappings().all()
        ext = dict(conn.execute(s.records.select().with_only_columns(
            s.records.c.id, s.records.c.external_id)).all())
    for row in rows:
        world.persons.setdefault(str(ext[row["record_id"]]), str(row["person_id"]))
    with store.transaction("tester") as tx:
        secret = register_source(store, tx, SourceSpec(
            title=f"Testimony of {MARKERS['protected_source']}", kind=SourceKind.TESTIMONY,
            sensitivity=Sensitivity.PROTECTED, reliability=Reliability.C,
            credibility=Credibility.PROBABLY_TRUE))
        world.sources["T"] = secret
        world.protected_person = create_person(
            tx, f"{MARKERS['protected_name']} Witness", sensitivity=Sensitivity.PROTECTED,
            synthetic=True)
        # Places for the map: two public ones with coordinates, one protected.
        create_place(tx, "Evin Prison", PlaceKind.PRISON, name_fa="زندان اوین",
                     latitude=35.7967, longitude=51.3872)
        create_place(tx, "Khavaran", PlaceKind.BURIAL_SITE, name_fa="خاوران",
                     latitude=35.6136, longitude=51.6061, status=PlaceStatus.DAMAGED)
        create_place(tx, f"{MARKERS['protected_place']} site", PlaceKind.BURIAL_SITE,
                     latitude=36.1, longitude=52.2, sensitivity=Sensitivity.PROTECTED)
        # A protected claim about a published victim: it must not reach the page.
        add_claim(tx, EntityKind.PERSON, world.persons["A-1"], "burial_place",
                  MARKERS["protected_claim"], [Support(secret)],
                  sensitivity=Sensitivity.PUBLIC)
        # A protected item (a scan a family handed over, say) in a public list's source,
        # and a public claim about a published victim resting on it: neither the item's
        # name and content nor the claim's value and locator may reach the site.
        blob = store.blobs.put_bytes(f"SYNTHETIC {MARKERS['item_content']}".encode())
        item = add_item(store, tx, world.sources["A"], Sensitivity.PROTECTED,
                        f"{MARKERS['item_name']}.txt", blob,
                        Receipt(actor="tester", how="test"))
        add_claim(tx, EntityKind.PERSON, world.persons["A-1"], "prison",
                  MARKERS["item_claim"],
                  [Support(world.sources["A"], item_id=item,
                           locator=f"{MARKERS['item_locator']} page 3")],
                  sensitivity=Sensitivity.PUBLIC)
        # add_claim raises that claim to the item's level and seals it; the same claim
        # written as its event, public (as the benchmarks write claims, and as a claim
        # made before its item was found to be protected would stand), is left to the
        # disclosure rule, which follows a claim's supports to their items.
        tx.emit("claim.added", {
            "id": new_id("claim"), "entity_kind": "person", "entity_id": world.persons["A-1"],
            "property": "burial_place", "value": MARKERS["item_claim"], "date_earliest": None,
            "date_latest": None, "date_text": None, "sensitivity": "public",
            "status": "asserted", "support": [{
                "source_id": world.sources["A"], "record_id": None, "item_id": item,
                "locator": f"{MARKERS['item_locator']} page 4"}]})
        add_claim(tx, EntityKind.PERSON, world.persons["A-1"], "death_date", "1367/05/12",
                  [Support(world.sources["A"])], sensitivity=Sensitivity.PUBLIC,
                  date=DateRange(date(1988, 8, 3), date(1988, 8, 3), "1367/05/12"))
    if approve:
        from dadkhahi.publish.gate import approve as approve_sources

        approve_sources(store, "tester", all_sources=True)
    return world


def relink(store: Store, groups: dict[str, str]) -> None:
    """Run linkage again, joining records by ``groups`` (list ID → group) where given."""
    run_linkage(store, "tester", linker=_linker(store, None, groups), synthetic=True)
