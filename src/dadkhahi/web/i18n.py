"""Languages of the workspace: gettext catalogues (Babel), digits, numbers and dates.

Interface text is written in English in the templates and the page routers and
translated through the gettext catalogue ``locale/fa/LC_MESSAGES/messages.po``.
The catalogue is read with Babel when the app starts and compiled in memory, so
the repository holds one source of truth (the ``.po`` file) and no binary.

Persian pages show Persian digits in counts, dates and prose, and dates in the
Solar Hijri calendar; English pages show Gregorian dates with the Solar Hijri
date beside them. Identifiers, hashes and coordinates are never localised: the
templates put them, in ASCII, inside ``<bdi dir="ltr">``.
"""

from __future__ import annotations

import datetime as dt
import gettext
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

import jdatetime
from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal

from dadkhahi import catalogue
from dadkhahi.persian.display import GREGORIAN_EN as _GREGORIAN_EN
from dadkhahi.persian.display import JALALI_EN as _JALALI_EN
from dadkhahi.persian.display import JALALI_FA as _JALALI_FA
from dadkhahi.persian.display import date_span, persian_digits

Lang = Literal["fa", "en"]
LANGUAGES: tuple[Lang, ...] = ("fa", "en")
#: The workspace opens in Persian: its users are first of all a Persian-speaking team.
DEFAULT: Lang = "fa"
LOCALE = Path(__file__).resolve().parent / "locale"
CATALOGUE = Path(__file__).resolve().parent / catalogue.PO_PATH

# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits, as typed on any keyboard.
_TO_ASCII = str.maketrans({**{chr(0x06F0 + i): str(i) for i in range(10)},
                           **{chr(0x0660 + i): str(i) for i in range(10)},
                           "٫": ".", "٬": ",", "،": ","})


def ascii_digits(text: str) -> str:
    """``text`` with Persian and Arabic-Indic digits (and their separators) in ASCII.

    Every input that takes a number, a date or an identifier goes through this, so a
    user may type on a Persian, an Arabic or a Latin keyboard.
    """
    return text.translate(_TO_ASCII)


@dataclass(frozen=True)
class Language:
    """One interface language: its code, direction and translations."""

    code: Lang
    translations: gettext.NullTranslations

    @property
    def dir(self) -> str:
        return "rtl" if self.code == "fa" else "ltr"

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def digits(self, text: str) -> str:
        """Digits of prose in this language (Persian digits on Persian pages)."""
        return persian_digits(text) if self.code == "fa" else text

    def number(self, value: int | float | None, decimals: int | None = None) -> str:
        """A count or measure with the language's grouping and digits ('' for None)."""
        if value is None:
            return ""
        if decimals is not None:
            value = round(float(value), decimals)
            fmt = "#,##0." + "0" * decimals if decimals else "#,##0"
        else:
            fmt = None
        return _formatted(self.code, value, fmt)

    def language_name(self, code: str) -> str | None:
        """The name, in this language, of the language a code such as ``fa``, ``en`` or
        ``fa-IR`` names (BCP 47, as an interview's language is typed); None when it names
        none CLDR knows."""
        try:
            return str(Locale.parse(code.strip().replace("-", "_")).get_display_name(
                self.code)) or None
        except (ValueError, UnknownLocaleError):
            return None

    def date(self, value: dt.date | str | None) -> str:
        """A day: Solar Hijri on Persian pages; Gregorian with the Solar Hijri beside it
        on English pages ('' for None)."""
        day = _as_date(value)
        if day is None:
            return ""
        j = jdatetime.date.fromgregorian(date=day)
        if self.code == "fa":
            return persian_digits(f"{j.day} {_JALALI_FA[j.month - 1]} {j.year}")
        return (f"{day.day} {_GREGORIAN_EN[day.month - 1]} {day.year} "
                f"({j.day} {_JALALI_EN[j.month - 1]} {j.year})")

    def datetime(self, value: dt.datetime | str | None) -> str:
        """A moment (UTC), as :meth:`date` plus the time of day."""
        moment = _as_datetime(value)
        if moment is None:
            return ""
        return f"{self.date(moment.date())} {self.digits(moment.strftime('%H:%M'))}"

    def span(self, earliest: dt.date | str | None, latest: dt.date | str | None) -> str:
        """A date known to a day, a month, a year or a span, in both calendars: Solar
        Hijri first (Gregorian beside it) on Persian pages, Gregorian first on English
        ones. A whole month or year is named as such ("Mordad 1367"), in the calendar in
        which it is whole; a partial date is never shown as one day."""
        first, last = _as_date(earliest), _as_date(latest)
        if first is None and last is None:
            return ""
        first = first or last
        last = last or first
        assert first is not None
        assert last is not None
        return date_span(first, last, self.code)

    def interval(self, earliest: dt.date | str | None, latest: dt.date | str | None) -> str:
        """A date that may be known to a day or only to a span of days."""
        first, last = _as_date(earliest), _as_date(latest)
        if first is None and last is None:
            return ""
        if first == last or last is None:
            return self.date(first)
        if first is None:
            return self.date(last)
        return f"{self.date(first)} – {self.date(last)}"


def _as_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _as_datetime(value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def compile_catalogue(path: Path = CATALOGUE) -> gettext.NullTranslations:
    """The ``.po`` catalogue compiled in memory (fuzzy entries are not used)."""
    return catalogue.compile_catalogue(path)


@lru_cache(maxsize=4096, typed=True)
def _formatted(code: str, value: int | float, fmt: str | None) -> str:
    """A number in a language's grouping and digits. Babel takes some 20 us a number and a
    dashboard shows hundreds (its breakdowns' rows, their row numbers): the same counts
    recur on every page, so they are formatted once (kept by value and type: numbers,
    never text a person typed)."""
    if code == "fa":
        return persian_digits(format_decimal(value, fmt, locale="fa",
                                             numbering_system="arabext"))
    return format_decimal(value, fmt, locale="en")


@cache
def language(code: str) -> Language:
    """The interface language ``code`` (``fa`` or ``en``); KeyError for another."""
    if code == "fa":
        return Language("fa", compile_catalogue())
    if code == "en":
        return Language("en", gettext.NullTranslations())
    raise KeyError(code)


def other(code: str) -> Lang:
    """The language a switch on a page in ``code`` leads to."""
    return "en" if code == "fa" else "fa"


def negotiate(accept_language: str | None) -> Lang:
    """The language a visitor's browser prefers among ours (Persian by default)."""
    if accept_language:
        for part in accept_language.split(","):
            tag = part.split(";", 1)[0].strip().lower()
            if tag.startswith("en"):
                return "en"
            if tag.startswith("fa") or tag.startswith("per"):
                return "fa"
    return DEFAULT

