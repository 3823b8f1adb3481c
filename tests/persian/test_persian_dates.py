"""Solar Hijri and Gregorian date parsing into Gregorian intervals."""

from __future__ import annotations

from datetime import date, timedelta

import jdatetime
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dadkhahi.persian.dates import DateInterval, DateParseError, parse_date

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
LATIN_MONTHS = [
    "Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar",
    "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand",
]  # fmt: skip
PERSIAN_MONTHS = [
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
]  # fmt: skip


def _jalali(y: int, m: int, d: int) -> date:
    result: date = jdatetime.date(y, m, d).togregorian()
    return result


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "calendar", "edtf"),
    [
        ("1367/05/12", "1988-08-03", "1988-08-03", "jalali", "1988-08-03"),
        ("1367-5-12", "1988-08-03", "1988-08-03", "jalali", "1988-08-03"),
        ("12/05/1367", "1988-08-03", "1988-08-03", "jalali", "1988-08-03"),
        ("۱۳۶۷/۰۵/۱۲", "1988-08-03", "1988-08-03", "jalali", "1988-08-03"),
        ("12 Mordad 1367", "1988-08-03", "1988-08-03", "jalali", "1988-08-03"),
        ("۱۲ مرداد ۱۳۶۷", "1988-08-03", "1988-08-03", "jalali", "1988-08-03"),
        ("Mordad 1367", "1988-07-23", "1988-08-22", "jalali", "1988-07-23/1988-08-22"),
        ("Amordad 1367", "1988-07-23", "1988-08-22", "jalali", "1988-07-23/1988-08-22"),
        ("مرداد ۱۳۶۷", "1988-07-23", "1988-08-22", "jalali", "1988-07-23/1988-08-22"),
        ("1367/5", "1988-07-23", "1988-08-22", "jalali", "1988-07-23/1988-08-22"),
        ("1367", "1988-03-21", "1989-03-20", "jalali", "1988-03-21/1989-03-20"),
        ("1367?", "1988-03-21", "1989-03-20", "jalali", "1988-03-21?/1989-03-20?"),
        ("تابستان ۱۳۶۷", "1988-06-22", "1988-09-22", "jalali", "1988-06-22/1988-09-22"),
        ("Shahrewar 1367", "1988-08-23", "1988-09-22", "jalali", "1988-08-23/1988-09-22"),
        ("10 Day 1367", "1988-12-31", "1988-12-31", "jalali", "1988-12-31"),
        ("1988-08-03", "1988-08-03", "1988-08-03", "gregorian", "1988-08-03"),
        ("3 August 1988", "1988-08-03", "1988-08-03", "gregorian", "1988-08-03"),
        ("August 3rd, 1988", "1988-08-03", "1988-08-03", "gregorian", "1988-08-03"),
        ("08/25/1988", "1988-08-25", "1988-08-25", "gregorian", "1988-08-25"),
        ("August 1988", "1988-08-01", "1988-08-31", "gregorian", "1988-08"),
        ("Aug 1988", "1988-08-01", "1988-08-31", "gregorian", "1988-08"),
        ("اوت ۱۹۸۸", "1988-08-01", "1988-08-31", "gregorian", "1988-08"),
        ("summer 1988", "1988-06-21", "1988-09-22", "gregorian", "1988-22"),
        ("1988", "1988-01-01", "1988-12-31", "gregorian", "1988"),
        ("circa 1988", "1988-01-01", "1988-12-31", "gregorian", "1988~"),
        ("c. 1988?", "1988-01-01", "1988-12-31", "gregorian", "1988%"),
        ("۱۳۶۷ ه.ش", "1988-03-21", "1989-03-20", "jalali", "1988-03-21/1989-03-20"),
    ],
)
def test_forms(text: str, earliest: str, latest: str, calendar: str, edtf: str) -> None:
    parsed = parse_date(text)
    assert parsed.earliest == date.fromisoformat(earliest)
    assert parsed.latest == date.fromisoformat(latest)
    assert parsed.calendar == calendar
    assert parsed.original == text
    assert parsed.edtf() == edtf


def test_explicit_calendar_wins_over_year_range() -> None:
    assert parse_date("1367", calendar="gregorian").earliest == date(1367, 1, 1)
    with pytest.raises(DateParseError):
        parse_date("Mordad 1367", calendar="gregorian")


@pytest.mark.parametrize(
    "text", ["", "   ", "hello", "1367/12/30", "1367/13/01", "99", "12/05/67", "1/2/3/1367"]
)
def test_unparseable_input_raises_value_error(text: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse_date(text)
    assert isinstance(info.value, ValueError)
    assert str(info.value)


def test_leap_year_esfand_30() -> None:
    assert parse_date("1366/12/30").earliest == _jalali(1366, 12, 30)
    assert parse_date("Esfand 1366").latest == date(1988, 3, 20)


_JALALI_DATES = st.builds(
    lambda y, m, d: (y, m, min(d, 31 if m <= 6 else 30 if m <= 11 else 29)),
    st.integers(1300, 1420),
    st.integers(1, 12),
    st.integers(1, 31),
)


@given(_JALALI_DATES, st.sampled_from(range(6)))
def test_jalali_day_round_trip(ymd: tuple[int, int, int], form: int) -> None:
    y, m, d = ymd
    text = [
        f"{y}/{m:02d}/{d:02d}",
        f"{y}-{m}-{d}",
        f"{d:02d}/{m:02d}/{y}",
        f"{y}/{m:02d}/{d:02d}".translate(PERSIAN_DIGITS),
        f"{d} {LATIN_MONTHS[m - 1]} {y}",
        f"{d} {PERSIAN_MONTHS[m - 1]} {y}".translate(PERSIAN_DIGITS),
    ][form]
    parsed = parse_date(text)
    assert parsed.earliest == parsed.latest == _jalali(y, m, d)
    assert parsed.precision == "day"


@given(st.integers(1300, 1420), st.integers(1, 12), st.booleans())
def test_jalali_month_is_whole_month(y: int, m: int, persian: bool) -> None:
    text = (
        f"{PERSIAN_MONTHS[m - 1]} {y}".translate(PERSIAN_DIGITS)
        if persian
        else f"{LATIN_MONTHS[m - 1]} {y}"
    )
    parsed = parse_date(text)
    assert parsed.earliest == _jalali(y, m, 1)
    following = _jalali(y + 1, 1, 1) if m == 12 else _jalali(y, m + 1, 1)
    assert parsed.latest == following - timedelta(days=1)


@given(st.integers(1300, 1420))
def test_jalali_year_spans_nowruz_to_nowruz(y: int) -> None:
    parsed = parse_date(str(y))
    assert parsed.earliest == _jalali(y, 1, 1)
    assert parsed.latest == _jalali(y + 1, 1, 1) - timedelta(days=1)


@given(st.dates(date(1850, 1, 1), date(2030, 12, 31)))
def test_gregorian_round_trip(day: date) -> None:
    for text in (
        day.isoformat(),
        f"{day.day} {day:%B} {day.year}",
        f"{day:%b} {day.day}, {day.year}",
    ):
        parsed = parse_date(text)
        assert (parsed.earliest, parsed.latest) == (day, day)
        assert parsed.edtf() == day.isoformat()


def test_interval_is_frozen_dataclass() -> None:
    parsed = parse_date("1367")
    assert isinstance(parsed, DateInterval)
    with pytest.raises(AttributeError):
        parsed.earliest = date(2000, 1, 1)  # type: ignore[misc]
