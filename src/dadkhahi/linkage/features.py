"""Per-record comparison features for linkage, computed with :mod:`dadkhahi.persian`.

Everything Persian-aware happens here, once per *distinct* value: names, places and
labels repeat heavily across a million records, so each column is factorised,
the Python function runs over the unique values only, and the result is mapped back
with NumPy indexing. Numeric columns (years, ages, dates) are vectorised.

Output columns (one row per input record, same order):

* ``record_id``, ``source_id``
* ``given_canon``, ``family_canon``, ``father_canon``: canonical ids of every name
  part, space-joined, or null when any part is unknown (:attr:`NameKeys.canonical_key`)
* ``given_near``: the given name's canonical key read through one-letter slips (each
  unknown word as the one known given name a slip away:
  :func:`dadkhahi.persian.keys.corrected_key`), or null when a word stays unknown
* ``given_skel``, ``family_skel``, ``father_skel``: run-together consonant skeletons
* ``given_parts``, ``father_parts``: part skeletons space-joined (prefix matching:
  ``Mohammad Ali`` vs ``Mohammad``)
* ``given_first``: skeleton of the first given part (blocking)
* ``family_last``: skeleton of the last family part (blocking despite stray words)
* ``family_head``: first two skeleton letters of the family name (blocking on typos)
* ``given_init``, ``family_init``: first skeleton letter (blocking on typos)
* ``given_coarse``, ``family_coarse``, ``father_coarse``, ``given_first_coarse``
  (first given part only): coarse skeletons that merge letters romanisations
  confuse (ch/sh/kh, gh/g/q/k, s/z, t/d, German j for y)
* ``name_sorted``: all given and family part skeletons sorted (order-free blocking)
* ``name_joined``: the given then the family skeleton run together, when both are
  known: the same wherever a list put the boundary between the two names or the
  spaces inside them (``احمد‌رضا | ملا‌نژاد`` and ``احمد رضا ملا نژاد`` parsed as
  ``احمد | رضا ملا نژاد``; blocking)
* ``names_gf``, ``names_fg``, ``names_gf_coarse``, ``names_fg_coarse``: the given and
  family skeletons (or coarse skeletons) side by side, in that order and reversed, when
  both are known: a record's ``names_gf`` equals another's ``names_fg`` when their names
  are swapped. The swapped-name levels read these, not the other name's own columns, so
  that training that blocks on one name's skeleton still estimates the other name
  (Splink leaves out of an EM session every comparison that reads a blocking column:
  :data:`dadkhahi.linkage.model.TRAINING_BLOCKING`)
* ``initials``: first skeleton letters of the given and family name, sorted
  (order-free, so it survives swapped given and family names; blocking)
* ``sex``: ``m``/``f``/null
* ``birth_lo``, ``birth_hi``: interval of Gregorian birth years (from a Jalali or
  Gregorian birth year, else from age at death and the death interval)
* ``death_lo``, ``death_hi``: death interval as days since 1970-01-01
* ``birth_decade`` (half-decade bin), ``death_month`` (30-day bin, only for deaths
  known to within about two months): coarse bins for blocking
* ``city_key``, ``province_key``, ``prison_key``, ``burial_key``, ``affiliation_key``:
  :func:`dadkhahi.persian.label_key` of each
* ``region_key``: the province the record places the person in, in the divisions of
  the 1980s (:func:`dadkhahi.persian.lexicon.province_of`): its province, else its
  city's, else its prison's; null when none is known. One list gives a province where
  another gives a city (Khuzestan / Ahvaz): only this key lets them agree
* ``id_key``: an identity-document number (``id_number``, optional: e.g. the
  shomare shenasnameh) as lower-case ASCII letters and digits, or null
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

from dadkhahi.domain.records import LINKAGE_FIELDS
from dadkhahi.persian import (
    DateParseError,
    NameKeys,
    corrected_key,
    label_key,
    name_keys,
    normalize_script,
    parse_date,
    parse_name,
)
from dadkhahi.persian.lexicon import province_of
from dadkhahi.persian.skeleton import coarse_skeleton

CANONICAL_COLUMNS = ("record_id", "source_id", *LINKAGE_FIELDS)

FEATURE_COLUMNS = (
    "record_id",
    "source_id",
    "given_canon",
    "given_near",
    "given_skel",
    "given_parts",
    "given_first",
    "family_canon",
    "family_skel",
    "family_last",
    "family_head",
    "given_init",
    "family_init",
    "given_first_coarse",
    "given_coarse",
    "family_coarse",
    "father_coarse",
    "name_sorted",
    "name_joined",
    "names_gf",
    "names_fg",
    "names_gf_coarse",
    "names_fg_coarse",
    "initials",
    "father_canon",
    "father_skel",
    "father_parts",
    "sex",
    "birth_lo",
    "birth_hi",
    "death_lo",
    "death_hi",
    "birth_decade",
    "death_month",
    "city_key",
    "province_key",
    "prison_key",
    "burial_key",
    "affiliation_key",
    "region_key",
    "id_key",
)

_EPOCH = np.datetime64("1970-01-01", "D")
_MALE = frozenset({"m", "male", "man", "mr", "h", "مرد", "مذکر", "پسر", "آقا"})
_FEMALE = frozenset(
    {"f", "female", "woman", "w", "mrs", "ms", "زن", "مونث", "مؤنث", "دختر", "خانم"}
)


def _column(records: pd.DataFrame, name: str) -> pd.Series:
    if name in records.columns:
        return records[name]
    return pd.Series([None] * len(records), index=records.index, dtype=object)


def _text_or_none(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def map_unique(series: pd.Series, fn: Callable[[Any], Any]) -> np.ndarray:
    """Apply ``fn`` to each distinct non-null value of ``series``; nulls map to None.

    Returns an object array aligned with ``series``: the per-row cost is one NumPy
    take, the Python cost is one call per distinct value.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return _take(codes, [fn(u) for u in uniques])


