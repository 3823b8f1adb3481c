"""PDF text, page by page: the text layer where there is one, OCR of the rendered page where not.

PyMuPDF reads the text layer with each line's box, renders pages for OCR at 300 dpi, and
(later) applies true redactions, so one library covers every PDF step.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pymupdf

from dadkhahi.documents.model import Extraction, ExtractionError, Line, Page
from dadkhahi.documents.ocr import DEFAULT_LANGUAGES, MAX_PIXELS, ocr_image, tesseract_version

#: A page with fewer text-layer characters than this (and images) is treated as a scan.
MIN_TEXT_CHARS = 20
OCR_DPI = 300
#: Pages read from one PDF at most (a hostile file could declare millions).
MAX_PAGES = 5000


def _open(data: bytes) -> pymupdf.Document:
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception:  # PyMuPDF raises its own FileDataError and plain RuntimeErrors
        raise ExtractionError("the PDF is damaged and cannot be read") from None
    if doc.needs_pass:
        doc.close()
        raise ExtractionError("the PDF is encrypted with a password; its text cannot be read")
    if doc.page_count == 0:
        doc.close()
        raise ExtractionError("the PDF has no pages")
    if doc.page_count > MAX_PAGES:
        doc.close()
        raise ExtractionError(f"the PDF has {doc.page_count:,} pages; at most {MAX_PAGES:,} "
                              "are read")
    return doc


def _text_layer(page: pymupdf.Page, number: int) -> Page:
    lines: list[Line] = []
    content = page.get_text("dict", flags=pymupdf.TEXT_PRESERVE_WHITESPACE)
    for block in content.get("blocks", []):
        for line in block.get("lines", []):
            text = "".join(span.get("text", "") for span in line.get("spans", []))
            if text.strip():
                x0, y0, x1, y1 = line["bbox"]
                lines.append(Line(text, (x0, y0, x1, y1)))
    return Page(number=number, text="\n".join(ln.text for ln in lines), method="text-layer",
                lines=tuple(lines), width=page.rect.width, height=page.rect.height)


def extract_pdf(
    data: bytes, *, ocr: bool = True, languages: Sequence[str] = DEFAULT_LANGUAGES,
    tessdata: Path | None = None,
) -> Extraction:
    """Every page's text; scanned pages go through OCR (unless ``ocr`` is False)."""
    doc = _open(data)
    pages: list[Page] = []
    notes: list[str] = []
    tools = {"pymupdf": pymupdf.VersionBind}
    try:
        for index in range(doc.page_count):
            page = doc.load_page(index)
            layer = _text_layer(page, index + 1)
            scanned = len(layer.text.strip()) < MIN_TEXT_CHARS and bool(page.get_images())
            if not scanned:
                pages.append(layer)
                continue
            if not ocr:
                notes.append(f"page {index + 1}: image only; OCR not run")
                pages.append(layer)
                continue
            zoom = OCR_DPI / 72
            if page.rect.width * zoom * page.rect.height * zoom > MAX_PIXELS:
                notes.append(f"page {index + 1}: too large to OCR at {OCR_DPI} dpi")
                pages.append(layer)
                continue
            png = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csGRAY)
            pages.append(ocr_image(png.tobytes("png"), number=index + 1, languages=languages,
                                   dpi=OCR_DPI, tessdata=tessdata))
            tools["tesseract"] = tesseract_version()
    finally:
        doc.close()
    return Extraction("application/pdf", tuple(pages), tools, tuple(notes))


def render_page(data: bytes, number: int, dpi: int = 150) -> bytes:
    """A PNG of one page (1-based), for showing beside its transcription."""
    doc = _open(data)
    try:
        if not 1 <= number <= doc.page_count:
            raise ExtractionError(f"the PDF has no page {number}")
        zoom = dpi / 72
        pixmap = doc.load_page(number - 1).get_pixmap(matrix=pymupdf.Matrix(zoom, zoom))
        png: bytes = pixmap.tobytes("png")
        return png
    finally:
        doc.close()
