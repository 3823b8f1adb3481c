"""The project's one way to make a PDF: an HTML page laid out by WeasyPrint.

Every PDF Dadkhahi writes (a court bundle's report, later the memorial's book) goes
through :func:`html_to_pdf`. WeasyPrint lays text out with Pango and HarfBuzz, so Persian
is shaped (joined letters) and bidirectional text is ordered by the Unicode algorithm;
ReportLab does neither. The page's fonts are embedded (subset) in the file: Vazirmatn,
from the one assets mechanism (``dadkhahi.assets``), for both scripts, so a PDF looks the
same on a machine without Persian fonts.

Nothing is fetched from outside the assets folder: the page's text is user text, and an
``<img src="http://…">`` or a ``file:///`` path in it must neither reach the network nor
read a file into a document handed to a court (``AssetsOnly``).

The same page gives the same bytes, run after run (the memorial is byte-reproducible,
and its book with it). Of what WeasyPrint, pydyf and fontTools write, only one thing
came from the clock: turning the variable font into the static instance that is
embedded, fontTools stamps the instance's ``head.modified`` with the time now. fontTools
takes that time from ``SOURCE_DATE_EPOCH`` when it is set (reproducible-builds.org), so
each PDF is written with it set to the vendored font's own ``head.modified``
(:func:`font_epoch`), whatever the caller's environment says. The rest is already fixed:
the subset's name prefix is a hash of the font's description, no file ``/ID`` is
written, and the document's info carries no date unless one is given (``created``).

A long document is laid out in parts and joined (:func:`join_pdfs`). Each part embeds
its own subset of the font, so the joined file would carry as many copies of it as it has
parts; the join gives each font one program instead, cut once from the vendored font with
the glyphs every part draws (:func:`shared_fonts`). The parts' glyph numbers, widths and
text maps (``ToUnicode``, which carries the Persian text's extraction) are kept as they are.

Needs Pango at run time (Debian ``libpango-1.0-0``, ``libpangoft2-1.0-0``:
``scripts/install-system-deps.sh``).
"""

from __future__ import annotations

import io
import itertools
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from dadkhahi.assets import STATIC


def _keep_truncated_images_errors() -> None:
    # Importing WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process. Our
    # own readers decode through documents.images.open_whole, which refuses a cut-short
    # image whatever the switch says; set back all the same, for any other reader.
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False

#: The font every PDF is set in (Latin and Arabic script), from the vendored assets.
FONT_FILE = STATIC / "vendor" / "vazirmatn" / "Vazirmatn-Variable.woff2"
FONT_FAMILY = "Vazirmatn"

_PAGE_CSS = """
@font-face { font-family: "%(family)s"; src: url("%(font)s"); }
@page {
  size: A4; margin: 22mm 16mm 20mm;
  font-family: "%(family)s", sans-serif; font-size: 8.5pt;
  %(folio)s
  %(stamp)s
}
%(first)s
html { font-family: "%(family)s", sans-serif; font-size: 10pt; line-height: 1.4; }
"""

_FOLIO_CSS = '@bottom-center { content: counter(page, %(numbers)s) " / " %(total)s; }'
_STAMP_CSS = """@top-center { content: "%s"; color: #b00020; font-weight: bold; }"""
#: A page counter of its own for the whole's page count: WeasyPrint computes ``pages``
#: itself (and ignores any reset of it), which for a part is the part's count.
_TOTAL = "joined-pages"


def _css_string(text: str) -> str:
    """``text`` as the inside of a double-quoted CSS string."""
    return "".join(c if c.isalnum() or c in " —-.,:;()" else f"\\{ord(c):x} " for c in text)


#: Page numbers' counter styles: the digits a book's readers number pages with.
#: ``persian`` (۱۲۳) is one of the counter styles WeasyPrint's user-agent stylesheet
#: defines (CSS Counter Styles' predefined list).
NUMBERS = ("decimal", "persian")


