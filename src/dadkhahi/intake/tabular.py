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

What the file is comes from its content (libmagic), never its name alone: a photo
or a PDF is refused as "not a CSV or XLSX file (image/jpeg)", and a file named
``.xlsx`` is never read as a CSV.

Quotes. A quoted cell may hold line breaks (notes often do), but a quote left
open swallows every row after it into one cell, silently. So a quote still open
at the end of the file is refused, naming its line; and so is a quoted cell whose
embedded line breaks are followed by a line that reads as a row of the file (as
many values as the header has columns), naming that line, unless the caller says
such cells are meant (``multiline_cells``): they are then kept and reported.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import itertools
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from dadkhahi.domain.errors import UserError, ValidationError
from dadkhahi.intake.media import sniff_file

_CHUNK = 1 << 20
_DELIMITERS = ",;\t|"
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_XLSX_TYPES = frozenset({
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroenabled.12",
})
_XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: How much of a kept multi-line cell a warning shows.
_SHOWN = 300
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
    #: What the reader noticed but kept (multi-line cells accepted on request).
    warnings: list[str] = field(default_factory=list)


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


def read_csv(path: Path, encoding: str | None = None, *,
             multiline_cells: bool = False) -> RawTable:
    """Read a CSV file into a :class:`RawTable` (problems are collected, not raised).

    ``multiline_cells``: keep quoted cells whose lines read as rows (reported as
    warnings) instead of refusing them; see the module docstring.
    """
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
    last: tuple[int, list[str]] | None = None  # the last record: first line, cells
    spanning: list[tuple[int, list[str]]] = []  # records over several lines
    try:
        with open(path, encoding=enc, newline="") as f:
            reader = csv.reader(f, delimiter=delimiter)
            for cells in reader:
                start, last_line = last_line + 1, reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                last = (start, cells)
                if last_line > start:
                    spanning.append(last)
                if not table.header:
                    table.header = _header_names(cells, table.problems)
                    continue
                table.rows.append(cells)
                table.lines.append(start)
        if last is not None:
            _check_open_quote(path, enc, delimiter, last, last_line, table)
    except UnicodeDecodeError as exc:
        raise UserError(f"{path.name}: not valid {enc} ({exc.reason})") from None
    except csv.Error as exc:
        raise ValidationError(
            f"{path.name}: not a readable CSV file",
            [f"line {last_line + 1}: {exc}"],
        ) from None
    for start, cells in spanning:
        _check_multiline(start, cells, table, multiline_cells)
    return table


def _field_name(table: RawTable, index: int) -> str:
    return table.header[index] if index < len(table.header) else f"column {index + 1}"


