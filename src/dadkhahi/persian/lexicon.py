"""The curated table of Iranian names, places and organisations (``data/names.csv``).

Each row is one canonical entry: an ASCII ``id``, a ``kind`` and its spellings in
Persian script and in Latin transliteration, ``|``-separated. Every spelling is
*folded* (see :func:`fold`) before it is indexed, so the table only needs the
variants folding cannot reach (Hossein/Hussein, Ghasem/Qasem/Kasem).

Kinds: ``given``, ``family`` (people's names), ``prefix`` (first halves of compound
given names such as Abdol-), ``particle`` (-ollah, -eddin), ``suffix`` (surname
endings -zadeh, -pour, -i …), ``place`` and ``org``. Names, prefixes and particles
share one namespace; places and organisations have their own.

Tokens that are not in the table are still resolved when they are built from it:
a surname ``base + suffix`` (``Mahmoudzadeh`` → ``mahmoud+zadeh``, ``کامرانی`` →
``kamran+i``) or a compound given name (``Gholamreza`` → ``gholam``, ``reza``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from dadkhahi.persian.normalize import normalize_script, to_ascii_latin

Namespace = Literal["name", "place", "org"]

NAME_KINDS = frozenset({"given", "family", "prefix", "particle"})
GIVEN_KINDS = frozenset({"given", "prefix"})
_NAMESPACE_OF_KIND: dict[str, Namespace] = {
    "given": "name",
    "family": "name",
    "prefix": "name",
    "particle": "name",
    "place": "place",
    "org": "org",
}

_PERSIAN_LETTER = re.compile("[\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc\u0622]")
_DOUBLE = re.compile(r"(.)\1+")
# Spelling habits that differ between lists but never between names.
_LATIN_FOLDS = (
    ("dj", "j"),
    ("ph", "f"),
    ("q", "gh"),
    ("w", "v"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("ey", "ei"),
)
_PERSIAN_FOLDS = str.maketrans({"ئ": "ی", "ء": None, "آ": "ا"})


@dataclass(frozen=True)
class Entry:
    """One canonical name, place or organisation with its known spellings."""

    id: str
    kind: str
    persian: tuple[str, ...]
    latin: tuple[str, ...]


def has_persian_letters(text: str) -> bool:
    """True when ``text`` holds at least one Persian/Arabic letter."""
    return _PERSIAN_LETTER.search(text) is not None


@lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    """Lookup form of a token: Persian letters only, or lower-case ASCII letters only.

    Latin: ASCII-folded, lower-cased, dj→j, ph→f, q→gh, w→v, ou/oo→u, ee→i, ey→ei,
    doubled letters single except ``ii``. Persian: letters only (no ZWNJ or spaces), ئ→ی, ء dropped,
    آ→ا. Mixed-script text folds to its Persian letters.
    """
    if has_persian_letters(token):
        text = normalize_script(token).translate(_PERSIAN_FOLDS)
        return "".join(_PERSIAN_LETTER.findall(text))
    text = re.sub("[^a-z]", "", to_ascii_latin(token).lower())
    for old, new in _LATIN_FOLDS:
        text = text.replace(old, new)
    # "ii" stays: it is a dropped ayn (Zari'i = Zarei), not a long vowel (Zari).
    return _DOUBLE.sub(lambda m: m.group() if m.group() == "ii" else m.group(1), text)


def _split_cell(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split("|") if part.strip())


class Lexicon:
    """Index of the curated table: folded spelling → canonical id, per namespace."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries: dict[str, Entry] = {}
        self.collisions: list[tuple[str, str, str]] = []
        self._index: dict[Namespace, dict[str, str]] = {"name": {}, "place": {}, "org": {}}
        self._suffixes: list[tuple[str, str]] = []  # (folded form, suffix id), longest first
        for entry in entries:
            if entry.id in self.entries:
                raise ValueError(f"duplicate id in names table: {entry.id}")
            self.entries[entry.id] = entry
            forms = {fold(s) for s in entry.persian + entry.latin} - {""}
            if entry.kind == "suffix":
                self._suffixes.extend((f, entry.id) for f in forms)
                continue
            index = self._index[_NAMESPACE_OF_KIND[entry.kind]]
            for form in sorted(forms):
                other = index.setdefault(form, entry.id)
                if other != entry.id:
                    self.collisions.append((form, other, entry.id))
        self._suffixes.sort(key=lambda s: (-len(s[0]), s[0]))
        # A surname in the table that is also base+suffix ("حسینی" = حسین + ی) gets the
        # derived id as an alias, so an unlisted spelling derives to the same id.
        self._alias: dict[str, str] = {}
        for entry in entries:
            if entry.kind != "family":
                continue
            for spelling in entry.persian + entry.latin:
                derived = self._derive(fold(spelling))
                if derived is not None:
                    self._alias.setdefault(derived, entry.id)

    def kind(self, name_id: str) -> str:
        """Kind of a canonical id; derived surnames (``base+suffix``) are ``family``."""
        if "+" in name_id:
            return "family"
        return self.entries[name_id].kind

    def persian(self, name_id: str) -> str | None:
        """Reference Persian spelling of a canonical id (derived ids are composed)."""
        if "+" in name_id:
            base, suffix = name_id.split("+", 1)
            base_fa, suffix_fa = self.persian(base), self.persian(suffix)
            return None if base_fa is None or suffix_fa is None else base_fa + suffix_fa
        entry = self.entries.get(name_id)
        return entry.persian[0] if entry is not None and entry.persian else None

    def lookup(self, token: str, namespace: Namespace = "name") -> str | None:
        """Canonical id of a token spelled exactly as in the table (after folding)."""
        return self._index[namespace].get(fold(token))

    def _derive(self, folded: str) -> str | None:
        names = self._index["name"]
        for form, suffix_id in self._suffixes:
            if folded.endswith(form) and len(folded) - len(form) >= 2:
                base = names.get(folded[: -len(form)])
                if base is not None and self.entries[base].kind in ("given", "family"):
                    derived = f"{base}+{suffix_id}"
                    return self._alias.get(derived, derived)
        return None

    def _split(self, folded: str, depth: int = 0) -> tuple[str, ...] | None:
        names = self._index["name"]
        for cut in range(len(folded) - 2, 1, -1):
            left = names.get(folded[:cut])
            if left is None or self.entries[left].kind not in GIVEN_KINDS:
                continue
            rest = folded[cut:]
            right = names.get(rest)
            if right is not None and self.entries[right].kind == "particle":
                # "Izzat Ullah" is the listed عزت‌الله when the table has it as one name.
                composed = names.get(fold((self.persian(left) or "") + (self.persian(right) or "")))
                return (composed,) if composed is not None else (left, right)
            if right is not None and self.entries[right].kind != "prefix":
                return (left, right)
            if depth < 2 and (more := self._split(rest, depth + 1)) is not None:
                return (left, *more)
        return None

    @lru_cache(maxsize=200_000)  # noqa: B019 - one process-wide instance, see LEXICON
    def resolve(self, token: str) -> tuple[str, ...] | None:
        """Canonical ids of a name token: one id, or the parts of a compound; else None."""
        folded = fold(token)
        if not folded:
            return None
        direct = self._index["name"].get(folded)
        if direct is not None:
            return (direct,)
        derived = self._derive(folded)
        if derived is not None:
            return (derived,)
        return self._split(folded)

    @lru_cache(maxsize=200_000)  # noqa: B019 - one process-wide instance, see LEXICON
    def near(self, token: str, kinds: frozenset[str] = GIVEN_KINDS) -> str | None:
        """The one name of ``kinds`` a single slip away from ``token``, else None.

        For a token the table does not know: the id of the listed spellings (folded, of
        the same script) at optimal-string-alignment distance 1 (a letter dropped,
        added, changed or two neighbours swapped: ``Mohamad`` → ``Mohamma``, ``مهدی`` →
        ``مدهی``, ``بتول`` → ``بپول``), when they all belong to one id. None when two ids
        are that close (``Hamd``: Hamed or Hamid), none is, or the token is known or
        shorter than two letters. Two *known* names one slip apart are never read as
        each other here: Hassan and Hossein (``حسن``/``حسین``) are different people.
        """
        folded = fold(token)
        if len(folded) < 2 or self.resolve(token) is not None:
            return None
        found = process.extract(folded, self._forms(kinds), scorer=OSA.distance,
                                score_cutoff=1, limit=None)
        ids = {self._index["name"][form] for form, _, _ in found}
        return ids.pop() if len(ids) == 1 else None

    @cache  # noqa: B019 - one process-wide instance, see LEXICON
    def _forms(self, kinds: frozenset[str]) -> tuple[str, ...]:
        """Folded spellings of the names of ``kinds``, sorted (the same on every run)."""
        return tuple(sorted(form for form, name_id in self._index["name"].items()
                            if self.entries[name_id].kind in kinds))

    def as_data(self) -> dict[str, Any]:
        """The name index as plain data, for a port of :meth:`resolve` (the memorial's
        offline search): folded spelling → id, suffixes longest first, derived
        surnames' aliases, each id's kind and reference Persian spelling."""
        return {
            "names": dict(sorted(self._index["name"].items())),
            "suffixes": [list(s) for s in self._suffixes],
            "alias": dict(sorted(self._alias.items())),
            "kind": {i: e.kind for i, e in sorted(self.entries.items())},
            "fa": {i: e.persian[0] for i, e in sorted(self.entries.items()) if e.persian},
        }

    def suffix_id(self, token: str) -> str | None:
        """Id of a token that is exactly a surname suffix (``Zadeh``, ``پور``), else None."""
        folded = fold(token)
        return next((sid for form, sid in self._suffixes if form == folded), None)


