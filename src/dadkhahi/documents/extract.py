"""Text out of any file the team holds, chosen by the file's content, never its name.

:func:`extract` is what the extraction job calls for each stored original: it returns an
:class:`~dadkhahi.documents.model.Extraction` (pages, lines, boxes, confidences, the tools
and versions used), or raises :class:`ExtractionError` with a sentence for the item's record.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from dadkhahi.documents.images import ImageTooLargeError, open_whole
from dadkhahi.documents.language import detect_language
from dadkhahi.documents.model import Extraction, ExtractionError
from dadkhahi.documents.ocr import DEFAULT_LANGUAGES, MAX_PIXELS, ocr_image, tesseract_version

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
IMAGES = frozenset({"image/png", "image/jpeg", "image/tiff", "image/webp", "image/gif",
                    "image/bmp", "image/x-ms-bmp"})
TEXT = frozenset({"text/plain", "text/csv", "text/markdown"})
HTML = frozenset({"text/html", "application/xhtml+xml"})


def _zip_kind(data: bytes) -> str | None:
    """libmagic sometimes says only "application/zip": look inside for Word or ODF."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return DOCX
            if "mimetype" in names and archive.read("mimetype").strip() == ODT.encode():
                return ODT
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None
    return None


def _image(data: bytes, languages: Sequence[str], tessdata: Path | None) -> Extraction:
    from PIL import Image

    try:
        # Decoded whole (a cut-short file is damaged, whatever Pillow's global switch says).
        with open_whole(data, max_pixels=MAX_PIXELS) as img:
            dpi = img.info.get("dpi", (300, 300))[0] or 300
            buffer = io.BytesIO()
            img.convert("L").save(buffer, format="PNG")
    except ImageTooLargeError as exc:
        raise ExtractionError(f"{exc}; too large to OCR") from None
    except (OSError, Image.DecompressionBombError):
        raise ExtractionError("the image cannot be decoded") from None
    page = ocr_image(buffer.getvalue(), languages=languages, dpi=int(dpi), tessdata=tessdata)
    return Extraction("image", (page,), {"tesseract": tesseract_version()})


def extract(
    data: bytes, media_type: str, *, ocr: bool = True,
    languages: Sequence[str] = DEFAULT_LANGUAGES, tessdata: Path | None = None,
) -> Extraction:
    """Extract the text of ``data`` (whose content was sniffed as ``media_type``)."""
    from dadkhahi.documents import office, pdf

    if media_type == "application/zip":
        media_type = _zip_kind(data) or media_type
    if media_type == "application/pdf":
        result = pdf.extract_pdf(data, ocr=ocr, languages=languages, tessdata=tessdata)
    elif media_type == DOCX:
        result = office.extract_docx(data)
    elif media_type == ODT:
        result = office.extract_odt(data)
    elif media_type in HTML:
        result = office.extract_html(data)
    elif media_type in TEXT:
        result = office.extract_plain(data)
    elif media_type in IMAGES:
        if not ocr:
            raise ExtractionError("an image has no text without OCR")
        result = _image(data, languages, tessdata)
    else:
        raise ExtractionError(f"no text can be extracted from {media_type} files")
    pages = tuple(dataclasses.replace(p, language=detect_language(p.text))
                  for p in result.pages)
    return dataclasses.replace(result, pages=pages)
