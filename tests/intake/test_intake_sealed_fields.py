"""Every field of a protected object is sealed (issue 11 item 3), reproducing the attack.

The attacker holds a copy of the database (or only the ledger's events, which are never
erased) and greps it for what was entered. Each protected object here is made with a
unique marker string in every field it has; none may be found in the raw database file,
its WAL, any table or any ledger event body. An authorised read still shows each value.
"""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select

from dadkhahi.access.grants import grant
from dadkhahi.access.policy import Principal, Role
from dadkhahi.access.reads import RESOURCES, render_rows
from dadkhahi.access.users import add_user
from dadkhahi.analysis.estimand import estimand_of
from dadkhahi.cases.matrix import fact_evidence
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import UserError
from dadkhahi.domain.protected import CLEAR_FIELDS, REDACTED
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import (
    ActType,
    Credibility,
    EntityKind,
    InvolvementRole,
    ListKind,
    PlaceKind,
    Reliability,
    Sensitivity,
    SourceKind,
)
from dadkhahi.facts.entities import (
    Support,
    add_claim,
    add_involvement,
    create_act,
    create_organization,
    create_person,
    create_place,
)
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.intake.list_description import (
    DescriptionChange,
    ListDescription,
    describe_list,
    list_catalogue,
    open_description,
)
from dadkhahi.intake.lists import import_list, open_import
from dadkhahi.services.lists_linkage import imports_for
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from database_files import database_files

P = Sensitivity.PROTECTED


def _m(name: str) -> str:
    return f"MRK{name.upper().replace('_', '')}Q"


def _protected_world(store: Store, tmp_path: Path) -> dict[str, str]:
    """Protected objects of every kind, each field a marker; returns {marker: (table, id)}."""
    f = tmp_path / f"{_m('original_name')}.txt"
    f.write_text("SYNTHETIC testimony\n")
    spec = SourceSpec(
        title=_m("title"), kind=SourceKind.TESTIMONY, sensitivity=P,
        reliability=Reliability.B, credibility=Credibility.PROBABLY_TRUE,
        collected_by=_m("collected_by"), collected_at=_m("collected_at"),
        method=_m("method"), location=_m("location"), language=_m("language"),
        citation=_m("citation"), notes=_m("source_notes"))
    receipt = Receipt(actor="tester", from_party=_m("from_party"), how=_m("how"),
                      notes=_m("custody_notes"))
    report = add_evidence(store, [f], receipt, new_source=spec)
    assert report.source_id is not None
    with store.transaction("tester") as tx:
        person = create_person(tx, _m("label"), sensitivity=P)
        org = create_organization(tx, _m("org_name"), _m("org_kind"), sensitivity=P)
        place = create_place(tx, _m("place_name"), PlaceKind.PRISON, name_fa=_m("name_fa"),
                             latitude=35.123456789, longitude=51.987654321, sensitivity=P)
        act = create_act(tx, ActType.EXECUTION, place_id=place, sensitivity=P,
                         description=_m("description"),
                         date=DateRange(date(1988, 8, 3), date(1988, 8, 3), "1367-05-12"))
        add_involvement(tx, act, InvolvementRole.WITNESS, person_id=person, sensitivity=P)
        add_claim(tx, EntityKind.PERSON, person, "name", _m("claim_value"),
                  [Support(report.source_id)], sensitivity=P)
    return {"source": report.source_id, "item": report.added[0][1], "person": person,
            "organization": org, "place": place, "act": act}


MARKERS = [_m(n) for n in (
    "original_name", "title", "collected_by", "collected_at", "method", "location",
    "language", "citation", "source_notes", "from_party", "how", "custody_notes", "label",
    "org_name", "org_kind", "place_name", "name_fa", "description", "claim_value")]
#: Values that are not strings: a coordinate and a Solar Hijri date, as stored.
OTHER_SECRETS = ["35.123456789", "51.987654321", "1367-05-12", "1988-08-03"]


