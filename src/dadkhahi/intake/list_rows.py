"""Validate and normalise the rows of a list, column by column.

Each canonical field is normalised once per *distinct* value (lists repeat
cities, prisons, dates and common names thousands of times) and mapped back to
rows with a dictionary lookup, so a 100,000-row list costs a few thousand calls
into :mod:`dadkhahi.persian`, not 100,000 per field.

Normalised fields written for each record (absent when empty):

* ``full_name`` (script-normalised), ``given_name``, ``family_name``, ``titles``
  (parsed; a comma in ``full_name`` means "Family, Given"), ``given_canon``,
  ``family_canon``, ``father_canon`` (canonical ids of every part, when all are
  known) and ``given_skel``, ``family_skel``, ``father_skel`` (consonant
  skeletons, ASCII), ``father_name``;
* ``death_date`` (the original text), ``death_earliest``, ``death_latest`` (ISO,
  Gregorian), ``death_calendar``, ``death_precision``, ``death_edtf``;
* ``birth_year`` (as written, a number), ``birth_calendar``, ``birth_year_lo``,
  ``birth_year_hi`` (the Gregorian years it can mean);
* ``age`` (whole years), ``sex`` (``m``/``f``);
* ``city``, ``province``, ``prison``, ``burial_place``, ``affiliation``, ``notes``,
  ``id_number`` (script-normalised) and ``city_key``, ``province_key``, ``prison_key``,
  ``burial_key``, ``affiliation_key`` (:func:`dadkhahi.persian.label_key`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from dadkhahi.persian import (
    DateParseError,
    label_key,
    name_keys,
    normalize_script,
    parse_date,
    parse_name,
)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Birth years accepted: Solar Hijri (1250-1420) or Gregorian (1870-this year).
JALALI_YEARS = (1250, 1420)
GREGORIAN_FIRST_YEAR = 1870
MAX_AGE = 120

_YEAR = re.compile(r"^\s*(\d{4})\s*(?:\?|ش|ه ش|sh|ad|م)?\s*$", re.IGNORECASE)
_AGE = re.compile(r"^\s*(\d{1,3})\s*(?:years?|yrs?|y|ساله|سال)?\s*(?:old)?\s*$", re.IGNORECASE)
_MALE = frozenset({"m", "male", "man", "mr", "h", "مرد", "مذکر", "پسر", "آقا"})
_FEMALE = frozenset(
    {"f", "female", "woman", "w", "mrs", "ms", "زن", "مونث", "مؤنث", "دختر", "خانم"}
)
_PLACES: dict[str, tuple[str, str]] = {
    "city": ("city_key", "place"),
    "province": ("province_key", "place"),
    "prison": ("prison_key", "place"),
    "burial_place": ("burial_key", "place"),
    "affiliation": ("affiliation_key", "org"),
}


@dataclass
class NormalisedRows:
    """Per-row normalised dicts plus what was wrong (problems) or odd (warnings)."""

    rows: list[dict[str, Any]]
    problems: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _distinct(values: Sequence[K], fn: Callable[[K], V]) -> list[V]:
    """``[fn(v) for v in values]``, calling ``fn`` once per distinct value."""
    cache = {v: fn(v) for v in dict.fromkeys(values)}
    return [cache[v] for v in values]


def _clean(text: str) -> str | None:
    text = normalize_script(text).strip()
    return text or None


def _names(row_count: int, cols: dict[str, list[str]]) -> list[dict[str, Any]]:
    empty = [""] * row_count
    triples = list(
        zip(cols.get("full_name", empty), cols.get("given_name", empty),
            cols.get("family_name", empty), strict=True)
    )

    def one(triple: tuple[str, str, str]) -> dict[str, Any]:
        full, given, family = (_clean(t) if t else None for t in triple)
        parsed = parse_name(full, given, family)
        out: dict[str, Any] = {}
        if full:
            out["full_name"] = full
        if parsed.given:
            out["given_name"] = parsed.given
            keys = name_keys(parsed.given)
            out["given_skel"] = keys.skeleton or None
            out["given_canon"] = keys.canonical_key
        if parsed.family:
            out["family_name"] = parsed.family
            keys = name_keys(parsed.family, family=True)
            out["family_skel"] = keys.skeleton or None
            out["family_canon"] = keys.canonical_key
        if parsed.titles:
            out["titles"] = list(parsed.titles)
        return {k: v for k, v in out.items() if v is not None}

    return _distinct(triples, one)


def _father(text: str) -> dict[str, Any]:
    name = _clean(text)
    if name is None:
        return {}
    keys = name_keys(name)
    out = {"father_name": name, "father_skel": keys.skeleton or None,
           "father_canon": keys.canonical_key}
    return {k: v for k, v in out.items() if v is not None}


def _death(text: str, today: date) -> dict[str, Any] | str:
    if not text.strip():
        return {}
    try:
        interval = parse_date(text)
    except DateParseError as exc:
        return f"{text!r} is not a date ({exc})"
    if interval.earliest > today:
        return f"{text!r} is in the future ({interval.earliest.isoformat()})"
    return {
        "death_date": text.strip(),
        "death_earliest": interval.earliest.isoformat(),
        "death_latest": interval.latest.isoformat(),
        "death_calendar": interval.calendar,
        "death_precision": interval.precision,
        "death_edtf": interval.edtf(),
    }


def _birth_year(text: str, today: date) -> dict[str, Any] | str:
    if not text.strip():
        return {}
    match = _YEAR.match(normalize_script(text))
    if match is None:
        return f"{text!r} is not a year (four digits, Solar Hijri or Gregorian)"
    year = int(match.group(1))
    if JALALI_YEARS[0] <= year <= JALALI_YEARS[1]:
        # A Solar Hijri year starts in late March: it spans two Gregorian years.
        return {"birth_year": year, "birth_calendar": "jalali",
                "birth_year_lo": year + 621, "birth_year_hi": year + 622}
    if GREGORIAN_FIRST_YEAR <= year <= today.year:
        return {"birth_year": year, "birth_calendar": "gregorian",
                "birth_year_lo": year, "birth_year_hi": year}
    return (
        f"{text!r} is out of range (Solar Hijri {JALALI_YEARS[0]}-{JALALI_YEARS[1]} or "
        f"Gregorian {GREGORIAN_FIRST_YEAR}-{today.year})"
    )


def _age(text: str) -> dict[str, Any] | str:
    if not text.strip():
        return {}
    match = _AGE.match(normalize_script(text))
    if match is None:
        return f"{text!r} is not a number of years"
    age = int(match.group(1))
    if not 0 < age < MAX_AGE:
        return f"{text!r} is out of range (1-{MAX_AGE - 1})"
    return {"age": age}


def _sex(text: str) -> dict[str, Any] | None:
    if not text.strip():
        return {}
    folded = normalize_script(text).lower().strip(" .")
    if folded in _MALE:
        return {"sex": "m"}
    if folded in _FEMALE:
        return {"sex": "f"}
    return None


def _place(name: str, key_name: str, namespace: str) -> Callable[[str], dict[str, Any]]:
    def one(text: str) -> dict[str, Any]:
        value = _clean(text)
        if value is None:
            return {}
        key = label_key(value, "org" if namespace == "org" else "place")
        return {name: value, key_name: key} if key else {name: value}

    return one


def _text_field(name: str) -> Callable[[str], dict[str, Any]]:
    def one(text: str) -> dict[str, Any]:
        value = _clean(text)
        return {name: value} if value else {}

    return one


def normalise_rows(
    lines: Sequence[int], cols: dict[str, list[str]], *, today: date | None = None
) -> NormalisedRows:
    """Normalise each row's canonical fields; collect problems as (line, message).

    ``cols`` maps canonical field names to their cell texts (one per row, aligned
    with ``lines``).
    """
    today = today or date.today()
    count = len(lines)
    rows: list[dict[str, Any]] = [{} for _ in range(count)]
    result = NormalisedRows(rows)

    def merge(parts: Sequence[dict[str, Any]]) -> None:
        for row, part in zip(rows, parts, strict=True):
            if part:
                row.update(part)

    def checked(name: str, parts: Sequence[dict[str, Any] | str]) -> None:
        good: list[dict[str, Any]] = []
        for line, part in zip(lines, parts, strict=True):
            if isinstance(part, str):
                result.problems.append((line, f"field {name}: {part}"))
                good.append({})
            else:
                good.append(part)
        merge(good)

    if {"full_name", "given_name", "family_name"} & cols.keys():
        merge(_names(count, cols))
    if "father_name" in cols:
        merge(_distinct(cols["father_name"], _father))
    if "death_date" in cols:
        checked("death_date", _distinct(cols["death_date"], lambda t: _death(t, today)))
    if "birth_year" in cols:
        checked("birth_year", _distinct(cols["birth_year"], lambda t: _birth_year(t, today)))
    if "age" in cols:
        checked("age", _distinct(cols["age"], _age))
    if "sex" in cols:
        sexes = _distinct(cols["sex"], _sex)
        unknown = sorted({t for t, s in zip(cols["sex"], sexes, strict=True) if s is None})
        if unknown:
            result.warnings.append(
                f"sex: {len(unknown)} value(s) not understood, kept verbatim only: "
                + ", ".join(repr(u) for u in unknown[:10])
            )
        merge([s or {} for s in sexes])
    for name, (key_name, namespace) in _PLACES.items():
        if name in cols:
            merge(_distinct(cols[name], _place(name, key_name, namespace)))
    for name in ("id_number", "notes"):
        if name in cols:
            merge(_distinct(cols[name], _text_field(name)))
    nameless = sum(
        1 for r in rows if not {"full_name", "given_name", "family_name"} & r.keys()
    )
    if nameless:
        result.warnings.append(f"{nameless} row(s) without any name")
    return result