@cache
def lexicon() -> Lexicon:
    """The package's name table, loaded once."""
    text = resources.files("dadkhahi.persian").joinpath("data/names.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    entries = [
        Entry(
            id=row["id"],
            kind=row["kind"],
            persian=_split_cell(row["fa"]),
            latin=_split_cell(row["latin"]),
        )
        for row in rows
    ]
    return Lexicon(entries)


@cache
def _provinces() -> dict[str, str]:
    text = resources.files("dadkhahi.persian").joinpath("data/provinces.csv").read_text("utf-8")
    return {row["place"]: row["province"] for row in csv.DictReader(io.StringIO(text))}


def province_of(place: str | None) -> str | None:
    """The province (its table id) a place of the table lay in, or None when unknown.

    ``place``: a place id of the table (``tehran``, ``karaj``, ``evin``, a province's
    own id). ``data/provinces.csv`` gives each city, prison and burial place the
    province it lay in as the 1986 census divided the country, the divisions in force
    during the 1980s: the provinces carved out since then fold into the province they
    came from (Qom, Karaj and Alborz into Tehran; Ardabil into East Azerbaijan; Qazvin
    into Zanjan, which held Qazvin county in 1986; Gorgan and Golestan into
    Mazandaran; the three Khorasans into Khorasan), so a list written in either
    division agrees with the other. Public fact: the provinces of Iran and their
    cities (e.g. Wikipedia, "Provinces of Iran" and each province's article). An
    ambiguous name (``azarbaijan``: East or West) has no province.
    """
    if place is None:
        return None
    return _provinces().get(place)
