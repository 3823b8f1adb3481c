"""The memorial's interface text: English where it is shown, Persian in the catalogue.

The memorial uses the workspace's one mechanism (:mod:`dadkhahi.catalogue`): messages
are written in English in the templates (``_("…")``) and in this package's Python
(``t("…")``, constants marked with ``N_``), and translated through
``publish/locale/fa/LC_MESSAGES/messages.po``, read with Babel. A missing Persian
sentence fails the build (``KeyError``): it never shows English on a Persian page.
``scripts/memorial-messages`` refreshes the catalogue (:func:`update`), and
``tests/publish/test_publish_text.py`` fails while a message lacks its translation.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog

from dadkhahi import catalogue

PACKAGE = Path(__file__).resolve().parent
CATALOGUE = PACKAGE / catalogue.PO_PATH
#: ``t`` (Lang.t), ``_`` (templates), ``N_`` (constants), ``translate(lang, message)``.
KEYWORDS = {"_": None, "t": None, "N_": None, "translate": (2,)}
_METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
_OPTIONS = {"templates/**.html": {"trim_blocks": "True", "lstrip_blocks": "True"}}

LANGUAGE_NAMES = {"fa": "فارسی", "en": "English"}


@cache
def _persian() -> dict[str, str]:
    return catalogue.translated(CATALOGUE)


def translate(lang: str, message: str) -> str:
    """``message`` (English) in ``lang``; a missing Persian sentence is an error."""
    return _persian()[message] if lang == "fa" else message


def text_dir(text: str) -> str:
    """The direction HTML's ``dir="auto"`` gives ``text``: its first strongly
    directional character's (Unicode bidi class L: ``ltr``; R or AL: ``rtl``), ``ltr``
    if it has none.

    The book's templates write it out for every piece of user text (a name, a source's
    title): WeasyPrint has no ``dir="auto"`` (nor ``unicode-bidi``) and lays such an
    element out in its parent's direction, so a Latin title in a Persian book was set
    right to left, its full stop at its left end."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return "ltr"


def extract() -> Catalog:
    """Every message the memorial shows, as a catalogue template."""
    return catalogue.extract(PACKAGE, _METHODS, KEYWORDS, _OPTIONS)


def update() -> tuple[int, int]:
    """Bring the catalogue up to date with the sources; (messages, untranslated)."""
    return catalogue.update(CATALOGUE, extract())


__all__ = ["CATALOGUE", "LANGUAGE_NAMES", "extract", "text_dir", "translate", "update"]
