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

Needs Pango at run time (Debian ``libpango-1.0-0``, ``libpangoft2-1.0-0``:
``scripts/install-system-deps.sh``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
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
  @bottom-center { content: counter(page, %(numbers)s) " / " counter(pages, %(numbers)s); }
  %(stamp)s
}
html { font-family: "%(family)s", sans-serif; font-size: 10pt; line-height: 1.4; }
"""

_STAMP_CSS = """@top-center { content: "%s"; color: #b00020; font-weight: bold; }"""


def _css_string(text: str) -> str:
    """``text`` as the inside of a double-quoted CSS string."""
    return "".join(c if c.isalnum() or c in " —-.,:;()" else f"\\{ord(c):x} " for c in text)


#: Page numbers' counter styles: the digits a book's readers number pages with.
#: ``persian`` (۱۲۳) is one of the counter styles WeasyPrint's user-agent stylesheet
#: defines (CSS Counter Styles' predefined list).
NUMBERS = ("decimal", "persian")


def page_css(stamp: str | None = None, numbers: str = "decimal") -> str:
    """The stylesheet every PDF page gets: A4, the embedded font, page numbers in the
    counter style ``numbers`` (one of :data:`NUMBERS`), and ``stamp`` (e.g.
    "SYNTHETIC — NOT EVIDENCE") at the top of every page."""
    if numbers not in NUMBERS:
        raise ValueError(f"page numbers in {numbers!r}: not one of {', '.join(NUMBERS)}")
    return _PAGE_CSS % {
        "family": FONT_FAMILY, "font": FONT_FILE.as_uri(), "numbers": numbers,
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
    from weasyprint.urls import URLFetcher

    _keep_truncated_images_errors()

    class AssetsOnly(URLFetcher):  # type: ignore[misc]
        """Fetches files under the assets folder and nothing else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not _under_assets(url):
                raise ValueError("only the project's assets are fetched into a PDF")
            return super().fetch(url, headers)

    return AssetsOnly(allowed_protocols=("file",))


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
                created: str | None = None, numbers: str = "decimal") -> bytes:
    """``html`` laid out as an A4 PDF with its fonts embedded; the same arguments give
    the same bytes.

    ``stamp``: a line at the top of every page (the SYNTHETIC mark of demo material).
    ``title``: the document's title in the PDF metadata (else the page's ``<title>``).
    ``created``: the document's creation (and modification) date in its metadata, a W3C
    date such as ``2026-12-03`` taken from the data, never the clock (none if omitted).
    ``numbers``: the page numbers' digits, ``"persian"`` (۱۲۳) for a Persian book; a
    reference to a page inside the document (``target-counter``) should name the same
    style, so the two agree.
    """
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    _keep_truncated_images_errors()

    fetcher = _fetcher()
    # One font configuration for the page and its stylesheet, or @font-face is ignored.
    fonts = FontConfiguration()
    document = HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=fetcher)
    rendered = document.render(font_config=fonts, stylesheets=[
        CSS(string=page_css(stamp, numbers), url_fetcher=fetcher, font_config=fonts)])
    if title is not None:
        rendered.metadata.title = title
    if created is not None:
        rendered.metadata.created = rendered.metadata.modified = created
    with _fixed_font_time():
        pdf: bytes = rendered.write_pdf()
    return pdf


__all__ = ["FONT_FAMILY", "FONT_FILE", "NUMBERS", "font_epoch", "html_to_pdf", "page_css"]
