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


def test_parts_joined_are_numbered_throughout_with_their_outline_run_on() -> None:
    """A long document is laid out in parts (WeasyPrint holds a whole layout in memory)
    and joined: the pages are numbered "n / total" of the whole in the parts' digits,
    each keeps its stamp, the parts' headings become one outline, and the same parts give
    the same bytes."""
    from dadkhahi.pdf import join_pdfs, page_count
    from dadkhahi.persian.display import persian_digits

    def part(first: int, entries: int, heading: bool) -> bytes:
        # The information dictionary is the first part's.
        body = "".join(f"<h2 dir='ltr'>Entry {i:02d}</h2>" + f"<p>{PERSIAN}</p>" * 12
                       for i in range(first, first + entries))
        top = "<h1>دفتر یادبود</h1>" if heading else ""
        return html_to_pdf(f"<html lang='fa' dir='rtl'><body>{top}{body}</body></html>",
                           stamp="SYNTHETIC", numbers=None, title=f"t{first}",
                           created="2026-12-03" if heading else None)

    parts = [part(1, 6, True), part(7, 1, False), part(8, 5, False)]
    counts = [page_count(p) for p in parts]
    assert counts[0] > 1 and counts[2] > 1
    # A part alone carries no page numbers: they need the whole's count.
    assert "/" not in PdfReader(io.BytesIO(parts[1])).pages[0].extract_text()
    joined = join_pdfs(parts, numbers="persian", direction="rtl")
    reader = PdfReader(io.BytesIO(joined))
    total = sum(counts)
    assert len(reader.pages) == total
    texts = [page.extract_text() for page in reader.pages]
    for number, text in enumerate(texts, 1):
        shown = persian_digits(f"{number} / {total}")
        # A right-to-left line is extracted in the order it is drawn.
        assert shown in text or persian_digits(f"{total} / {number}") in text, text
        assert f"{number} / {total}" not in text
        assert "SYNTHETIC" in text
    # Every entry once, in order; the first part's heading holds every part's entries.
    whole = "\n".join(texts)
    assert all(whole.count(f"Entry {i:02d}") == 1 for i in range(1, 13))
    outline = reader.outline
    assert len(outline) == 2 and not isinstance(outline[0], list)
    assert [item.title for item in outline[1]] == [f"Entry {i:02d}" for i in range(1, 13)]
    pages = [reader.get_destination_page_number(item) for item in outline[1]]
    assert pages == sorted(pages) and pages[6] == counts[0] and pages[7] == sum(counts[:2])
    fonts = {str(ref.get_object()["/BaseFont"]).split("+", 1)[1].split("-")[0]
             for page in reader.pages for ref in page["/Resources"]["/Font"].values()}
    assert fonts == {"Vazirmatn"}
    info = reader.metadata
    assert info is not None and info.title == "t1" and info["/CreationDate"] == "D:20261203"
    assert reader.root_object["/Lang"] == "fa"
    assert join_pdfs(parts, numbers="persian", direction="rtl") == joined


def _programs(pdf: bytes) -> dict[str, set[int]]:
    """Font name → the embedded font programs (object numbers) its fonts point at."""
    found: dict[str, set[int]] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            found.setdefault(str(font["/BaseFont"]), set()).add(
                desc.raw_get("/FontFile2").idnum)
    return found


def test_parts_joined_embed_each_font_once_and_look_and_read_the_same() -> None:
    """Each part embeds its own subset of the font (and so does each part's page-number
    overlay): the joined file holds one program per font instead, with every glyph the
    parts draw, and its pages look (pixel for pixel) and read (Persian included) as
    they do with each part's own."""
    import pymupdf

    from dadkhahi.pdf import join_pdfs

    def part(words: str) -> bytes:
        body = f"<h2>{words}</h2>" + f"<p>{PERSIAN} <b>{words}</b></p>" * 40
        return html_to_pdf(f"<html lang='fa' dir='rtl'><body>{body}</body></html>",
                           stamp="SYNTHETIC", numbers=None)

    # Each part has letters (and joined forms) of its own, bold and regular.
    parts = [part("بهرام نمونه"), part("شیرین آزمایش Shirin"), part("کاوه ساختگی ۱۳۶۷")]
    joined = join_pdfs(parts, numbers="persian", direction="rtl")
    programs = _programs(joined)
    assert len(programs) == 2  # Vazirmatn and Vazirmatn-Bold
    assert all(len(ids) == 1 for ids in programs.values()), programs
    # The same join with each part's own programs (as before): more bytes, same pages.
    apart = join_pdfs(parts, numbers="persian", direction="rtl", fonts={})
    assert any(len(ids) > 1 for ids in _programs(apart).values())
    assert len(joined) < len(apart)
    shared, own = pymupdf.open(stream=joined), pymupdf.open(stream=apart)
    assert len(shared) == len(own) > 3
    for one, other in zip(shared, own, strict=True):
        assert one.get_text() == other.get_text()
        assert one.get_pixmap(dpi=72).samples == other.get_pixmap(dpi=72).samples
    # Two extractors read the Persian from the shared programs' pages (PyMuPDF orders a
    # line of mixed directions its own way, so it is asked for the names only).
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(joined)).pages)
    assert PERSIAN in text
    for name in ("بهرام نمونه", "شیرین آزمایش", "کاوه ساختگی"):
        assert name in text and name in "".join(page.get_text() for page in shared)


