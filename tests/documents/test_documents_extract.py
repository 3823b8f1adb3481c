"""Text out of real files made here: PDF text layers, scanned PDFs and images through
Tesseract (Persian and English), DOCX, ODT, HTML, plain text, and the bad files a team meets."""

from __future__ import annotations

import io
import zipfile

import pymupdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from dadkhahi.documents.extract import DOCX, ODT, extract
from dadkhahi.documents.language import detect_language
from dadkhahi.documents.model import ExtractionError
from dadkhahi.documents.office import check_archive
from dadkhahi.documents.pdf import render_page

NASKH = "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf"
# Synthetic sentences: invented names, a real prison named as a place only.
PERSIAN_LINES = [
    "نام این زندانی در فهرست خانواده‌ها آمده است.",
    "زندان اوین در تهران محل نگهداری زندانیان سیاسی بود.",
]


def _persian_page_png() -> bytes:
    font = ImageFont.truetype(NASKH, 50)  # 12 pt at 300 dpi
    img = Image.new("L", (2480, 500), 255)
    draw = ImageDraw.Draw(img)
    for row, line in enumerate(PERSIAN_LINES):
        draw.text((2380, 120 + row * 120), line, font=font, fill=0, direction="rtl",
                  anchor="ra", language="fa")
    out = io.BytesIO()
    img.save(out, format="PNG", dpi=(300, 300))
    return out.getvalue()


def _pdf(build: object) -> bytes:
    doc = pymupdf.open()
    build(doc)  # type: ignore[operator]
    data: bytes = doc.tobytes()
    doc.close()
    return data


def test_pdf_text_layer_page_by_page_with_line_boxes() -> None:
    def build(doc: pymupdf.Document) -> None:
        for n in (1, 2):
            page = doc.new_page()
            page.insert_text((72, 100), f"SYNTHETIC report, page {n}: the list names 3,200 people.")
    result = extract(_pdf(build), "application/pdf")
    assert [p.number for p in result.pages] == [1, 2]
    assert all(p.method == "text-layer" for p in result.pages)
    assert "page 2: the list names 3,200 people" in result.pages[1].text
    line = result.pages[0].lines[0]
    assert line.box is not None and 60 < line.box[0] < 80 and line.box[3] > line.box[1]
    assert result.pages[0].language == "en"
    assert "pymupdf" in result.tools


def test_a_scanned_pdf_page_is_read_by_ocr_in_persian() -> None:
    png = _persian_page_png()

    def build(doc: pymupdf.Document) -> None:
        page = doc.new_page(width=595, height=120)
        page.insert_image(page.rect, stream=png)
    result = extract(_pdf(build), "application/pdf", languages=("fas",))
    page = result.pages[0]
    assert page.method == "ocr" and "tesseract" in result.tools
    for word in ("زندان", "اوین", "تهران", "سیاسی", "فهرست"):
        assert word in page.text
    assert page.language == "fa"
    assert page.confidence is not None and page.confidence > 60
    assert all(w.confidence is not None for ln in page.lines for w in ln.words)
    assert result.low_confidence_pages(threshold=101) == [1]
    assert result.low_confidence_pages(threshold=10) == []
    assert render_page(_pdf(build), 1, dpi=72).startswith(b"\x89PNG")


def test_an_image_is_read_by_ocr() -> None:
    result = extract(_persian_page_png(), "image/png", languages=("fas",))
    assert "زندان" in result.text and result.pages[0].method == "ocr"
    with pytest.raises(ExtractionError, match="without OCR"):
        extract(_persian_page_png(), "image/png", ocr=False)


def test_bad_pdfs_get_a_clear_message() -> None:
    encrypted = _pdf(lambda d: d.new_page())
    doc = pymupdf.open(stream=encrypted, filetype="pdf")
    locked = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="x", owner_pw="y")
    doc.close()
    with pytest.raises(ExtractionError, match="encrypted"):
        extract(locked, "application/pdf")
    with pytest.raises(ExtractionError, match="damaged"):
        extract(b"%PDF-1.7\n" + b"\x00garbage" * 50, "application/pdf")
    empty = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
             b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    with pytest.raises(ExtractionError, match="the PDF has no pages"):
        extract(empty, "application/pdf")
    with pytest.raises(ExtractionError, match="cannot be decoded"):
        extract(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    with pytest.raises(ExtractionError, match="no text can be extracted from audio/mpeg"):
        extract(b"ID3", "audio/mpeg")


def test_docx_paragraphs_and_tables_in_order() -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("SYNTHETIC letter")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "زندان"
    table.rows[0].cells[1].text = "Evin"
    document.add_paragraph("Signed by nobody real.")
    out = io.BytesIO()
    document.save(out)
    # libmagic may call a DOCX only "application/zip": the archive's content decides.
    for media_type in (DOCX, "application/zip"):
        result = extract(out.getvalue(), media_type)
        assert result.pages[0].text == "SYNTHETIC letter\nزندان\tEvin\nSigned by nobody real."
        assert result.pages[0].method == "docx"


def test_odt_headings_and_paragraphs_in_order() -> None:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="SYNTHETIC heading"))
    document.text.addElement(P(text="First paragraph."))
    document.text.addElement(P(text="دومین بند."))
    out = io.BytesIO()
    document.write(out)
    for media_type in (ODT, "application/zip"):
        result = extract(out.getvalue(), media_type)
        assert result.pages[0].text == "SYNTHETIC heading\nFirst paragraph.\nدومین بند."


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\x00" * (40 * 1024 * 1024))
    with pytest.raises(ExtractionError, match="zip bomb"):
        extract(out.getvalue(), DOCX)
    with pytest.raises(ExtractionError, match="not a readable zip"):
        check_archive(b"PK\x03\x04 not really", "DOCX")


def test_html_main_text_without_scripts() -> None:
    page = ("<html><head><script>var secret='x';</script><title>t</title></head><body>"
            "<nav>Home | About</nav><article><h1>SYNTHETIC article</h1>"
            + "".join(f"<p>Paragraph {i} says the families asked where the graves are.</p>"
                      for i in range(6))
            + "</article><footer>contact</footer></body></html>").encode()
    result = extract(page, "text/html")
    assert "Paragraph 5 says the families asked" in result.text
    assert "var secret" not in result.text


def test_plain_text_in_utf8_and_windows_1256() -> None:
    text = "فهرست نام‌ها\nSYNTHETIC"
    assert extract(text.encode("utf-8"), "text/plain").text == text
    assert extract(text.encode("cp1256"), "text/plain").text == text  # ZWNJ is 0x9D there


@pytest.mark.parametrize(("text", "expected"), [
    ("زندانیان سیاسی در تابستان آن سال اعدام شدند و خانواده‌ها بی‌خبر ماندند.", "fa"),
    ("The families were never told where the graves of their relatives were.", "en"),
    ("قال التقرير إن العائلات لم تبلغ بمكان دفن ذويها حتى اليوم.", "ar"),
    ("۱۳۶۷ ok", None),
])
def test_language_from_script_then_detector(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected
