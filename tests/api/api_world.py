"""A small synthetic world for API tests: one of everything at each sensitivity, and a
user per role (some holding grants on the protected objects). All names are SYNTHETIC.

Protected payloads carry ``SECRET-`` and restricted ones ``RESTRICTED-`` so a test can
scan any response for data that must not be there.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from dadkhahi.access import grants, sessions, users
from dadkhahi.access.policy import Principal, Role
from dadkhahi.api import create_app
from dadkhahi.api.settings import ApiSettings
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
from dadkhahi.intake.documents import extract_items
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.intake.lists import import_list
from dadkhahi.intake.records import add_record
from dadkhahi.intake.sources import register_source
from dadkhahi.linkage.service import run_linkage
from dadkhahi.linkage.store_io import load_records
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

LEVELS = (Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.PROTECTED)
PASSWORD = "SYNTHETIC passphrase for tests"
#: (name, role, holds grants on every protected object)
PEOPLE = (
    ("viewer_g", Role.VIEWER, True),
    ("researcher", Role.RESEARCHER, False),
    ("investigator_g", Role.INVESTIGATOR, True),
    ("analyst", Role.ANALYST, False),
    ("lawyer_g", Role.LAWYER, True),
    ("admin", Role.ADMIN, False),
    ("admin_g", Role.ADMIN, True),
)
#: Every principal of the matrix: anonymous plus the people.
PRINCIPALS = ("anonymous", *(p[0] for p in PEOPLE))


def marker(level: Sensitivity) -> str:
    return {"public": "PUBLIC-", "restricted": "RESTRICTED-", "protected": "SECRET-"}[level]


@dataclass
class Objects:
    """IDs of the objects of one sensitivity."""

    source: str
    item: str
    record: str
    person: str
    organization: str
    place: str
    act: str
    involvement: str
    claim: str
    custody: str = ""
    list_source: str = ""
    list_id: str = ""
    list_import: str = ""
    list_record: str = ""
    list_record_b: str = ""
    #: A testimony of this sensitivity, its source and a segment (added by the tests that
    #: need them: ``page_data.add_matrix_testimonies``).
    testimony: str = ""
    testimony_source: str = ""
    segment: str = ""

    def all_ids(self) -> list[str]:
        return [v for v in vars(self).values() if v]


@dataclass
class World:
    store: Store
    client: TestClient
    tokens: dict[str, str]
    user_ids: dict[str, str]
    objects: dict[Sensitivity, Objects]
    roles: dict[str, Role | None] = field(default_factory=dict)
    granted: dict[str, bool] = field(default_factory=dict)
    #: The review queue the world's linkage run left: (record a, record b), a < b.
    review: list[tuple[str, str]] = field(default_factory=list)

    def headers(self, who: str) -> dict[str, str]:
        return {} if who == "anonymous" else {"Authorization": f"Bearer {self.tokens[who]}"}

    def can_see(self, who: str, level: Sensitivity) -> bool:
        role = self.roles[who]
        if level is Sensitivity.PUBLIC:
            return True
        if role is None or role is Role.VIEWER:
            return False
        return level is Sensitivity.RESTRICTED or self.granted[who]

    def hidden_ids(self, who: str) -> list[str]:
        return [i for lv in LEVELS if not self.can_see(who, lv) for i in self.objects[lv].all_ids()]

    def hidden_markers(self, who: str) -> list[str]:
        return [marker(lv) for lv in LEVELS if not self.can_see(who, lv)]


def upload(
    client: Any, url: str, body: bytes, fields: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None, filename: str = "upload.bin",
) -> Any:
    """POST an upload as the API takes it: the fields, then the file (multipart)."""
    return client.post(url, data=fields or {}, headers=headers or {},
                       files={"file": (filename, body, "application/octet-stream")})


BOUNDARY = "dadkhahi-test-boundary-7f3a"


def multipart_stream(fields: dict[str, str], chunks: Iterator[bytes],
                     filename: str = "upload.bin") -> Iterator[bytes]:
    """A multipart body streamed piece by piece (send it with :data:`MULTIPART`)."""
    for name, value in fields.items():
        yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
               f"{value}\r\n").encode()
    yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
           f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
           ).encode()
    yield from chunks
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def photo() -> bytes:
    img = Image.new("RGB", (8, 8), (1, 2, 3))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def add_file(store: Store, source_id: str, tmp: Path, text: str, name: str) -> str:
    """Take one small file into a source; returns the item ID."""
    folder = tmp / secrets.token_hex(4)
    folder.mkdir(parents=True)
    path = folder / name
    path.write_text(text, "utf-8")
    report = add_evidence(store, [path], Receipt(actor="setup", from_party=f"{text} from"),
                          source_id=source_id)
    return report.added[0][1]


def build_objects(store: Store, level: Sensitivity, tmp: Path) -> Objects:
    m = marker(level)
    with store.transaction("setup") as tx:
        source = register_source(store, tx, SourceSpec(
            title=f"{m}source SYNTHETIC", kind=SourceKind.TESTIMONY, sensitivity=level,
            collected_by=f"{m}collector"))
    item = add_file(store, source, tmp, f"{m}file SYNTHETIC", f"{m}name.txt")
    extract_items(store, [item], "setup")  # its text, for /api/items/…/text and /api/search
    with store.transaction("setup") as tx:
        record = add_record(tx, source, level, {"name": f"{m}record SYNTHETIC"})
        person = entities.create_person(tx, f"{m}person SYNTHETIC", sensitivity=level,
                                        synthetic=True)
        org = entities.create_organization(tx, f"{m}organisation", sensitivity=level)
        place = entities.create_place(tx, f"{m}place", PlaceKind.PRISON, sensitivity=level)
        act = entities.create_act(tx, ActType.EXECUTION, description=f"{m}act",
                                  sensitivity=level)
        involvement = entities.add_involvement(tx, act, InvolvementRole.VICTIM,
                                               person_id=person, sensitivity=level)
        claim = entities.add_claim(tx, EntityKind.PERSON, person, "death_date",
                                   f"{m}claim value", [Support(source, record_id=record)],
                                   sensitivity=level)
    objects = Objects(source, item, record, person, org, place, act, involvement, claim)
    add_list(store, objects, level, tmp)
    return objects


#: SYNTHETIC names, one pair per level, so a real model run keeps the levels apart.
_LIST_NAMES = {
    Sensitivity.PUBLIC: ("Karimi, Ali", "Karimi, Ali Reza"),
    Sensitivity.RESTRICTED: ("Moradi, Zahra", "Moradi, Zohreh"),
    Sensitivity.PROTECTED: ("Najafi, Javad", "Najafi, Jawad"),
}


def list_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ID", "Full name", "Father", "Date of execution", "City", "Notes"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def add_list(store: Store, objects: Objects, level: Sensitivity, tmp: Path) -> None:
    """A two-row SYNTHETIC victim list in a list source of ``level``."""
    m = marker(level)
    folder = tmp / secrets.token_hex(4)
    folder.mkdir(parents=True)
    path = folder / f"{m}list.csv"
    first, second = _LIST_NAMES[level]
    path.write_bytes(list_csv([
        [f"{m}1", first, "Reza", "1367/05/12", "Tehran", f"{m}note SYNTHETIC"],
        [f"{m}2", second, "Reza", "12 Mordad 1367", "Tehran", f"{m}note SYNTHETIC"],
    ]))
    report = import_list(store, path, actor="setup", id_column="ID", source=SourceSpec(
        title=f"{m}list SYNTHETIC", kind=SourceKind.LIST, sensitivity=level))
    with store.reading() as conn:
        r = s.records.c
        ids = conn.execute(select(r.id).where(r.import_id == report.import_id)
                           .order_by(r.row_number)).scalars().all()
    objects.list_source, objects.list_import = report.source_id, report.import_id
    objects.list_id = report.list_id
    objects.list_record, objects.list_record_b = ids


@dataclass
class _StandIn:
    pairs: pd.DataFrame
    clusters: pd.DataFrame
    review_candidates: pd.DataFrame
    conflicts: pd.DataFrame
    model: dict[str, Any]
    stats: dict[str, float]


def review_pairs(objects: dict[Sensitivity, Objects]) -> list[tuple[str, str]]:
    """Each level's two records, and pairs across levels (shown only to who sees both)."""
    pub, res, pro = (objects[lv] for lv in LEVELS)
    pairs = [(o.list_record, o.list_record_b) for o in (pub, res, pro)]
    pairs += [(pub.list_record, pro.list_record), (res.list_record_b, pro.list_record_b),
              (pub.list_record_b, res.list_record)]
    return [(min(a, b), max(a, b)) for a, b in pairs]


