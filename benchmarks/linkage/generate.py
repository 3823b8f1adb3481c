"""SYNTHETIC victim lists with known truth, for benchmarking record linkage.

Every person here is invented.  The generator draws a population (names with
realistic, Zipf-like frequencies so that common names are shared by many
different people, father's names, sex, birth year, city, province, prison,
death date in summer 1988, affiliation), then K lists that each capture part of
it in their own way: Persian script or one of several romanisations, their own
column layout and headers, Solar Hijri or Gregorian dates (full, month only,
year only, missing), ages instead of birth years, Arabic code points, ZWNJ or
spaces in compounds, typos, missing fields, within-list duplicates, capture
that depends on covariates, and lists partly copied from other lists.

It deliberately imports nothing from `dadkhahi` (in particular not
`dadkhahi.persian` or `dadkhahi.linkage`): it is an independent model of how
real lists are written, so a linker is not graded against its own tables.

    python benchmarks/linkage/generate.py --people 2000 --lists 5 --out build/synth
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jdatetime
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth_names as tables
from synth_lists import DEFAULT_SPECS, ListSpec
from synth_romanise import SYSTEM_INDEX, SYSTEMS, variant_table

CANONICAL_FIELDS: tuple[str, ...] = (
    "full_name", "given_name", "family_name", "father_name", "sex", "birth_year", "age",
    "city", "province", "prison", "death_date", "burial_place", "affiliation", "notes",
)
COLUMNS: tuple[str, ...] = ("record_id", "source_id", *CANONICAL_FIELDS, "true_person_id")

ZWNJ = "\u200c"
_JOIN_CHARS = ("", ZWNJ, " ")
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_ASCII_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
_ARABIC_LETTERS = str.maketrans({"ی": "ي", "ک": "ك"})

# Day 0 of the death-date axis; the axis runs past the end of 1988 so that
# dates shifted by a list's error still have a rendering.
DAY0 = dt.date(1988, 6, 1)
N_DAYS = 260
_DAY0_DOY = DAY0.timetuple().tm_yday - 1  # 0-based day of year of DAY0


@dataclass(frozen=True)
class Knobs:
    """Global dials of the generator (each list spec has its own rates on top)."""

    typo_scale: float = 1.0  # multiplies each list's typo rate
    dup_scale: float = 1.0  # multiplies each list's within-list duplicate rate
    missing_scale: float = 1.0  # multiplies each list's missing-field rates
    capture_shift: float = 0.0  # added to every list's capture logit
    copy_scale: float = 1.0  # multiplies each list's copy rate
    deviation: float = 0.15  # share of names a list spells other than its habit
    place_deviation: float = 0.05  # same for places and labels
    date_error: float = 0.05  # share of death dates off by 1-15 days
    birth_error: float = 0.12  # share of birth years / ages off by 1-5
    given_zipf: float = 0.9  # Zipf exponent of given names
    surname_zipf: float = 0.6  # Zipf exponent of surname roots
    female_scale: float = 1.0  # multiplies the share of women
    title_rate: float = 0.06  # share of Seyyed among men (higher for Mousavi etc.)
    mir_rate: float = 0.015  # share of Mir among men
    n_variants: int = 8  # spellings drawn per (name, system)


# --------------------------------------------------------------------------
# Tables: names, places, labels, dates


@dataclass(frozen=True)
class _Names:
    transcription: tuple[str, ...]
    script: np.ndarray  # (n, 2 spellings, 3 joins) object
    is_family: np.ndarray  # (n,) bool
    male: np.ndarray
    male_p: np.ndarray
    female: np.ndarray
    female_p: np.ndarray
    family: np.ndarray
    family_p: np.ndarray
    sayyid_family: np.ndarray  # family ids that often carry the title Seyyed
    title: dict[str, int]


@dataclass(frozen=True)
class _Vocab:
    keys: tuple[str, ...]
    latin: np.ndarray  # (n, max spellings) object, padded by cycling
    n_latin: np.ndarray  # (n,) int
    script: np.ndarray  # (n, 2, 3) object

    def index(self, key: str) -> int:
        return self.keys.index(key)


def _script_forms(spec: str) -> list[list[str]]:
    """'A+B|C' -> two spellings x three joins (nothing, ZWNJ, space)."""
    alts = spec.split("|")
    alts = (alts + alts)[:2]
    return [[j.join(a.split("+")) for j in _JOIN_CHARS] for a in alts]


def _zipf(n: int, s: float) -> np.ndarray:
    w = np.arange(1, n + 1, dtype=float) ** -s
    return w / w.sum()


def _build_names(knobs: Knobs) -> _Names:
    transcription: list[str] = []
    scripts: list[list[list[str]]] = []
    is_family: list[bool] = []

    def add(trans: str, script: str, family: bool) -> int:
        transcription.append(trans)
        scripts.append(_script_forms(script))
        is_family.append(family)
        return len(transcription) - 1

    male = np.array([add(t, s, False) for t, s in tables.GIVEN_MALE])
    female = np.array([add(t, s, False) for t, s in tables.GIVEN_FEMALE])
    title = {k: add(t, s, False) for k, (t, s) in tables.TITLES.items()}

    family: list[int] = []
    family_w: list[float] = []
    sayyid: list[int] = []
    root_w = _zipf(len(tables.SURNAME_ROOTS), knobs.surname_zipf)
    for (trans, script, codes), rw in zip(tables.SURNAME_ROOTS, root_w, strict=True):
        code_w = np.array([tables.SUFFIXES[c][3] for c in codes])
        code_w = code_w / code_w.sum()
        if "0" not in codes:
            tail = [c for c in tables.TAIL_SUFFIXES if c not in codes]
            codes += "".join(tail)
            code_w = np.concatenate([code_w * (1 - tables.TAIL_WEIGHT * len(tail)),
                                     np.full(len(tail), tables.TAIL_WEIGHT)])
        for code, cw in zip(codes, code_w, strict=True):
            s_trans, s_script, glue, _ = tables.SUFFIXES[code]
            forms = trans.split("|")
            if code in "iy" and all(f.endswith("ā") for f in forms):
                # Rezā + ī is Rezāʾī, رضا + ی is رضایی
                s_trans, s_script = "ʾ" + s_trans, "ی" + s_script
            name_t = "|".join(f + glue + s_trans for f in forms)
            name_s = "|".join(a + glue + s_script for a in script.split("|"))
            fid = add(name_t, name_s, True)
            family.append(fid)
            family_w.append(rw * cw)
            if name_t in {"mūsavī", "ḥoseynī", "ṭabāṭabāʾī", "razavī", "ʿalavī", "hāšemī"}:
                sayyid.append(fid)
    fw = np.array(family_w)
    return _Names(
        transcription=tuple(transcription),
        script=np.array(scripts, dtype=object),
        is_family=np.array(is_family),
        male=male,
        male_p=_zipf(len(male), knobs.given_zipf),
        female=female,
        female_p=_zipf(len(female), knobs.given_zipf),
        family=np.array(family),
        family_p=fw / fw.sum(),
        sayyid_family=np.array(sayyid),
        title=title,
    )


def _vocab(entries: dict[str, tuple[tuple[str, ...], str]]) -> _Vocab:
    keys = tuple(entries)
    width = max(len(latin) for latin, _ in entries.values())
    latin = np.empty((len(keys), width), dtype=object)
    for i, (spellings, _) in enumerate(entries.values()):
        for j in range(width):
            latin[i, j] = spellings[j % len(spellings)]
    return _Vocab(
        keys=keys,
        latin=latin,
        n_latin=np.array([len(v[0]) for v in entries.values()]),
        script=np.array([_script_forms(s) for _, s in entries.values()], dtype=object),
    )


@dataclass(frozen=True)
class _Places:
    city: _Vocab
    city_p: np.ndarray
    city_province: np.ndarray
    city_prisons: tuple[tuple[np.ndarray, np.ndarray], ...]  # (prison ids, probabilities)
    province: _Vocab
    prison: _Vocab
    affiliation: _Vocab
    affiliation_p: np.ndarray  # (2, n): outside / inside Kurdish provinces
    burial: _Vocab
    kurdish: np.ndarray  # (n provinces,) bool


def _build_places() -> _Places:
    province = _vocab(tables.PROVINCES)
    prisons: dict[str, tuple[tuple[str, ...], str]] = dict(tables.PRISONS)
    for key, (latin, script, _, _, pkeys) in tables.CITIES.items():
        if "city" in pkeys:
            name = latin[0]
            prisons[f"city:{key}"] = (
                (f"{name} Prison", f"{name} prison", f"Central Prison of {name}"),
                "|".join(f"زندان {a}" for a in script.split("|")),
            )
    prison = _vocab(prisons)
    city = _vocab({k: (v[0], v[1]) for k, v in tables.CITIES.items()})
    city_prisons = []
    for key, (_, _, _, _, pkeys) in tables.CITIES.items():
        ids = np.array([prison.index(f"city:{key}" if p == "city" else p) for p in pkeys])
        # Most Tehran prisoners were held in Evin or Gohardasht.
        p = np.array([0.5, 0.3, 0.2]) if key == "tehran" else np.full(len(ids), 1 / len(ids))
        city_prisons.append((ids, p[: len(ids)] / p[: len(ids)].sum()))
    city_w = np.array([v[3] for v in tables.CITIES.values()])
    aff = {k: (v[0], "|".join(v[1])) for k, v in tables.AFFILIATIONS.items()}
    aff_p = np.array([[v[2] for v in tables.AFFILIATIONS.values()],
                      [v[3] for v in tables.AFFILIATIONS.values()]])
    return _Places(
        city=city,
        city_p=city_w / city_w.sum(),
        city_province=np.array([province.index(v[2]) for v in tables.CITIES.values()]),
        city_prisons=tuple(city_prisons),
        province=province,
        prison=prison,
        affiliation=_vocab(aff),
        affiliation_p=aff_p / aff_p.sum(axis=1, keepdims=True),
        burial=_vocab(tables.BURIALS),
        kurdish=np.array([k in tables.KURDISH_PROVINCES for k in province.keys]),
    )


def _date_table(style: str) -> np.ndarray:
    """(3 precisions, 2 forms, 2 digit sets, N_DAYS) object array of date strings."""
    out = np.empty((3, 2, 2, N_DAYS), dtype=object)
    for d in range(N_DAYS):
        g = DAY0 + dt.timedelta(days=d)
        j = jdatetime.date.fromgregorian(date=g)
        fa_month, latin_months = tables.JALALI_MONTHS[j.month - 1]
        g_month = tables.GREGORIAN_MONTHS[g.month - 1]
        forms: list[tuple[str, str, str]]
        if style == "jalali_fa_text":
            forms = [(f"{j.day} {fa_month} {j.year}", f"{fa_month} {j.year}", f"{j.year}"),
                     (f"{j.year}/{j.month:02d}/{j.day:02d}", f"{j.year}/{j.month:02d}",
                      f"{j.year}")]
        elif style == "jalali_slash":
            forms = [(f"{j.year}/{j.month:02d}/{j.day:02d}", f"{j.year}/{j.month:02d}",
                      f"{j.year}"),
                     (f"{j.year}/{j.month}/{j.day}", f"{j.year}/{j.month}", f"{j.year}")]
        elif style == "jalali_latin_text":
            forms = [(f"{j.day} {m} {j.year}", f"{m} {j.year}", f"{j.year}")
                     for m in (latin_months[0], latin_months[-1])]
        elif style == "greg_iso":
            iso = (g.isoformat(), g.isoformat()[:7], str(g.year))
            forms = [iso, iso]
        elif style == "greg_text":
            forms = [(f"{g.day} {g_month} {g.year}", f"{g_month} {g.year}", str(g.year)),
                     (f"{g_month} {g.day}, {g.year}", f"{g_month} {g.year}", str(g.year))]
        else:
            raise ValueError(f"unknown date style {style!r}")
        for f, texts in enumerate(forms):
            for p, text in enumerate(texts):
                out[p, f, 0, d] = text
                out[p, f, 1, d] = text.translate(_PERSIAN_DIGITS)
    return out


_NUMBERS = np.array([[str(i) for i in range(2100)],
                     [str(i).translate(_PERSIAN_DIGITS) for i in range(2100)]], dtype=object)


@dataclass(frozen=True)
class _Tables:
    names: _Names
    places: _Places
    romanised: np.ndarray  # (n systems, n names, n variants) object
    dates: dict[str, np.ndarray]


@functools.lru_cache(maxsize=2)
def _romanised(transcription: tuple[str, ...], is_family: tuple[bool, ...],
               n_variants: int) -> np.ndarray:
    """(n systems, n names, n variants) spellings.

    The spelling habits of the world are fixed (seeded by nothing but the
    tables); a run's seed only decides which spellings its lists use."""
    family = np.array(is_family)
    romanised = np.empty((len(SYSTEMS), len(transcription), n_variants), dtype=object)
    given_ids = np.flatnonzero(~family)
    family_ids = np.flatnonzero(family)
    for s, system in enumerate(SYSTEMS):
        for ids, fam in ((given_ids, False), (family_ids, True)):
            romanised[s, ids] = variant_table(
                [transcription[i] for i in ids], system, n_variants, s * 2 + int(fam),
                family=fam,
            )
    return romanised


