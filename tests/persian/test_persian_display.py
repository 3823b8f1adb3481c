"""Dates as readers write them: both calendars, partial dates named as what they are."""

from __future__ import annotations

from datetime import date

import pytest

from dadkhahi.persian.display import date_span


@pytest.mark.parametrize(("first", "last", "fa", "en"), [
    (date(1988, 8, 3), date(1988, 8, 3),
     "۱۲ مرداد ۱۳۶۷ (۳ اوت ۱۹۸۸)", "3 August 1988 (12 Mordad 1367)"),
    # A whole Solar Hijri month: named as the month in that calendar.
    (date(1988, 7, 23), date(1988, 8, 22),
     "مرداد ۱۳۶۷ (۲۳ ژوئیه ۱۹۸۸ – ۲۲ اوت ۱۹۸۸)", "23 July 1988 – 22 August 1988 (Mordad 1367)"),
    # A whole Gregorian month: named as the month in that one.
    (date(1988, 9, 1), date(1988, 9, 30),
     "۱۰ شهریور ۱۳۶۷ – ۸ مهر ۱۳۶۷ (سپتامبر ۱۹۸۸)",
     "September 1988 (10 Shahrivar 1367 – 8 Mehr 1367)"),
    # A whole Solar Hijri year.
    (date(1988, 3, 21), date(1989, 3, 20),
     "۱۳۶۷ (۲۱ مارس ۱۹۸۸ – ۲۰ مارس ۱۹۸۹)", "21 March 1988 – 20 March 1989 (1367)"),
    # Days inside one month of each calendar.
    (date(1988, 8, 5), date(1988, 8, 10),
     "۱۴–۱۹ مرداد ۱۳۶۷ (۵–۱۰ اوت ۱۹۸۸)", "5–10 August 1988 (14–19 Mordad 1367)"),
])
def test_a_date_span_in_both_calendars(first: date, last: date, fa: str, en: str) -> None:
    assert date_span(first, last, "fa") == fa
    assert date_span(first, last, "en") == en