def page_css(stamp: str | None = None, numbers: str | None = "decimal", *,
             first: int = 1, total: int | None = None) -> str:
    """The stylesheet every PDF page gets: A4, the embedded font, page numbers "n / total"
    in the counter style ``numbers`` (one of :data:`NUMBERS`; None: no numbers, for a
    part that :func:`join_pdfs` numbers), and ``stamp`` (e.g. "SYNTHETIC — NOT
    EVIDENCE") at the top of every page.

    ``first`` and ``total``: the first page's number and the count shown after it, when
    the pages are some of a longer whole's (the numbers :func:`join_pdfs` lays over a
    part); by default the document's own."""
    if numbers is not None and numbers not in NUMBERS:
        raise ValueError(f"page numbers in {numbers!r}: not one of {', '.join(NUMBERS)}")
    folio = start = ""
    if numbers is not None:
        count = "pages" if total is None else _TOTAL
        folio = _FOLIO_CSS % {"numbers": numbers, "total": f"counter({count}, {numbers})"}
        resets = [] if total is None else [f"{_TOTAL} {total}"]
        if total is not None:
            folio = f"counter-reset: {_TOTAL} {total}; {folio}"
        if first != 1:
            # Touching the page counter on a page stops its own increment there, so the
            # first page shows ``first`` itself; the pages after it count on.
            start = f"@page :first {{ counter-reset: {' '.join([*resets, f'page {first}'])}; }}"
    return _PAGE_CSS % {
        "family": FONT_FAMILY, "font": FONT_FILE.as_uri(), "folio": folio, "first": start,
        "stamp": "" if stamp is None else _STAMP_CSS % _css_string(stamp)}


