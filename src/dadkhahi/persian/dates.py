"""Parse dates written in Solar Hijri (Jalali) or Gregorian into a Gregorian interval.

Lists give dates as ``1367/05/12``, ``12 Mordad 1367``, ``مرداد ۱۳۶۷``, ``3 August 1988``,
``summer 1988``, ``1367?`` or just a year. A date is kept as the interval of days it can
mean (``earliest``..``latest``, Gregorian, inclusive) together with the original text.

Rules, in order:

* Month names in English, French, German and common romanisations of the Persian
  names (Mordad, Amordad, Mordād, Chahrivar, Schahriwar…), and in Persian script.
* Calendar: the ``calendar`` argument if not ``"auto"``; else a calendar word
  (``شمسی``, ``SH``, ``میلادی``, ``AD``…); else a month or season name (Jalali month
  names are Jalali; Gregorian month names, including Persian ``اوت``, ``ژوئیه``, are
  Gregorian); else the year: 1300–1420 Jalali, 1800–2100 Gregorian.
* All-number dates: a four-digit year first is year/month/day; a year last is
  day/month/year (as Iranian and European lists write it), or month/day/year when the
  middle number cannot be a month. Two numbers are year and month.
* ``?`` marks the date uncertain, ``circa``/``c.``/``~``/``حدود``/``تقریباً`` approximate;
  the interval stays the stated period and the flags are rendered in EDTF.
* Seasons: Jalali seasons are three whole months (تابستان = Tir..Shahrivar); Gregorian
  seasons run solstice/equinox to the day before the next (summer = 21 June..22 Sept).
"""

from __future__ import annotations

import calendar as gregorian_calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import jdatetime

from dadkhahi.persian.normalize import normalize_script, to_ascii_latin

Calendar = Literal["jalali", "gregorian"]
Precision = Literal["day", "month", "season", "year"]


class DateParseError(ValueError):
    """The text is not a date this parser understands (message says why)."""


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split(" "))


def _names(table: dict[int, str]) -> dict[str, int]:
    return {
        spelling: number for number, spellings in table.items() for spelling in spellings.split()
    }


_JALALI_MONTHS = _names(
    {
        1: "farvardin farvardeen farvadin farvardine farwardin فروردین",
        2: "ordibehesht ordibehest ordibehecht ordibeheshd ordibehescht ardibehesht اردیبهشت",
        3: "khordad khurdad khordaad chordad xordad خرداد",
        4: "tir teer تیر",
        5: "mordad amordad murdad mordaad amurdad مرداد امرداد",
        6: "shahrivar shahrewar sharivar shahriwar chahrivar schahriwar shahrevar شهریور",
        7: "mehr mihr مهر",
        8: "aban aabaan abaan آبان",
        9: "azar adhar aazar asar آذر",
        10: "dey day dei دی",
        11: "bahman بهمن",
        12: "esfand espand isfand esfend ispand اسفند",
    }
)
_GREGORIAN_MONTHS = _names(
    {
        1: "january jan janvier januar ژانویه",
        2: "february feb fevrier februar فوریه",
        3: "march mar mars marz maerz مارس",
        4: "april apr avril آوریل",
        5: "may mai مه می",
        6: "june jun juin juni ژوئن",
        7: "july jul juillet juli ژوئیه جولای",
        8: "august aug aout اوت آگوست",
        9: "september sep sept septembre سپتامبر",
        10: "october oct octobre oktober okt اکتبر",
        11: "november nov نوامبر",
        12: "december dec decembre dezember dez دسامبر",
    }
)
_JALALI_SEASONS = _names({1: "بهار", 2: "تابستان", 3: "پاییز پائیز", 4: "زمستان"})
_LATIN_SEASONS = _names({1: "spring", 2: "summer", 3: "autumn fall", 4: "winter"})
_JALALI_SEASONS_LATIN = _names({1: "bahar", 2: "tabestan", 3: "paeez paiz paeiz", 4: "zemestan"})
# Gregorian seasons as (month, day) of their first day; winter runs into the next year.
_GREGORIAN_SEASON_START = {1: (3, 21), 2: (6, 21), 3: (9, 23), 4: (12, 22)}

