"""Read a list file (CSV in any of the encodings lists come in, or XLSX) into cells.

Encoding detection, in the order the bytes allow:

1. a byte-order mark decides: ``EF BB BF`` is UTF-8 (the mark is dropped),
   ``FF FE``/``FE FF`` is UTF-16;
2. otherwise the whole file is decoded as strict UTF-8, chunk by chunk; if every
   byte sequence is valid UTF-8, it is UTF-8 (text in Windows-1256 with any
   Persian letter is rarely valid UTF-8: its lead bytes C7–ED are mostly
   followed by bytes below 80) — unless its first megabyte, read as UTF-8,
   holds characters no list uses (outside ASCII, the Arabic script, and the
   Latin letters and marks of transliterations) while read as Windows-1256 it
   is nothing but ASCII and Arabic script: a few Persian letters in
   Windows-1256 can form valid UTF-8 (``بپ`` is ``C8 81``, UTF-8 for ``ȁ``),
   whereas real UTF-8 read as Windows-1256 shows Latin-1 debris (``ا`` is
   ``D8 A7``, ``ط§``);
3. a file with NUL bytes that is not UTF-8 is UTF-16 without a mark: refused,
   because which byte order it has cannot be told for sure;
4. anything else is read as Windows-1256 (cp1256), the encoding of Persian
   Windows and of old Excel CSV exports, which maps every byte.

An explicit ``encoding`` skips detection. The SHA-256 of the file is computed in
the same pass. Rows are read with :mod:`csv` (its reader is C code and keeps line
numbers right when a quoted cell holds a newline) or openpyxl in read-only mode.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from dadkhahi.domain.errors import UserError, ValidationError

_CHUNK = 1 << 20
_DELIMITERS = ",;\t|"
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
# What a list may hold beyond ASCII: the Arabic block (Persian letters, digits,
# harakat), presentation forms, Latin letters of transliterations (Latin-1,
# Extended-A, Extended Additional such as ḥ, the modifier letters ʻʼʽʾʿ),
# combining marks after a Latin letter (decomposed ā), and general punctuation
# (ZWNJ). Anything else, or a combining mark on nothing, counts as odd.
_ODD = re.compile(
    "[^\x00-\x7f\u00a0-\u017f\u02bb-\u02bf\u0300-\u036f\u0600-\u06ff"
    "\u1e00-\u1eff\u2000-\u206f\ufb50-\ufdff\ufe70-\ufeff]"
    "|(?<![A-Za-z\u00c0-\u017f\u1e00-\u1eff\u0300-\u036f])[\u0300-\u036f]"
)
_ARABIC_SCRIPT_ONLY = re.compile(
    "[\x00-\x7f\u0600-\u06ff\u0750-\u077f\u200c\u200d\ufb50-\ufdff\ufe70-\ufeff]*"
)


@dataclass
class RawTable:
    """The cells of a list file: a header and text rows, with their line numbers."""

    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sha256: str = ""
    size: int = 0
    #: (line, what): ``what`` is "field F: …" or a row-level message.
    problems: list[tuple[int, str]] = field(default_factory=list)


def file_digest(path: Path) -> tuple[str, int, bytes]:
    """SHA-256, size and first bytes of a file, streamed."""
    sha = hashlib.sha256()
    size = 0
    head = b""
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            if not head:
                head = chunk[:8]
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size, head


def detect_encoding(path: Path) -> str:
    """The text encoding of a CSV file (see the module docstring for the rules)."""
    with open(path, "rb") as f:
        head = f.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        has_nul = False
        first = b""
        try:
            while chunk := f.read(_CHUNK):
                first = first or chunk
                has_nul = has_nul or b"\x00" in chunk
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            if has_nul or b"\x00" in f.read(_CHUNK):
                raise UserError(_no_bom(path)) from None
            return "cp1256"
    if has_nul:
        raise UserError(_no_bom(path))
    if not first.isascii() and _reads_as_cp1256(first):
        return "cp1256"
    return "utf-8"


def _reads_as_cp1256(data: bytes) -> bool:
    """Whether valid UTF-8 bytes are really Persian in Windows-1256 (rule 2)."""
    # The Windows-1256 test first: real UTF-8 fails it within a few bytes.
    if not _ARABIC_SCRIPT_ONLY.fullmatch(data.decode("cp1256")):
        return False
    # "ignore": the chunk may end inside a UTF-8 sequence the strict pass accepted.
    return _ODD.search(data.decode("utf-8", errors="ignore")) is not None


def _no_bom(path: Path) -> str:
    return (
        f"{path.name}: holds NUL bytes, so it looks like UTF-16 without a byte-order mark; "
        "save it as UTF-8 or give --encoding utf-16-le / utf-16-be"
    )


def _header_names(cells: list[str], problems: list[tuple[int, str]]) -> list[str]:
    names = [c.strip() or f"column_{i + 1}" for i, c in enumerate(cells)]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            problems.append(
                (1, f"field {name}: duplicate column name (columns {seen[name] + 1} and {i + 1})")
            )
        seen.setdefault(name, i)
    return names


def _sniff_delimiter(line: str) -> str:
    # The header is the one line every list has; the delimiter it uses most wins.
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_line(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, newline="") as f:
        for line in f:
            if line.strip():
                return line
    return ""


def read_csv(path: Path, encoding: str | None = None) -> RawTable:
    """Read a CSV file into a :class:`RawTable` (problems are collected, not raised)."""
    enc = encoding or detect_encoding(path)
    try:
        codecs.lookup(enc)
        delimiter = _sniff_delimiter(_first_line(path, enc))
    except LookupError:
        raise UserError(f"unknown encoding {enc!r}") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path.name}: not valid {enc} ({exc.reason})") from None
    table = RawTable(header=[], format="csv", encoding=enc, delimiter=delimiter)
    last_line = 0
    try:
        with open(path, encoding=enc, newline="") as f:
            reader = csv.reader(f, delimiter=delimiter)
            for cells in reader:
                start, last_line = last_line + 1, reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                if not table.header:
                    table.header = _header_names(cells, table.problems)
                    continue
                table.rows.append(cells)
                table.lines.append(start)
    except UnicodeDecodeError as exc:
        raise UserError(f"{path.name}: not valid {enc} ({exc.reason})") from None
    except csv.Error as exc:
        raise ValidationError(
            f"{path.name}: not a readable CSV file",
            [f"line {last_line + 1}: {exc}"],
        ) from None
    return table


def cell_text(value: Any) -> str:
    """An XLSX cell value as the text a person would read in the sheet."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[tuple[int, list[str]] | str]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UserError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise UserError(
                f"{path.name}: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})"
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        yield str(ws.title)
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, [cell_text(v) for v in values]
    finally:
        book.close()