def test_no_field_of_a_protected_object_is_stored_in_clear(store: Store, tmp_path: Path) -> None:
    ids = _protected_world(store, tmp_path)
    tables = [t for t in s.metadata.sorted_tables if t.name != "data_keys"]
    with store.reading() as conn:
        dump = "\n".join(repr(row) for t in tables for row in conn.execute(select(t)))
        bodies = b"\n".join(r.body for r in conn.execute(select(s.ledger_events.c.body)))
        rows = {t.name: [dict(r) for r in conn.execute(select(t)).mappings()]
                for t in (s.sources, s.items, s.custody, s.persons, s.organizations,
                          s.places, s.acts, s.involvements, s.claims)}
    secrets = MARKERS + OTHER_SECRETS
    assert [m for m in secrets if m in dump] == []
    assert [m for m in secrets if m.encode() in bodies] == []
    if store.engine.dialect.name == "sqlite":
        store.engine.dispose()  # what a copier of the home gets: the file and its WAL
        home = store.home.path
        raw = b"".join(p.read_bytes() for p in home.glob("dadkhahi.sqlite*"))
        assert [m for m in secrets if m.encode() in raw] == []
    # Every column but the clear ones holds a placeholder, whatever its type.
    kinds = {"sources": "source", "items": "item", "custody": "custody", "persons": "person",
             "organizations": "organization", "places": "place", "acts": "act",
             "involvements": "involvement", "claims": "claim"}
    for table, kind in kinds.items():
        assert rows[table], table
        for row in rows[table]:
            assert row["sealed"], (table, row)
            for col, value in row.items():
                if col not in CLEAR_FIELDS[kind] | {"sealed", "ledger_index"}:
                    assert value in (REDACTED, None, {}, []), (table, col, value)
    source = rows["sources"][0]
    assert source["reliability"] == REDACTED and source["kind"] == "testimony"

    # An authorised read lays the sealed values back over the placeholders.
    who = Principal(user_id="user_x", username="x")
    shown: dict[str, dict[str, Any]] = {}
    with store.reading() as conn:
        for name in ("sources", "items", "persons", "organizations", "places", "acts",
                     "involvements", "claims"):
            rendered, _ = render_rows(store, conn, who, RESOURCES[name],
                                      [dict(r) for r in rows[name]])
            shown[name] = rendered[0]
    src = shown["sources"]
    assert (src["citation"], src["method"], src["collected_at"], src["language"]) == (
        _m("citation"), _m("method"), _m("collected_at"), _m("language"))
    assert (src["reliability"], src["credibility"]) == ("B", "2")
    assert shown["items"]["original_name"] == f"{_m('original_name')}.txt"
    assert shown["places"]["latitude"] == 35.123456789
    assert shown["acts"]["description"] == _m("description")
    assert shown["acts"]["date_text"] == "1367-05-12"
    assert shown["involvements"]["role"] == "witness"
    assert shown["claims"]["value"] == _m("claim_value")
    assert shown["organizations"]["name"] == _m("org_name")
    assert ids["source"] == src["id"]


def test_a_protected_list_and_the_locators_of_protected_support_are_sealed(
    store: Store, tmp_path: Path
) -> None:
    """Column names of a protected list, and where in a protected source a claim or an
    involvement rests (its ``locator``), are not in any row or event in clear."""
    header = [_m("id_column"), _m("name_column"), "City"]
    path = tmp_path / "witnesses.csv"
    path.write_text(",".join(header) + "\nW1,SYNTHETIC Ali Karimi,Tehran\n", "utf-8")
    report = import_list(store, path, source="SYNTHETIC witness list", actor="tester",
                         id_column=_m("id_column"), mapping={"full_name": _m("name_column")},
                         sensitivity=P)
    with store.transaction("tester") as tx:
        person = create_person(tx, "SYNTHETIC person", sensitivity=P)
        act = create_act(tx, ActType.EXECUTION, sensitivity=P)
        claim = add_claim(tx, EntityKind.PERSON, person, "name", "SYNTHETIC name",
                          [Support(report.source_id, locator=_m("claim_locator")),
                           Support(report.source_id)])
        add_involvement(tx, act, InvolvementRole.WITNESS, person_id=person, sensitivity=P,
                        support=[Support(report.source_id, locator=_m("involvement_locator"))])
    uid = add_user(store, "reader", Role.RESEARCHER, "SYNTHETIC correct horse battery", "t")
    for scope in (report.source_id, person):
        grant(store, scope, uid, "tester")
    reader = Principal(user_id=uid, username="reader", role=Role.RESEARCHER)
    secrets = [_m("id_column"), _m("name_column"), _m("claim_locator"),
               _m("involvement_locator")]
    tables = [t for t in s.metadata.sorted_tables if t.name != "data_keys"]
    with store.reading() as conn:
        dump = "\n".join(repr(row) for t in tables for row in conn.execute(select(t)))
        bodies = b"\n".join(r.body for r in conn.execute(select(s.ledger_events.c.body)))
        imported = conn.execute(select(s.list_imports)).mappings().one()
        opened = open_import(store, conn, imported)
        claim_row = dict(conn.execute(select(s.claims).where(s.claims.c.id == claim))
                         .mappings().one())
        shown, _ = render_rows(store, conn, reader, RESOURCES["claims"], [claim_row])
        evidence = fact_evidence(store, conn, "involvement",
                                 str(conn.execute(select(s.involvements.c.id)).scalar_one()))
    assert [m for m in secrets if m in dump] == []
    assert [m for m in secrets if m.encode() in bodies] == []
    if store.engine.dialect.name == "sqlite":
        store.engine.dispose()
        raw = b"".join(p.read_bytes() for p in store.home.path.glob("dadkhahi.sqlite*"))
        assert [m for m in secrets if m.encode() in raw] == []
    # The keys' holder reads them back.
    assert (opened["id_column"], opened["columns"]) == (_m("id_column"),
                                                        {"full_name": _m("name_column"),
                                                         "city": "City"})
    assert [x["locator"] for x in shown[0]["support"]] == [_m("claim_locator"), None]
    assert [e.locator for e in evidence] == [_m("involvement_locator")]
    # A new version compares with the opened columns: the same file again changes nothing.
    with pytest.raises(UserError, match="nothing changed"):
        import_list(store, path, actor="tester", id_column=_m("id_column"),
                    mapping={"full_name": _m("name_column")}, new_version_of=report.list_id)


