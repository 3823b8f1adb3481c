"""How each SYNTHETIC list is written: the six list conventions of the generator.

A list spec says which script a list uses, how it spells names (romanisation
systems), how its columns are laid out and headed, how it writes dates and
ages, how careful its typists were, and whom it tends to capture (capture is
logistic in the person's covariates; `copies_from` makes a list partly copied
from an earlier one, the positive list dependence multiple systems estimation
must cope with).  All lists describe invented people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Script = Literal["persian", "latin"]
Layout = Literal["split", "given_family", "family_comma_given"]
DateStyle = Literal[
    "jalali_fa_text", "jalali_slash", "jalali_latin_text", "greg_iso", "greg_text"
]
Birth = Literal["year", "jalali_year", "age"]


@dataclass(frozen=True)
class ListSpec:
    """Conventions and capture model of one synthetic list."""

    title: str
    script: Script
    layout: Layout
    headers: dict[str, str]  # canonical field (and "record_id") -> column header
    encoding: str
    date_style: DateStyle
    # Share of death dates written in full, month only, year only, or missing.
    date_precision: tuple[float, float, float, float]
    # Share of dates in the style's second form: Latin digits for Persian text,
    # unpadded "1367/5/12", a second month spelling, "August 3, 1988".
    date_variant: float
    birth: Birth
    sex_labels: tuple[str, str]  # (male, female)
    systems: tuple[tuple[str, float], ...] = ()  # romanisation mix (Latin lists)
    persian_digits: float = 0.0  # share of numbers in Persian digits
    arabic_letters: float = 0.0  # share of records typed with ي ك
    persian_marks: float = 0.0  # share of records with a harakat, tatweel or ة
    joins: tuple[float, float, float] = (0.4, 0.4, 0.2)  # joined, ZWNJ, space
    title_kept: float = 0.6
    family_upper: float = 0.0
    typo: float = 0.03
    dup: float = 0.01
    missing: dict[str, float] = field(default_factory=dict)
    notes_rate: float = 0.0
    intercept: float = -1.0
    coef: dict[str, float] = field(default_factory=dict)  # tehran mek left female kurd z
    copies_from: int | None = None  # index of an earlier list
    copy_rate: float = 0.0

    @property
    def fields(self) -> tuple[str, ...]:
        """Canonical fields this list has a column for, in column order."""
        return tuple(k for k in self.headers if k != "record_id")


DEFAULT_SPECS: tuple[ListSpec, ...] = (
    ListSpec(
        title="SYNTHETIC memorial list of an exile organisation (Persian script)",
        script="persian",
        layout="split",
        headers={
            "record_id": "ردیف", "given_name": "نام", "family_name": "نام خانوادگی",
            "father_name": "نام پدر", "birth_year": "سال تولد", "city": "شهر",
            "prison": "زندان", "death_date": "تاریخ اعدام", "burial_place": "محل دفن",
            "affiliation": "وابستگی سازمانی", "notes": "توضیحات",
        },
        encoding="utf-8-sig",
        date_style="jalali_fa_text",
        date_precision=(0.55, 0.3, 0.1, 0.05),
        date_variant=0.15,
        birth="jalali_year",
        sex_labels=("مرد", "زن"),
        persian_digits=0.85,
        arabic_letters=0.05,
        persian_marks=0.02,
        joins=(0.25, 0.55, 0.2),
        title_kept=0.8,
        typo=0.03,
        dup=0.02,
        missing={"father_name": 0.25, "birth_year": 0.35, "city": 0.1, "prison": 0.15,
                 "burial_place": 0.6, "affiliation": 0.05},
        notes_rate=0.2,
        intercept=-0.6,
        coef={"mek": 1.5, "left": -1.0, "tehran": 0.3, "z": 0.8},
    ),
    ListSpec(
        title="SYNTHETIC human-rights NGO list in English (colloquial spellings)",
        script="latin",
        layout="given_family",
        headers={
            "record_id": "ID", "full_name": "Name", "sex": "Gender", "age": "Age",
            "city": "City", "prison": "Prison", "death_date": "Date of execution",
            "affiliation": "Affiliation", "notes": "Notes",
        },
        encoding="utf-8",
        date_style="greg_text",
        date_precision=(0.45, 0.3, 0.15, 0.1),
        date_variant=0.3,
        birth="age",
        sex_labels=("Male", "Female"),
        systems=(("colloquial", 0.85), ("arabic_style", 0.15)),
        title_kept=0.5,
        typo=0.05,
        dup=0.015,
        missing={"sex": 0.3, "age": 0.3, "city": 0.15, "prison": 0.3, "affiliation": 0.2},
        notes_rate=0.15,
        intercept=-1.0,
        coef={"left": 0.6, "tehran": 0.4, "z": 0.8},
        copies_from=0,
        copy_rate=0.3,
    ),
    ListSpec(
        title="SYNTHETIC international organisation's list ('FAMILY, Given', scholarly spellings)",
        script="latin",
        layout="family_comma_given",
        headers={
            "record_id": "No.", "full_name": "Name", "father_name": "Father's name",
            "sex": "Sex", "birth_year": "Year of birth", "province": "Province",
            "prison": "Place of detention", "death_date": "Date of death",
            "affiliation": "Political affiliation",
        },
        encoding="utf-16",
        date_style="greg_iso",
        date_precision=(0.4, 0.35, 0.2, 0.05),
        date_variant=0.0,
        birth="year",
        sex_labels=("M", "F"),
        systems=(("loc", 0.3), ("loc_ascii", 0.4), ("un", 0.3)),
        title_kept=0.3,
        family_upper=0.9,
        typo=0.03,
        dup=0.01,
        missing={"father_name": 0.4, "sex": 0.1, "birth_year": 0.3, "province": 0.1,
                 "prison": 0.35, "affiliation": 0.3},
        intercept=-1.5,
        coef={"tehran": 0.7, "female": 0.4, "z": 1.3},
    ),
    ListSpec(
        title="SYNTHETIC Persian list typed on an Arabic keyboard (Windows-1256)",
        script="persian",
        layout="given_family",
        headers={
            # typed on the same Arabic keyboard: ي for ی in the headers too
            "record_id": "شماره", "full_name": "نام و نام خانوادگي", "father_name": "نام پدر",
            "age": "سن", "city": "شهر", "death_date": "تاريخ",
            "affiliation": "جريان سياسي", "notes": "ملاحظات",
        },
        encoding="cp1256",
        date_style="jalali_slash",
        date_precision=(0.5, 0.3, 0.15, 0.05),
        date_variant=0.3,
        birth="age",
        sex_labels=("مرد", "زن"),
        persian_digits=0.0,  # Windows-1256 has no Persian digits
        arabic_letters=1.0,  # nor Persian yeh: every ی is typed ي
        persian_marks=0.03,
        joins=(0.35, 0.1, 0.55),
        title_kept=0.9,
        typo=0.06,
        dup=0.03,
        missing={"father_name": 0.3, "age": 0.4, "city": 0.1, "affiliation": 0.3},
        notes_rate=0.1,
        intercept=-1.3,
        coef={"left": 1.3, "mek": -0.3, "kurd": 0.5, "z": 0.5},
    ),
    ListSpec(
        title="SYNTHETIC compilation from the European exile press (French/German spellings)",
        script="latin",
        layout="split",
        headers={
            "record_id": "N°", "given_name": "Prénom", "family_name": "Nom", "sex": "Sexe",
            "birth_year": "Année de naissance", "city": "Ville", "death_date": "Date",
            "notes": "Remarques",
        },
        encoding="utf-8",
        date_style="jalali_latin_text",
        date_precision=(0.4, 0.35, 0.2, 0.05),
        date_variant=0.3,
        birth="year",
        sex_labels=("H", "F"),
        systems=(("french", 0.55), ("german", 0.45)),
        title_kept=0.4,
        typo=0.06,
        dup=0.03,
        missing={"sex": 0.4, "birth_year": 0.4, "city": 0.2},
        notes_rate=0.1,
        intercept=-1.7,
        coef={"tehran": 0.3, "z": 1.0},
        copies_from=2,
        copy_rate=0.25,
    ),
    ListSpec(
        title="SYNTHETIC list compiled from press reports (Arabic-style and UN spellings)",
        script="latin",
        layout="given_family",
        headers={
            "record_id": "ref", "full_name": "full_name", "age": "age",
            "province": "province", "prison": "prison", "death_date": "date_of_death",
            "burial_place": "burial",
        },
        encoding="utf-8",
        date_style="greg_text",
        date_precision=(0.3, 0.4, 0.25, 0.05),
        date_variant=0.9,
        birth="age",
        sex_labels=("male", "female"),
        systems=(("arabic_style", 0.6), ("un", 0.4)),
        title_kept=0.5,
        typo=0.04,
        dup=0.01,
        missing={"age": 0.3, "province": 0.2, "prison": 0.3, "burial_place": 0.5},
        intercept=-2.2,
        coef={"tehran": 0.5, "female": 0.6, "z": 1.5},
    ),
)