def _check_open_quote(
    path: Path, encoding: str, delimiter: str, last: tuple[int, list[str]], end: int,
    table: RawTable,
) -> None:
    """Refuse a quote still open at the end of the file (naming where it opened).

    The lenient reader used for the whole file accepts it silently; the last
    record alone is read again strictly, which refuses exactly that.
    """
    start, cells = last
    with open(path, encoding=encoding, newline="") as f:
        tail = list(itertools.islice(f, start - 1, None))
    try:
        for _ in csv.reader(tail, delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        if "end of data" not in str(exc):
            return  # a stray quote inside a cell, which the lenient reading keeps
        # The lenient reader put the rest of the file into the last cell it read.
        name = _field_name(table, max(len(cells) - 1, 0))
        table.problems.append((start, (
            f"field {name}: a quote opened on this line is never closed, so lines "
            f"{start}-{end} would be one cell; close the quote (or double a quote "
            "meant as text)")))


def _check_multiline(
    start: int, cells: list[str], table: RawTable, keep: bool
) -> None:
    """Refuse (or, with ``keep``, report) quoted cells whose lines read as rows."""
    width = len(table.header)
    delimiter = table.delimiter or ","
    line = start
    for index, cell in enumerate(cells):
        pieces = _LINE_BREAK.split(cell)
        first = line
        rows_inside: list[tuple[int, int]] = []
        for offset, piece in enumerate(pieces[1:], start=1):
            values = next(csv.reader([piece], delimiter=delimiter), [])
            if width >= 2 and len(values) == width:
                rows_inside.append((first + offset, len(values)))
        line += len(pieces) - 1
        if not rows_inside:
            continue
        name = _field_name(table, index)
        if keep:
            shown = cell if len(cell) <= _SHOWN else cell[:_SHOWN] + "…"
            table.warnings.append(
                f"line {first}, field {name}: a quoted cell spans lines {first}-{line}, "
                f"{len(rows_inside)} of them read as rows of the file; kept as one cell "
                f"(--multiline-cells): {shown!r}")
            continue
        for at, count in rows_inside:
            table.problems.append((at, (
                f"reads as a row of the file ({count} values) but is inside the quoted "
                f"cell of field {name} that starts on line {first}: is a closing quote "
                "missing? If the cell really holds these lines, import with "
                "--multiline-cells")))


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
    from xml.etree.ElementTree import ParseError

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # What a damaged workbook raises, at opening or later while its rows stream.
    broken = (InvalidFileException, zipfile.BadZipFile, zlib.error, ParseError, EOFError,
              KeyError, OSError, ValueError)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except broken as exc:
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
    except broken as exc:
        raise UserError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
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


def read_as_text(media: str) -> bool:
    """Whether a file of this media type (from libmagic) is read as a CSV.

    Text, or bytes libmagic cannot name (UTF-16 without a mark, say): the encoding
    rules then decide. Anything libmagic does name (an image, a PDF) is not a list.
    """
    return media.startswith("text/") or media == "application/octet-stream"


def _not_a_list(path: Path, media: str) -> ValidationError:
    return ValidationError(f"{path.name}: not a CSV or XLSX file ({media}); nothing was stored")


def _read_by_content(
    path: Path, head: bytes, encoding: str | None, sheet: str | None, multiline_cells: bool
) -> RawTable:
    """Read the file as what its content says it is (never as a CSV when it is not one)."""
    if head.startswith(_OLE_MAGIC):
        raise UserError(f"{path.name}: an old Excel (.xls) file; save it as .xlsx or CSV")
    media = sniff_file(path)
    named_xlsx = path.suffix.lower() in _XLSX_SUFFIXES
    if head.startswith(_XLSX_MAGIC):
        try:
            return read_xlsx(path, sheet)
        except UserError:
            if media in _XLSX_TYPES or named_xlsx:
                raise
            # Another kind of ZIP archive (a .docx, a folder of files…).
            raise _not_a_list(path, media) from None
    if named_xlsx or media in _XLSX_TYPES:
        raise UserError(
            f"{path.name}: not a readable XLSX workbook (an .xlsx file is a ZIP archive and "
            f"this is not a ZIP archive; its content looks like {media}); nothing was stored")
    if not read_as_text(media):
        raise _not_a_list(path, media)
    return read_csv(path, encoding, multiline_cells=multiline_cells)


def read_list_file(
    path: Path, *, encoding: str | None = None, sheet: str | None = None,
    multiline_cells: bool = False,
) -> RawTable:
    """Read a CSV or XLSX list into a :class:`RawTable`, with its SHA-256 and size.

    Refuses (:class:`UserError`) a file that is empty, is not a list file, or holds
    a header and no rows; problems in rows are collected in ``problems``.
    """
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    sha, size, head = file_digest(path)
    if size == 0:
        raise UserError(f"{path.name}: the file is empty")
    table = _read_by_content(path, head, encoding, sheet, multiline_cells)
    if not table.header:
        raise UserError(f"{path.name}: no header row")
    if not table.rows and not table.problems:
        raise ValidationError(f"{path.name}: no rows below its header: nothing to import; "
                              "nothing was stored")
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