@functools.lru_cache(maxsize=4)
def _tables(knobs: Knobs) -> _Tables:
    names = _build_names(knobs)
    romanised = _romanised(names.transcription, tuple(bool(f) for f in names.is_family),
                           knobs.n_variants)
    styles = ("jalali_fa_text", "jalali_slash", "jalali_latin_text", "greg_iso", "greg_text")
    return _Tables(names, _build_places(), romanised, {s: _date_table(s) for s in styles})


# --------------------------------------------------------------------------
# Population


def _population(n: int, rng: np.random.Generator, t: _Tables, knobs: Knobs) -> dict[str, Any]:
    names, places = t.names, t.places
    city = rng.choice(len(places.city.keys), size=n, p=places.city_p)
    province = places.city_province[city]
    kurd = places.kurdish[province]
    affiliation = np.where(
        kurd,
        rng.choice(len(places.affiliation.keys), size=n, p=places.affiliation_p[1]),
        rng.choice(len(places.affiliation.keys), size=n, p=places.affiliation_p[0]),
    )
    aff_keys = places.affiliation.keys
    mek = affiliation == aff_keys.index("mek")
    left = np.isin(affiliation, [aff_keys.index(k) for k in tables.LEFT_AFFILIATIONS])
    female = rng.random(n) < np.where(mek, 0.14, 0.05) * knobs.female_scale
    given = np.where(female, rng.choice(names.female, size=n, p=names.female_p),
                     rng.choice(names.male, size=n, p=names.male_p))
    family = rng.choice(names.family, size=n, p=names.family_p)
    father = rng.choice(names.male, size=n, p=names.male_p)

    sayyid = np.isin(family, names.sayyid_family)
    u = rng.random(n)
    title = np.full(n, -1)
    seyyed = u < np.where(sayyid, 0.5, knobs.title_rate)
    title[seyyed] = np.where(female[seyyed], names.title["seyyede"], names.title["seyyed"])
    mir = ~seyyed & ~female & (u > 1 - knobs.mir_rate)
    title[mir] = names.title["mir"]

    age = np.where(mek, 17 + rng.gamma(2.5, 4.0, n), 19 + rng.gamma(3.0, 4.5, n))
    age = np.clip(age, 16, 75).astype(int)
    # Death dates: most in the killing season of late July to mid-September 1988.
    kind = rng.choice(3, size=n, p=[0.05, 0.8, 0.15])
    death = np.select(
        [kind == 0, kind == 1],
        [rng.integers(30, 56, n), np.rint(rng.triangular(56, 74, 107, n)).astype(int)],
        rng.integers(107, 214, n),
    )
    birth_doy = rng.integers(0, 365, n)
    had_birthday = birth_doy <= _DAY0_DOY + death
    birth_year = 1988 - age - (~had_birthday).astype(int)
    # Nowruz (about 21 March, day 79) starts the Solar Hijri year.
    jalali_birth_year = birth_year - 621 - (birth_doy < 79).astype(int)

    prison = np.empty(n, dtype=int)
    for c, (ids, p) in enumerate(places.city_prisons):
        idx = np.flatnonzero(city == c)
        prison[idx] = rng.choice(ids, size=len(idx), p=p)
    bk = places.burial.keys
    tehran_area = np.isin(city, [places.city.index("tehran"), places.city.index("karaj")])
    burial = np.where(
        tehran_area,
        rng.choice([bk.index("khavaran"), bk.index("behesht_zahra"), bk.index("unknown")],
                   size=n, p=[0.7, 0.1, 0.2]),
        rng.choice([bk.index("mass_grave"), bk.index("unknown")], size=n, p=[0.3, 0.7]),
    )
    return {
        "city": city, "province": province, "kurd": kurd, "affiliation": affiliation,
        "mek": mek, "left": left, "female": female, "given": given, "family": family,
        "father": father, "title": title, "age": age, "death": death,
        "birth_year": birth_year, "jalali_birth_year": jalali_birth_year, "prison": prison,
        "burial": burial, "z": rng.normal(size=n),
        "tehran": province == places.province.index("tehran"),
    }


