"""Interface text: one gettext mechanism (Babel) for the workspace and the memorial.

Text is written in English where it is shown (templates, page code) and translated
through a Persian ``.po`` catalogue kept beside the code that shows it
(``web/locale``, ``publish/locale``). The catalogue is read with Babel and used in
memory, so the repository holds one source of truth (the ``.po`` file) and no binary.
:func:`extract` finds every message of a package (gettext calls in its templates and
Python, constants marked with :func:`N_`), :func:`update` refreshes a catalogue from
it (new messages untranslated, removed ones dropped), and each package's test fails
while a message lacks its Persian translation.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

#: Where each package keeps its Persian catalogue, under the package's folder.
PO_PATH = Path("locale") / "fa" / "LC_MESSAGES" / "messages.po"


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "translated when shown")
    """Mark a constant as a message to translate where it is shown; returns it as is."""
    return message


def load(path: Path) -> Catalog:
    """A Persian catalogue as committed."""
    with path.open("rb") as handle:
        return read_po(handle, locale="fa")


def compile_catalogue(path: Path) -> gettext.NullTranslations:
    """The ``.po`` catalogue compiled in memory (fuzzy entries are not used)."""
    buffer = io.BytesIO()
    write_mo(buffer, load(path), use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


def translated(path: Path) -> dict[str, str]:
    """Message → its Persian translation, for the messages translated (not fuzzy)."""
    return {str(m.id): str(m.string) for m in load(path)
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def extract(root: Path, methods: Sequence[tuple[str, str]],
            keywords: Mapping[str, Any], options: Mapping[str, Mapping[str, str]]) -> Catalog:
    """Every message of the package at ``root``, as a catalogue template."""
    catalog = Catalog(project="dadkhahi", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), list(methods), keywords=dict(keywords),
            options_map={k: dict(v) for k, v in options.items()},
            strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments,
                    context=context)
    return catalog


def update(path: Path, template: Catalog) -> tuple[int, int]:
    """Bring the catalogue at ``path`` up to date with ``template``; (messages,
    untranslated)."""
    catalog = load(path) if path.exists() else Catalog(locale="fa", project="dadkhahi")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    write(path, catalog)
    untranslated = sum(1 for m in catalog if m.id and not m.string)
    return len([m for m in catalog if m.id]), untranslated


def write(path: Path, catalog: Catalog) -> None:
    """Write a catalogue as the repository keeps it (sorted, no locations)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, no_location=True, sort_output=True,
                 width=100)


__all__ = ["N_", "PO_PATH", "compile_catalogue", "extract", "load", "translated", "update",
           "write"]