def stand_in_linker(store: Store, pairs: list[tuple[str, str]]) -> Any:
    """A linker that links nothing and sends ``pairs`` to review (deterministic).

    The service hands a linker link keys, not record ids: ``pairs`` (record ids) are
    translated to keys.
    """

    def link(records: pd.DataFrame, labels: Any = None, backend: str = "duckdb",
             threshold: float = 0.9, seed: int = 1) -> _StandIn:
        key = load_records(store).set_index("record_id")["link_key"].to_dict()
        ids = [str(x) for x in records["record_id"]]
        scored = pd.DataFrame(
            [(key[a], key[b], 0.5, 0.0) for a, b in pairs
             if key.get(a) in ids and key.get(b) in ids],
            columns=["record_id_l", "record_id_r", "match_probability", "match_weight"])
        clusters = pd.DataFrame({"record_id": ids, "cluster_id": ids})
        empty = pd.DataFrame(columns=["record_id_l", "record_id_r"])
        return _StandIn(scored, clusters, scored, empty, {"stand_in": True}, {"x": 1.0})

    return link


#: Field weights (bits) the weighing stand-in gives a linked pair and a review pair,
#: and the prior's share: a pair's weight is their sum.
LINKED_FIELDS = {"given_name": 4.321, "family_name": 5.5, "father_name": 2.25,
                 "birth": -1.5, "city": 0.75}