def _take(codes: np.ndarray, values: list[Any]) -> np.ndarray:
    table = np.empty(len(values) + 1, dtype=object)
    table[:-1] = values
    table[-1] = None  # code -1 (null) takes the trailing None
    taken: np.ndarray = table[codes]
    return taken


class _KeyColumn:
    """Name keys of a text column, held as codes into its distinct values."""

    def __init__(self, texts: np.ndarray, *, family: bool = False) -> None:
        self.codes, self.texts = pd.factorize(pd.Series(texts, dtype=object),
                                              use_na_sentinel=True)
        self.keys = [name_keys(t, family=family) for t in self.texts]

    def field(self, get: Callable[[NameKeys], str | None]) -> np.ndarray:
        return _take(self.codes, [get(k) for k in self.keys])

    def text_field(self, get: Callable[[str], str | None]) -> np.ndarray:
        return _take(self.codes, [get(t) for t in self.texts])


def _names(records: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Given and family name text per record, from the name columns or the full name."""
    given = _column(records, "given_name").map(_text_or_none)
    family = _column(records, "family_name").map(_text_or_none)
    full = _column(records, "full_name").map(_text_or_none)
    given_clean = map_unique(given, lambda v: parse_name(None, v, None).given)
    family_clean = map_unique(family, lambda v: parse_name(None, None, v).family)
    need_full = (pd.isna(given_clean) | pd.isna(family_clean)) & full.notna().to_numpy()
    codes, uniques = pd.factorize(full.where(need_full), use_na_sentinel=True)
    parsed = [parse_name(u) for u in uniques]
    from_full_given = _take(codes, [p.given for p in parsed])
    from_full_family = _take(codes, [p.family for p in parsed])
    given_text = np.where(pd.isna(given_clean), from_full_given, given_clean)
    family_text = np.where(pd.isna(family_clean), from_full_family, family_clean)
    return given_text, family_text


def _sorted_parts(given: _KeyColumn, family: _KeyColumn) -> np.ndarray:
    """All name part skeletons sorted, per record, computed once per distinct name pair."""
    pairs = np.stack([given.codes, family.codes], axis=1)
    uniques, inverse = np.unique(pairs, axis=0, return_inverse=True)
    empty = NameKeys((), (), ())

    def keys(column: _KeyColumn, code: int) -> NameKeys:
        return column.keys[code] if code >= 0 else empty

    values = [
        " ".join(sorted(keys(given, g).skeletons + keys(family, f).skeletons)) or None
        for g, f in uniques
    ]
    return _take(inverse.reshape(-1), values)


def _joined(given: np.ndarray, family: np.ndarray) -> np.ndarray:
    """Given then family skeleton run together, or null when either is unknown."""
    out = np.full(len(given), None, dtype=object)
    both = pd.notna(given) & pd.notna(family)
    out[both] = given[both] + family[both]
    return out


def _side_by_side(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``first`` and ``second`` joined by a space, or null when either is unknown or empty."""
    out = np.full(len(first), None, dtype=object)
    both = pd.notna(first) & pd.notna(second)
    both[both] = (first[both] != "") & (second[both] != "")
    out[both] = first[both] + " " + second[both]
    return out


def _initials(given: _KeyColumn, family: _KeyColumn) -> np.ndarray:
    """Sorted first skeleton letters of both names, or null when either is unknown."""
    g = np.asarray(given.field(_initial), dtype=object)
    f = np.asarray(family.field(_initial), dtype=object)
    out = np.full(len(g), None, dtype=object)
    both = pd.notna(g) & pd.notna(f) & (g != "") & (f != "")
    gb, fb = g[both], f[both]
    out[both] = np.where(gb <= fb, gb + fb, fb + gb)
    return out


def _canon(keys: NameKeys) -> str | None:
    return keys.canonical_key


def _skel(keys: NameKeys) -> str | None:
    return keys.skeleton or None


def _parts(keys: NameKeys) -> str | None:
    return " ".join(keys.skeletons) or None


def _first(keys: NameKeys) -> str | None:
    return keys.skeletons[0] if keys.skeletons else None


def _last(keys: NameKeys) -> str | None:
    return keys.skeletons[-1] if keys.skeletons else None


def _head(keys: NameKeys) -> str | None:
    return keys.skeleton[:2] or None


def _initial(keys: NameKeys) -> str | None:
    return keys.skeleton[:1] or None


def _coarse(keys: NameKeys) -> str | None:
    return coarse_skeleton(keys.skeleton) or None


def _first_coarse(keys: NameKeys) -> str | None:
    return coarse_skeleton(keys.skeletons[0]) if keys.skeletons else None


def _id_key(value: Any) -> str | None:
    """An identity number as ASCII letters and digits (any script's digits), or None."""
    text = normalize_script(str(value)).lower()
    return "".join(c for c in text if c.isascii() and c.isalnum()) or None


def _sex(value: Any) -> str | None:
    text = normalize_script(str(value)).lower().strip(" .")
    if text in _MALE:
        return "m"
    if text in _FEMALE:
        return "f"
    return None


def _to_days(series: pd.Series) -> np.ndarray:
    """Dates (date objects, datetimes or ISO text) as float days since 1970 (NaN null)."""
    parsed = pd.to_datetime(series, errors="coerce")
    days = (parsed.to_numpy(dtype="datetime64[D]") - _EPOCH).astype("float64")
    days[pd.isna(parsed).to_numpy()] = np.nan
    return days


def _death_days(records: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lo = _to_days(_column(records, "death_earliest"))
    hi = _to_days(_column(records, "death_latest"))
    if "death_date" in records.columns:
        # Unparsed death dates (e.g. straight from a list): parse the distinct texts.
        def interval(text: Any) -> tuple[float, float] | None:
            try:
                parsed = parse_date(str(text))
            except DateParseError:
                return None
            return (
                float((np.datetime64(parsed.earliest, "D") - _EPOCH).astype(int)),
                float((np.datetime64(parsed.latest, "D") - _EPOCH).astype(int)),
            )

        parsed = map_unique(records["death_date"].map(_text_or_none), interval)
        text_lo = np.array([np.nan if p is None else p[0] for p in parsed], dtype="float64")
        text_hi = np.array([np.nan if p is None else p[1] for p in parsed], dtype="float64")
        lo = np.where(np.isnan(lo), text_lo, lo)
        hi = np.where(np.isnan(hi), text_hi, hi)
    lo, hi = np.where(np.isnan(lo), hi, lo), np.where(np.isnan(hi), lo, hi)
    return lo, hi


def _numbers(series: pd.Series) -> np.ndarray:
    """First run of digits (any script) in each value, as float (NaN when none)."""
    text = pd.Series(map_unique(series.map(_text_or_none), normalize_script), dtype=object)
    return pd.to_numeric(text.str.extract(r"(\d{1,4})", expand=False), errors="coerce").to_numpy(
        dtype="float64"
    )


def _birth_years(
    records: pd.DataFrame, death_lo: np.ndarray, death_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gregorian birth-year interval from a birth year, else from age at death."""
    year = _numbers(_column(records, "birth_year"))
    jalali = (year >= 1300) & (year <= 1420)
    gregorian = (year >= 1850) & (year <= 2030)
    # A Jalali year runs from late March to late March of the next Gregorian year.
    lo = np.where(jalali, year + 621, np.where(gregorian, year, np.nan))
    hi = np.where(jalali, year + 622, np.where(gregorian, year, np.nan))
    age = _numbers(_column(records, "age"))
    age = np.where((age > 0) & (age < 120), age, np.nan)
    death_year_lo = 1970 + np.floor(death_lo / 365.2425)
    death_year_hi = 1970 + np.floor(death_hi / 365.2425)
    # Age a at death in year Y: born in Y - a or, before the birthday, Y - a - 1.
    lo = np.where(np.isnan(lo), death_year_lo - age - 1, lo)
    hi = np.where(np.isnan(hi), death_year_hi - age, hi)
    return lo, hi


def _nullable_int(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype="float64").round().astype("Int32")


def _labels(records: pd.DataFrame, name: str, namespace: Literal["place", "org"]) -> np.ndarray:
    return map_unique(_column(records, name).map(_text_or_none), lambda t: label_key(t, namespace))


def _region(province: np.ndarray, city: np.ndarray, prison: np.ndarray) -> np.ndarray:
    """Province of each record in the 1980s divisions (see ``region_key`` above).

    A province the table does not know keeps its own key (two lists naming the same
    unknown province agree); a known name with no one province (Azarbaijan) is null.
    """

    def of_province(key: Any) -> str | None:
        return province_of(key) or (key if str(key).startswith("~") else None)

    out = map_unique(pd.Series(province, dtype=object), of_province)
    for column in (city, prison):
        missing = pd.isna(out)
        if not missing.any():
            break
        derived = map_unique(pd.Series(column, dtype=object), province_of)
        out = np.where(missing, derived, out)
    return out


def record_features(records: pd.DataFrame) -> pd.DataFrame:
    """Comparison features of each record (see the module docstring for the columns).

    ``records`` has the canonical columns (missing ones count as empty); ``record_id``
    must be unique. A ``death_date`` text column is parsed when ``death_earliest``/
    ``death_latest`` are empty.
    """
    if "record_id" not in records.columns:
        raise ValueError("records need a record_id column")
    record_id = records["record_id"].astype(str)
    if record_id.duplicated().any():
        raise ValueError("record_id values must be unique")
    given_text, family_text = _names(records)
    given = _KeyColumn(given_text)
    family = _KeyColumn(family_text, family=True)
    father = _KeyColumn(_column(records, "father_name").map(_text_or_none).to_numpy())
    death_lo, death_hi = _death_days(records)
    birth_lo, birth_hi = _birth_years(records, death_lo, death_hi)
    source = _column(records, "source_id")
    given_skel, family_skel = given.field(_skel), family.field(_skel)
    given_coarse, family_coarse = given.field(_coarse), family.field(_coarse)
    features = pd.DataFrame(
        {
            "record_id": record_id.to_numpy(),
            "source_id": source.astype(str).where(source.notna(), None).to_numpy(),
            "given_canon": given.field(_canon),
            "given_near": given.text_field(corrected_key),
            "given_skel": given_skel,
            "given_parts": given.field(_parts),
            "given_first": given.field(_first),
            "family_canon": family.field(_canon),
            "family_skel": family_skel,
            "family_last": family.field(_last),
            "family_head": family.field(_head),
            "given_init": given.field(_initial),
            "family_init": family.field(_initial),
            "given_first_coarse": given.field(_first_coarse),
            "given_coarse": given_coarse,
            "family_coarse": family_coarse,
            "father_coarse": father.field(_coarse),
            "name_sorted": _sorted_parts(given, family),
            "name_joined": _joined(given_skel, family_skel),
            "names_gf": _side_by_side(given_skel, family_skel),
            "names_fg": _side_by_side(family_skel, given_skel),
            "names_gf_coarse": _side_by_side(given_coarse, family_coarse),
            "names_fg_coarse": _side_by_side(family_coarse, given_coarse),
            "initials": _initials(given, family),
            "father_canon": father.field(_canon),
            "father_skel": father.field(_skel),
            "father_parts": father.field(_parts),
            "sex": map_unique(_column(records, "sex").map(_text_or_none), _sex),
            "birth_lo": _nullable_int(birth_lo),
            "birth_hi": _nullable_int(birth_hi),
            "death_lo": _nullable_int(death_lo),
            "death_hi": _nullable_int(death_hi),
            # Coarse bins for blocking: half-decade of birth, month of a death known
            # to within about two months.
            "birth_decade": _nullable_int(np.floor((birth_lo + birth_hi) / 10)),
            "death_month": _nullable_int(
                np.where(death_hi - death_lo <= 62, np.floor((death_lo + death_hi) / 60), np.nan)
            ),
            "city_key": _labels(records, "city", "place"),
            "province_key": _labels(records, "province", "place"),
            "prison_key": _labels(records, "prison", "place"),
            "burial_key": _labels(records, "burial_place", "place"),
            "affiliation_key": _labels(records, "affiliation", "org"),
            "region_key": None,
            "id_key": map_unique(_column(records, "id_number").map(_text_or_none), _id_key),
        }
    )
    features["region_key"] = _region(features["province_key"].to_numpy(),
                                     features["city_key"].to_numpy(),
                                     features["prison_key"].to_numpy())
    for column in FEATURE_COLUMNS:
        if features[column].dtype == object:
            features[column] = features[column].astype("string[pyarrow]")
    return features