_JALALI_MARKERS = _wordset("شمسی هش ش sh ap solar hijri jalali")
_GREGORIAN_MARKERS = _wordset("میلادی م ad ce gregorian")
_APPROXIMATE = _wordset("circa ca c approx approximately about around حدود حدودا تقریبا اواسط")
_NOISE = _wordset("of the in year month سال ماه روز هجری")

_TOKEN = re.compile(r"\d+|[^\W\d_]+|[?~]")
_PERSIAN = re.compile("[\u0600-\u06ff]")


@dataclass(frozen=True)
class DateInterval:
    """A date as the Gregorian interval it can mean, with its original text."""

    earliest: date
    latest: date
    original: str
    calendar: Calendar
    precision: Precision
    uncertain: bool = False
    approximate: bool = False

    def edtf(self) -> str:
        """Extended Date/Time Format (ISO 8601-2) rendering, Gregorian.

        A Gregorian year, month or season is written as such (``1988``, ``1988-08``,
        ``1988-22``); a Jalali month or year does not align with Gregorian ones and is
        written as an interval (``1988-07-23/1988-08-22``). ``?`` uncertain, ``~``
        approximate, ``%`` both.
        """
        mark = "%" if self.uncertain and self.approximate else "?" if self.uncertain else ""
        mark = mark or ("~" if self.approximate else "")
        if self.precision == "day":
            return self.earliest.isoformat() + mark
        if self.calendar == "gregorian":
            year = f"{self.earliest.year:04d}"
            if self.precision == "year":
                return year + mark
            if self.precision == "month":
                return f"{year}-{self.earliest.month:02d}{mark}"
            season = next(
                s for s, (m, _) in _GREGORIAN_SEASON_START.items() if m == self.earliest.month
            )
            return f"{year}-{20 + season}{mark}"
        return f"{self.earliest.isoformat()}{mark}/{self.latest.isoformat()}{mark}"


def _jalali_day(year: int, month: int, day: int) -> date:
    try:
        result: date = jdatetime.date(year, month, day).togregorian()
    except ValueError as error:
        raise DateParseError(f"no such Jalali date {year}/{month}/{day}: {error}") from None
    return result


def _jalali_month(year: int, month: int) -> tuple[date, date]:
    first = _jalali_day(year, month, 1)
    following = _jalali_day(year + 1, 1, 1) if month == 12 else _jalali_day(year, month + 1, 1)
    return first, following - timedelta(days=1)


