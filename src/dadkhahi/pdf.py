"""The project's one way to make a PDF: an HTML page laid out by WeasyPrint.

Every PDF Dadkhahi writes (a court bundle's report, later the memorial's book) goes
through :func:`html_to_pdf`. WeasyPrint lays text out with Pango and HarfBuzz, so Persian
is shaped (joined letters) and bidirectional text is ordered by the Unicode algorithm;
ReportLab does neither. The page's fonts are embedded (subset) in the file, all from the
one assets mechanism (``dadkhahi.assets``), so a PDF looks the same, and is the same file,
on a machine with other fonts or none (:data:`FONTS`): Vazirmatn for both scripts, then
Noto Sans for the Latin letters Vazirmatn lacks (the romanised names' ḥ ṭ ṣ ʻ ʿ …), which
would otherwise be taken from whatever fonts the machine has.

Nothing is fetched from outside the assets folder: the page's text is user text, and an
``<img src="http://…">`` or a ``file:///`` path in it must neither reach the network nor
read a file into a document handed to a court (``AssetsOnly``).

The same page gives the same bytes, run after run (the memorial is byte-reproducible,
and its book with it). Of what WeasyPrint, pydyf and fontTools write, only one thing
came from the clock: turning the variable font into the static instance that is
embedded, fontTools stamps the instance's ``head.modified`` with the time now. fontTools
takes that time from ``SOURCE_DATE_EPOCH`` when it is set (reproducible-builds.org), so
each PDF is written with it set to the newest of the vendored fonts' own ``head.modified``
(:func:`font_epoch`), whatever the caller's environment says. The rest is already fixed:
the subset's name prefix is a hash of the font's description, no file ``/ID`` is
written, and the document's info carries no date unless one is given (``created``).

A long document is laid out in parts and joined (:func:`join_pdfs`). Each part embeds
its own subset of each font, so the joined file would carry as many copies of it as it has
parts; the join gives each font one program instead, cut once from its vendored file with
the glyphs every part draws (:func:`shared_fonts`). The parts' glyph numbers, widths and
text maps (``ToUnicode``, which carries the Persian text's extraction) are kept as they are.

Needs Pango at run time (Debian ``libpango-1.0-0``, ``libpangoft2-1.0-0``:
``scripts/install-system-deps.sh``).
"""

from __future__ import annotations

import gc
import io
import itertools
import os
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
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

@dataclass(frozen=True)
class Font:
    """A vendored font PDFs are set in: the family the page's stylesheet names it by
    (which WeasyPrint writes as the embedded font's ``/FontFamily``: a name no system
    font has, so a fallback to one cannot pass for it) and its file under the assets."""

    family: str
    file: Path


_VENDOR = STATIC / "vendor"
#: The fonts every PDF is set in, in the order a character is looked for in them (each
#: a variable font: WeasyPrint embeds an instance at the weight drawn). Vazirmatn sets
#: Persian and Latin; Noto Sans (its Latin Extended and Latin subsets, as one npm
#: package ships them) the Latin letters Vazirmatn lacks, which the romanised names of
#: the sources use (ḥ ṭ ṣ ẓ ḍ ẕ ʿ ʾ ʻ …). A character none of them has would fall to the
#: system's ``sans-serif``, and the file would depend on the machine's fonts.
FONTS = (
    Font("Vazirmatn", _VENDOR / "vazirmatn" / "Vazirmatn-Variable.woff2"),
    Font("Noto Sans Latin Ext", _VENDOR / "@fontsource-variable" / "noto-sans"
         / "noto-sans-latin-ext-wght-normal.woff2"),
    Font("Noto Sans Latin", _VENDOR / "@fontsource-variable" / "noto-sans"
         / "noto-sans-latin-wght-normal.woff2"),
)

