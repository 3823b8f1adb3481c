"""The language of a page: its script first, then a detector whose models ship in its wheel.

Persian and Arabic share a script, and short Latin fragments (names, dates) fool detectors,
so the script decides what it can: no Arabic-script letters means not Persian; Persian-only
letters (پ چ ژ گ) mean Persian. The detector (lingua, offline) settles the rest among the
languages a documentation team meets here.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

#: Letters Persian has and Arabic lacks.
_PERSIAN_ONLY = frozenset("پچژگ")
#: Below this many letters a page is too short to say.
MIN_LETTERS = 12


def script_counts(text: str) -> tuple[int, int]:
    """(Arabic-script letters, Latin letters) in ``text``."""
    arabic = latin = 0
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if name.startswith("ARABIC"):
            arabic += 1
        elif name.startswith("LATIN"):
            latin += 1
    return arabic, latin


@functools.cache
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.PERSIAN, Language.ARABIC, Language.ENGLISH, Language.FRENCH, Language.GERMAN,
        Language.SWEDISH, Language.DUTCH,
    ).build()


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the page's main language, or None if it is too short to tell."""
    arabic, latin = script_counts(text)
    if arabic + latin < MIN_LETTERS:
        return None
    if arabic > latin:
        if any(ch in _PERSIAN_ONLY for ch in text):
            return "fa"
        found = _detector().detect_language_of(text)
        return "ar" if found is not None and found.iso_code_639_1.name == "AR" else "fa"
    found = _detector().detect_language_of(text)
    if found is None:
        return None
    return str(found.iso_code_639_1.name).lower()
