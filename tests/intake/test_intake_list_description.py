"""What a list lists, covers and came from: stated at import, changed by events, replayed.

Every name here is SYNTHETIC.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dadkhahi.domain.errors import NotFoundError, UserError, ValidationError
from dadkhahi.domain.vocab import ListKind
from dadkhahi.intake.list_description import (
    DescriptionChange,
    ListDescription,
    describe_list,
    list_catalogue,
    parse_period,
    resolve_list,
)
from dadkhahi.intake.lists import import_list
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger


def _list(tmp_path: Path, name: str, rows: int = 2) -> Path:
    path = tmp_path / name
    lines = ["ID,Full name,Date of execution"]
    lines += [f"{name}-{i},Testname{i} Synthetic,1367/05/12" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _events(store: Store, kind: str) -> list[dict[str, object]]:
    with store.reading() as conn:
        e = s.ledger_events.c
        bodies = conn.execute(select(e.body).where(e.type == kind).order_by(e.idx)).scalars()
        return [json.loads(b)["data"] for b in bodies]


def test_a_list_states_its_kind_coverage_and_provenance(store: Store, tmp_path: Path) -> None:
    plain = import_list(store, _list(tmp_path, "a.csv"), source="SYNTHETIC national list",
                        actor="tester")
    # The default: a list of victims, not limited to some provinces, nothing stated.
    assert plain.kind == "victims" and plain.list_id.startswith("lst_")
    detainees = import_list(
        store, _list(tmp_path, "b.csv", 3), source="SYNTHETIC prison register",
        actor="tester", description=ListDescription(
            kind=ListKind.DETAINEES, provinces=["Tehran", "البرز, Khuzestan"],
            period="1367/04/01..1367/09/30", derived_from=[plain.import_id[:8]],
            compiled_by=["SYNTHETIC national list"]))
    with store.reading() as conn:
        infos = {i.id: i for i in list_catalogue(store, conn)}
    info = infos[detainees.list_id]
    assert info.kind == "detainees" and info.rows == 3 and info.versions == 1
    assert info.provinces == ["Tehran", "البرز", "Khuzestan"]
    # Alborz is a place of the lexicon (cbdc1d8): its key is its id in either script.
    assert info.province_keys == ["tehran", "alborz", "khuzestan"]
    # Solar Hijri 1367/04/01 is 22 June 1988; 1367/09/30 is 21 December 1988.
    assert (info.period_from, info.period_to) == ("1988-06-22", "1988-12-21")
    assert info.derived_from == [plain.list_id]  # an import ID names its list
    assert info.compiled_by == [plain.source_id]  # a title names its source
    assert info.current_import_id == detainees.import_id
    assert infos[plain.list_id].provinces is None and infos[plain.list_id].kind == "victims"
    assert "1988-06-22..1988-12-21" in info.coverage_text()

    row, changed, index = describe_list(
        store, detainees.list_id[:9], DescriptionChange(kind=ListKind.VICTIMS, provinces=None,
                                                         derived_from=()), "tester")
    assert changed == ["provinces", "kind", "derived_from"] and index is not None
    assert row["kind"] == "victims" and row["provinces"] is None
    assert row["derived_from"] == [] and row["compiled_by"] == [plain.source_id]
    assert row["period_from"] == "1988-06-22"  # left as it was
    event = _events(store, "list.described")[-1]
    assert event["list_id"] == detainees.list_id and event["changed"] == changed
    # Saying it again changes nothing and records nothing.
    size = store.size()
    assert describe_list(store, detainees.list_id, DescriptionChange(kind=ListKind.VICTIMS),
                         "tester")[1:] == ([], None)
    assert store.size() == size
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok  # the replay agrees


def test_a_wrong_description_stores_nothing(store: Store, tmp_path: Path) -> None:
    first = import_list(store, _list(tmp_path, "a.csv"), source="SYNTHETIC list",
                        actor="tester")
    before = store.size()
    path = _list(tmp_path, "b.csv")
    bad = [
        (ListDescription(period="1367/09/30..1367/04/01"), r"ends \(1988-06-22\) before it starts"),
        (ListDescription(period="sometime"), "'sometime' is not a date"),
        (ListDescription(provinces=["unknown"]), "not a place name"),
        (ListDescription(derived_from=["lst_nosuchlist"]), "derived_from: no list"),
        (ListDescription(compiled_by=["SYNTHETIC nobody"]), "compiled_by: no list or source"),
    ]
    for description, message in bad:
        with pytest.raises(ValidationError, match=message):
            import_list(store, path, source="SYNTHETIC other", actor="tester",
                        description=description)
    with pytest.raises(ValidationError, match="cannot be derived from itself"):
        describe_list(store, first.list_id, DescriptionChange(derived_from=[first.import_id]),
                      "tester")
    with pytest.raises(UserError, match="nothing to change"):
        describe_list(store, first.list_id, DescriptionChange(), "tester")
    with pytest.raises(NotFoundError):
        describe_list(store, "lst_0000", DescriptionChange(kind=ListKind.OTHER), "tester")
    assert store.size() == before
    with store.reading() as conn:
        assert conn.execute(select(func.count()).select_from(s.lists)).scalar_one() == 1


def test_a_list_is_found_by_its_id_an_import_or_its_source(store: Store, tmp_path: Path) -> None:
    report = import_list(store, _list(tmp_path, "a.csv"), source="SYNTHETIC list",
                         actor="tester")
    with store.reading() as conn:
        for ref in (report.list_id, report.list_id[:7], report.import_id,
                    report.source_id, "SYNTHETIC list"):
            assert resolve_list(conn, ref)["id"] == report.list_id, ref
        with pytest.raises(NotFoundError):
            resolve_list(conn, report.list_id[:7], prefix=False)  # the API: exact IDs only
    import_list(store, _list(tmp_path, "b.csv"), source=report.source_id, actor="tester")
    with store.reading() as conn, pytest.raises(UserError, match="holds 2 lists"):
        resolve_list(conn, "SYNTHETIC list")


def test_periods() -> None:
    assert parse_period("1988").earliest == "1988-01-01"
    assert (parse_period("Mordad 1367").earliest, parse_period("Mordad 1367").latest) == (
        "1988-07-23", "1988-08-22")
    open_start = parse_period("..1988-12")
    assert (open_start.earliest, open_start.latest) == (None, "1988-12-31")
    assert parse_period("1988-07..").latest is None
    with pytest.raises(ValidationError, match="at least one end"):
        parse_period("..")