# --------------------------------------------------------------------------
# Noise


def _qwerty_neighbours() -> dict[str, str]:
    rows = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    out: dict[str, str] = {}
    for r, row in enumerate(rows):
        for i, c in enumerate(row):
            near = [row[k] for k in (i - 1, i + 1) if 0 <= k < len(row)]
            for rr in (r - 1, r + 1):
                if 0 <= rr < len(rows):
                    near += [rows[rr][k] for k in (i - 1, i, i + 1) if 0 <= k < len(rows[rr])]
            out[c] = "".join(near)
    return out


_QWERTY = _qwerty_neighbours()
_VOWEL_SWAP = {"a": "e", "e": "i", "i": "e", "o": "u", "u": "o"}
# Letters a Persian typist confuses: same shape but different dots, or same sound.
_PERSIAN_CONFUSABLE: dict[str, str] = {}
for _group in ("بپتثن", "جچحخ", "دذ", "رزژ", "سش", "صض", "طظ", "عغ", "فق", "کگ",
               "تط", "سصث", "زذضظ", "هح", "قغ"):
    for _c in _group:
        _PERSIAN_CONFUSABLE[_c] = _PERSIAN_CONFUSABLE.get(_c, "") + _group.replace(_c, "")


def _latin_typo(s: str, r: random.Random) -> str:
    """One keyboard or phonetic slip: neighbour key, dropped, doubled, swapped letter."""
    pos = [i for i, c in enumerate(s) if c.isalpha()]
    if len(pos) < 3:
        return s
    i = r.choice(pos[1:])  # writers rarely get the first letter wrong
    c = s[i]
    op = r.random()
    if op < 0.3 and c.lower() in _QWERTY:
        new = r.choice(_QWERTY[c.lower()])
        return s[:i] + (new.upper() if c.isupper() else new) + s[i + 1 :]
    if op < 0.55:
        return s[:i] + s[i + 1 :]
    if op < 0.7:
        return s[:i] + c + s[i:]
    if op < 0.85 and i + 1 < len(s) and s[i + 1].isalpha():
        return s[:i] + s[i + 1] + c + s[i + 2 :]
    if c.lower() in _VOWEL_SWAP:
        return s[:i] + _VOWEL_SWAP[c.lower()] + s[i + 1 :]
    return s[:i] + s[i + 1 :]