REVIEW_FIELDS = {"given_name": 1.25, "family_name": -2.0, "father_name": 0.5}
PRIOR_BITS = -8.0


def weighing_linker(store: Store, linked: list[tuple[str, str]],
                    review: list[tuple[str, str]]) -> Any:
    """A linker that links each pair of ``linked`` (record ids) into one person and sends
    ``review`` to review, every pair with the weight of each field, as
    ``linkage.run.link`` returns them (``w_<comparison>`` columns)."""
    names = sorted(set(LINKED_FIELDS) | set(REVIEW_FIELDS))

    def scored(pairs: list[tuple[str, str]], fields: dict[str, float],
               key: dict[str, str]) -> pd.DataFrame:
        weight = PRIOR_BITS + sum(fields.values())
        rows = [(key[a], key[b], 1 / (1 + 2 ** -weight), weight,
                 *(fields.get(n, 0.0) for n in names)) for a, b in pairs]
        return pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability",
                                           "match_weight", *(f"w_{n}" for n in names)])

    def link(records: pd.DataFrame, labels: Any = None, backend: str = "duckdb",
             threshold: float = 0.9, seed: int = 1) -> _StandIn:
        key = load_records(store).set_index("record_id")["link_key"].to_dict()
        ids = [str(x) for x in records["record_id"]]
        cluster = {rid: rid for rid in ids}
        for a, b in linked:  # chains join: every member takes the smaller cluster's name
            old, new = sorted((cluster[key[a]], cluster[key[b]]), reverse=True)
            cluster = {r: new if c == old else c for r, c in cluster.items()}
        clusters = pd.DataFrame({"record_id": list(cluster), "cluster_id": list(cluster.values())})
        empty = pd.DataFrame(columns=["record_id_l", "record_id_r"])
        return _StandIn(scored(linked, LINKED_FIELDS, key), clusters,
                        scored(review, REVIEW_FIELDS, key), empty, {"stand_in": True},
                        {"x": 1.0})

    return link


def build_world(store: Store, tmp: Path, settings: ApiSettings | None = None) -> World:
    objects = {lv: build_objects(store, lv, tmp) for lv in LEVELS}
    tokens: dict[str, str] = {}
    user_ids: dict[str, str] = {}
    roles: dict[str, Role | None] = {"anonymous": None}
    granted = {"anonymous": False}
    protected = objects[Sensitivity.PROTECTED]
    for name, role, has_grants in PEOPLE:
        uid = users.add_user(store, name, role, PASSWORD, "setup")
        user_ids[name], roles[name], granted[name] = uid, role, has_grants
        if has_grants:
            for scope in (protected.source, protected.person, protected.organization,
                          protected.place, protected.act, protected.list_source):
                grants.grant(store, scope, uid, "setup")
        tokens[name] = sessions.open_session(
            store, Principal(user_id=uid, username=name, role=role), "127.0.0.1")
    review = review_pairs(objects)
    run_linkage(store, "setup", linker=stand_in_linker(store, review), synthetic=True)
    app = create_app(store.home, settings or ApiSettings(max_upload_bytes=1024 * 1024),
                     store=store)
    client = TestClient(app, raise_server_exceptions=False)
    return World(store, client, tokens, user_ids, objects, roles, granted, review)




@dataclass(frozen=True)
class WithdrawnLink:
    """A case of ``lawyer_g`` whose murder charge has, on element 1, the world's protected
    act and an involvement withdrawn since, from a protected source of its own (erased
    after the withdrawal when the case was made with ``erase``)."""

    case_id: str
    involvement: str
    source: str
    #: What the involvement stated that only its source's key opened.
    secret: str = "SECRETWITHDRAWNLOCATOR page 7"
    #: The lawyer's note on the involvement's link (it may quote the witness).
    note: str = "SYNTHETIC NOTEQUOTESWITHDRAWN as she told it"