def test_a_protected_lists_description_is_sealed_and_opened_for_its_readers(
    store: Store, tmp_path: Path
) -> None:
    """What a protected list lists, the provinces and the period it covers are in no
    table, ledger event or database file in clear (SQLite and PostgreSQL), from its
    import or from a later ``list.described``; the estimate (which leaves a detainees
    list out), a grant holder and ``lists show`` read them, a reader without the grant
    sees neither the list nor its description."""
    # Fresh markers each run: PostgreSQL's WAL is shared and outlives a test database.
    letters = "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(8))
    first, second = f"Qzv{letters}a", f"Qzv{letters}o"
    period = "1361/01/07..1361/02/11"
    path = tmp_path / "detainees.csv"
    path.write_text("ID,Full name\nD1,SYNTHETIC Ali Karimi\nD2,SYNTHETIC Zahra Moradi\n",
                    "utf-8")
    report = import_list(store, path, source="SYNTHETIC detainee register", actor="tester",
                         id_column="ID", sensitivity=P, description=ListDescription(
                             kind=ListKind.DETAINEES, provinces=[first], period=period))
    _, changed, _ = describe_list(store, report.list_id,
                                  DescriptionChange(provinces=[first, second]), "tester")
    assert changed == ["provinces"]
    with store.reading() as conn:
        row = conn.execute(select(s.lists)).mappings().one()
        keys = [str(k) for k in open_description(store.keys, conn, row)["province_keys"]]
        tables = [t for t in s.metadata.sorted_tables if t.name != "data_keys"]
        dump = "\n".join(repr(tuple(r)) for t in tables for r in conn.execute(select(t)))
        bodies = b"\n".join(r.body for r in conn.execute(select(s.ledger_events.c.body)))
    # Markers, the period as given and as Gregorian dates, the province keys, the kind.
    secret_words = [first, second, period, "1982-03-27", "1982-05-01", *keys, "detainees"]
    assert row["kind"] == REDACTED and row["sealed"] is not None
    assert [m for m in secret_words if m in dump] == []
    assert [m for m in secret_words if m.encode() in bodies] == []
    files = database_files(store, server_wal=True)
    assert [m for m in (first, second, period) if m.encode() in files] == []

    # The operator's catalogue and the estimate open it: a list of detainees is left out,
    # and the sentence the estimate's event keeps names neither provinces nor period.
    with store.reading() as conn:
        info = list_catalogue(store, conn)[0]
    assert (info.kind, info.provinces, info.period_from, info.period_to) == (
        "detainees", [first, second], "1982-03-27", "1982-05-01")
    chosen = estimand_of(store, pd.DataFrame({"import_id": [], "source_id": []}))
    assert chosen.lists[0]["used"] is False and chosen.lists[0]["coverage"] == REDACTED
    assert [m for m in (first, second, "1982") if m in chosen.text] == []
    # A reader with the grant sees the description; one without sees no list at all.
    holder = add_user(store, "holder", Role.RESEARCHER, "SYNTHETIC correct horse battery", "t")
    add_user(store, "other", Role.RESEARCHER, "SYNTHETIC correct horse battery", "t")
    grant(store, report.source_id, holder, "tester")
    shown = imports_for(store, Principal(user_id=holder, username="holder",
                                         role=Role.RESEARCHER))
    assert [x["list"]["provinces"] for x in shown] == [[first, second]]
    assert [x["list"]["kind"] for x in shown] == ["detainees"]
    with store.reading() as conn:
        other = str(conn.execute(select(s.users.c.id).where(s.users.c.username == "other"))
                    .scalar_one())
    assert imports_for(store, Principal(user_id=other, username="other",
                                        role=Role.RESEARCHER)) == []