def test_parts_joined_are_about_the_size_of_the_same_pages_laid_out_as_one() -> None:
    """pypdf writes each plain object of the joined file (page, outline item, named
    destination, font dictionary) uncompressed with a line of its table: three parts
    joined were 2.5 times the size of the same pages laid out as one document. The join
    packs them into object streams, as WeasyPrint does, and the file still reads
    strictly (pypdf) and unrepaired (PyMuPDF), outline and destinations whole."""
    import pymupdf

    from dadkhahi.pdf import anchors, join_pdfs, page_count

    def document(first: int, entries: int, numbers: str | None) -> bytes:
        body = "".join(f"<h2 id='v-{i}'>Entry {i:02d}</h2>" + f"<p>{PERSIAN} {i}</p>" * 4
                       for i in range(first, first + entries))
        if first == 1:
            body = "<h1>دفتر یادبود</h1>" + body
        return html_to_pdf(f"<html lang='fa' dir='rtl'><body>{body}</body></html>",
                           stamp="SYNTHETIC", numbers=numbers)

    parts = [document(1, 20, None), document(21, 20, None), document(41, 20, None)]
    whole = document(1, 60, "persian")
    joined = join_pdfs(parts, numbers="persian", direction="rtl")
    assert len(joined) < 1.5 * len(whole), (len(joined), len(whole))
    reader = PdfReader(io.BytesIO(joined), strict=True)
    # (Each part starts a page: a page or two more than one flow.)
    assert len(reader.pages) == sum(page_count(part) for part in parts)
    heading, entries = reader.outline
    assert heading.title == "دفتر یادبود"
    assert [item.title for item in entries] == [f"Entry {i:02d}" for i in range(1, 61)]
    assert set(anchors(joined)) == {f"v-{i}" for i in range(1, 61)}
    shown = pymupdf.open(stream=joined)
    assert not shown.is_repaired and len(shown.get_toc()) == 61
    assert "Entry 60" in shown[-1].get_text()


def test_parts_joined_keep_every_part_s_outline_and_destinations_on_their_pages() -> None:
    """Every part's outline items (at their depth, under the first part's heading) and
    named destinations reach the joined file, each on its page of the whole: read back by
    two readers (PyMuPDF's table of contents, pypdf's destinations) and compared with the
    same readers on the parts."""
    import pymupdf

    from dadkhahi.pdf import anchors, join_pdfs, page_count

    def part(first: int, heading: bool, sub: bool) -> bytes:
        body = "".join(
            f"<h2 id='v-{i}'>Entry {i:02d}</h2>" + f"<p>{PERSIAN} {i}</p>" * 6
            + (f"<h3 id='s-{i}'>Sources {i:02d}</h3><p>SYNTHETIC</p>" if sub else "")
            for i in range(first, first + 4))
        top = "<h1>دفتر یادبود</h1>" if heading else ""
        return html_to_pdf(f"<html lang='fa' dir='rtl'><body>{top}{body}</body></html>",
                           stamp="SYNTHETIC", numbers=None)

    parts = [part(1, True, False), part(5, False, True), part(9, False, False)]
    joined = join_pdfs(parts, numbers="persian", direction="rtl")
    toc: list[list[object]] = []
    names: dict[str, int] = {}
    offset = 0
    for number, one in enumerate(parts):
        # A later part's items go one level down: under the first part's heading.
        deeper = 0 if number == 0 else 1
        toc += [[level + deeper, title, page + offset]
                for level, title, page in pymupdf.open(stream=one).get_toc()]
        names.update({name: page + offset for name, page in anchors(one).items()})
        offset += page_count(one)
    assert len(toc) == 17 and {level for level, _, _ in toc} == {1, 2, 3}
    assert len(names) == 16 and max(names.values()) > page_count(parts[0])
    shown = pymupdf.open(stream=joined)
    assert not shown.is_repaired
    assert shown.get_toc() == toc
    assert anchors(joined) == names
    reader = PdfReader(io.BytesIO(joined), strict=True)
    assert len(reader.pages) == offset
    heading, entries = reader.outline
    assert heading.title == "دفتر یادبود" and len([e for e in entries
                                                   if not isinstance(e, list)]) == 12


