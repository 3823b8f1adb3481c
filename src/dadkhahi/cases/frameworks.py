"""Legal frameworks as data: crimes, their elements, shared contextual elements, modes of liability.

Law changes by jurisdiction and period, so none of it is code: each framework is one JSON
file (``format: dadkhahi-framework/v1``) naming its jurisdiction, instrument, temporal
applicability, the contextual elements its crimes share (defined once: the widespread or
systematic attack of art. 7, say), each crime's own elements and the modes of liability a
charge may use. Three ship in ``cases/frameworks/``; a team adds a fourth (a national code)
by dropping a file in a folder, with no code change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dadkhahi.domain.errors import NotFoundError, UserError

FORMAT = "dadkhahi-framework/v1"


class Text(BaseModel):
    """The same words in English and Persian (both required: every page is bilingual)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    en: str = Field(min_length=1)
    fa: str = Field(min_length=1)

    def in_language(self, language: str) -> str:
        """The text in ``language`` (``fa`` or anything else for English)."""
        return self.fa if language == "fa" else self.en


class Temporal(BaseModel):
    """When the framework can apply (ISO dates, open ends as null) and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    from_: str | None = Field(default=None, alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$")
    to: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    note: Text


class Element(BaseModel):
    """One element a charge must be supported on."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(min_length=1, max_length=40)
    text: Text


class Crime(BaseModel):
    """A crime: its own elements, then the framework's contextual elements it names."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(min_length=1, max_length=40)
    title: Text
    elements: tuple[Element, ...] = Field(min_length=1)
    contextual: tuple[str, ...] = ()


class Mode(BaseModel):
    """A mode of liability a charge may name (e.g. art. 25(3)(b): ordering)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(min_length=1, max_length=40)
    text: Text


class Framework(BaseModel):
    """One legal framework, as loaded and checked from its file."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    format: Literal["dadkhahi-framework/v1"]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.()-]{0,63}$")
    title: Text
    jurisdiction: str = Field(min_length=1)
    instrument: str = Field(min_length=1)
    source_url: str | None = None
    temporal: Temporal
    contextual_elements: tuple[Element, ...] = ()
    crimes: tuple[Crime, ...] = Field(min_length=1)
    modes_of_liability: tuple[Mode, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_resolve(self) -> Framework:
        contextual = {e.id for e in self.contextual_elements}
        if len(contextual) != len(self.contextual_elements):
            raise ValueError("contextual element IDs must be unique")
        crimes = [c.id for c in self.crimes]
        if len(set(crimes)) != len(crimes):
            raise ValueError("crime IDs must be unique")
        for crime in self.crimes:
            own = [e.id for e in crime.elements]
            if len(set(own)) != len(own):
                raise ValueError(f"crime {crime.id}: element IDs must be unique")
            unknown = set(crime.contextual) - contextual
            if unknown:
                raise ValueError(f"crime {crime.id}: unknown contextual elements {sorted(unknown)}")
        modes = [m.id for m in self.modes_of_liability]
        if len(set(modes)) != len(modes):
            raise ValueError("mode of liability IDs must be unique")
        return self

    def crime(self, crime_id: str) -> Crime:
        """The crime with this ID (NotFoundError naming the framework's crimes otherwise)."""
        for crime in self.crimes:
            if crime.id == crime_id:
                return crime
        known = ", ".join(c.id for c in self.crimes)
        raise NotFoundError(f"framework {self.id} has no crime {crime_id!r} (it has {known})")

    def elements_of(self, crime_id: str) -> tuple[Element, ...]:
        """Every element a charge of this crime needs: its own, then the shared contextual
        ones, whose IDs are prefixed ``ctx:`` so they never collide with the crime's own."""
        crime = self.crime(crime_id)
        shared = {e.id: e for e in self.contextual_elements}
        return crime.elements + tuple(
            Element(id=f"ctx:{ref}", text=shared[ref].text) for ref in crime.contextual)

    def mode(self, mode_id: str) -> Mode:
        """The mode of liability with this ID."""
        for mode in self.modes_of_liability:
            if mode.id == mode_id:
                return mode
        known = ", ".join(m.id for m in self.modes_of_liability)
        raise NotFoundError(f"framework {self.id} has no mode of liability {mode_id!r} "
                            f"(it has {known})")


def load_framework(path: Path) -> Framework:
    """Read and check one framework file; a UserError names the file and the field."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path.name}: not a readable JSON framework file ({exc})") from None
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}"
            for err in exc.errors())
        raise UserError(f"{path.name}: {problems}") from None


@cache
def builtin_frameworks() -> tuple[Framework, ...]:
    """The frameworks shipped with Dadkhahi, sorted by ID."""
    folder = resources.files("dadkhahi.cases") / "frameworks"
    found = [load_framework(Path(str(entry))) for entry in folder.iterdir()
             if entry.name.endswith(".json")]
    return tuple(sorted(found, key=lambda f: f.id))


def frameworks(extra_dirs: Iterable[Path] = ()) -> tuple[Framework, ...]:
    """Shipped frameworks plus every ``*.json`` in ``extra_dirs`` (sorted; IDs unique)."""
    found = list(builtin_frameworks())
    for folder in extra_dirs:
        if folder.is_dir():
            found.extend(load_framework(p) for p in sorted(folder.glob("*.json")))
    ids = [f.id for f in found]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise UserError(f"framework IDs used twice: {', '.join(dupes)}")
    return tuple(sorted(found, key=lambda f: f.id))


def find_framework(framework_id: str, available: Sequence[Framework]) -> Framework:
    """The framework with this ID among ``available``."""
    for framework in available:
        if framework.id == framework_id:
            return framework
    known = ", ".join(f.id for f in available)
    raise NotFoundError(f"no framework {framework_id!r} (known: {known})")


__all__ = [
    "FORMAT",
    "Crime",
    "Element",
    "Framework",
    "Mode",
    "Text",
    "builtin_frameworks",
    "find_framework",
    "frameworks",
    "load_framework",
]
