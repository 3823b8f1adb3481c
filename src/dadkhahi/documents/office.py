"""Text of word-processor files, web pages and plain text.

DOCX and ODT are zip archives: their sizes are checked before anything is unpacked, so a
zip bomb is refused without being expanded.
"""

from __future__ import annotations

import html
import io
import re
import zipfile

from dadkhahi.documents.model import Extraction, ExtractionError, Line, Page

#: Refuse archives that would unpack to more than this, or expand suspiciously.
MAX_UNPACKED = 512 * 1024 * 1024
MAX_RATIO = 200
#: Plain text or HTML larger than this is refused (it is not a document a person wrote).
MAX_TEXT_BYTES = 256 * 1024 * 1024


def check_archive(data: bytes, what: str) -> None:
    """Refuse a broken archive or a zip bomb before any member is read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ExtractionError(f"the {what} file is damaged (not a readable zip archive)") from None
    unpacked = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if unpacked > MAX_UNPACKED or unpacked / packed > MAX_RATIO:
        raise ExtractionError(
            f"the {what} file would unpack to {unpacked:,} bytes from {packed:,} "
            "(a zip bomb?); it is kept but not read")


def _page(text: str, method: str) -> Page:
    lines = tuple(Line(t) for t in text.split("\n") if t.strip())
    return Page(number=1, text="\n".join(ln.text for ln in lines), method=method, lines=lines)


def extract_docx(data: bytes) -> Extraction:
    """Paragraphs and table cells of a DOCX, in document order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_archive(data, "DOCX")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:  # python-docx raises several unrelated types for bad packages
        raise ExtractionError("the DOCX file is damaged and cannot be read") from None
    parts: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                parts.append("\t".join(cell.text for cell in row.cells))
    return Extraction(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (_page("\n".join(parts), "docx"),), {"python-docx": _version("python-docx")})


def extract_odt(data: bytes) -> Extraction:
    """Paragraphs and headings of an ODT text document."""
    from odf import teletype, text
    from odf.opendocument import load

    check_archive(data, "ODT")
    try:
        document = load(io.BytesIO(data))
    except Exception:  # odfpy raises whatever its XML parser raises
        raise ExtractionError("the ODT file is damaged and cannot be read") from None
    # Headings and paragraphs in document order (nested lists and tables included).
    parts = [teletype.extractText(node) for node in _walk(document.text)
             if getattr(node, "qname", None) in {(text.TEXTNS, "p"), (text.TEXTNS, "h")}]
    return Extraction("application/vnd.oasis.opendocument.text",
                      (_page("\n".join(parts), "odt"),), {"odfpy": _version("odfpy")})


def _walk(node: object) -> list[object]:
    found: list[object] = []
    for child in getattr(node, "childNodes", []):
        found.append(child)
        found.extend(_walk(child))
    return found


_TAGS = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|div|h[1-6]|li|tr|br|section|article)\s*>|<br\s*/?>", re.I)


def extract_html(data: bytes, encoding: str | None = None) -> Extraction:
    """The main text of a web page (trafilatura), or all its visible text if that finds none."""
    import trafilatura

    if len(data) > MAX_TEXT_BYTES:
        raise ExtractionError("the web page is too large to read")
    page = data.decode(encoding or "utf-8", "replace")
    main = trafilatura.extract(page, include_comments=False, include_tables=True,
                               favor_recall=True)
    tools = {"trafilatura": _version("trafilatura")}
    if not main:
        # No article found (a list page, say): keep every visible word rather than none.
        body = re.sub(r"(?is)<(script|style|noscript)\b.*?</\1>", " ", page)
        main = html.unescape(_TAGS.sub(" ", _BLOCK_END.sub("\n", body)))
        main = "\n".join(" ".join(line.split()) for line in main.split("\n"))
    return Extraction("text/html", (_page(main, "html"),), tools)


def extract_plain(data: bytes) -> Extraction:
    """A plain-text file (UTF-8, UTF-16 with a BOM, or Windows-1256)."""
    if len(data) > MAX_TEXT_BYTES:
        raise ExtractionError("the text file is too large to read")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1256", "replace")
    return Extraction("text/plain", (_page(text.replace("\r\n", "\n"), "plain"),))


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"