def _persian_typo(s: str, r: random.Random) -> str:
    """One slip in Persian script: a confusable letter, a dropped, doubled or swapped
    letter, or a space added or lost."""
    pos = [i for i, c in enumerate(s) if "\u0600" <= c <= "\u06ff"]
    if len(pos) < 3:
        return s
    op = r.random()
    if op < 0.4:
        subs = [i for i in pos if s[i] in _PERSIAN_CONFUSABLE]
        if subs:
            i = r.choice(subs)
            return s[:i] + r.choice(_PERSIAN_CONFUSABLE[s[i]]) + s[i + 1 :]
    i = r.choice(pos[1:])
    if op < 0.6:
        return s[:i] + s[i + 1 :]
    if op < 0.7:
        return s[:i] + s[i] + s[i:]
    if op < 0.85 and i + 1 < len(s) and s[i + 1] != " ":
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    if " " in s:
        return s.replace(" ", "", 1)
    return s[:i] + " " + s[i:]


_HARAKAT = ("\u064e", "\u0650", "\u064f", "\u0651")  # fatha, kasra, damma, shadda


def _persian_mark(s: str, r: random.Random) -> str:
    """A vowel sign, a tatweel, or an Arabic ة for the final ه, as some typists add."""
    if s.endswith("ه") and r.random() < 0.4:
        return s[:-1] + "ة"
    pos = [i for i, c in enumerate(s) if "\u0621" <= c <= "\u06cc"]
    if len(pos) < 2:
        return s
    i = r.choice(pos[:-1]) + 1
    mark = "\u0640" if r.random() < 0.2 else r.choice(_HARAKAT)
    return s[:i] + mark + s[i:]


