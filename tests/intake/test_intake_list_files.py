"""Files that are not what a list import expects: broken quotes, other kinds of file, nothing.

Each case reproduces a report from issue 12: a broken quote that silently glued
rows into a name (item 2), a photo called "holds NUL bytes, so it looks like
UTF-16" and a broken workbook read as a CSV (item 5), and a header-only file that
still created a source, an item and an event (item 6). Every name is SYNTHETIC.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import func, select

from dadkhahi.domain.errors import UserError, ValidationError
from dadkhahi.intake.lists import import_list
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

HEADER = "ID,Full name,Notes\n"


def _counts(store: Store) -> tuple[int, ...]:
    with store.reading() as conn:
        rows = tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (s.sources, s.items, s.records, s.list_imports))
    return (*rows, store.size(), len(list(store.blobs.iter_hashes())))


def _refused(store: Store, path: Path, error: type[Exception] = ValidationError,
             **options: object) -> Exception:
    before = _counts(store)
    with pytest.raises(error) as caught:
        import_list(store, path, source="SYNTHETIC refused", actor="tester", **options)
    assert _counts(store) == before  # nothing at all was stored
    return caught.value


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_a_quote_left_open_swallows_no_rows(store: Store, tmp_path: Path) -> None:
    # The report: three rows, a broken quote, two records with the third glued into a name.
    path = _file(tmp_path, "open.csv", HEADER + '1,Karimi Ali,x\n2,"Moradi Zahra,y\n'
                                                '3,Najafi Javad,z\n')
    exc = _refused(store, path)
    assert isinstance(exc, ValidationError)
    assert any(p.startswith("line 3, field Full name: a quote opened on this line is never "
                            "closed") and "lines 3-4" in p for p in exc.problems), exc.problems
    # --multiline-cells does not make an unclosed quote acceptable.
    _refused(store, path, multiline_cells=True)


def test_a_quote_closed_rows_later_is_refused_naming_the_lines(
    store: Store, tmp_path: Path
) -> None:
    text = (HEADER + '1,Karimi Ali,x\n2,"Moradi Zahra,y\n3,Najafi Javad,z\n'
            '4,Rostami Saeed,"w"\n5,Sadeghi Maryam,v\n')
    path = _file(tmp_path, "closed.csv", text)
    exc = _refused(store, path)
    assert isinstance(exc, ValidationError)
    # The cell opened on line 3 runs over lines 4 and 5, which read as rows of the file.
    assert [p for p in exc.problems if "reads as a row" in p] == [
        "line 4: reads as a row of the file (3 values) but is inside the quoted cell of "
        "field Full name that starts on line 3: is a closing quote missing? If the cell "
        "really holds these lines, import with --multiline-cells",
        "line 5: reads as a row of the file (3 values) but is inside the quoted cell of "
        "field Full name that starts on line 3: is a closing quote missing? If the cell "
        "really holds these lines, import with --multiline-cells",
    ]
    report = import_list(store, path, source="SYNTHETIC accepted", actor="tester",
                         multiline_cells=True)
    assert report.rows == 3
    shown = [w for w in report.warnings if "kept as one cell" in w]
    assert len(shown) == 1 and "lines 3-5" in shown[0] and "Najafi Javad" in shown[0]


def test_legitimate_multi_line_notes_still_import(store: Store, tmp_path: Path) -> None:
    text = (HEADER + '1,Karimi Ali,"Arrested in Tehran,\nmoved to Evin.\n\nSYNTHETIC"\n'
            '2,Moradi Zahra,"one line"\n3,Najafi Javad,"a, b\nc, d"\n')
    report = import_list(store, _file(tmp_path, "notes.csv", text), source="SYNTHETIC notes",
                         actor="tester")
    assert report.rows == 3 and not [w for w in report.warnings if "cell" in w]
    with store.reading() as conn:
        rows = conn.execute(select(s.records.c.row_number, s.records.c.verbatim)
                            .order_by(s.records.c.row_number)).all()
    assert [r.row_number for r in rows] == [2, 6, 7]
    assert rows[0].verbatim["Notes"] == "Arrested in Tehran,\nmoved to Evin.\n\nSYNTHETIC"


def test_files_that_are_not_lists_are_named_for_what_they_are(
    store: Store, tmp_path: Path
) -> None:
    photo = tmp_path / "victims.csv"
    Image.new("RGB", (4, 4), (9, 9, 9)).save(photo, format="JPEG")
    assert "not a CSV or XLSX file (image/jpeg)" in str(_refused(store, photo, UserError))
    pdf = _file(tmp_path, "list.csv", "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
    assert "not a CSV or XLSX file (application/pdf)" in str(_refused(store, pdf, UserError))
    archive = tmp_path / "lists.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "SYNTHETIC")
    assert "not a CSV or XLSX file (application/zip)" in str(
        _refused(store, archive, UserError))

    book = Workbook()
    book.active.append(["ID", "Full name"])
    book.active.append(["1", "Karimi Ali"])
    data = io.BytesIO()
    book.save(data)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(data.getvalue()[: len(data.getvalue()) // 2])
    assert "not a readable XLSX workbook" in str(_refused(store, truncated, UserError))
    # A workbook whose first bytes were lost is not read as a CSV either.
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"\x00" * 64 + data.getvalue()[64:])
    message = str(_refused(store, damaged, UserError))
    assert "not a readable XLSX workbook" in message and "not a ZIP archive" in message


def test_a_list_without_rows_is_refused(store: Store, tmp_path: Path) -> None:
    for text in (HEADER, HEADER + "\n,,\n\n"):
        exc = _refused(store, _file(tmp_path, "empty.csv", text), UserError)
        assert "no rows below its header: nothing to import" in str(exc)
    book = Workbook()
    book.active.append(["ID", "Full name"])
    path = tmp_path / "empty.xlsx"
    book.save(path)
    assert "no rows below its header" in str(_refused(store, path, UserError))
