"""``publish --book``: the printable book of memory, through the one PDF mechanism.

Persian shaped and in reading order in the text layer, the vendored Vazirmatn
embedded, one entry per victim with its sources, a book per province and one for all
in each language; no marker in any book's text; two builds give the same bytes."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    NameObject,
    StreamObject,
    TextStringObject,
)
from sqlalchemy import select
from world import MARKERS, World, _linker

from dadkhahi.domain.vocab import EntityKind, Sensitivity
from dadkhahi.facts.entities import Support, add_claim
from dadkhahi.intake.lists import import_list
from dadkhahi.linkage.service import run_linkage
from dadkhahi.pdf import FONTS
from dadkhahi.persian.display import persian_digits
from dadkhahi.publish import site
from dadkhahi.publish.build import build
from dadkhahi.publish.gate import approve
from dadkhahi.publish.site import Options
from dadkhahi.publish.text import translate
from dadkhahi.store import schema as s


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _strings(pdf: bytes) -> str:
    """Every string and name in a PDF's objects as a reader decodes them (outline
    titles, named destinations, metadata: packed in compressed object streams, where the
    file's bytes would not show a marker), and its streams' data."""
    reader = PdfReader(io.BytesIO(pdf))
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, (TextStringObject, ByteStringObject, NameObject)):
            found.append(str(value) if not isinstance(value, ByteStringObject)
                         else bytes(value).decode("latin-1"))
        elif isinstance(value, DictionaryObject):
            for key, item in value.items():
                walk(NameObject(key))
                walk(item)
            if isinstance(value, StreamObject):
                found.append(value.get_data().decode("latin-1"))
        elif isinstance(value, ArrayObject):
            for item in value:
                walk(item)

    for number in sorted({n for gen in reader.xref.values() for n in gen}
                         | set(reader.xref_objStm)):
        walk(reader.get_object(number))
    return "\n".join(found)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_book_of_memory_in_both_languages_is_reproducible(
        world: World, tmp_path: Path) -> None:
    options = Options(book=True)
    build(world.store, "tester", tmp_path / "one", options)
    files = _files(tmp_path / "one")
    books = sorted(rel for rel in files if rel.endswith(".pdf"))
    for code in ("fa", "en"):
        assert {f"{code}/book/all.pdf", f"{code}/book/province-fars.pdf",
                f"{code}/book/province-tehran.pdf"} <= set(books)
        lists = files[f"{code}/lists/index.html"].decode()
        assert 'href="../book/all.pdf"' in lists and 'href="../book/province-fars.pdf"' in lists
    fa = _text(files["fa/book/all.pdf"])
    en = _text(files["en/book/all.pdf"])
    # Persian words joined and in the order they are read, digits Persian (text
    # extraction reorders runs of digits in right-to-left lines, so they are looked for
    # alone); each entry with its sources; the English book names the same victims.
    for shown in ("دفتر یادبود", "بهرام نمونه", "شیرین آزمایش", "کاوه ساختگی", "مرداد",
                  "SYNTHETIC list A", "SYNTHETIC list B"):
        assert shown in fa, shown
    assert {"۱", "۶", "۷", "۹"} <= set(fa)
    for shown in ("Book of memory", "Bahram Nemouneh", "Shirin Azmayesh", "Kaveh Sakhtegi",
                  "12 Mordad 1367", "Evin Prison", "SYNTHETIC list A"):
        assert shown in en, shown
    fars = _text(files["en/book/province-fars.pdf"])
    assert "Kaveh Sakhtegi" in fars and "Bahram Nemouneh" not in fars
    reader = PdfReader(io.BytesIO(files["fa/book/all.pdf"]))
    assert reader.pages and all("SYNTHETIC" in p.extract_text() for p in reader.pages)
    fonts = set()
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            desc = font["/DescendantFonts"][0].get_object()
            assert any(str(k).startswith("/FontFile") for k in desc["/FontDescriptor"])
            fonts.add(str(font["/BaseFont"]).split("+", 1)[1].split("-")[0])
    assert fonts == {"Vazirmatn"}
    # A name is found in the objects (the outline's titles: page text is glyph numbers),
    # so the markers are looked for where they would be.
    assert "Kaveh Sakhtegi" in _strings(files["en/book/all.pdf"])
    for rel in books:
        text, strings = _text(files[rel]), _strings(files[rel])
        for what, marker in MARKERS.items():
            assert marker not in text and marker not in strings, (what, rel)
            assert marker.encode() not in files[rel], (what, rel)
    # The same store state, another folder: the same bytes, books included.
    build(world.store, "tester", tmp_path / "two", options)
    assert _files(tmp_path / "two") == files


def test_a_persian_book_numbers_its_pages_in_persian_digits(
        world: World, tmp_path: Path) -> None:
    # Persian books number pages ۱، ۲، ۳ as their text counts; English ones 1, 2, 3.
    build(world.store, "tester", tmp_path / "site", Options(book=True))
    for code, digits in (("fa", persian_digits), ("en", str)):
        reader = PdfReader(tmp_path / "site" / code / "book" / "all.pdf")
        total = len(reader.pages)
        for number, page in enumerate(reader.pages, 1):
            text = page.extract_text()
            shown = f"{digits(str(number))} / {digits(str(total))}"
            if code == "fa":
                # Text extraction gives a right-to-left line in the order it is drawn.
                assert shown in text or shown[::-1] in text, text
                assert f"{number} / {total}" not in text, text
            else:
                assert shown in text, text


def test_a_book_laid_out_in_parts_numbers_its_pages_on_and_names_each_victim_once(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One victim a part: each all-victims book is joined from three parts, each laid out
    # alone (as a book of thousands is, in parts of site.BOOK_PART entries).
    monkeypatch.setattr(site, "BOOK_PART", 1)
    build(world.store, "tester", tmp_path / "one", Options(book=True))
    victims = sorted({world.persons[key] for key in ("A-1", "A-2", "A-3")})
    for code, digits in (("fa", persian_digits), ("en", str)):
        reader = PdfReader(tmp_path / "one" / code / "book" / "all.pdf")
        texts = [page.extract_text() for page in reader.pages]
        total = len(texts)
        assert total >= 3
        for number, text in enumerate(texts, 1):
            shown = f"{digits(str(number))} / {digits(str(total))}"
            # A right-to-left line is extracted in the order it is drawn.
            drawn = f"{digits(str(total))} / {digits(str(number))}"
            assert shown in text or (code == "fa" and drawn in text), (number, text)
            assert "SYNTHETIC" in text
        whole = "\n".join(texts)
        # Every victim exactly once (its entry's address), the cover once.
        assert [whole.count(f"victims/{pid}.html") for pid in victims] == [1, 1, 1], code
        assert whole.count(translate(code, "Book of memory")) == 1, code
        # The outline: the book's heading; under it every victim, then the index with its
        # two scripts' sections.
        assert len(reader.outline) == 2 and len(reader.outline[1]) == 5
        assert len(reader.outline[1][4]) == 2
        # The index of names, last: every name in both scripts with the page its entry
        # starts on, sorted by name in each script, the book's own script first.
        starts = {pid: next(n for n, text in enumerate(texts, 1)
                            if f"victims/{pid}.html" in text) for pid in victims}
        index = texts[-1]
        # (Text extraction drops the zero-width non-joiner of نام‌ها.)
        assert translate(code, "Index of names").replace("\u200c", "") in index
        persian = [index.index(name) for name in ("بهرام نمونه", "شیرین آزمایش", "کاوه ساختگی")]
        latin = []
        for key, name in (("A-1", "Bahram Nemouneh"), ("A-3", "Kaveh Sakhtegi"),
                          ("A-2", "Shirin Azmayesh")):
            # Left to right, the English line reads as written: name, page.
            line = f"{name}, {starts[world.persons[key]]}" if code == "en" else name
            latin.append(index.index(line))
        assert persian == sorted(persian) and latin == sorted(latin)
        assert (persian[0] < latin[0]) == (code == "fa")
        # Joined from three parts, their overlays and the index, the book embeds each
        # font (regular and bold) once.
        programs = _programs(reader)
        assert len(programs) == 2 and all(len(ids) == 1 for ids in programs.values()), (
            programs)
    build(world.store, "tester", tmp_path / "two", Options(book=True))
    for rel in ("fa/book/all.pdf", "en/book/all.pdf", "fa/book/province-fars.pdf"):
        assert (tmp_path / "two" / rel).read_bytes() == (tmp_path / "one" / rel).read_bytes()


def _programs(reader: PdfReader) -> dict[tuple[str, str], set[int]]:
    """Each font a PDF's pages draw with (its name and the family in its descriptor) →
    the embedded programs (object numbers) its fonts point at."""
    found: dict[tuple[str, str], set[int]] = {}
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            found.setdefault((str(font["/BaseFont"]), str(desc["/FontFamily"])), set()).add(
                desc.raw_get("/FontFile2").idnum)
    return found


def test_romanised_names_are_set_in_vendored_fonts_not_the_machine_s(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Vazirmatn has no ḥ ṭ ṣ ẓ ʻ ʿ, which romanised names in the sources use: before the
    # vendored Noto Sans, WeasyPrint took them from the machine's fonts (Debian's Noto
    # Sans), so the book's bytes depended on what fonts the machine had.
    names = ("Ḥasan Ṭāhirī", "Šāʻrī ʿAlī-Ẓāhir")
    path = tmp_path / "list-H.csv"
    path.write_text("ID,Name,Prison\n" + "".join(
        f"H-{n},{name},Evin Prison\n" for n, name in enumerate(names, 7)), "utf-8")
    import_list(world.store, path, source="SYNTHETIC list H", actor="tester", id_column="ID",
                mapping={"full_name": "Name", "prison": "Prison"},
                sensitivity=Sensitivity.PUBLIC)
    run_linkage(world.store, "tester", linker=_linker(world.store, None), synthetic=True)
    approve(world.store, "tester", all_sources=True)
    # Parts of one entry: the book's fonts are joined from several parts' subsets.
    monkeypatch.setattr(site, "BOOK_PART", 1)
    build(world.store, "tester", tmp_path / "site", Options(book=True))
    vendored = {font.family for font in FONTS}
    for code in ("fa", "en"):
        pdf = (tmp_path / "site" / code / "book" / "all.pdf").read_bytes()
        text = _text(pdf)
        assert all(name in text for name in names), text
        programs = _programs(PdfReader(io.BytesIO(pdf)))
        families = {family for _, family in programs}
        # Only vendored fonts, the Latin Extended one among them; each font once.
        assert families <= vendored, families
        assert "Noto Sans Latin Ext" in families
        assert all(len(ids) == 1 for ids in programs.values()), programs


def _last_event_date(world: World, event_type: str) -> str:
    """The time of the latest ``event_type`` event, as a PDF date (to the second)."""
    e = s.ledger_events.c
    with world.store.reading() as conn:
        body = conn.execute(select(e.body).where(e.type == event_type)
                            .order_by(e.idx.desc()).limit(1)).scalar_one()
    time = json.loads(bytes(body))["time"]
    return "D:" + re.sub(r"\D", "", time[:19]) + "Z"


def test_a_book_is_dated_by_the_latest_event_behind_its_entries_never_the_clock(
        world: World, tmp_path: Path) -> None:
    build(world.store, "tester", tmp_path / "one", Options(book=True))
    one = _files(tmp_path / "one")
    books = sorted(rel for rel in one if rel.endswith(".pdf"))
    # The last event behind every entry: the sources' approval, after their claims.
    approved = _last_event_date(world, "publish.approved")
    for rel in books:
        info = PdfReader(io.BytesIO(one[rel])).metadata
        assert info is not None, rel
        assert info["/CreationDate"] == info["/ModDate"] == approved, (rel, info)
    # The same store state later (the first build recorded since; the clock moved on):
    # the same bytes.
    time.sleep(1.1)
    build(world.store, "tester", tmp_path / "two", Options(book=True))
    assert {rel: data for rel, data in _files(tmp_path / "two").items()
            if rel.endswith(".pdf")} == {rel: one[rel] for rel in books}
    # One victim of Fars gains a fact: its books take that claim's time, the others
    # keep their date and bytes.
    with world.store.transaction("tester") as tx:
        add_claim(tx, EntityKind.PERSON, world.persons["A-3"], "burial_place",
                  "SYNTHETIC grave", [Support(world.sources["A"])],
                  sensitivity=Sensitivity.PUBLIC)
    claimed = _last_event_date(world, "claim.added")
    assert claimed > approved
    build(world.store, "tester", tmp_path / "three", Options(book=True))
    three = _files(tmp_path / "three")
    for rel in books:
        info = PdfReader(io.BytesIO(three[rel])).metadata
        assert info is not None
        if rel.endswith(("/all.pdf", "/province-fars.pdf")):
            assert info["/CreationDate"] == info["/ModDate"] == claimed, rel
        else:
            assert three[rel] == one[rel], rel


def test_a_latin_source_line_reads_left_to_right_in_the_persian_book(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # WeasyPrint has no dir="auto": a Latin title in a Persian book was set right to
    # left, its full stop at its left end (".SYNTHETIC list …"). Each piece of user text
    # now has its direction written out, and a title's full stop is inside its isolate.
    import lxml.html
    import pymupdf

    from dadkhahi import pdf as pdf_module
    from dadkhahi.publish.collect import Fact, Memorial, Source, Victim
    from dadkhahi.publish.gate import GateResult

    title, citation = "SYNTHETIC list of names (benchmark)", "SYNTHETIC citation, page 3"
    source = Source("src-1", title, "list", citation, "B", "2")
    names = [Fact("name", name, None, None, (), ("src-1",))
             for name in ("کاوه ساختگی", "Kaveh Sakhtegi")]
    victim = Victim("person-1", {"name": names, "prison": [
        Fact("prison", "Evin Prison", None, None, (), ("src-1",))]}, synthetic=True)
    book_site = site.Site(Memorial([victim], [], {"src-1": source}, GateResult(), [], [], {},
                                   True), Options(book=True, languages=("fa",)))
    laid_out: list[str] = []
    real = pdf_module.html_to_pdf

    def keep(html: str, **options: Any) -> bytes:
        laid_out.append(html)
        return real(html, **options)

    monkeypatch.setattr(pdf_module, "html_to_pdf", keep)
    book = next(b for b in book_site.books() if b.path == "fa/book/all.pdf")
    pdf = book_site.render(next(book_site.book_parts([book])))
    # The structure: the line's pieces each in its own direction, the stop in the title's.
    tree = lxml.html.fromstring(laid_out[0])
    line = tree.xpath("//ol[@class='sources']/li")[0]
    pieces = [(b.get("dir"), b.text_content()) for b in line.xpath("bdi")]
    assert pieces == [("ltr", f"{title}."), ("ltr", citation)], pieces
    assert "." not in "".join(line.xpath("text()"))
    heading = tree.xpath("//article//h2//bdi")
    assert [(b.get("dir"), b.text_content()) for b in heading] == [
        ("rtl", "کاوه ساختگی"), ("ltr", "Kaveh Sakhtegi")]
    # The page as drawn (text extraction mirrors the brackets of a right-to-left
    # paragraph, so the glyphs' places are read): the line's one full stop is right of
    # the title's words, after "(benchmark)", not left of them.
    page = pymupdf.open(stream=pdf)[0]
    words = page.search_for("SYNTHETIC list of names")
    assert len(words) == 1
    found = words[0]
    stops = [c["bbox"] for block in page.get_text("rawdict")["blocks"]
             for row in block.get("lines", []) for span in row["spans"]
             for c in span["chars"]
             if c["c"] == "." and abs((c["bbox"][1] + c["bbox"][3]) / 2
                                      - (found.y0 + found.y1) / 2) < 2]
    assert len(stops) == 1, stops
    assert stops[0][0] > found.x1, (stops, found)
