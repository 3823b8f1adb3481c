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


def jalali_month_span(first: dt.date, last: dt.date) -> tuple[int, int] | None:
    """(year, month) when ``first``–``last`` is exactly one Solar Hijri month, else None."""
    a, b, after = jalali(first), jalali(last), jalali(last + dt.timedelta(days=1))
    if a.day == 1 and (a.year, a.month) == (b.year, b.month) and after.day == 1:
        return a.year, a.month
    return None


def gregorian_month_span(first: dt.date, last: dt.date) -> tuple[int, int] | None:
    """(year, month) when ``first``–``last`` is exactly one Gregorian month, else None."""
    if (first.day == 1 and (first.year, first.month) == (last.year, last.month)
            and (last + dt.timedelta(days=1)).day == 1):
        return first.year, first.month
    return None