_PAGE_CSS = """
%(faces)s
@page {
  size: A4; margin: 22mm 16mm 20mm;
  font-family: %(families)s, sans-serif; font-size: 8.5pt;
  %(folio)s
  %(stamp)s
}
%(first)s
html { font-family: %(families)s, sans-serif; font-size: 10pt; line-height: 1.4; }
"""
_FACE_CSS = '@font-face { font-family: "%s"; src: url("%s"); }'

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
        "faces": "\n".join(_FACE_CSS % (font.family, font.file.as_uri()) for font in FONTS),
        "families": ", ".join(f'"{font.family}"' for font in FONTS),
        "folio": folio, "first": start,
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
            font = _FONT_URIS.get(url)
            if font is not None:
                # The font as WeasyPrint would decode it, decoded once per process.
                return URLFetcherResponse(url, _font_sfnt(font.file),
                                          {"Content-Type": "font/ttf"})
            return super().fetch(url, headers)

    return AssetsOnly(allowed_protocols=("file",))


_FONT_URIS = {font.file.as_uri(): font for font in FONTS}
_FONT_FAMILIES = {font.family: font for font in FONTS}


@cache
def _font_sfnt(file: Path) -> bytes:
    """A vendored WOFF2 font decoded to the plain font file WeasyPrint decodes it to
    (the same fontTools call) for every document it lays out: about a second a PDF for
    Vazirmatn, which a book laid out in hundreds of parts would pay hundreds of times."""
    from fontTools.ttLib import woff2

    out = io.BytesIO()
    woff2.decompress(io.BytesIO(file.read_bytes()), out)
    return out.getvalue()


@cache
def font_epoch() -> int:
    """The newest of the vendored fonts' own ``head.modified``, in seconds since 1970:
    the time the embedded font instances are stamped with (see the module's notes; one
    time for all, as the environment variable fontTools reads is one for the document)."""
    from fontTools.misc.timeTools import epoch_diff
    from fontTools.ttLib import TTFont

    def modified(file: Path) -> int:
        with TTFont(str(file), lazy=True) as font:
            return int(font["head"].modified) + int(epoch_diff)

    return max(modified(font.file) for font in FONTS)


def prepare() -> None:
    """Import WeasyPrint and decode the vendored fonts now, in this process: what each
    process forked from it after (a book's render processes) would otherwise do on its
    first PDF, each on its own pages (about 0.7 s of CPU and their memory)."""
    import weasyprint  # noqa: F401

    _keep_truncated_images_errors()
    for font in FONTS:
        _font_sfnt(font.file)


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

    _keep_truncated_images_errors()

    fetcher = _fetcher()
    # One font configuration for the page and its stylesheet, or @font-face is ignored.
    fonts = _font_config()
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


#: Each thread's font configuration, by (process, thread): see :func:`_font_config`.
#: No lock: only the thread a key names reads or writes its entry (a lock held by another
#: thread when a process forks would stay held in the forked copy).
_FONT_CONFIGS: dict[tuple[int, int], Any] = {}