def _gregorian_day(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as error:
        raise DateParseError(f"no such date {year}-{month}-{day}: {error}") from None


def _gregorian_month(year: int, month: int) -> tuple[date, date]:
    if not 1 <= month <= 12:
        raise DateParseError(f"no month {month}")
    last = gregorian_calendar.monthrange(year, month)[1]
    return date(year, month, 1), date(year, month, last)


def _season(year: int, season: int, cal: Calendar) -> tuple[date, date]:
    if cal == "jalali":
        first_month = 3 * (season - 1) + 1
        return _jalali_month(year, first_month)[0], _jalali_month(year, first_month + 2)[1]
    month, day = _GREGORIAN_SEASON_START[season]
    start = date(year, month, day)
    next_month, next_day = _GREGORIAN_SEASON_START[season % 4 + 1]
    end = date(year + (season == 4), next_month, next_day) - timedelta(days=1)
    return start, end


def _calendar_of_year(year: int) -> Calendar:
    if 1300 <= year <= 1420:
        return "jalali"
    if 1800 <= year <= 2100:
        return "gregorian"
    raise DateParseError(f"year {year} is neither Jalali (1300-1420) nor Gregorian (1800-2100)")


def _split_numbers(numbers: list[int]) -> tuple[int, int | None, int | None]:
    """(year, month, day) from an all-number date."""
    if len(numbers) == 1:
        return numbers[0], None, None
    if len(numbers) == 2:
        a, b = numbers
        return (a, b, None) if a >= 100 else (b, a, None)
    a, b, c = numbers
    if a >= 100:
        return a, b, c
    if c < 100:
        raise DateParseError("cannot tell which number is the year (use four digits)")
    return (c, a, b) if b > 12 >= a else (c, b, a)


def _tokens(text: str) -> list[str]:
    folded = normalize_script(text).lower()
    folded = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", folded)
    folded = folded.replace("ه.ش", " هش ").replace("هـ.ش", " هش ").replace("ه ش", " هش ")
    words = _TOKEN.findall(folded)
    # Latin words lose their accents (Mordād, août); Persian words stay as they are.
    return [w if _PERSIAN.search(w) else to_ascii_latin(w).lower() for w in words]


def parse_date(
    text: str, calendar: Literal["auto", "jalali", "gregorian"] = "auto"
) -> DateInterval:
    """Parse a Jalali or Gregorian date into an interval (see module docstring).

    Raises :class:`DateParseError` (a ``ValueError``) for text that is not a date or a
    date that does not exist (``1367/12/30``).
    """
    original = text
    if not text or not text.strip():
        raise DateParseError("empty date")
    uncertain = approximate = False
    marker: Calendar | None = None
    numbers: list[int] = []
    month: tuple[int, Calendar] | None = None
    season: tuple[int, Calendar | None] | None = None
    for word in _tokens(text):
        if word == "?":
            uncertain = True
        elif word == "~" or word in _APPROXIMATE:
            approximate = True
        elif word.isdigit():
            numbers.append(int(word))
        elif word in _JALALI_MARKERS:
            marker = "jalali"
        elif word in _GREGORIAN_MARKERS:
            marker = "gregorian"
        elif word in _JALALI_MONTHS:
            month = (_JALALI_MONTHS[word], "jalali")
        elif word in _GREGORIAN_MONTHS:
            month = (_GREGORIAN_MONTHS[word], "gregorian")
        elif word in _JALALI_SEASONS or word in _JALALI_SEASONS_LATIN:
            season = (_JALALI_SEASONS.get(word) or _JALALI_SEASONS_LATIN[word], "jalali")
        elif word in _LATIN_SEASONS:
            season = (_LATIN_SEASONS[word], None)
        elif word not in _NOISE:
            raise DateParseError(f"not a date: {original!r} (unknown word {word!r})")
    if not numbers:
        raise DateParseError(f"not a date: {original!r} (no year)")
    if len(numbers) > 3 or ((month or season) and len(numbers) > 2):
        raise DateParseError(f"not a date: {original!r} (too many numbers)")

    named_calendar = month[1] if month else season[1] if season else None
    if month or season:
        year = max(numbers)
        day = min(numbers) if len(numbers) == 2 else None
        if year < 100:
            raise DateParseError(f"not a date: {original!r} (year must have four digits)")
        month_number = month[0] if month else None
    else:
        year, month_number, day = _split_numbers(numbers)
    chosen: Calendar = (
        calendar if calendar != "auto" else marker or named_calendar or _calendar_of_year(year)
    )
    if named_calendar is not None and calendar != "auto" and named_calendar != calendar:
        raise DateParseError(f"{original!r} names a {named_calendar} month, not {calendar}")

    precision: Precision
    if season is not None:
        earliest, latest = _season(year, season[0], chosen)
        precision = "season"
    elif month_number is None:
        if chosen == "jalali":
            earliest, latest = _jalali_day(year, 1, 1), _jalali_month(year, 12)[1]
        else:
            earliest, latest = date(year, 1, 1), date(year, 12, 31)
        precision = "year"
    elif day is None:
        if not 1 <= month_number <= 12:
            raise DateParseError(f"not a date: {original!r} (no month {month_number})")
        month_range = _jalali_month if chosen == "jalali" else _gregorian_month
        earliest, latest = month_range(year, month_number)
        precision = "month"
    else:
        day_of = _jalali_day if chosen == "jalali" else _gregorian_day
        earliest = latest = day_of(year, month_number, day)
        precision = "day"
    return DateInterval(earliest, latest, original, chosen, precision, uncertain, approximate)



# --- dates in running text -------------------------------------------------------------

# One character for one (digits to ASCII, Arabic yeh and kaf to Persian), so a match in
# the folded text stands at the same offsets in the original.
_SAME_LENGTH = {0x06F0 + i: str(i) for i in range(10)} | {0x0660 + i: str(i) for i in range(10)}
_SAME_LENGTH |= {0x064A: "\u06cc", 0x0643: "\u06a9"}


def _alternatives(names: dict[str, int]) -> str:
    # Longest first, so "Mordad" is not cut to a shorter spelling; short Latin
    # abbreviations are left out (too many ordinary words: "mar", "dey", "tir").
    short = {"mar", "may", "tir", "dey", "day", "dei", "mai", "mehr"}
    kept = sorted((n for n in names if (len(n) >= 3 and n not in short) or _PERSIAN.search(n)),
                  key=lambda n: (-len(n), n))
    return "|".join(re.escape(n) for n in kept)


_MONTH = f"(?:{_alternatives(_JALALI_MONTHS | _GREGORIAN_MONTHS)}|May|Mehr|Tir|Dey)"
_SEASON = f"(?:{_alternatives(_JALALI_SEASONS | _LATIN_SEASONS | _JALALI_SEASONS_LATIN)})"
_YEAR = r"(?:1[3-4]\d\d|1[89]\d\d|20\d\d)"
_NOT_NUMBER_BEFORE = r"(?<![\d,./])"
_NOT_NUMBER_AFTER = r"(?![\d,]\d|\d|/\d)"
_MARK = r"(?:\s*(?:ه\.?\s?ش\.?|هجری\s+شمسی|شمسی|میلادی|SH|AD)\b)?"
_IN_TEXT = re.compile(
    _NOT_NUMBER_BEFORE + "(?:"
    # 1367/05/12, 1988-08-03
    rf"{_YEAR}[/\-.]\d{{1,2}}[/\-.]\d{{1,2}}"
    # 12/5/1367, 03.08.1988
    rf"|\d{{1,2}}[/\-.]\d{{1,2}}[/\-.]{_YEAR}"
    # 12 Mordad 1367, 12 مرداد ماه ۱۳۶۷, 3 August 1988, 3rd of August, 1988
    rf"|(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?)?{_MONTH}(?:\s+ماه)?,?\s+(?:(?:of|سال)\s+)?{_YEAR}"
    # August 3, 1988
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}"
    # summer 1988, تابستان ۱۳۶۷, summer of 1988
    rf"|{_SEASON}\s+(?:(?:of|سال)\s+)?{_YEAR}"
    # a year alone
    rf"|{_YEAR}"
    ")" + _MARK + _NOT_NUMBER_AFTER,
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateInText:
    """A date written in running text: where it stands (``text[start:end]``) and what it means."""

    start: int
    end: int
    interval: DateInterval


def find_dates(text: str) -> list[DateInText]:
    """Dates in running text, Solar Hijri and Gregorian, in either script, left to right.

    Whole dates (``1367/05/12``, ``12 Mordad 1367``, ``۱۲ مرداد ۱۳۶۷``, ``July 19, 1988``),
    months and seasons with a year, and years alone (1300–1420 Jalali, 1800–2100
    Gregorian, never a part of a larger number such as ``1,988``). Each is read by
    :func:`parse_date`; text it refuses (``1367/13/40``) is not a date.
    """
    found: list[DateInText] = []
    for match in _IN_TEXT.finditer(text.translate(_SAME_LENGTH)):
        try:
            interval = parse_date(text[match.start():match.end()])
        except DateParseError:
            continue
        found.append(DateInText(match.start(), match.end(), interval))
    return found
