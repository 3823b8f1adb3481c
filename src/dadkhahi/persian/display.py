"""How digits and dates are written for a reader: Persian digits, Solar Hijri months.

Shared by every face that shows dates and counts (the workspace's pages, the static
memorial), so a date reads the same on both.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import jdatetime

_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

#: Month names of the Solar Hijri calendar as English text writes them.
JALALI_EN = ("Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar", "Mehr",
             "Aban", "Azar", "Dey", "Bahman", "Esfand")
JALALI_FA = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان",
             "آذر", "دی", "بهمن", "اسفند")
GREGORIAN_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
#: Gregorian month names as Persian writes them.
GREGORIAN_FA = ("ژانویه", "فوریه", "مارس", "آوریل", "مه", "ژوئن", "ژوئیه", "اوت", "سپتامبر",
                "اکتبر", "نوامبر", "دسامبر")


def persian_digits(text: str) -> str:
    """``text`` with ASCII digits written as Persian digits."""
    return text.translate(_TO_PERSIAN)


@lru_cache(maxsize=65536)
def jalali(day: dt.date) -> jdatetime.date:
    """The Solar Hijri date of a Gregorian day."""
    return jdatetime.date.fromgregorian(date=day)


def _parts(day: dt.date, calendar: str) -> tuple[int, int, int]:
    if calendar == "gregorian":
        return day.year, day.month, day.day
    j = jalali(day)
    return j.year, j.month, j.day


def _span_text(first: dt.date, last: dt.date, calendar: str, months: tuple[str, ...]) -> str:
    """``first``..``last`` in one calendar, as a day, a whole month, a whole year or a
    range of days."""
    y1, m1, d1 = _parts(first, calendar)
    y2, m2, d2 = _parts(last, calendar)
    next_day = _parts(last + dt.timedelta(days=1), calendar)
    if first == last:
        return f"{d1} {months[m1 - 1]} {y1}"
    if d1 == 1 and next_day[2] == 1:  # whole months
        if m1 == 1 and next_day[1] == 1 and y1 == y2:
            return str(y1)
        if (y1, m1) == (y2, m2):
            return f"{months[m1 - 1]} {y1}"
        if y1 == y2:
            return f"{months[m1 - 1]} – {months[m2 - 1]} {y1}"
    if y1 == y2 and m1 == m2:
        return f"{d1}–{d2} {months[m1 - 1]} {y1}"
    return f"{d1} {months[m1 - 1]} {y1} – {d2} {months[m2 - 1]} {y2}"


@lru_cache(maxsize=65536)
def date_span(first: dt.date, last: dt.date, code: str) -> str:
    """A date known to a day, a month, a year or a span, in both calendars, for readers
    of ``code`` (``fa`` or ``en``): Solar Hijri first (Gregorian beside it, Persian
    digits) in Persian, Gregorian first (Solar Hijri beside it) in English. A whole month
    or year is named as such ("Mordad 1367"), in the calendar in which it is whole; a
    partial date is never shown as one day. The workspace and the memorial both write
    dates with it."""
    persian = code == "fa"
    solar = _span_text(first, last, "jalali", JALALI_FA if persian else JALALI_EN)
    gregorian = _span_text(first, last, "gregorian", GREGORIAN_FA if persian else GREGORIAN_EN)
    if persian:
        return persian_digits(f"{solar} ({gregorian})")
    return f"{gregorian} ({solar})"