def _font_config() -> Any:
    """The WeasyPrint font configuration this thread lays its PDFs out with, made for its
    first one and kept.

    Making one loads the system's fontconfig configuration, makes a Pango font map and
    writes the vendored font, decoded, into a temporary folder of its own to register it
    there. Made for each document, as it was, a book laid out in hundreds of parts made
    hundreds (two a part: the part and its page numbers), and each left memory behind
    outside Python's allocator: a join grew by 341 KB a part, now 128 KB (the file's own
    bytes; ``benchmarks/publish/join_memory.py``), with the same bytes written.

    One a thread, as each document had its own before (a Pango font map is not for two
    threads at once), and one a process: a process forked from this one makes its own,
    since FreeType reads a font file through a stream whose file offset a forked copy
    would share. The forked copy keeps its parent's referenced (it is never collected
    there), because WeasyPrint removes an object's folder when it is collected, and the
    folder is its parent's. The folder is removed when the process that made it ends:
    by multiprocessing's exit finalizers, which run in the main process and in a pool's
    processes that end normally (a pool closed and joined, not terminated) and skip any
    process but the one that registered them."""
    key = (os.getpid(), threading.get_ident())
    fonts = _FONT_CONFIGS.get(key)
    if fonts is None:
        from multiprocessing.util import Finalize

        from weasyprint.text.fonts import FontConfiguration

        fonts = _FONT_CONFIGS[key] = FontConfiguration()
        # WeasyPrint's own clean-up (the temporary folder), which it runs when the
        # object is collected: a kept one never is.
        Finalize(None, fonts.__del__, exitpriority=0)
    return fonts


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

    Each is made as WeasyPrint makes a document's (the font's vendored variable file
    (:data:`FONTS`, by the family the part names it by) cut to the glyphs, keeping their
    numbers, then set at the weight, which WeasyPrint's instance records as
    ``usWeightClass``), so the parts' glyph numbers, widths and text maps stay true. A
    font not vendored (a system font, which a test keeps out of the book) is left to
    each part."""
    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    glyphs: dict[str, set[int]] = {}
    cuts: dict[str, tuple[Path, int]] = {}
    specimens = (_specimen(digits, direction) for digits, direction in numbers)
    for pdf in itertools.chain(pdfs, specimens):
        for name, cid, descriptor in _embedded_fonts(PdfReader(io.BytesIO(pdf))):
            vendored = _FONT_FAMILIES.get(str(descriptor.get("/FontFamily")))
            if vendored is None:
                continue
            glyphs.setdefault(name, set()).update(_drawn(cid))
            if name not in cuts:
                program = descriptor["/FontFile2"].get_object().get_data()
                with TTFont(io.BytesIO(program), lazy=True) as font:
                    cuts[name] = vendored.file, int(font["OS/2"].usWeightClass)
    return {name: _cut(*cuts[name], frozenset(glyphs[name])) for name in sorted(glyphs)}


def _cut(file: Path, weight: int, glyphs: frozenset[int]) -> bytes:
    """The static instance at ``weight`` of the vendored font ``file`` holding ``glyphs``
    (their numbers kept), with the options WeasyPrint subsets with; the same bytes every
    run."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    options = subset.Options(retain_gids=True, hinting=False, desubroutinize=True,
                             notdef_outline=True, passthrough_tables=True,
                             ignore_missing_glyphs=True)
    options.drop_tables += ["BASE", "GSUB", "GPOS", "JSTF", "SVG "]
    # No clock: the font keeps the vendored file's own head.modified.
    font = TTFont(io.BytesIO(_font_sfnt(file)), recalcTimestamp=False)
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


