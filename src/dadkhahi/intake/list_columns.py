"""Which column of a list holds which canonical field.

Headers are matched after folding (Persian script normalised, lower case, ZWNJ,
``_``, ``-``, ``.`` and apostrophes read as spaces) against the English and
Persian headers lists actually use. ``--map FIELD=COLUMN`` wins over guessing.
A bare "name" / «نام» is the given name when the list also has a family-name
column, else the full name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dadkhahi.domain.errors import ValidationError
from dadkhahi.persian import normalize_script

FIELDS: tuple[str, ...] = (
    "full_name",
    "given_name",
    "family_name",
    "father_name",
    "sex",
    "birth_year",
    "age",
    "city",
    "province",
    "prison",
    "death_date",
    "burial_place",
    "affiliation",
    "id_number",
    "notes",
)

_SPELLINGS: dict[str, str] = {
    "full_name": "full name|fullname|name and surname|complete name|victim|victim name|"
    "name of victim|نام و نام خانوادگی|نام کامل|اسم و فامیل|مشخصات",
    "given_name": "given name|first name|firstname|forename|given|first|نام کوچک|اسم",
    "family_name": "family name|last name|lastname|surname|family|نام خانوادگی|فامیلی|"
    "فامیل|شهرت",
    "father_name": "father name|fathers name|father|name of father|نام پدر|اسم پدر|فرزند",
    "sex": "sex|gender|جنسیت|جنس",
    "birth_year": "birth year|year of birth|born|yob|date of birth|dob|birth date|"
    "سال تولد|تولد|تاریخ تولد|متولد",
    "age": "age|age at death|age at execution|سن|سن هنگام اعدام|سن هنگام شهادت",
    "city": "city|town|city of residence|hometown|home town|place of birth|birthplace|"
    "شهر|محل سکونت|زادگاه|شهر محل سکونت|محل تولد",
    "province": "province|ostan|region|state|استان",
    "prison": "prison|place of detention|detention|jail|place of execution|زندان|"
    "محل زندان|محل بازداشت|محل اعدام",
    "death_date": "death date|date of death|execution date|date of execution|"
    "executed|date executed|died|تاریخ اعدام|تاریخ شهادت|تاریخ فوت|تاریخ مرگ|"
    "تاریخ درگذشت|اعدام",
    "burial_place": "burial place|place of burial|burial|burial site|cemetery|grave|"
    "محل دفن|آرامگاه|گورستان|مزار|محل خاکسپاری",
    "affiliation": "affiliation|political affiliation|organization|organisation|party|"
    "group|political group|وابستگی|وابستگی سازمانی|سازمان|گرایش سیاسی|هواداری|"
    "وابستگی سیاسی|جریان سیاسی",
    # An identity-document number: Iranian lists often give the birth certificate
    # number (shomare shenasnameh); it is the strongest evidence two rows agree.
    "id_number": "id number|identity number|id card number|birth certificate number|"
    "certificate number|national id|national code|shenasnameh|شماره شناسنامه|ش ش|"
    "کد ملی|شماره ملی",
    "notes": "notes|note|remarks|comments|comment|description|details|توضیحات|"
    "ملاحظات|یادداشت|شرح",
}

_BARE_NAME = frozenset({"name", "نام"})
_FOLD_PUNCT = re.compile(r"[\u200c_\-.'’`:()\[\]]+")
_SPACES = re.compile(r"\s+")


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """``FIELD=COLUMN`` pairs (``--map`` on the command line, ``map`` over HTTP) as a dict."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise ValidationError(f"map {pair!r}: write FIELD=COLUMN, e.g. death_date=Date")
        mapping[name.strip()] = column.strip()
    return mapping


def fold_header(header: str) -> str:
    """A header in the form the tables above are written in."""
    text = normalize_script(header).lower()
    text = _FOLD_PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


_SYNONYMS: dict[str, str] = {
    fold_header(spelling): name
    for name, spellings in _SPELLINGS.items()
    for spelling in spellings.split("|")
}


@dataclass
class ColumnPlan:
    """The outcome of matching: field → column, and what was not used."""

    fields: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _guess(header: Sequence[str]) -> dict[str, str]:
    guessed: dict[str, str] = {}
    bare: str | None = None
    for column in header:
        folded = fold_header(column)
        if folded in _BARE_NAME:
            bare = bare or column
            continue
        name = _SYNONYMS.get(folded)
        if name is not None and name not in guessed:
            guessed[name] = column
    if bare is not None:
        target = "given_name" if "family_name" in guessed else "full_name"
        guessed.setdefault(target, bare)
    return guessed


def plan_columns(
    header: Sequence[str],
    explicit: Mapping[str, str] | None = None,
    id_column: str | None = None,
) -> ColumnPlan:
    """Match fields to columns: explicit ``FIELD=COLUMN`` pairs first, then guessing.

    An explicit empty column (``{"death_date": ""}``, as the import wizard sends for
    "not in this list") keeps the field unmapped. Problems (unknown field, column not
    in the file, a column mapped twice, no name column at all) are reported as
    ``line 1, field F: …``.
    """
    plan = ColumnPlan()
    columns = list(header)
    shown = ", ".join(repr(c) for c in columns)
    explicit = dict(explicit or {})
    for name, column in explicit.items():
        if name in FIELDS and column == "":
            continue  # "not in this list": the field stays unmapped, never guessed
        if name not in FIELDS:
            plan.problems.append(
                f"line 1, field {name}: not a field (fields: {', '.join(FIELDS)})"
            )
        elif column not in columns:
            plan.problems.append(
                f"line 1, field {name}: --map names column {column!r}, which the file "
                f"does not have (columns: {shown})"
            )
        else:
            plan.fields[name] = column
    if id_column is not None and id_column not in columns:
        plan.problems.append(
            f"line 1, field {id_column}: --id-column {id_column!r} is not a column "
            f"(columns: {shown})"
        )
    taken = set(plan.fields.values()) | {id_column}
    for name, column in _guess(columns).items():
        if name not in plan.fields and name not in explicit and column not in taken:
            plan.fields[name] = column
            taken.add(column)
    by_column: dict[str, list[str]] = {}
    for name, column in plan.fields.items():
        by_column.setdefault(column, []).append(name)
    for column, names in by_column.items():
        if len(names) > 1:
            plan.problems.append(
                f"line 1, field {column}: one column mapped to several fields ({', '.join(names)})"
            )
    if not {"full_name", "given_name", "family_name"} & plan.fields.keys():
        plan.problems.append(
            "line 1, field full_name: no name column found; map one with "
            f"--map full_name=COLUMN (columns: {shown})"
        )
    plan.fields = {name: plan.fields[name] for name in FIELDS if name in plan.fields}
    plan.unmapped = [c for c in columns if c not in taken and c not in plan.fields.values()]
    return plan
