"""Redaction that really removes: a copy of a PDF, an image or a text without what is hidden.

Drawing a black box over a PDF leaves the words under it in the file (select, copy, read
the stream): here PyMuPDF's redactions delete the text, vector graphics and image pixels
under each area (``apply_redactions``), and the copy is then scrubbed of everything a
reader does not see on the page (document information, XMP metadata, embedded and
attached files, thumbnails, hidden text such as an OCR layer, JavaScript, links;
annotations and form fields are first baked into the page, so what they show is redacted
like any text) and rewritten from scratch (``garbage=4``: unused objects dropped). An
image is rebuilt from its pixels with the areas painted over (no EXIF, XMP or text
chunks carried over). A text has each span replaced by a fixed mark.

Returns bytes only; storing the copy as a derivative is ``intake.redactions``'.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from dadkhahi.documents.images import open_whole
from dadkhahi.documents.model import ExtractionError

#: What replaces a span of text that was removed.
MARK = "[redacted]"


class RedactionError(ExtractionError):
    """The redaction could not be made (a file of another type, a page that is not there)."""


@dataclass(frozen=True)
class Area:
    """A rectangle to remove on a page (1-based): PDF points, or pixels of an image."""

    page: int
    box: tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass(frozen=True)
class Redacted:
    """The redacted copy and what was removed (counts only: never the removed words)."""

    data: bytes
    media_type: str
    areas: int
    spans: int


def redact(data: bytes, media_type: str, *, areas: Sequence[Area] = (),
           texts: Sequence[str] = ()) -> Redacted:
    """A copy of ``data`` without the ``areas`` and every occurrence of ``texts``."""
    if not areas and not any(t.strip() for t in texts):
        raise RedactionError("name what to remove: areas on a page or words of the text")
    if media_type == "application/pdf":
        return _pdf(data, areas, texts)
    if media_type.startswith("image/"):
        if texts:
            raise RedactionError("words cannot be found in an image: give areas")
        return _image(data, media_type, areas)
    if media_type.startswith("text/"):
        if areas:
            raise RedactionError("a text has no pages to draw on: give the words")
        return _text(data, texts)
    raise RedactionError(f"{media_type} files cannot be redacted here")


def _pdf(data: bytes, areas: Sequence[Area], texts: Sequence[str]) -> Redacted:
    import pymupdf

    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception:  # PyMuPDF raises its own FileDataError and plain RuntimeErrors
        raise RedactionError("the PDF is damaged and cannot be read") from None
    try:
        if doc.needs_pass:
            raise RedactionError("the PDF is encrypted; it cannot be redacted")
        # Annotations and form fields become page content first (what they show stays
        # visible), so an area or a word over them is removed like any other text.
        doc.bake()
        spans = 0
        for area in areas:
            if not 1 <= area.page <= doc.page_count:
                raise RedactionError(f"the PDF has no page {area.page}")
            doc[area.page - 1].add_redact_annot(pymupdf.Rect(*area.box), fill=(0, 0, 0))
        for index in range(doc.page_count):
            page = doc.load_page(index)
            for text in (t for t in texts if t.strip()):
                for quad in page.search_for(text, quads=True):
                    page.add_redact_annot(quad, fill=(0, 0, 0))
                    spans += 1
            # Image pixels under an area are blanked (the image itself stays).
            page.apply_redactions(
                images=pymupdf.PDF_REDACT_IMAGE_PIXELS)  # type: ignore[attr-defined]
        # What the page does not show goes too: metadata, XMP, annotations, fields,
        # embedded files, thumbnails, hidden (OCR) text, scripts, links.
        doc.scrub(attached_files=True, clean_pages=True, embedded_files=True,
                  hidden_text=True, javascript=True, metadata=True, redactions=True,
                  redact_images=1, remove_links=True, reset_fields=True,
                  reset_responses=True, thumbnails=True, xml_metadata=True)
        doc.set_metadata({})
        doc.del_xml_metadata()
        out: bytes = doc.tobytes(garbage=4, deflate=True, clean=True, no_new_id=True)
    finally:
        doc.close()
    _check_gone(out, texts)
    return Redacted(out, "application/pdf", len(areas), spans)


def _check_gone(pdf: bytes, texts: Sequence[str]) -> None:
    """Read the copy back: a word still found (in a form, a pattern, text the search did
    not match) fails the redaction rather than letting it out."""
    import pymupdf

    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        found = "\n".join(doc.load_page(i).get_text() for i in range(doc.page_count))
    if any(t.strip() and t in found for t in texts):
        raise RedactionError("a word to remove is still in the redacted copy; nothing was "
                             "stored (redact that area by its box)")


def _image(data: bytes, media_type: str, areas: Sequence[Area]) -> Redacted:
    from PIL import Image, ImageDraw, ImageOps

    try:
        with open_whole(data) as img:
            upright = ImageOps.exif_transpose(img).convert("RGB")
    except (OSError, Image.DecompressionBombError):
        raise RedactionError("the image cannot be decoded") from None
    # A new image from the pixels alone: no EXIF, XMP or text chunk is carried over.
    clean = Image.frombytes("RGB", upright.size, upright.tobytes())
    draw = ImageDraw.Draw(clean)
    for area in areas:
        if area.page != 1:
            raise RedactionError("an image has one page")
        draw.rectangle(area.box, fill=(0, 0, 0))
    out = io.BytesIO()
    clean.save(out, format="PNG")
    return Redacted(out.getvalue(), "image/png", len(areas), 0)


def _text(data: bytes, texts: Sequence[str]) -> Redacted:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RedactionError("the text is not UTF-8") from None
    spans = 0
    for needle in sorted((t for t in texts if t.strip()), key=len, reverse=True):
        spans += text.count(needle)
        text = text.replace(needle, MARK)
    return Redacted(text.encode("utf-8"), "text/plain", 0, spans)
