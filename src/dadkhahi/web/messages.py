"""The workspace's interface messages: extracted from the templates and page routers.

``scripts/web-messages`` refreshes the Persian catalogue with :func:`update`; the
translation test extracts with :func:`extract` and fails on any message that has
no Persian translation, so a new string cannot ship untranslated.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from dadkhahi.web.i18n import CATALOGUE

WEB = Path(__file__).resolve().parent
#: gettext's own names and N_ (marks a message translated later, when shown).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "tr": None}
_METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
_OPTIONS = {"templates/**.html": {"trim_blocks": "True", "lstrip_blocks": "True",
                                   "extensions": "jinja2.ext.do"}}


def extract() -> Catalog:
    """Every message the workspace shows, as a catalogue template."""
    catalog = Catalog(project="dadkhahi", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(WEB), _METHODS, keywords=KEYWORDS, options_map=_OPTIONS,
            strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments,
                    context=context)
    return catalog


def load(path: Path = CATALOGUE) -> Catalog:
    """The Persian catalogue as committed."""
    with path.open("rb") as handle:
        return read_po(handle, locale="fa")


def update(path: Path = CATALOGUE) -> tuple[int, int]:
    """Bring the catalogue up to date with the sources; (messages, untranslated)."""
    template = extract()
    catalog = load(path) if path.exists() else Catalog(locale="fa", project="dadkhahi")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    with path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, no_location=True, sort_output=True,
                 width=100)
    untranslated = sum(1 for m in catalog if m.id and not m.string)
    return len([m for m in catalog if m.id]), untranslated