def read_xlsx(path: Path, sheet: str | None = None) -> RawTable:
    """Read the first (or the named) sheet of a workbook, streaming its rows."""
    table = RawTable(header=[], format="xlsx")
    rows = _xlsx_rows(path, sheet)
    table.sheet = str(next(rows))
    for entry in rows:
        assert not isinstance(entry, str)
        number, cells = entry
        if not any(c.strip() for c in cells):
            continue
        if not table.header:
            while cells and not cells[-1].strip():
                cells.pop()  # read-only sheets pad rows to the sheet's widest row
            table.header = _header_names(cells, table.problems)
            continue
        table.rows.append(cells)
        table.lines.append(number)
    return table


def read_list_file(
    path: Path, *, encoding: str | None = None, sheet: str | None = None
) -> RawTable:
    """Read a CSV or XLSX list into a :class:`RawTable`, with its SHA-256 and size."""
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    sha, size, head = file_digest(path)
    if size == 0:
        raise UserError(f"{path.name}: the file is empty")
    if head.startswith(_OLE_MAGIC):
        raise UserError(f"{path.name}: an old Excel (.xls) file; save it as .xlsx or CSV")
    xlsx = head.startswith(_XLSX_MAGIC)
    table = read_xlsx(path, sheet) if xlsx else read_csv(path, encoding)
    if not table.header:
        raise UserError(f"{path.name}: no header row")
    table.sha256, table.size = sha, size
    width = len(table.header)
    for line, cells in zip(table.lines, table.rows, strict=True):
        if len(cells) > width:
            extra = cells[width:]
            if any(c.strip() for c in extra):
                table.problems.append(
                    (line, f"{len(cells)} values but the header has {width} columns")
                )
            del cells[width:]
        elif len(cells) < width:
            # Ragged rows are common in hand-made lists: missing trailing cells are empty.
            cells.extend([""] * (width - len(cells)))
    return table