def _under_assets(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(unquote(parts.path)).resolve()
    return path.is_relative_to(STATIC.resolve()) and path.is_file()


def _fetcher() -> Any:
    # Imported here: WeasyPrint loads Pango through cffi, which every command that
    # never writes a PDF should not pay for.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    _keep_truncated_images_errors()

    class AssetsOnly(URLFetcher):  # type: ignore[misc]
        """Fetches files under the assets folder and nothing else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not _under_assets(url):
                raise ValueError("only the project's assets are fetched into a PDF")
            if url == FONT_FILE.as_uri():
                # The font as WeasyPrint would decode it, decoded once per process.
                return URLFetcherResponse(url, _font_sfnt(), {"Content-Type": "font/ttf"})
            return super().fetch(url, headers)

    return AssetsOnly(allowed_protocols=("file",))


@cache
def _font_sfnt() -> bytes:
    """The vendored WOFF2 font decoded to the plain font file WeasyPrint decodes it to
    (the same fontTools call) for every document it lays out: about a second a PDF,
    which a book laid out in hundreds of parts would pay hundreds of times."""
    from fontTools.ttLib import woff2

    out = io.BytesIO()
    woff2.decompress(io.BytesIO(FONT_FILE.read_bytes()), out)
    return out.getvalue()


@cache
def font_epoch() -> int:
    """The vendored font's own ``head.modified``, in seconds since 1970: the time the
    embedded font instances are stamped with (see the module's notes)."""
    from fontTools.misc.timeTools import epoch_diff
    from fontTools.ttLib import TTFont

    with TTFont(str(FONT_FILE), lazy=True) as font:
        return int(font["head"].modified) + int(epoch_diff)


#: The environment is the process's: one PDF at a time sets and restores the variable.
_EPOCH_LOCK = threading.Lock()


@contextmanager
def _fixed_font_time() -> Iterator[None]:
    epoch = str(font_epoch())
    with _EPOCH_LOCK:
        before = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = epoch
        try:
            yield
        finally:
            if before is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = before


def html_to_pdf(html: str, *, stamp: str | None = None, title: str | None = None,
                created: str | None = None, numbers: str | None = "decimal") -> bytes:
    """``html`` laid out as an A4 PDF with its fonts embedded; the same arguments give
    the same bytes.

    ``stamp``: a line at the top of every page (the SYNTHETIC mark of demo material).
    ``title``: the document's title in the PDF metadata (else the page's ``<title>``).
    ``created``: the document's creation (and modification) date in its metadata, a W3C
    date such as ``2026-12-03`` taken from the data, never the clock (none if omitted).
    ``numbers``: the page numbers' digits, ``"persian"`` (۱۲۳) for a Persian book; a
    reference to a page inside the document (``target-counter``) should name the same
    style, so the two agree. None: no page numbers (a part of a longer document, which
    :func:`join_pdfs` numbers once the whole's page count is known).
    """
    return _render(html, page_css(stamp, numbers), title, created)


def _render(html: str, css: str, title: str | None, created: str | None) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    _keep_truncated_images_errors()

    fetcher = _fetcher()
    # One font configuration for the page and its stylesheet, or @font-face is ignored.
    fonts = FontConfiguration()
    document = HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=fetcher)
    rendered = document.render(font_config=fonts, stylesheets=[
        CSS(string=css, url_fetcher=fetcher, font_config=fonts)])
    if title is not None:
        rendered.metadata.title = title
    if created is not None:
        rendered.metadata.created = rendered.metadata.modified = created
    with _fixed_font_time():
        pdf: bytes = rendered.write_pdf()
    return pdf


def page_count(pdf: bytes) -> int:
    """How many pages a PDF has."""
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def anchors(pdf: bytes) -> dict[str, int]:
    """A PDF's named destinations (the ``id`` of the elements of the page it was laid
    out from) → the index of the page each is on (from 0)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    found = {}
    for name, dest in reader.named_destinations.items():
        page = reader.get_destination_page_number(dest)
        if page is not None:
            found[name] = page
    return found


def _folios(first: int, count: int, total: int, numbers: str, direction: str) -> bytes:
    """``count`` blank A4 pages that show only their numbers, ``first`` … of ``total``,
    where and as :func:`html_to_pdf` writes them (same stylesheet, font and digits)."""
    # A forced break starts each page after the first (one before the first would not).
    pages = "<div></div>" + '<div style="break-before: page"></div>' * (count - 1)
    html = f'<html dir="{direction}"><body>{pages}</body></html>'
    return _render(html, page_css(None, numbers, first=first, total=total), None, None)


def _specimen(numbers: str, direction: str) -> bytes:
    """A page number with every digit, as :func:`join_pdfs` numbers pages in ``numbers``
    and ``direction``: the glyphs any page's number draws."""
    return _folios(1234567890, 1, 1234567890, numbers, direction)


def _embedded_fonts(reader: Any) -> Iterator[tuple[str, Any, Any]]:
    """Each font program a PDF's pages (and the forms drawn on them) embed as WeasyPrint
    writes them (a Type 0 font over a TrueType CID font), once: the font's name, its CID
    font (the glyphs it draws are its ``/W`` widths' keys) and its descriptor."""
    seen: set[int] = set()
    todo = [page.get("/Resources") for page in reader.pages]
    while todo:
        resources = todo.pop()
        if resources is None:
            continue
        resources = resources.get_object()
        if id(resources) in seen:
            continue
        seen.add(id(resources))
        for ref in resources.get("/Font", {}).values():
            font = ref.get_object()
            if "/DescendantFonts" not in font:
                continue
            cid = font["/DescendantFonts"][0].get_object()
            descriptor = cid["/FontDescriptor"].get_object()
            if "/FontFile2" in descriptor and id(descriptor) not in seen:
                seen.add(id(descriptor))
                yield str(font["/BaseFont"]), cid, descriptor
        for ref in resources.get("/XObject", {}).values():
            form = ref.get_object()
            if form.get("/Subtype") == "/Form":
                todo.append(form.get("/Resources"))


def _drawn(cid: Any) -> set[int]:
    """The glyphs a CID font draws: the keys of its widths (``/W``: ``c [w …]`` or
    ``c_first c_last w``)."""
    widths = list(cid.get("/W", []))
    glyphs: set[int] = set()
    at = 0
    while at < len(widths):
        first, then = int(widths[at]), widths[at + 1]
        if isinstance(then, list):
            glyphs.update(range(first, first + len(then)))
            at += 2
        else:
            glyphs.update(range(first, int(then) + 1))
            at += 3
    return glyphs


def shared_fonts(pdfs: Iterable[bytes], numbers: Iterable[tuple[str, str]] = ()
                 ) -> dict[str, bytes]:
    """For documents laid out by :func:`html_to_pdf`, and the page numbers
    :func:`join_pdfs` lays over them in each (digits, direction) of ``numbers``, one
    program per font they embed (by the font's name) holding every glyph any of them
    draws: what :func:`join_pdfs` embeds once in their place. A build joining many
    documents makes them once for all (about a second a font).

    Each is made as WeasyPrint makes a document's (the vendored variable font cut to the
    glyphs, keeping their numbers, then set at the weight, which WeasyPrint's instance
    records as ``usWeightClass``), so the parts' glyph numbers, widths and text maps stay
    true. A font other than the vendored one (none is fetched today) is left to each
    part."""
    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    glyphs: dict[str, set[int]] = {}
    weights: dict[str, int] = {}
    specimens = (_specimen(digits, direction) for digits, direction in numbers)
    for pdf in itertools.chain(pdfs, specimens):
        for name, cid, descriptor in _embedded_fonts(PdfReader(io.BytesIO(pdf))):
            if str(descriptor.get("/FontFamily")) != FONT_FAMILY:
                continue
            glyphs.setdefault(name, set()).update(_drawn(cid))
            if name not in weights:
                program = descriptor["/FontFile2"].get_object().get_data()
                with TTFont(io.BytesIO(program), lazy=True) as font:
                    weights[name] = int(font["OS/2"].usWeightClass)
    return {name: _cut(weights[name], frozenset(glyphs[name])) for name in sorted(glyphs)}


def _cut(weight: int, glyphs: frozenset[int]) -> bytes:
    """The vendored font's static instance at ``weight`` holding ``glyphs`` (their
    numbers kept), with the options WeasyPrint subsets with; the same bytes every run."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    options = subset.Options(retain_gids=True, hinting=False, desubroutinize=True,
                             notdef_outline=True, passthrough_tables=True,
                             ignore_missing_glyphs=True)
    options.drop_tables += ["BASE", "GSUB", "GPOS", "JSTF", "SVG "]
    # No clock: the font keeps the vendored file's own head.modified.
    font = TTFont(io.BytesIO(_font_sfnt()), recalcTimestamp=False)
    # A glyph number past the font's is one WeasyPrint gave a character the font lacks
    # (drawn as .notdef).
    count = len(font.getGlyphOrder())
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=sorted(g for g in glyphs | {0} if g < count))
    subsetter.subset(font)
    instantiateVariableFont(font, {"wght": weight}, static=True, inplace=True)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _share(reader: Any, writer: Any, fonts: Mapping[str, bytes],
           added: dict[str, Any]) -> None:
    """Point the fonts ``reader``'s pages embed at the joined file's one program of each
    (from ``fonts``; ``added``: those ``writer`` holds already), before its pages are
    copied: a part's own subset is then never copied."""
    from pypdf.generic import NameObject, NumberObject, StreamObject

    for name, _, descriptor in _embedded_fonts(reader):
        if name not in fonts:
            continue
        if name not in added:
            stream = StreamObject()
            stream[NameObject("/Length1")] = NumberObject(len(fonts[name]))
            stream.set_data(fonts[name])
            # pypdf's own way to add an object no page holds yet.
            added[name] = writer._add_object(stream.flate_encode())
        descriptor[NameObject("/FontFile2")] = added[name]


def join_pdfs(parts: Sequence[bytes], *, numbers: str = "decimal",
              direction: str = "ltr", fonts: Mapping[str, bytes] | None = None) -> bytes:
    """Documents laid out apart by :func:`html_to_pdf` without page numbers, joined in
    order into one whose pages are numbered "n / total" throughout in ``numbers``; the
    same parts give the same bytes.

    Why parts: WeasyPrint keeps a document's whole layout in memory until it is written
    (about 2 MiB an A4 page of the memorial's book), so a long document is laid out in
    parts of a bounded size, each in its own call (or process), and joined here. The
    page numbers need the whole's page count, known only now: each page gets them from a
    page laid out by WeasyPrint with the same stylesheet and no content (:func:`_folios`,
    in the parts' text ``direction``), merged over it by pypdf, which holds only the
    written, compressed pages.

    The outline (bookmarks) runs on: the parts are slices of one document, so the items
    of every part after the first go under the first part's last top-level item (the
    document's heading, where its first part opens it). The information dictionary
    (title, dates) and the language are the first part's.

    Each font is embedded once: ``fonts`` (font name → program, from
    :func:`shared_fonts` over these parts and page numbers in ``numbers``, or over more
    documents) replaces every part's own subset; without it, it is made from the parts.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    if not parts:
        raise ValueError("no parts to join")
    if fonts is None:
        fonts = shared_fonts(parts, [(numbers, direction)])
    counts = [page_count(part) for part in parts]
    total = sum(counts)
    writer = PdfWriter()
    programs: dict[str, Any] = {}
    heading: Any = None
    done = 0
    for number, (part, count) in enumerate(zip(parts, counts, strict=True)):
        reader = PdfReader(io.BytesIO(part))
        _share(reader, writer, fonts, programs)
        if number == 0:
            if reader.metadata is not None:
                writer.add_metadata(reader.metadata)
            if "/Lang" in reader.root_object:
                writer.root_object[NameObject("/Lang")] = reader.root_object["/Lang"]
        writer.append(reader, import_outline=False)
        folios = PdfReader(io.BytesIO(_folios(done + 1, count, total, numbers, direction)))
        _share(folios, writer, fonts, programs)
        for page, folio in zip(writer.pages[done:], folios.pages, strict=True):
            page.merge_page(folio)
            page.compress_content_streams()
        top = _copy_outline(writer, reader, reader.outline, heading, done)
        if number == 0:
            heading = top
        # The writer keeps what it copied; the parts' parsed objects can go.
        writer.reset_translation(reader)
        writer.reset_translation(folios)
        done += count
    return _packed(writer)


#: Plain objects per object stream of a joined document. A reader inflates a whole
#: stream to reach one of its objects, so they are not all put in one.
_PER_OBJECT_STREAM = 200


def _packed(writer: Any) -> bytes:
    """``writer``'s document as pypdf writes it, but with its plain objects (everything
    but streams: pages, outline items, named destinations, fonts' dictionaries) packed
    into compressed object streams and the cross-reference table written as a
    compressed stream (PDF 1.5), as WeasyPrint writes its own documents.

    pypdf writes each plain object uncompressed on its own, with a 20-byte line of the
    table each: a book of 45 pages joined from three parts was three times the size of
    the same pages laid out as one document (outline items 27% of it, named
    destinations and their name tree 16%, the table 8%). The objects, their numbers and
    their order are pypdf's, so the same parts still give the same bytes."""
    from pypdf.generic import ArrayObject, NameObject, NullObject, NumberObject, StreamObject

    # As pypdf does before writing: links added earlier point at their pages.
    writer._resolve_links()
    objects = writer._objects
    out = io.BytesIO()
    header = writer.pdf_header if writer.pdf_header >= "%PDF-1.5" else "%PDF-1.5"
    out.write(header.encode() + b"\n%\xe2\xe3\xcf\xd3\n")
    # Object number → its cross-reference entry: (1, offset, 0) in the file, (2, object
    # stream's number, index in it) packed.
    entries: dict[int, tuple[int, int, int]] = {}

    def put(number: int, obj: Any) -> None:
        entries[number] = (1, out.tell(), 0)
        out.write(b"%d 0 obj\n" % number)
        obj.write_to_stream(out)
        out.write(b"\nendobj\n")

    plain = []
    for number, obj in enumerate(objects, start=1):
        if isinstance(obj, StreamObject):
            put(number, obj)
        elif obj is not None and not isinstance(obj, NullObject):
            # (pypdf leaves a null where it replaced an object, e.g. a page's contents
            # merged with its number: nothing refers to it, and a reference to a free
            # object reads as null.)
            plain.append((number, obj))
    number = len(objects)
    for start in range(0, len(plain), _PER_OBJECT_STREAM):
        number += 1
        offsets, body = [], io.BytesIO()
        for index, (packed, obj) in enumerate(plain[start:start + _PER_OBJECT_STREAM]):
            offsets.append(b"%d %d" % (packed, body.tell()))
            obj.write_to_stream(body)
            body.write(b"\n")
            entries[packed] = (2, number, index)
        first = b" ".join(offsets) + b"\n"
        stream = StreamObject()
        stream.update({NameObject("/Type"): NameObject("/ObjStm"),
                       NameObject("/N"): NumberObject(len(offsets)),
                       NameObject("/First"): NumberObject(len(first))})
        stream.set_data(first + body.getvalue())
        put(number, stream.flate_encode())
    # The cross-reference stream is an object of its own, at the end.
    number += 1
    entries[number] = (1, out.tell(), 0)
    # Field widths 1, 4, 2 bytes: a type, an offset (or object stream) and an index.
    rows = [bytes([kind]) + two.to_bytes(4, "big") + three.to_bytes(2, "big")
            for kind, two, three in (entries.get(n, (0, 0, 0)) for n in range(number + 1))]
    rows[0] = bytes([0]) + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")
    xref = StreamObject()
    xref.update({NameObject("/Type"): NameObject("/XRef"),
                 NameObject("/Size"): NumberObject(number + 1),
                 NameObject("/W"): ArrayObject(map(NumberObject, (1, 4, 2))),
                 NameObject("/Root"): writer.root_object.indirect_reference})
    if writer._info is not None:
        xref[NameObject("/Info")] = writer._info.indirect_reference
    if writer._ID is not None:
        xref[NameObject("/ID")] = writer._ID
    xref.set_data(b"".join(rows))
    put(number, xref.flate_encode())
    out.write(b"startxref\n%d\n%%%%EOF\n" % entries[number][1])
    return out.getvalue()


def _copy_outline(writer: Any, reader: Any, items: list[Any], parent: Any,
                  offset: int) -> Any:
    """Copy ``reader``'s outline ``items`` under ``parent``, their pages moved by
    ``offset``; returns the last item copied at this level (or ``parent``'s if none)."""
    from pypdf.generic import Fit

    last = None
    for item in items:
        if isinstance(item, list):
            # A nested list holds the children of the item before it.
            _copy_outline(writer, reader, item, last, offset)
            continue
        page = reader.get_destination_page_number(item)
        last = writer.add_outline_item(
            title=item.title, page_number=offset + page, parent=parent,
            fit=Fit.xyz(item.left, item.top, item.zoom))
    return last


__all__ = ["FONT_FAMILY", "FONT_FILE", "NUMBERS", "anchors", "font_epoch", "html_to_pdf",
           "join_pdfs", "page_count", "page_css", "shared_fonts"]
