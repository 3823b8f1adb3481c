"""List import: encodings, XLSX, header matching, all-or-nothing refusal, re-import, sealing.

Every name in these files is SYNTHETIC.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from dadkhahi.domain.errors import UserError, ValidationError
from dadkhahi.domain.sources import REDACTED
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.lists import import_list, list_imports, unseal_record
from dadkhahi.intake.media import sniff_file
from dadkhahi.intake.tabular import detect_encoding, read_as_text
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

PERSIAN_HEADER = ["شماره", "نام", "نام خانوادگی", "نام پدر", "تاریخ اعدام", "زندان", "شهر",
                  "سن", "سال تولد"]
PERSIAN_ROWS = [
    ["1", "غلامرضا", "حسینی", "علی", "۱۳۶۷/۰۵/۱۲", "اوین", "تهران", "۲۳", "۱۳۴۴"],
    ["2", "مريم", "كريمی", "حسن", "مرداد ۱۳۶۷", "گوهردشت", "کرج", "", ""],
    ["3", "Mohammad", "Rezaei", "Hassan", "12 Mordad 1367", "Evin", "Tehran", "31", "1957"],
]


def _csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _write(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _counts(store: Store) -> dict[str, int]:
    with store.reading() as conn:
        counts = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (s.sources, s.items, s.custody, s.records, s.list_imports, s.data_keys)
        }
    counts["ledger"] = store.size()
    counts["blobs"] = len(list(store.blobs.iter_hashes()))
    return counts


def _records(store: Store) -> list[dict[str, Any]]:
    with store.reading() as conn:
        rows = conn.execute(select(s.records).order_by(s.records.c.row_number)).mappings()
        return [dict(r) for r in rows]


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"),
     ("cp1256", "cp1256")],
)
def test_every_encoding_gives_the_same_records(
    store: Store, tmp_path: Path, encoding: str, detected: str
) -> None:
    # Windows-1256 has neither Persian digits nor Persian yeh: such files hold ASCII
    # digits and Arabic yeh (ي), which normalisation folds; the records must agree.
    header, rows = PERSIAN_HEADER, PERSIAN_ROWS
    if encoding == "cp1256":
        arabic = str.maketrans("۰۱۲۳۴۵۶۷۸۹ی", "0123456789ي")
        header = [h.translate(arabic) for h in header]
        rows = [[c.translate(arabic) for c in r] for r in rows]
    path = _write(tmp_path / f"list-{encoding}.csv", _csv_text(header, rows), encoding)
    report = import_list(store, path, source="SYNTHETIC list", actor="tester",
                         id_column=header[0])
    assert report.encoding == detected and report.rows == 3
    assert report.columns == {
        "given_name": header[1], "family_name": header[2], "father_name": header[3],
        "birth_year": header[8], "age": header[7], "city": header[6], "prison": header[5],
        "death_date": header[4],
    }
    recs = _records(store)
    assert [r["external_id"] for r in recs] == ["1", "2", "3"]
    assert [r["row_number"] for r in recs] == [2, 3, 4]
    first, second, third = (r["normalized"] for r in recs)
    assert recs[0]["verbatim"][header[1]] == "غلامرضا"
    assert first["death_earliest"] == first["death_latest"] == "1988-08-03"
    assert first["death_calendar"] == "jalali" and first["age"] == 23
    assert (first["birth_year"], first["birth_year_lo"], first["birth_year_hi"]) == (
        1344, 1965, 1966)
    # Arabic code points folded: ي→ی, ك→ک.
    assert second["given_name"] == "مریم" and second["family_name"] == "کریمی"
    assert (second["death_earliest"], second["death_latest"]) == ("1988-07-23", "1988-08-22")
    assert third["death_earliest"] == "1988-08-03" and third["birth_calendar"] == "gregorian"
    assert first["prison_key"] == third["prison_key"] == "evin"
    assert first["family_canon"] == "hosseini"
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok


def test_xlsx_with_numbers_dates_and_a_later_sheet(store: Store, tmp_path: Path) -> None:
    book = Workbook()
    book.active.title = "cover"
    book.active.append(["SYNTHETIC cover sheet"])
    sheet = book.create_sheet("victims")
    sheet.append(["ID", "Full name", "Father's name", "Date of execution", "Age", "Province"])
    sheet.append([101, "Hosseini, Gholam Reza", "Ali", datetime(1988, 8, 3), 23.0, "Tehran"])
    sheet.append([])  # blank rows are skipped, but they still count as lines
    sheet.append([102, "Seyed Mehdi Karimi", None, "شهریور ۱۳۶۷", 40, "تهران"])
    path = tmp_path / "list.xlsx"
    book.save(path)
    report = import_list(store, path, source="SYNTHETIC workbook", actor="tester",
                         id_column="ID", sheet="victims")
    assert report.format == "xlsx" and report.rows == 2
    recs = _records(store)
    assert [r["external_id"] for r in recs] == ["101", "102"]
    assert [r["row_number"] for r in recs] == [2, 4]
    a, b = (r["normalized"] for r in recs)
    assert (a["given_name"], a["family_name"]) == ("Gholam Reza", "Hosseini")
    assert a["death_earliest"] == "1988-08-03" and a["age"] == 23
    assert recs[0]["verbatim"]["Date of execution"] == "1988-08-03"
    assert (b["given_name"], b["family_name"], b["titles"]) == ("Mehdi", "Karimi", ["Seyed"])
    assert a["province_key"] == b["province_key"] == "tehran"
    with pytest.raises(UserError, match="no sheet 'nope'"):
        import_list(store, path, source="SYNTHETIC workbook", actor="t", sheet="nope")


def test_explicit_map_semicolons_and_multiline_cells(store: Store, tmp_path: Path) -> None:
    text = ('Nr;Who;Dad;When;Comment\r\n1;"Karimi, Ali";Reza;1988;"two\r\nlines"\r\n'
            "2;Zahra Ahmadi;;1367;\r\n")
    path = _write(tmp_path / "semi.csv", text, "utf-8")
    report = import_list(store, path, source="SYNTHETIC semi", actor="tester",
                         id_column="Nr",
                         mapping={"full_name": "Who", "father_name": "Dad",
                                  "death_date": "When", "notes": "Comment"})
    assert report.unmapped == []
    recs = _records(store)
    assert [r["row_number"] for r in recs] == [2, 4]  # the quoted newline takes a line
    assert recs[0]["verbatim"]["Comment"] == "two\r\nlines"
    assert recs[0]["normalized"]["notes"] == "two lines"
    assert recs[0]["normalized"]["family_name"] == "Karimi"
    assert recs[1]["normalized"]["death_calendar"] == "jalali"


def test_identity_numbers_are_recognised_and_kept(store: Store, tmp_path: Path) -> None:
    text = _csv_text(["ردیف", "نام و نام خانوادگی", "شماره شناسنامه"],
                     [["1", "علی کریمی", "۱۲۳۴"], ["2", "زهرا احمدی", ""]])
    report = import_list(store, _write(tmp_path / "ids.csv", text, "utf-8"),
                         source="SYNTHETIC ids", actor="tester", id_column="ردیف")
    assert report.columns["id_number"] == "شماره شناسنامه"
    recs = _records(store)
    assert recs[0]["normalized"]["id_number"] == "1234"  # Persian digits folded
    assert "id_number" not in recs[1]["normalized"]


def test_bad_file_is_refused_line_by_line_and_nothing_is_stored(
    store: Store, tmp_path: Path
) -> None:
    import_list(store, _write(tmp_path / "ok.csv", _csv_text(PERSIAN_HEADER, PERSIAN_ROWS),
                              "utf-8"), source="SYNTHETIC good", actor="tester")
    before = _counts(store)
    rows = [
        ["1", "Ali Karimi", "1367/13/40", "abc", "1340", "m"],
        ["2", "Reza Moradi", "1367/05/01", "", "1100", "f"],
        ["1", "Hasan Jafari", "", "200", "۱۳۳۵", "x"],
        ["", "Zahra Ahmadi", "next year 1367", "30", "", ""],
    ]
    bad = _write(tmp_path / "bad.csv",
                 _csv_text(["id", "name", "death date", "age", "birth year", "sex"], rows),
                 "utf-8")
    with pytest.raises(ValidationError) as refused:
        import_list(store, bad, source="SYNTHETIC bad", actor="tester", id_column="id")
    problems = refused.value.problems
    assert problems == [
        "line 2, field age: 'abc' is not a number of years",
        "line 2, field death_date: '1367/13/40' is not a date "
        + problems[1].split("is not a date ", 1)[1],
        "line 3, field birth_year: '1100' is out of range "
        + problems[2].split("is out of range ", 1)[1],
        "line 4, field age: '200' is out of range (1-119)",
        "line 4, field id: duplicate id '1' (first on line 2)",
        "line 5, field death_date: 'next year 1367' is not a date "
        + problems[5].split("is not a date ", 1)[1],
        "line 5, field id: empty id",
    ]
    assert _counts(store) == before
    with pytest.raises(ValidationError) as header:
        import_list(store, bad, source="SYNTHETIC bad", actor="tester", id_column="nope",
                    mapping={"death_date": "Died", "colour": "name"})
    assert header.value.problems == [
        "line 1, field colour: not a field (fields: full_name, given_name, family_name, "
        "father_name, sex, birth_year, age, city, province, prison, death_date, "
        "burial_place, affiliation, id_number, notes)",
        "line 1, field death_date: --map names column 'Died', which the file does not have "
        "(columns: 'id', 'name', 'death date', 'age', 'birth year', 'sex')",
        "line 1, field nope: --id-column 'nope' is not a column "
        "(columns: 'id', 'name', 'death date', 'age', 'birth year', 'sex')",
    ]
    assert _counts(store) == before


def test_ragged_rows_pad_but_extra_cells_are_refused(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", "name,city\nAli Karimi\nReza Moradi,Rasht,extra\n",
                  "utf-8")
    with pytest.raises(ValidationError) as refused:
        import_list(store, path, source="SYNTHETIC ragged", actor="tester")
    assert refused.value.problems == ["line 3: 3 values but the header has 2 columns"]


def test_reimport_of_the_same_bytes_is_refused_naming_the_first(
    store: Store, tmp_path: Path
) -> None:
    path = _write(tmp_path / "l.csv", _csv_text(PERSIAN_HEADER, PERSIAN_ROWS), "utf-8")
    first = import_list(store, path, source="SYNTHETIC list", actor="tester")
    before = _counts(store)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    with pytest.raises(UserError, match=f"already imported: import {first.import_id}"):
        import_list(store, copy, source="another SYNTHETIC source", actor="tester")
    assert _counts(store) == before
    shown = list_imports(store)
    assert [(x.import_id, x.rows, x.original_name) for x in shown] == [
        (first.import_id, 3, "l.csv")]


def test_protected_import_seals_every_record(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "p.csv", _csv_text(PERSIAN_HEADER, PERSIAN_ROWS), "utf-8")
    report = import_list(store, path, source="SYNTHETIC protected list", actor="tester",
                         id_column="شماره", sensitivity=Sensitivity.PROTECTED)
    recs = _records(store)
    assert all(r["sensitivity"] == "protected" for r in recs)
    assert all(r["verbatim"] == {} and r["normalized"] == {} for r in recs)
    assert all(r["external_id"] == REDACTED and r["sealed"] for r in recs)
    with store.reading() as conn:
        body = conn.execute(
            select(s.ledger_events.c.body).where(s.ledger_events.c.idx == report.ledger_index)
        ).scalar_one()
        source = conn.execute(select(s.sources)).mappings().one()
        opened = [unseal_record(store, conn, r) for r in recs]
        keys = conn.execute(select(func.count()).select_from(s.data_keys)).scalar_one()
        assert verify_ledger(conn, store.verifier_key()).ok
    text = bytes(body).decode()
    for secret in ("غلامرضا", "حسینی", "Rezaei", "1988-08-03"):
        assert secret not in text
    assert source["title"] == REDACTED and source["sensitivity"] == "protected"
    assert [o["external_id"] for o in opened if o] == ["1", "2", "3"]
    assert opened[0] is not None and opened[0]["verbatim"]["نام"] == "غلامرضا"
    assert opened[2] is not None and opened[2]["normalized"]["family_canon"] == "rezaei"
    # One per record, the source, the item's file name, the file's custody entry (how it
    # came: every field of a protected object is sealed), the import's column names, the
    # list's description (what it lists and covers) and the importer's pseudonym.
    assert keys == 3 + 1 + 1 + 1 + 1 + 1 + 1


def test_import_into_an_existing_source_by_id_prefix(store: Store, tmp_path: Path) -> None:
    a = _write(tmp_path / "a.csv", "name\nAli Karimi\n", "utf-8")
    b = _write(tmp_path / "b.csv", "name\nReza Moradi\n", "utf-8")
    first = import_list(store, a, source="SYNTHETIC one", actor="tester")
    second = import_list(store, b, source=first.source_id[:12], actor="tester")
    third_path = _write(tmp_path / "c.csv", "name\nZahra Ahmadi\n", "utf-8")
    third = import_list(store, third_path, source="SYNTHETIC one", actor="tester")
    assert first.source_created and not second.source_created and not third.source_created
    assert first.source_id == second.source_id == third.source_id
    with pytest.raises(UserError, match="cannot be public"):
        import_list(store, _write(tmp_path / "d.csv", "name\nX Y\n", "utf-8"),
                    source=first.source_id, actor="t", sensitivity=Sensitivity.PUBLIC)


def test_no_name_column_and_unknown_encoding_are_clear_errors(
    store: Store, tmp_path: Path
) -> None:
    path = _write(tmp_path / "n.csv", "colour,size\nred,2\n", "utf-8")
    with pytest.raises(ValidationError) as refused:
        import_list(store, path, source="SYNTHETIC", actor="tester")
    assert refused.value.problems[0].startswith("line 1, field full_name: no name column")
    no_bom = tmp_path / "u16.csv"
    no_bom.write_bytes("name\nAli\n".encode("utf-16-le"))
    with pytest.raises(UserError, match="UTF-16 without a byte-order mark"):
        import_list(store, no_bom, source="SYNTHETIC", actor="tester")


# Letters Windows-1256 can hold (Arabic yeh, as such files have it).
_PERSIAN_TEXT = st.text(alphabet="ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهي ,0123456789", max_size=40)


@settings(max_examples=60, deadline=None)
@given(text=_PERSIAN_TEXT, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16",
                                                       "cp1256"]))
@example(text="بپ", encoding="cp1256")  # C8 81: valid UTF-8, where it reads "ȁ"
def test_detected_encoding_decodes_back_to_the_text(
    tmp_path_factory: pytest.TempPathFactory, text: str, encoding: str
) -> None:
    path = tmp_path_factory.mktemp("enc") / "t.csv"
    body = "name\n" + text
    raw = body.encode(encoding)
    if encoding == "cp1256":
        try:
            as_utf8: str | None = raw.decode("utf-8")
        except UnicodeDecodeError:
            as_utf8 = None
        # Bytes that read as Persian in both encodings ("عک" is DA 98, UTF-8
        # for "ژ") cannot be told apart by any detector; lists of real names
        # are long enough not to be.
        assume(as_utf8 is None
               or not all(c.isascii() or "\u0600" <= c <= "\u06ff" for c in as_utf8))
    path.write_bytes(raw)
    assert read_as_text(sniff_file(path))  # never refused as "not a CSV file"
    detected = detect_encoding(path)
    assert path.read_bytes().decode(detected) == body
    if encoding == "cp1256" and any(ord(c) > 127 for c in text):
        assert detected == "cp1256"
    assert codecs.lookup(detected)


def test_report_json_is_serialisable(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "l.csv", _csv_text(PERSIAN_HEADER, PERSIAN_ROWS), "utf-8")
    report = import_list(store, path, source="SYNTHETIC", actor="tester")
    assert json.loads(json.dumps(report.__dict__, default=str))["rows"] == 3
    assert date.fromisoformat(list_imports(store)[0].imported_at[:10]) <= date.today()
