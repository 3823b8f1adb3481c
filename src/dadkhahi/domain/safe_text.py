"""Text that is safe to show: file names, terminal output, spreadsheet cells.

Stored evidence is never altered here; these functions shape what is *shown*
(a file name in a download, a table on a terminal, a cell a spreadsheet may
evaluate). Evidentiary exports (the ledger export, bundles) keep every value.

* Bidirectional overrides and invisible characters make ``invoice<U+202E>fdp.exe``
  display as ``invoiceexe.pdf``; they are removed from names. The zero-width
  non-joiner (U+200C) stays: Persian spelling needs it (``محمد‌رضا``).
* Terminal escape sequences in stored text (a title set through the API) would
  be obeyed by the terminal that prints them (clear the screen, rewrite lines,
  set the window title); control characters are shown as U+FFFD instead.
* A spreadsheet evaluates a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return as a formula (CSV injection); such cells get a leading
  apostrophe, as OWASP's CSV injection guidance advises.
"""

from __future__ import annotations

import re
import unicodedata

# Format characters that reorder or hide text: bidi embeddings, overrides, isolates and
# marks, the Arabic letter mark, zero-width space and joiner, word joiner and invisible
# operators, soft hyphen, Mongolian vowel separator, BOM, interlinear annotations, and
# tag characters. ZWNJ (U+200C) is not among them.
_INVISIBLE = ("\u00ad\u061c\u180e\u200b\u200d\u200e\u200f\u202a-\u202e\u2060-\u2064"
              "\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f")
_NAME_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TERMINAL_INVISIBLE = re.compile(f"[{_INVISIBLE}]")
#: What a spreadsheet runs as a formula when a cell begins with it (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_display_name(name: str) -> str:
    """A file name without control, bidi-override or invisible characters."""
    return _NAME_UNSAFE.sub("", name)


def safe_name(raw: str | None) -> str | None:
    """A file name fit to keep as metadata: last path part, no control, bidi-override or
    invisible characters, at most 255 characters; None when nothing is left.

    Blobs are stored by hash, never by name, so a name cannot reach the file
    system; this only keeps what is shown later from being misleading.
    """
    if raw is None:
        return None
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = safe_display_name(name).strip().lstrip(".").strip()
    return name[:255] or None


def terminal_safe(text: str) -> str:
    """Text a terminal shows and never obeys: controls become U+FFFD (newlines and tabs
    stay), direction overrides and invisible characters go."""
    if text.isascii() and text.isprintable():
        return text
    return _TERMINAL_INVISIBLE.sub("", _TERMINAL_CONTROL.sub("\ufffd", text))


def spreadsheet_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula (non-text values unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
