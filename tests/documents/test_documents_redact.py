"""Redaction that removes: a PDF carrying a marker on the page, in its information and XMP
metadata, an annotation, a form field, an embedded file and an invisible OCR layer comes
out with the marker nowhere, not even in its decompressed streams; an image is rebuilt
from painted pixels; a text has its spans replaced; what cannot be done is refused."""

from __future__ import annotations

import io

import pymupdf
import pytest
from PIL import Image

from dadkhahi.documents.redact import MARK, Area, RedactionError, redact

MARKER = "SYNTHETICREDACTQX"


def hostile_pdf() -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 100), f"Witness {MARKER} saw the SYNTHETIC transfer.")
    page.insert_text((72, 200), f"ocr layer {MARKER}", render_mode=3)  # invisible text
    page.add_text_annot((300, 300), f"note on {MARKER}")
    widget = pymupdf.Widget()
    widget.field_type = pymupdf.PDF_WIDGET_TYPE_TEXT
    widget.field_name = "name"
    widget.field_value = MARKER
    widget.rect = pymupdf.Rect(72, 400, 300, 420)
    page.add_widget(widget)
    doc.embfile_add("attached.txt", f"attached {MARKER}".encode())
    doc.set_metadata({"title": MARKER, "author": MARKER, "subject": MARKER,
                      "keywords": MARKER})
    doc.set_xml_metadata(f'<x:xmpmeta xmlns:x="adobe:ns:meta/">{MARKER}</x:xmpmeta>')
    data: bytes = doc.tobytes()
    doc.close()
    return data


def test_a_pdf_marker_is_gone_from_every_corner_of_the_file() -> None:
    original = hostile_pdf()
    with pymupdf.open(stream=original, filetype="pdf") as before:
        assert MARKER in before.tobytes(expand=255).decode("latin-1")  # the test can fail
    done = redact(original, "application/pdf", texts=[MARKER])
    assert done.spans >= 1
    with pymupdf.open(stream=done.data, filetype="pdf") as doc:
        page = doc.load_page(0)
        assert MARKER not in page.get_text() and "saw the SYNTHETIC transfer" in page.get_text()
        assert not any(MARKER in (v or "") for v in doc.metadata.values())
        assert MARKER not in (doc.get_xml_metadata() or "")
        assert list(page.annots()) == [] and list(page.widgets()) == []
        assert doc.embfile_count() == 0
        expanded = doc.tobytes(expand=255)
    assert MARKER.encode() not in expanded and MARKER.encode() not in done.data


def test_an_area_of_a_page_is_removed_with_the_words_under_it() -> None:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 100), f"{MARKER} and a SYNTHETIC line below")
    doc.load_page(0).insert_text((72, 300), "SYNTHETIC kept line")
    data = doc.tobytes()
    doc.close()
    done = redact(data, "application/pdf", areas=[Area(1, (60, 80, 560, 110))])
    with pymupdf.open(stream=done.data, filetype="pdf") as out:
        text = out.load_page(0).get_text()
    assert MARKER not in text and "kept line" in text and done.areas == 1


def test_an_image_is_rebuilt_from_painted_pixels_without_its_metadata() -> None:
    img = Image.new("RGB", (200, 100), (255, 255, 255))
    exif = Image.Exif()
    exif[0x010E] = MARKER  # ImageDescription
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    done = redact(buf.getvalue(), "image/jpeg", areas=[Area(1, (10, 10, 60, 50))])
    with Image.open(io.BytesIO(done.data)) as out:
        assert out.getpixel((30, 30)) == (0, 0, 0) and out.getpixel((150, 80)) != (0, 0, 0)
        assert not out.getexif() and done.media_type == "image/png"
    assert MARKER.encode() not in done.data


def test_a_text_has_its_spans_replaced_and_impossible_requests_are_refused() -> None:
    done = redact(f"SYNTHETIC {MARKER} said, and {MARKER} left.".encode(), "text/plain",
                  texts=[MARKER])
    assert done.data.decode() == f"SYNTHETIC {MARK} said, and {MARK} left." and done.spans == 2
    with pytest.raises(RedactionError, match="name what to remove"):
        redact(b"x", "text/plain")
    with pytest.raises(RedactionError, match="give areas"):
        redact(b"x", "image/png", texts=["x"])
    with pytest.raises(RedactionError, match="no page 3"):
        redact(hostile_pdf(), "application/pdf", areas=[Area(3, (0, 0, 10, 10))])