def test_a_join_holds_one_part_at_a_time() -> None:
    """The join's memory does not grow with the book beyond the joined file's own bytes:
    it holds one part at a time in pypdf's objects (a pypdf writer holding the whole book
    needed about 79 KB a page: 741 MiB for a book of 8,000 pages). Python's allocations
    are traced while the same part is joined 3 and 9 times over."""
    import tracemalloc

    from dadkhahi.pdf import join_pdfs, page_count, shared_fonts

    body = "".join(f"<h2 id='v-{i}'>Entry {i:02d}</h2>" + f"<p>{PERSIAN} {i}</p>" * 8
                   for i in range(12))
    part = html_to_pdf(f"<html lang='fa' dir='rtl'><body><h1>دفتر</h1>{body}</body></html>",
                       stamp="SYNTHETIC", numbers=None)
    pages = page_count(part)
    fonts = shared_fonts([part], [("decimal", "ltr")])

    def peak(times: int) -> tuple[int, int]:
        tracemalloc.start()
        try:
            joined = join_pdfs([part] * times, fonts=fonts)
            return tracemalloc.get_traced_memory()[1], len(joined)
        finally:
            tracemalloc.stop()

    join_pdfs([part] * 2, fonts=fonts)  # what is cached once (font tables) is cached
    (few, few_bytes), (many, many_bytes) = peak(3), peak(9)
    added_pages = 6 * pages
    per_page = (many - few) / added_pages
    file_per_page = (many_bytes - few_bytes) / added_pages
    # The file's bytes (written into a growing buffer, then copied out), a few numbers a
    # page, outline item and name: about 2 KB a page here, where a writer holding every
    # page took 100 KB.
    assert per_page < 8 * file_per_page + 4_000, (per_page, file_per_page)


def test_a_thread_lays_out_its_pdfs_with_one_font_configuration(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A book is laid out in hundreds of parts, each joined with its page numbers laid
    out apart: a WeasyPrint font configuration made for each (the system's fontconfig
    set-up, a Pango font map, the font written to a folder of its own) cost CPU and left
    memory behind every time. A thread makes one for its first PDF and keeps it."""
    from weasyprint.text import fonts as weasyprint_fonts

    from dadkhahi.pdf import join_pdfs

    made: list[object] = []
    real = weasyprint_fonts.FontConfiguration.__init__

    def counted(self: object) -> None:
        made.append(self)
        real(self)

    monkeypatch.setattr(weasyprint_fonts.FontConfiguration, "__init__", counted)
    parts = [html_to_pdf(f"<html lang='fa' dir='rtl'><body><p>{PERSIAN} {i}</p></body>"
                         "</html>", numbers=None) for i in range(3)]
    joined = join_pdfs(parts, numbers="persian", direction="rtl")
    assert len(PdfReader(io.BytesIO(joined)).pages) == 3
    # None if an earlier test of this process made this thread's already.
    assert len(made) <= 1, len(made)


def test_a_process_removes_its_font_folder_when_it_ends_and_leaves_its_parent_s(
        tmp_path: Path) -> None:
    """The kept font configuration's temporary folder (the decoded font) goes when the
    process that made it ends: the main process, and a render process of the memorial's
    pool, which makes its own and must not remove its parent's."""
    import os
    import subprocess
    import sys

    script = """
import os, sys
from pathlib import Path
from dadkhahi.pdf import html_to_pdf
from dadkhahi.publish.site import _forked_pool

def folders():
    return sorted(p.name for p in Path(os.environ["TMPDIR"]).glob("weasyprint-*"))

def render(_):
    html_to_pdf("<p>SYNTHETIC</p>")
    return folders()

html_to_pdf("<p>SYNTHETIC</p>")
mine = folders()
with _forked_pool(2) as pool:
    seen = pool.map(render, range(4), chunksize=1)
assert len(mine) == 1, mine
assert all(mine[0] in names and len(names) >= 2 for names in seen), seen
assert folders() == mine, (folders(), mine)  # the pool's folders went, not this one's
# Processes that end after each task, others forked in their place: each one's folder
# goes as it ends, so they never pile up.
with _forked_pool(2, tasks_per_process=1) as pool:
    seen = pool.map(render, range(6), chunksize=1)
assert all(len(names) <= 3 for names in seen), seen
assert folders() == mine, (folders(), mine)
"""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert list(tmp_path.glob("weasyprint-*")) == []


def test_letters_vazirmatn_lacks_are_set_in_a_vendored_font_not_the_machine_s() -> None:
    """Romanised names (ḥ ṭ ṣ ʻ ʿ, which Vazirmatn lacks) take the vendored Noto Sans, in
    a page and in parts joined, never a font the machine happens to have."""
    from dadkhahi.pdf import FONTS, join_pdfs

    names = "Ḥasan Ṭāhirī · Šāʻrī ʿAlī-Ẓāhir"

    def families(pdf: bytes) -> set[str]:
        return {str(ref.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                    .get_object()["/FontFamily"])
                for page in PdfReader(io.BytesIO(pdf)).pages
                for ref in page["/Resources"]["/Font"].values()}

    page = f"<html lang='fa' dir='rtl'><body><h2>حسن طاهری ({names})</h2><p>{names}</p>"
    pdf = html_to_pdf(page + "</body></html>", numbers=None)
    assert names in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    found = families(pdf)
    assert found <= {font.family for font in FONTS}, found
    assert {"Vazirmatn", "Noto Sans Latin Ext", "Noto Sans Latin"} <= found
    joined = join_pdfs([pdf, pdf], numbers="persian", direction="rtl")
    assert families(joined) == found
    assert all(len(ids) == 1 for ids in _programs(joined).values())
    assert names in PdfReader(io.BytesIO(joined)).pages[1].extract_text()