def _share(reader: Any, fonts: Mapping[str, bytes], program: Callable[[str], Any]) -> None:
    """Point the fonts ``reader``'s pages embed at the joined file's one program of each
    (``program(name)``, for the fonts of ``fonts``), before its pages are copied: a
    part's own subset is then never copied."""
    from pypdf.generic import NameObject

    for name, _, descriptor in _embedded_fonts(reader):
        if name in fonts:
            descriptor[NameObject("/FontFile2")] = program(name)


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
    in the parts' text ``direction``), merged over it by pypdf.

    The join holds one part at a time in pypdf's objects: each part's pages are copied,
    numbered and written out (:class:`_JoinedFile`) and its objects collected before the
    next part is read, so the memory it needs does not grow with the book (a pypdf
    writer holding a whole book needed about 79 KB a page: 741 MiB for 8,000 pages).
    What grows is the file's own bytes and a few numbers per page, outline item and
    named destination.

    The outline (bookmarks) runs on: the parts are slices of one document, so the items
    of every part after the first go under the first part's last top-level item (the
    document's heading, where its first part opens it). The named destinations of every
    part are kept, each on its page of the whole. The information dictionary (title,
    dates) and the language are the first part's. Links between parts are not joined
    (the book has none): a link annotation is kept only within its own part.

    Each font is embedded once: ``fonts`` (font name → program, from
    :func:`shared_fonts` over these parts and page numbers in ``numbers``, or over more
    documents) replaces every part's own subset; without it, it is made from the parts.
    """
    if not parts:
        raise ValueError("no parts to join")
    if fonts is None:
        fonts = shared_fonts(parts, [(numbers, direction)])
    counts = [page_count(part) for part in parts]
    total = sum(counts)
    # The highest version any part declares (a PDF's first 8 bytes), at least 1.5: the
    # joined file packs objects into object streams.
    header = max([b"%PDF-1.5", *(part[:8] for part in parts
                                 if re.fullmatch(rb"%PDF-\d\.\d", part[:8]))])
    joined = _JoinedFile(header, fonts)
    for part, count in zip(parts, counts, strict=True):
        joined.add(part, _folios(len(joined.pages) + 1, count, total, numbers, direction))
        # pypdf's readers and writers (and WeasyPrint's layout of the page numbers) are
        # cycles of objects, freed only by the cyclic collector, whose full passes come
        # ever more rarely as a process holds more objects: a part's are freed now. In
        # a render process the build's objects are frozen out of it; joining in the
        # build's own process (one CPU), the pass also walks the build: about 35 ns an
        # object (join_memory.py --heap-objects), 0.8 M objects at 30,521 victims
        # (bench_publish.py): some 28 ms a part of about 80 pages, ~0.1 s a 1,000 pages.
        gc.collect()
    return joined.finish()


#: Plain objects per object stream of a joined document. A reader inflates a whole
#: stream to reach one of its objects, so they are not all put in one.
_PER_OBJECT_STREAM = 200
#: Names per leaf of a joined document's tree of named destinations.
_NAMES_PER_LEAF = 200
#: Bytes per row of a cross-reference stream (``/W [1 4 2]``): a type, an offset (or
#: object stream) and a generation (or index in it).
_ROW = 7


class _Objects:
    """A PDF file written object by object as its objects are made, so that each is held
    only as the file's bytes once written: numbers are handed out ahead
    (:meth:`reserve`) and an object may be written at any time after.

    As WeasyPrint writes its own documents, the plain objects (everything but streams:
    pages, outline items, named destinations, fonts' dictionaries) are packed
    :data:`_PER_OBJECT_STREAM` to a compressed object stream and the cross-reference
    table is a compressed stream (PDF 1.5). (pypdf would write each plain object
    uncompressed on its own with a 20-byte line of the table: a book joined from three
    parts was three times the size of the same pages laid out as one document.)"""

    def __init__(self, header: bytes) -> None:
        self.file = io.BytesIO()
        self.file.write(header + b"\n%\xe2\xe3\xcf\xd3\n")
        # The cross-reference stream's rows by object number (row 0: the free list's head).
        self.rows = bytearray(_ROW)
        self.plain: list[tuple[int, bytes]] = []

    def reserve(self) -> int:
        """A new object's number."""
        self.rows += bytes(_ROW)
        return len(self.rows) // _ROW - 1

    def ref(self, number: int) -> Any:
        """A reference to object ``number`` of this file."""
        from pypdf.generic import IndirectObject

        return IndirectObject(number, 0, self)

    def _row(self, number: int, kind: int, two: int, three: int) -> None:
        self.rows[number * _ROW:(number + 1) * _ROW] = (
            bytes([kind]) + two.to_bytes(4, "big") + three.to_bytes(2, "big"))

    def put(self, number: int, obj: Any) -> None:
        """Write object ``number`` (its references already this file's numbers)."""
        from pypdf.generic import StreamObject

        if isinstance(obj, StreamObject):
            self._row(number, 1, self.file.tell(), 0)
            self.file.write(b"%d 0 obj\n" % number)
            obj.write_to_stream(self.file)
            self.file.write(b"\nendobj\n")
            return
        body = io.BytesIO()
        obj.write_to_stream(body)
        self.put_written(number, body.getvalue())

    def put_written(self, number: int, data: bytes) -> None:
        """Write plain object ``number`` given as its bytes."""
        self.plain.append((number, data))
        if len(self.plain) == _PER_OBJECT_STREAM:
            self._pack()

    def _pack(self) -> None:
        from pypdf.generic import NameObject, NumberObject, StreamObject

        number = self.reserve()
        offsets, body = [], io.BytesIO()
        for index, (packed, data) in enumerate(self.plain):
            offsets.append(b"%d %d" % (packed, body.tell()))
            body.write(data + b"\n")
            self._row(packed, 2, number, index)
        first = b" ".join(offsets) + b"\n"
        stream = StreamObject()
        stream.update({NameObject("/Type"): NameObject("/ObjStm"),
                       NameObject("/N"): NumberObject(len(offsets)),
                       NameObject("/First"): NumberObject(len(first))})
        stream.set_data(first + body.getvalue())
        self.plain = []
        self.put(number, stream.flate_encode())

    def finish(self, root: int, info: int | None) -> bytes:
        """The file, its catalog object ``root`` and information dictionary ``info``."""
        from pypdf.generic import ArrayObject, NameObject, NumberObject, StreamObject

        if self.plain:
            self._pack()
        # The cross-reference stream is an object of its own, at the end.
        number = self.reserve()
        at = self.file.tell()
        self._row(number, 1, at, 0)
        self._row(0, 0, 0, 65535)
        xref = StreamObject()
        xref.update({NameObject("/Type"): NameObject("/XRef"),
                     NameObject("/Size"): NumberObject(number + 1),
                     NameObject("/W"): ArrayObject(map(NumberObject, (1, 4, 2))),
                     NameObject("/Root"): self.ref(root)})
        if info is not None:
            xref[NameObject("/Info")] = self.ref(info)
        xref.set_data(bytes(self.rows))
        self.file.write(b"%d 0 obj\n" % number)
        xref.flate_encode().write_to_stream(self.file)
        self.file.write(b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % at)
        return self.file.getvalue()


@dataclass
class _Item:
    """An outline item not yet written: its number, and what it will say."""

    number: int
    parent: int | None = None
    title: str = ""
    dest: Any = None
    prev: int | None = None
    next: int | None = None
    first: int | None = None
    last: int | None = None
    #: Descendants (every item is open: the count is positive).
    count: int = 0


class _Outline:
    """A joined file's outline, written as it goes: an item is written once its last
    child and its next sibling are known, so only the items on the way down to the last
    one added are held."""

    def __init__(self, objects: _Objects) -> None:
        self.objects = objects
        self.path: list[_Item] = []

    def add(self, depth: int, title: str, dest: Any) -> None:
        """An item at ``depth`` (1: the top level) after every item added before it;
        ``dest``: its destination array."""
        if not self.path:
            self.path.append(_Item(self.objects.reserve()))
        if not 1 <= depth <= len(self.path):
            raise ValueError(f"an outline item at depth {depth} under {len(self.path) - 1}")
        number = self.objects.reserve()
        before = None
        while len(self.path) > depth:
            done = self.path.pop()
            if len(self.path) == depth:
                before, done.next = done, number
            self._write(done)
        parent = self.path[-1]
        if parent.first is None:
            parent.first = number
        parent.last = number
        for up in self.path:
            up.count += 1
        self.path.append(_Item(number, parent.number, title, dest,
                               before.number if before else None))

    def _write(self, item: _Item) -> None:
        from pypdf.generic import DictionaryObject, NameObject, NumberObject, create_string_object

        ref = self.objects.ref
        written = DictionaryObject()
        if item.parent is None:
            written[NameObject("/Type")] = NameObject("/Outlines")
        else:
            written[NameObject("/Title")] = create_string_object(item.title)
            written[NameObject("/Parent")] = ref(item.parent)
            written[NameObject("/Dest")] = item.dest
        for key, number in (("/Prev", item.prev), ("/Next", item.next),
                            ("/First", item.first), ("/Last", item.last)):
            if number is not None:
                written[NameObject(key)] = ref(number)
        if item.count:
            written[NameObject("/Count")] = NumberObject(item.count)
        self.objects.put(item.number, written)

    def finish(self) -> int | None:
        """Write the items still held; the outline's root object (None: no items)."""
        if not self.path:
            return None
        root = self.path[0].number
        while self.path:
            self._write(self.path.pop())
        return root


class _JoinedFile:
    """Parts of one document joined page by page into one file (:func:`join_pdfs`),
    holding one part at a time in pypdf's objects."""

    def __init__(self, header: bytes, fonts: Mapping[str, bytes]) -> None:
        self.objects = _Objects(header)
        self.fonts = fonts
        # Numbers the catalog's objects keep; the pages' parent is needed first.
        self.root, self.pages_root = self.objects.reserve(), self.objects.reserve()
        self.pages: list[int] = []
        self.programs: dict[str, int] = {}
        self.outline = _Outline(self.objects)
        #: Depth of the later parts' top outline items: under the first part's heading.
        self.nested: int | None = None
        #: Named destinations: (sort key, order added, name and array as written).
        self.names: list[tuple[bytes, int, bytes, bytes]] = []
        self.info: int | None = None
        self.lang: Any = None

    def program(self, name: str) -> int:
        """The file's object of the program of font ``name`` (written when first used)."""
        from pypdf.generic import NameObject, NumberObject, StreamObject

        if name not in self.programs:
            stream = StreamObject()
            stream[NameObject("/Length1")] = NumberObject(len(self.fonts[name]))
            stream.set_data(self.fonts[name])
            number = self.programs[name] = self.objects.reserve()
            self.objects.put(number, stream.flate_encode())
        return self.programs[name]

    def add(self, part: bytes, folios: bytes) -> None:
        """Append a part's pages, each with the page numbers laid over it from the pages
        of ``folios``, and its outline and named destinations."""
        from pypdf import PdfReader, PdfWriter
        from pypdf.generic import NullObject

        reader, numbered = PdfReader(io.BytesIO(part)), PdfReader(io.BytesIO(folios))
        # A writer for this part alone: it does what pypdf does to copy and merge pages,
        # then its objects are written out in this file's numbers and it is dropped.
        writer = PdfWriter()
        held: dict[int, int] = {writer.root_object.raw_get("/Pages").idnum: self.pages_root}
        stand_ins: dict[str, Any] = {}

        def program(name: str) -> Any:
            # A stand-in object of the writer, written as a reference to the program.
            if name not in stand_ins:
                stand_ins[name] = writer._add_object(NullObject())  # pypdf's own way
                held[stand_ins[name].idnum] = self.program(name)
            return stand_ins[name]

        _share(reader, self.fonts, program)
        first = self.nested is None
        if first:
            if reader.metadata is not None:
                writer.add_metadata(reader.metadata)
            self.info = self.objects.reserve()
            self.objects.put(self.info, writer.metadata)
            self.lang = reader.root_object.get("/Lang")
        writer.append(reader, import_outline=False)
        _share(numbered, self.fonts, program)
        for page, folio in zip(writer.pages, numbered.pages, strict=True):
            page.merge_page(folio)
            page.compress_content_streams()
        # As pypdf does before writing: links within the part point at its new pages.
        writer._resolve_links()
        start = len(self.pages)
        self.pages += _write_part(self.objects, writer, held)
        self._add_outline(reader, reader.outline, 1 + (self.nested or 0), start)
        if first:
            self.nested = 1 if reader.outline else 0
        self._add_names(reader, start)

    def _add_outline(self, reader: Any, items: list[Any], depth: int, start: int) -> None:
        from pypdf.generic import Destination, Fit

        for item in items:
            if isinstance(item, list):
                # A nested list holds the children of the item before it.
                self._add_outline(reader, item, depth + 1, start)
                continue
            page = self.objects.ref(self.pages[start + reader.get_destination_page_number(item)])
            dest = Destination(item.title, page, Fit.xyz(item.left, item.top, item.zoom))
            self.outline.add(depth, item.title, dest.dest_array)

    def _add_names(self, reader: Any, start: int) -> None:
        from pypdf.generic import ArrayObject, TextStringObject

        for name, dest in reader.named_destinations.items():
            page = reader.get_destination_page_number(dest)
            if page is None:
                continue
            key, array = TextStringObject(name), ArrayObject(
                [self.objects.ref(self.pages[start + page]), *dest.dest_array[1:]])
            written_key, written = io.BytesIO(), io.BytesIO()
            key.write_to_stream(written_key)
            array.write_to_stream(written)
            self.names.append((key.get_original_bytes(), len(self.names),
                               written_key.getvalue(), written.getvalue()))

    def _write_names(self) -> int | None:
        """The name tree of the named destinations (sorted by name, as a name tree is;
        a name given twice keeps its first destination): its root object's number."""
        if not self.names:
            return None
        entries, seen = [], set()
        for key, _, name, dest in sorted(self.names):
            if key not in seen:
                seen.add(key)
                entries.append((name, dest))
        self.names = []
        leaves = []
        for start in range(0, len(entries), _NAMES_PER_LEAF):
            leaf = entries[start:start + _NAMES_PER_LEAF]
            number = self.objects.reserve()
            leaves.append(b"%d 0 R" % number)
            self.objects.put_written(number, b"<<\n/Limits [ %s %s ]\n/Names [ %s ]\n>>" % (
                leaf[0][0], leaf[-1][0], b" ".join(b"%s %s" % pair for pair in leaf)))
        root = self.objects.reserve()
        self.objects.put_written(root, b"<<\n/Kids [ %s ]\n>>" % b" ".join(leaves))
        return root

    def finish(self) -> bytes:
        """The joined file."""
        from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

        ref = self.objects.ref
        self.objects.put(self.pages_root, DictionaryObject({
            NameObject("/Type"): NameObject("/Pages"),
            NameObject("/Kids"): ArrayObject(ref(page) for page in self.pages),
            NameObject("/Count"): NumberObject(len(self.pages))}))
        catalog = DictionaryObject({NameObject("/Type"): NameObject("/Catalog"),
                                    NameObject("/Pages"): ref(self.pages_root)})
        outline = self.outline.finish()
        if outline is not None:
            catalog[NameObject("/Outlines")] = ref(outline)
        names = self._write_names()
        if names is not None:
            catalog[NameObject("/Names")] = DictionaryObject({NameObject("/Dests"): ref(names)})
        if self.lang is not None:
            catalog[NameObject("/Lang")] = self.lang
        self.objects.put(self.root, catalog)
        return self.objects.finish(self.root, self.info)


def _write_part(objects: _Objects, writer: Any, held: dict[int, int]) -> list[int]:
    """Write the pages of ``writer`` (one part's) and every object they reach into
    ``objects``, in this file's numbers; ``held``: the writer's numbers of objects the
    file has already (the pages' parent, the fonts' programs) → the file's. Returns the
    file's numbers of the pages, in order."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    todo: deque[int] = deque()

    def ref(indirect: Any) -> Any:
        if indirect.pdf is not writer:
            raise ValueError("a part's page refers to an object outside the part")
        number = held.get(indirect.idnum)
        if number is None:
            number = held[indirect.idnum] = objects.reserve()
            todo.append(indirect.idnum)
        return objects.ref(number)

    def renumber(obj: Any) -> None:
        # In place: the writer is dropped once its part is written.
        for key, value in list(obj.items()):
            if isinstance(value, IndirectObject):
                if value.pdf is not objects:
                    obj[key] = ref(value)
            elif isinstance(value, (DictionaryObject, ArrayObject)):
                renumber(value)

    pages = [ref(page.indirect_reference).idnum for page in writer.pages]
    while todo:
        number = todo.popleft()
        obj = writer.get_object(number)
        if isinstance(obj, (DictionaryObject, ArrayObject)):
            renumber(obj)
        objects.put(held[number], obj)
    return pages


__all__ = ["FONTS", "NUMBERS", "Font", "anchors", "font_epoch",
           "html_to_pdf", "join_pdfs", "page_count", "page_css", "prepare", "shared_fonts"]