def case_with_withdrawn_link(world: World, *, erase: bool = False) -> WithdrawnLink:
    """Build :class:`WithdrawnLink` in ``world`` (an open case, its charge and two links,
    the involvement withdrawn, with ``erase`` its source erased after), through the
    owning packages."""
    from dadkhahi.cases.case import Scope, add_charge, create_case, link_fact
    from dadkhahi.domain.vocab import Credibility, Direction, Reliability
    from dadkhahi.facts.edits import withdraw_involvement
    from dadkhahi.intake.erasure import erase_source

    pro = world.objects[Sensitivity.PROTECTED]
    made = WithdrawnLink("", "", "")
    with world.store.transaction("setup") as tx:
        source = register_source(world.store, tx, SourceSpec(
            title="SECRETWITHDRAWNSOURCE SYNTHETIC", kind=SourceKind.TESTIMONY,
            sensitivity=Sensitivity.PROTECTED))
        tx.flush()
        involvement = entities.add_involvement(
            tx, pro.act, InvolvementRole.SIGNED, person_id=pro.person,
            sensitivity=Sensitivity.PROTECTED, support=[Support(source, locator=made.secret)])
    case_id = create_case(world.store, "setup", "SYNTHETIC case with a withdrawn fact",
                          Scope((pro.person,), (pro.act,)), members=["lawyer_g"])
    charge = add_charge(world.store, "setup", case_id, pro.person, "national-murder",
                        "murder", "perpetrator")
    for kind, fact, how in (("act", pro.act, "SYNTHETIC: the act shows the killing"),
                            ("involvement", involvement, made.note)):
        link_fact(world.store, "setup", case_id, charge, "1", kind, fact,
                  reliability=Reliability.B, credibility=Credibility.PROBABLY_TRUE,
                  how=how, direction=Direction.INCRIMINATING)
    with world.store.transaction("setup") as tx:
        withdraw_involvement(tx, involvement)
    if erase:
        erase_source(world.store, source, "SYNTHETIC: the witness asked for erasure",
                     "setup")
    return WithdrawnLink(case_id, involvement, source)


@dataclass(frozen=True)
class ErasedMark:
    """A case of ``lawyer_g`` whose murder charge had a claim from a protected source
    linked to element 1, marked on elements 1 and 2; the source was erased since, and the
    link and element 1's mark with it."""

    case_id: str
    #: Element 1's mark's note (it may quote the erased witness).
    secret: str = "SYNTHETIC MARKQUOTESWITNESS she named a second guard"
    #: Element 2's mark's note: no erased link was on element 2, so it stays.
    kept: str = "SYNTHETIC kept mark on element 2"


def case_with_erased_mark(world: World) -> ErasedMark:
    """Build :class:`ErasedMark` in ``world`` through the owning packages."""
    from dadkhahi.cases.case import Scope, add_charge, create_case, link_fact
    from dadkhahi.cases.gaps import mark_gap
    from dadkhahi.domain.vocab import Credibility, Direction, GapStatus, Reliability
    from dadkhahi.intake.erasure import erase_source

    pro = world.objects[Sensitivity.PROTECTED]
    made = ErasedMark("")
    with world.store.transaction("setup") as tx:
        source = register_source(world.store, tx, SourceSpec(
            title="SYNTHETIC witness of a marked gap", sensitivity=Sensitivity.PROTECTED))
        tx.flush()
        claim = entities.add_claim(tx, EntityKind.PERSON, pro.person, "testimony",
                                   "SYNTHETIC seen", [Support(source)],
                                   sensitivity=Sensitivity.PROTECTED)
    case_id = create_case(world.store, "setup", "SYNTHETIC case with a marked gap",
                          Scope((pro.person,), (pro.act,)), members=["lawyer_g"])
    charge = add_charge(world.store, "setup", case_id, pro.person, "national-murder",
                        "murder", "perpetrator")
    link_fact(world.store, "setup", case_id, charge, "1", "claim", claim,
              reliability=Reliability.B, credibility=Credibility.PROBABLY_TRUE,
              how="SYNTHETIC: seen at the prison", direction=Direction.INCRIMINATING)
    for element, note in (("1", made.secret), ("2", made.kept)):
        mark_gap(world.store, "setup", case_id, charge, element, GapStatus.INVESTIGATING,
                 note)
    erase_source(world.store, source, "SYNTHETIC: the witness asked for erasure", "setup")
    return ErasedMark(case_id)
