"""The one PDF mechanism (``dadkhahi.pdf``): Persian shaped and in reading order in the
text layer, the font embedded, a stamp on every page, nothing fetched from outside the
assets."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from dadkhahi.pdf import html_to_pdf

PERSIAN = "قتل — متهم الف — رکن ۲: هیچ واقعیتی پیوند نشده"


def _fonts(reader: PdfReader) -> list[tuple[str, list[str]]]:
    out = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            desc = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            files = [k for k in desc["/FontDescriptor"] if str(k).startswith("/FontFile")]
            out.append((str(font["/BaseFont"]), files))
    return out


def test_persian_reads_in_logical_order_with_the_font_embedded_and_stamped() -> None:
    body = "".join(f"<p dir='rtl'>{PERSIAN}</p><p>Murder — suspect X — element {i}</p>"
                   for i in range(80))  # long enough for several pages
    pdf = html_to_pdf(f"<html><body><h1>گزارش پرونده · Case report</h1>{body}</body></html>",
                      stamp="SYNTHETIC — NOT EVIDENCE", title="t")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 1
    texts = [page.extract_text() for page in reader.pages]
    # Words in the order they are read (a visual-order or unshaped layer fails this).
    assert "گزارش پرونده" in texts[0]
    assert PERSIAN in texts[0]
    assert all("SYNTHETIC — NOT EVIDENCE" in t for t in texts)
    assert texts[-1].strip().endswith(f"{len(texts)} / {len(texts)}")
    fonts = _fonts(reader)
    # Every font is embedded, and the text is set in the vendored Vazirmatn only.
    assert fonts and all(files for _, files in fonts)
    assert {name.split("+", 1)[1].split("-")[0] for name, _ in fonts} == {"Vazirmatn"}
    assert reader.metadata is not None and reader.metadata.title == "t"


def test_nothing_outside_the_assets_is_read_into_a_pdf(tmp_path: Path) -> None:
    secret = tmp_path / "secret.css"
    secret.write_text("p::after { content: 'LEAKED-FROM-DISK'; }", "utf-8")
    image = tmp_path / "witness.svg"
    image.write_text("<svg xmlns='http://www.w3.org/2000/svg' width='9' height='9'>"
                     "<text>LEAKED-IMAGE</text></svg>", "utf-8")
    html = (f"<html><head><link rel='stylesheet' href='{secret.as_uri()}'></head><body>"
            f"<p>text</p><img src='{image.as_uri()}'><img src='http://192.0.2.1/x.png'>"
            "</body></html>")
    pdf = html_to_pdf(html)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "text" in text and "LEAKED" not in text
    assert b"LEAKED" not in pdf


def test_the_same_page_gives_the_same_bytes_at_another_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The memorial is byte-reproducible, so its book must be: a PDF made a day later
    (or with another SOURCE_DATE_EPOCH in the environment) is the same file, and a
    date in its metadata is the one given, never the clock."""
    import time

    from dadkhahi.pdf import font_epoch

    html = ("<html><body><h1>دفتر یادمان · Book of memory</h1>"
            "<p dir='rtl'>بهرام نمونه</p><p><b>Bahram Nemouneh</b></p></body></html>")
    first = html_to_pdf(html, title="t", created="2026-12-03")
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 86_400)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    assert html_to_pdf(html, title="t", created="2026-12-03") == first
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert html_to_pdf(html, title="t", created="2026-12-03") == first
    import os

    assert "SOURCE_DATE_EPOCH" not in os.environ  # the caller's environment is restored
    info = PdfReader(io.BytesIO(first)).metadata
    assert info is not None and info["/CreationDate"] == "D:20261203"
    assert info["/ModDate"] == info["/CreationDate"]
    assert font_epoch() > 0