def _apply(values: np.ndarray, mask: np.ndarray, fn: Any, r: random.Random) -> None:
    for i in np.flatnonzero(mask):
        v = values[i]
        if v is not None:
            values[i] = fn(v, r)


# --------------------------------------------------------------------------
# Lists


@dataclass
class _ListState:
    person: np.ndarray  # person index of each record
    is_dup: np.ndarray
    name_choice: dict[str, tuple[np.ndarray, np.ndarray]]  # field -> (system|alt, slot|join)
    birth_noise: np.ndarray
    death_day: np.ndarray
    precision: np.ndarray
    first_record: np.ndarray  # person -> index of the person's first record, or -1


def _pick(rng: np.random.Generator, p: np.ndarray | list[float], size: int) -> np.ndarray:
    return rng.choice(len(p), size=size, p=np.asarray(p) / np.sum(p))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _capture(spec: ListSpec, pop: dict[str, Any], rng: np.random.Generator,
             knobs: Knobs, earlier: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    n = len(pop["z"])
    logit = np.full(n, spec.intercept + knobs.capture_shift)
    for cov, beta in spec.coef.items():
        x = pop["female"] if cov == "female" else pop[cov]
        logit += beta * x.astype(float)
    captured = rng.random(n) < _sigmoid(logit)
    copied = np.zeros(n, dtype=bool)
    if spec.copies_from is not None:
        copied = earlier[spec.copies_from] & (rng.random(n) < spec.copy_rate * knobs.copy_scale)
        captured |= copied
    return captured, copied


def _name_choice(
    spec: ListSpec, ids: np.ndarray, is_dup: np.ndarray, habit: tuple[np.ndarray, np.ndarray],
    rng: np.random.Generator, knobs: Knobs, n_second: int, second_p: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per record (system or spelling, variant or join) for one name field.

    A list spells each name its habitual way; some records (more often the
    duplicates, typed from another source) deviate."""
    n = len(ids)
    deviate = rng.random(n) < np.where(is_dup, 0.5, knobs.deviation)
    first = habit[0][ids].copy()
    second = habit[1][ids].copy()
    k = int(deviate.sum())
    if spec.script == "latin":
        sys_p = np.array([w for _, w in spec.systems])
        sys_ids = np.array([SYSTEM_INDEX[s] for s, _ in spec.systems])
        first[deviate] = sys_ids[_pick(rng, sys_p, k)]
        second[deviate] = rng.integers(0, n_second, k)
    else:
        first[deviate] = rng.choice(2, size=k, p=[0.75, 0.25])
        second[deviate] = _pick(rng, second_p, k)
    return first, second


def _render_vocab(spec: ListSpec, vocab: _Vocab, ids: np.ndarray, rng: np.random.Generator,
                  knobs: Knobs, joins: np.ndarray) -> np.ndarray:
    n_ent = len(vocab.keys)
    if spec.script == "latin":
        # A list mostly uses the usual spelling of a place or label.
        other = 1 + (rng.random(n_ent) * (vocab.n_latin - 1)).astype(int)
        habit = np.where((rng.random(n_ent) < 0.6) | (vocab.n_latin == 1), 0, other)
        slot = habit[ids]
        dev = rng.random(len(ids)) < knobs.place_deviation
        slot[dev] = (rng.random(int(dev.sum())) * vocab.n_latin[ids[dev]]).astype(int)
        return vocab.latin[ids, slot]
    habit_alt = rng.choice(2, size=n_ent, p=[0.7, 0.3])
    alt = habit_alt[ids]
    dev = rng.random(len(ids)) < knobs.place_deviation
    alt[dev] = rng.integers(0, 2, int(dev.sum()))
    return vocab.script[ids, alt, _pick(rng, joins, len(ids))]


def _join(*parts: np.ndarray | str) -> np.ndarray:
    out = np.asarray(parts[0], dtype=object)
    for p in parts[1:]:
        out = out + (np.asarray(p, dtype=object) if not isinstance(p, str) else p)
    return out


def _make_list(
    k: int, spec: ListSpec, pop: dict[str, Any], captured: np.ndarray, copied: np.ndarray,
    states: list[_ListState], t: _Tables, rng: np.random.Generator, knobs: Knobs,
) -> tuple[dict[str, np.ndarray], _ListState]:
    n_people = len(captured)
    persons = np.flatnonzero(captured)
    dups = persons[rng.random(len(persons)) < spec.dup * knobs.dup_scale]
    person = np.concatenate([persons, dups])
    is_dup = np.concatenate([np.zeros(len(persons), bool), np.ones(len(dups), bool)])
    n = len(person)
    first_record = np.full(n_people, -1)
    first_record[persons] = np.arange(len(persons))
    parent = states[spec.copies_from] if spec.copies_from is not None else None
    parent_spec = DEFAULT_SPECS[spec.copies_from] if spec.copies_from is not None else None
    is_copy = copied[person] & ~is_dup
    src = parent.first_record[person[is_copy]] if parent is not None else np.array([], int)

    # Observed values (a copy inherits the errors of the list it was copied from).
    birth_noise = np.where(rng.random(n) < knobs.birth_error,
                           rng.choice([-3, -2, -1, -1, 1, 1, 2, 5], size=n), 0)
    death_day = pop["death"][person] + np.where(
        rng.random(n) < knobs.date_error, rng.integers(-15, 16, n), 0)
    precision = _pick(rng, np.array(spec.date_precision), n)
    if parent is not None:
        birth_noise[is_copy] = parent.birth_noise[src]
        death_day[is_copy] = parent.death_day[src]
        precision[is_copy] = parent.precision[src]
    death_day = np.clip(death_day, 0, N_DAYS - 1)

    names = t.names
    n_names = len(names.transcription)
    joins = np.array(spec.joins)
    if spec.script == "latin":
        sys_p = np.array([w for _, w in spec.systems])
        sys_ids = np.array([SYSTEM_INDEX[s] for s, _ in spec.systems])
        habit = (sys_ids[_pick(rng, sys_p, n_names)], rng.integers(0, knobs.n_variants, n_names))
        n_second, second_p = knobs.n_variants, np.ones(1)
    else:
        habit = (rng.choice(2, size=n_names, p=[0.75, 0.25]), _pick(rng, joins, n_names))
        n_second, second_p = 3, joins
    fields = {"given": pop["given"], "family": pop["family"], "father": pop["father"],
              "title": np.maximum(pop["title"], 0)}
    choice: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    rendered: dict[str, np.ndarray] = {}
    for f, name_ids in fields.items():
        ids = name_ids[person]
        a, b = _name_choice(spec, ids, is_dup, habit, rng, knobs, n_second, second_p)
        if parent is not None and parent_spec is not None and parent_spec.script == spec.script:
            a[is_copy] = parent.name_choice[f][0][src]
            b[is_copy] = parent.name_choice[f][1][src]
        choice[f] = (a, b)
        rendered[f] = (t.romanised[a, ids, b] if spec.script == "latin"
                       else names.script[ids, a, b]).copy()

    r = random.Random(int(rng.integers(2**63)))
    typo_fn = _latin_typo if spec.script == "latin" else _persian_typo
    for f in ("given", "family", "father"):
        p = spec.typo * knobs.typo_scale * np.where(is_dup, 2.0, 1.0)
        _apply(rendered[f], rng.random(n) < p, typo_fn, r)
    if spec.script == "persian":
        for f in ("given", "family"):
            _apply(rendered[f], rng.random(n) < spec.persian_marks, _persian_mark, r)

    # Titles: "Seyed Ali", "Seyedali", "سید علی", "سیدعلی", "Mirhossein".
    title_id = pop["title"][person]
    has_title = (title_id >= 0) & (rng.random(n) < spec.title_kept)
    given = rendered["given"]
    is_mir = title_id == names.title["mir"]
    if spec.script == "latin":
        seps = np.where(is_mir, np.array(["", " ", "-"])[_pick(rng, [0.4, 0.4, 0.2], n)],
                        np.array(["", " ", "-"])[_pick(rng, [0.1, 0.85, 0.05], n)])
        glued = has_title & (seps == "")
        given[glued] = [g[:1].lower() + g[1:] for g in given[glued]]
    else:
        seps = np.where(is_mir, np.array(["", " ", ZWNJ])[_pick(rng, [0.5, 0.4, 0.1], n)],
                        np.array(["", " "])[_pick(rng, [0.25, 0.75], n)])
    given = np.where(has_title, _join(rendered["title"], seps, given), given)
    family = rendered["family"]
    if spec.family_upper:
        upper = rng.random(n) < spec.family_upper
        family[upper] = [f.upper() for f in family[upper]]

    cols: dict[str, np.ndarray] = {}
    if spec.layout == "split":
        cols["given_name"], cols["family_name"] = given, family
    elif spec.layout == "given_family":
        cols["full_name"] = _join(given, " ", family)
    else:
        cols["full_name"] = _join(family, ", ", given)
    cols["father_name"] = rendered["father"]

    # Numbers and dates.
    fa_digits = (rng.random(n) < spec.persian_digits).astype(int)
    if spec.birth == "age":
        cols["age"] = _NUMBERS[fa_digits, pop["age"][person] - birth_noise]
    elif spec.birth == "jalali_year":
        cols["birth_year"] = _NUMBERS[fa_digits, pop["jalali_birth_year"][person] + birth_noise]
    else:
        cols["birth_year"] = _NUMBERS[fa_digits, pop["birth_year"][person] + birth_noise]
    form = (rng.random(n) < spec.date_variant).astype(int)
    date_table = t.dates[spec.date_style]
    death_text = date_table[np.minimum(precision, 2), form, fa_digits, death_day]
    death_text[precision == 3] = None
    cols["death_date"] = death_text
    sex_labels = np.array(spec.sex_labels, dtype=object)
    cols["sex"] = sex_labels[pop["female"][person].astype(int)]

    places = t.places
    cols["city"] = _render_vocab(spec, places.city, pop["city"][person], rng, knobs, joins)
    cols["province"] = _render_vocab(spec, places.province, pop["province"][person], rng,
                                     knobs, joins)
    cols["prison"] = _render_vocab(spec, places.prison, pop["prison"][person], rng, knobs, joins)
    cols["affiliation"] = _render_vocab(spec, places.affiliation, pop["affiliation"][person],
                                        rng, knobs, joins)
    cols["burial_place"] = _render_vocab(spec, places.burial, pop["burial"][person], rng,
                                         knobs, joins)
    note_table = np.array(tables.NOTES_LATIN if spec.script == "latin"
                          else tables.NOTES_PERSIAN, dtype=object)
    notes = note_table[rng.integers(0, len(note_table), n)]
    if spec.script == "persian":
        ascii_notes = fa_digits == 0
        notes[ascii_notes] = [s.translate(_ASCII_DIGITS) for s in notes[ascii_notes]]
    notes[rng.random(n) >= spec.notes_rate] = None
    cols["notes"] = notes

    for f, rate in spec.missing.items():
        if f in cols:
            cols[f][rng.random(n) < min(0.95, rate * knobs.missing_scale)] = None
    if spec.script == "persian" and spec.arabic_letters > 0:
        arabic = rng.random(n) < spec.arabic_letters
        for values in cols.values():
            values[arabic] = [v if v is None else v.translate(_ARABIC_LETTERS)
                              for v in values[arabic]]

    out: dict[str, np.ndarray] = {}
    for f in CANONICAL_FIELDS:
        out[f] = cols[f] if f in spec.fields else np.full(n, None, dtype=object)
    order = rng.permutation(n)
    out = {f: v[order] for f, v in out.items()}
    out["true_person_id"] = person[order]
    out["record_id"] = np.array([f"L{k + 1}-{i:06d}" for i in range(1, n + 1)], dtype=object)
    out["source_id"] = np.full(n, f"list_{k + 1}", dtype=object)
    state = _ListState(person=person, is_dup=is_dup, name_choice=choice,
                       birth_noise=birth_noise, death_day=death_day, precision=precision,
                       first_record=first_record)
    return out, state


# --------------------------------------------------------------------------
# Public API


def _namesakes(pop: dict[str, Any], seen: np.ndarray) -> dict[str, float]:
    """Share of people who share given + family name (the true names) with another
    person, in the population and among the people some list names, and the share
    of men carrying the five most common given names."""
    names = pd.Series(pop["given"].astype(np.int64) * 1_000_000 + pop["family"])
    male = ~pop["female"]
    top5 = pd.Series(pop["given"][male]).value_counts(normalize=True).head(5).sum()
    return {
        "share_namesake_population": float(names.duplicated(keep=False).mean()),
        "share_namesake_documented": float(names.iloc[seen].duplicated(keep=False).mean()),
        "top5_given_share_of_men": float(top5),
    }


def list_specs(n_lists: int) -> tuple[ListSpec, ...]:
    """The conventions of the first `n_lists` synthetic lists (2 to 6)."""
    if not 2 <= n_lists <= len(DEFAULT_SPECS):
        raise ValueError(f"n_lists must be between 2 and {len(DEFAULT_SPECS)}, got {n_lists}")
    return DEFAULT_SPECS[:n_lists]


def generate(n_people: int, n_lists: int = 5, seed: int = 0, *,
             captured: np.ndarray | None = None, **knobs: Any) -> pd.DataFrame:
    """Draw a SYNTHETIC population of `n_people` and `n_lists` lists of them.

    Returns one row per list record with `record_id` ("L2-000123"), `source_id`
    ("list_2"), the canonical fields exactly as that list writes them (None where
    the list has no such column or left it empty), and `true_person_id` (the
    truth: people not captured by any list do not appear).  `df.attrs["lists"]`
    holds each list's column headers, encoding and conventions, used by
    `list_frames` and `write_lists`.  Keyword arguments set `Knobs` fields.
    `captured` (n_people x n_lists, bool) says who is on which list instead of
    the lists' own capture models (no list then copies from another): a
    simulation can state its capture design and keep the generator's names and
    ways of writing them (benchmarks/estimate/bench_linkage_uncertainty.py).
    """
    k = Knobs(**knobs)
    specs = list_specs(n_lists)
    rng = np.random.default_rng(seed)
    t = _tables(k)
    pop = _population(n_people, rng, t, k)
    if captured is not None and np.shape(captured) != (n_people, n_lists):
        raise ValueError(f"captured must be {n_people} x {n_lists}, got {np.shape(captured)}")
    caught: list[np.ndarray] = []
    states: list[_ListState] = []
    parts: list[dict[str, np.ndarray]] = []
    for i, spec in enumerate(specs):
        if captured is None:
            cap, copied = _capture(spec, pop, rng, k, caught)
        else:
            cap = np.asarray(captured[:, i], dtype=bool)
            copied = np.zeros(n_people, dtype=bool)
        caught.append(cap)
        cols, state = _make_list(i, spec, pop, cap, copied, states, t, rng, k)
        states.append(state)
        parts.append(cols)
    df = pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in COLUMNS})
    df["true_person_id"] = df["true_person_id"].astype(np.int64)
    df.attrs["namesakes"] = _namesakes(pop, np.unique(df["true_person_id"].to_numpy()))
    df.attrs["synthetic"] = True
    df.attrs["n_people"] = n_people
    df.attrs["seed"] = seed
    df.attrs["knobs"] = dataclasses.asdict(k)
    df.attrs["lists"] = {
        f"list_{i + 1}": {"title": s.title, "script": s.script, "layout": s.layout,
                          "encoding": s.encoding, "headers": dict(s.headers),
                          "date_style": s.date_style, "birth": s.birth}
        for i, s in enumerate(specs)
    }
    return df


def _list_meta(df: pd.DataFrame, source_id: str) -> dict[str, Any]:
    lists: dict[str, Any] = df.attrs.get("lists", {})
    if source_id in lists:
        return dict(lists[source_id])
    spec = DEFAULT_SPECS[int(source_id.split("_")[1]) - 1]  # attrs lost: default specs
    return {"title": spec.title, "encoding": spec.encoding, "headers": dict(spec.headers)}


def list_frames(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each list as its own verbatim table: its own headers, column order and ids."""
    out: dict[str, pd.DataFrame] = {}
    for source_id, part in df.groupby("source_id", sort=True):
        headers: dict[str, str] = _list_meta(df, str(source_id))["headers"]
        out[str(source_id)] = part[list(headers)].rename(columns=headers).reset_index(drop=True)
    return out


def true_pairs(df: pd.DataFrame) -> int:
    """Number of record pairs that belong to the same person."""
    sizes = df["true_person_id"].value_counts().to_numpy(dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def share_without_father_or_birth(df: pd.DataFrame) -> float:
    """Share of records with neither a father's name nor a birth year or age."""
    lacking = df["father_name"].isna() & df["birth_year"].isna() & df["age"].isna()
    return float(lacking.mean())


def describe(df: pd.DataFrame) -> dict[str, Any]:
    """Headline counts of a generated set: records, people, pairs, per list, namesakes."""
    per_list = df.groupby("source_id")["true_person_id"].agg(["size", "nunique"])
    within = int((per_list["size"] - per_list["nunique"]).sum())
    namesakes = {k: round(v, 4) for k, v in df.attrs.get("namesakes", {}).items()}
    return {
        "records": len(df),
        "distinct_people": int(df["true_person_id"].nunique()),
        "population": int(df.attrs.get("n_people", -1)),
        "true_pairs": true_pairs(df),
        "within_list_duplicates": within,
        "records_per_list": {str(k): int(v) for k, v in per_list["size"].items()},
        **namesakes,
        "share_records_without_father_or_birth": round(share_without_father_or_birth(df), 4),
    }


CONFIG_DIR = Path(__file__).resolve().parent / "configs"


def load_config(name_or_path: str | Path) -> dict[str, Any]:
    """A committed generator configuration: ``people``, ``lists``, ``seed``, ``knobs``.

    ``name_or_path`` is a file or the name of one in ``configs/`` ("namesake").
    """
    path = Path(name_or_path)
    if not path.is_file():
        path = CONFIG_DIR / f"{name_or_path}.json"
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    unknown = set(config.get("knobs", {})) - {f.name for f in dataclasses.fields(Knobs)}
    if unknown:
        raise ValueError(f"{path}: unknown knobs {sorted(unknown)}")
    return config


def write_lists(df: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """Write one CSV per list (its own headers and encoding), truth.csv and manifest.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    manifest: dict[str, Any] = {
        "synthetic": True,
        "note": "SYNTHETIC data: every person in these files is invented.",
        "seed": df.attrs.get("seed"),
        "n_people": df.attrs.get("n_people"),
        "lists": {},
    }
    for source_id, frame in list_frames(df).items():
        meta = _list_meta(df, source_id)
        path = out / f"{source_id}.csv"
        frame.to_csv(path, index=False, encoding=meta["encoding"], errors="strict")
        written.append(path)
        headers: dict[str, str] = meta["headers"]
        manifest["lists"][source_id] = {
            "file": path.name,
            "title": meta.get("title"),
            "encoding": meta["encoding"],
            "id_column": headers["record_id"],
            "map": {f: h for f, h in headers.items() if f != "record_id"},
            "records": len(frame),
        }
    truth = out / "truth.csv"
    df[["record_id", "true_person_id"]].to_csv(truth, index=False)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                       encoding="utf-8")
    return [*written, truth, out / "manifest.json"]


def people_for_records(n_records: int, n_lists: int = 5, seed: int = 0, **knobs: Any) -> int:
    """Population size that yields about `n_records` records (from a 20,000-person pilot)."""
    pilot = 20_000
    per_person = len(generate(pilot, n_lists, seed, **knobs)) / pilot
    return max(1, round(n_records / per_person))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--people", type=int, help="population size")
    size.add_argument("--records", type=int, help="about this many records in all")
    size.add_argument("--config", help="a committed configuration (configs/NAME.json or a "
                      "file): people, lists, seed and knobs")
    parser.add_argument("--lists", type=int, default=5, help="number of lists (2-6)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="directory for the CSV files")
    parser.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE",
                        help="override a generator knob, e.g. --knob typo_scale=2")
    args = parser.parse_args(argv)
    knobs: dict[str, Any] = {}
    types = {f.name: f.type for f in dataclasses.fields(Knobs)}
    for item in args.knob:
        name, _, value = item.partition("=")
        knobs[name] = int(value) if types.get(name) in ("int", int) else float(value)
    if args.config:
        config = load_config(args.config)
        args.lists, args.seed = config["lists"], config["seed"]
        knobs = {**config.get("knobs", {}), **knobs}
        args.people = config["people"]
    start = time.perf_counter()
    people = args.people or people_for_records(args.records, args.lists, args.seed, **knobs)
    df = generate(people, args.lists, args.seed, **knobs)
    elapsed = time.perf_counter() - start
    print("SYNTHETIC lists (invented people)")
    for key, value in describe(df).items():
        print(f"  {key}: {value}")
    print(f"  generation_seconds: {elapsed:.1f}")
    if args.out:
        for path in write_lists(df, args.out):
            print(f"  wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
