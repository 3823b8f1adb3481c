"""The workspace's interface messages: extracted from the templates and page routers.

``scripts/web-messages`` refreshes the Persian catalogue with :func:`update`; the
translation test extracts with :func:`extract` and fails on any message that has
no Persian translation, so a new string cannot ship untranslated.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog

from dadkhahi import catalogue
from dadkhahi.web.i18n import CATALOGUE

WEB = Path(__file__).resolve().parent
#: gettext's own names and N_ (marks a message translated later, when shown).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "tr": None}
_METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
_OPTIONS = {"templates/**.html": {"trim_blocks": "True", "lstrip_blocks": "True",
                                   "extensions": "jinja2.ext.do"}}


def extract() -> Catalog:
    """Every message the workspace shows, as a catalogue template."""
    return catalogue.extract(WEB, _METHODS, KEYWORDS, _OPTIONS)


def load(path: Path = CATALOGUE) -> Catalog:
    """The Persian catalogue as committed."""
    return catalogue.load(path)


def update(path: Path = CATALOGUE) -> tuple[int, int]:
    """Bring the catalogue up to date with the sources; (messages, untranslated)."""
    return catalogue.update(path, extract())
