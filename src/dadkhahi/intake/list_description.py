"""What a list lists, what it covers and where it came from.

A list of detainees (survivors among them) is not a list of the dead, a list of
one province says nothing about the others, and a list copied from another is
not an independent witness of the same deaths: an estimate that ignores these
counts wrongly. So every list carries

* a **kind** (:class:`~dadkhahi.domain.vocab.ListKind`: victims, detainees,
  perpetrators, other; victims unless said otherwise);
* its **coverage**: the provinces it covers (names in any script, kept with
  their place keys, as records' ``province_key``; none given: not limited) and
  the period of the events it lists (``FROM..TO``, either end open, each end a
  date in Solar Hijri or Gregorian as :func:`dadkhahi.persian.parse_date` reads
  it; one date alone stands for its whole interval);
* its **provenance**: the lists or sources it was ``derived_from`` (copied,
  extracted, translated) and those it was ``compiled_by`` (the organisation or
  list that compiled it), as IDs.

The first import states them; ``list.described`` events change them later, each
carrying the whole new description and the names of the fields it changed.

A protected list's description (kind, provinces and their keys, period) is sealed
like every field of a protected object (``domain.protected.CLEAR_FIELDS["list"]``),
in its row and in its events: :func:`open_description` lays it back for whoever
reads with the keys (the estimate, the editorial gate, a reader with the grant).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Subquery, func, select

from dadkhahi.domain.errors import NotFoundError, UserError, ValidationError
from dadkhahi.domain.vocab import ListKind, Sensitivity
from dadkhahi.persian import DateParseError, label_key, normalize_script, parse_date
from dadkhahi.store import schema as s
from dadkhahi.store.projection import LIST_DESCRIPTION
from dadkhahi.store.sealed import KeyRing
from dadkhahi.store.store import Store, Transaction


class _Keep(Enum):
    KEEP = "keep"


#: "Leave this field as it is" in a :class:`DescriptionChange`.
KEEP = _Keep.KEEP


@dataclass(frozen=True)
class ListDescription:
    """A list's description as a person gives it (references not yet resolved)."""

    kind: ListKind = ListKind.VICTIMS
    provinces: Sequence[str] | None = None
    period: str | None = None
    derived_from: Sequence[str] = ()
    compiled_by: Sequence[str] = ()


@dataclass(frozen=True)
class DescriptionChange:
    """Fields to change (``KEEP`` leaves one as it is; ``None`` or empty clears it)."""

    kind: ListKind | _Keep = KEEP
    provinces: Sequence[str] | _Keep | None = KEEP
    period: str | _Keep | None = KEEP
    derived_from: Sequence[str] | _Keep = KEEP
    compiled_by: Sequence[str] | _Keep = KEEP

    def is_empty(self) -> bool:
        """Whether nothing is to change."""
        return all(getattr(self, f) is KEEP for f in
                   ("kind", "provinces", "period", "derived_from", "compiled_by"))


@dataclass(frozen=True)
class Period:
    """The period of events a list covers: a Gregorian interval, either end open."""

    text: str
    earliest: str | None
    latest: str | None


def parse_period(text: str) -> Period:
    """``FROM..TO`` (either end may be left out) or one date standing for its interval."""
    text = text.strip()
    if not text:
        raise ValidationError("period: empty; write FROM..TO, e.g. 1367/04/01..1367/09/30")
    start, sep, end = text.partition("..")

    def bound(part: str, side: str) -> str | None:
        if not part.strip():
            return None
        try:
            interval = parse_date(part.strip())
        except DateParseError as exc:
            raise ValidationError(f"period: {part.strip()!r} is not a date ({exc})") from None
        day = interval.earliest if side == "from" else interval.latest
        return day.isoformat()

    if not sep:
        return Period(text, bound(start, "from"), bound(start, "to"))
    earliest, latest = bound(start, "from"), bound(end, "to")
    if earliest is None and latest is None:
        raise ValidationError("period: give at least one end, e.g. 1367/04/01..")
    if earliest is not None and latest is not None and earliest > latest:
        raise ValidationError(f"period: {text!r} ends ({latest}) before it starts ({earliest})")
    return Period(text, earliest, latest)


def province_fields(names: Sequence[str] | None) -> dict[str, Any]:
    """Province names (script-normalised, each once) and their place keys; None: not limited."""
    if not names:
        return {"provinces": None, "province_keys": None}
    cleaned: dict[str, str] = {}
    for raw in names:
        for part in raw.split(","):
            name = " ".join(normalize_script(part).split())
            if not name:
                continue
            key = label_key(name, "place")
            if key is None:
                raise ValidationError(f"province {part.strip()!r}: not a place name")
            cleaned.setdefault(name, key)
    if not cleaned:
        return {"provinces": None, "province_keys": None}
    return {"provinces": list(cleaned), "province_keys": list(cleaned.values())}


def period_fields(text: str | None) -> dict[str, Any]:
    """The stored form of a period (all None when not stated)."""
    if text is None or not text.strip():
        return {"period_from": None, "period_to": None, "period_text": None}
    period = parse_period(text)
    return {"period_from": period.earliest, "period_to": period.latest,
            "period_text": period.text}


def open_description(keys: KeyRing, conn: Connection, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A ``lists`` row with a protected list's sealed description laid back.

    The ``sealed`` payload is dropped; an erased one leaves the placeholders.
    """
    out = {k: v for k, v in row.items() if k != "sealed"}
    if row.get("sealed"):
        opened = keys.unseal(conn, row["sealed"], str(row["id"])) or {}
        out.update({k: v for k, v in opened.items() if k in LIST_DESCRIPTION})
    return out


def sealed_description(
    tx: Transaction, description: Mapping[str, Any], list_id: str, level: str
) -> dict[str, Any]:
    """A description as an event carries it: every field but the provenance references
    sealed (bound to the list's ID) when the list is protected."""
    if level != str(Sensitivity.PROTECTED):
        return dict(description)
    return tx.seal_protected("list", description, list_id)


def list_kinds(store: Store, conn: Connection) -> dict[str, str]:
    """Every list's kind by its ID, a protected list's opened (for the operator's reads:
    the estimate, the editorial gate)."""
    ls = s.lists.c
    return {str(r["id"]): str(open_description(store.keys, conn, r)["kind"])
            for r in conn.execute(select(ls.id, ls.kind, ls.sealed)).mappings()}


def _one(rows: Sequence[Any], what: str, ref: str) -> Any:
    if not rows:
        raise NotFoundError(f"no {what} {ref!r}")
    if len(rows) > 1:
        raise UserError(f"{what} ID {ref!r} is ambiguous; give more characters")
    return rows[0]


def _nearest_lists(conn: Connection, ref: str) -> str:
    """A hint naming the lists whose source title holds ``ref`` or is close to it."""
    titles = sorted({str(t) for t in conn.execute(
        select(s.sources.c.title).join(s.lists, s.lists.c.source_id == s.sources.c.id)
    ).scalars()})
    near = ([t for t in titles if ref.casefold() in t.casefold()]
            or difflib.get_close_matches(ref, titles, n=3, cutoff=0.5))[:3]
    if not near:
        return "; dadkhahi lists show names every list"
    return (f"; lists titled {', '.join(repr(t) for t in near)}: give the exact title or "
            "the list's ID (dadkhahi lists show)")


def resolve_list(conn: Connection, ref: str, *, prefix: bool = True) -> dict[str, Any]:
    """A list by its ID, the ID of any of its imports, or its source (ID or exact title).

    ``prefix``: accept a unique ID prefix (the command line does; the API, which must
    not reveal what it hides through "ambiguous", does not). A source with several
    lists is refused, naming them.
    """
    ref = ref.strip()
    if not ref:
        raise UserError("name a list: its ID (lst_…), an import ID (imp_…) or its source")
    li, ls, src = s.list_imports.c, s.lists.c, s.sources.c

    def match(column: Any) -> Any:
        return column.startswith(ref, autoescape=True) if prefix else column == ref

    if ref.startswith("lst_"):
        rows = conn.execute(select(s.lists).where(match(ls.id)).limit(2)).mappings().all()
        return dict(_one(rows, "list", ref))
    if ref.startswith("imp_"):
        rows = conn.execute(
            select(s.lists).join(s.list_imports, li.list_id == ls.id).where(match(li.id))
            .limit(2)
        ).mappings().all()
        return dict(_one(rows, "list import", ref))
    if ref.startswith("src_"):
        sources = [str(x) for x in conn.execute(select(src.id).where(match(src.id)).limit(2))
                   .scalars()]
        _one(sources, "source", ref)
    else:
        sources = [str(x) for x in conn.execute(select(src.id).where(src.title == ref).limit(2))
                   .scalars()]
        if len(sources) > 1:
            raise UserError(f"two sources are titled {ref!r}: give the list or source ID")
        if not sources:
            # The command line (prefix) names the nearest lists; the API must not reveal
            # titles its caller may not see.
            raise NotFoundError(f"no list or source {ref!r}"
                                + (_nearest_lists(conn, ref) if prefix else ""))
    rows = conn.execute(
        select(s.lists).where(ls.source_id == sources[0]).order_by(ls.ledger_index)
    ).mappings().all()
    if not rows:
        raise NotFoundError(f"source {sources[0]} holds no list")
    if len(rows) > 1:
        raise UserError(f"source {sources[0]} holds {len(rows)} lists "
                        f"({', '.join(str(r['id']) for r in rows)}): name one by its ID")
    return dict(rows[0])


def resolve_reference(conn: Connection, ref: str, *, prefix: bool = True) -> str:
    """The ID a provenance reference names: a list (``lst_``/``imp_``) or a source.

    A list is named by its ID or an import ID; a source by its ID or exact title.
    """
    ref = ref.strip()
    if ref.startswith(("lst_", "imp_")):
        return str(resolve_list(conn, ref, prefix=prefix)["id"])
    src = s.sources.c
    if ref.startswith("src_"):
        cond = src.id.startswith(ref, autoescape=True) if prefix else src.id == ref
        rows = conn.execute(select(src.id).where(cond).limit(2)).scalars().all()
        return str(_one(rows, "source", ref))
    rows = conn.execute(select(src.id).where(src.title == ref).limit(2)).scalars().all()
    if len(rows) > 1:
        raise UserError(f"two sources are titled {ref!r}: give the source ID")
    return str(_one(rows, "list or source", ref))


def _references(
    conn: Connection, refs: Sequence[str], field: str, own: str | None, prefix: bool
) -> list[str]:
    out: list[str] = []
    for ref in refs:
        try:
            found = resolve_reference(conn, ref, prefix=prefix)
        except UserError as exc:
            raise ValidationError(f"{field}: {exc}") from None
        if own is not None and found == own:
            raise ValidationError(f"{field}: a list cannot be {field.replace('_', ' ')} itself")
        if found not in out:
            out.append(found)
    return out


def stored_description(
    conn: Connection, description: ListDescription, *, own: str | None = None,
    prefix: bool = True,
) -> dict[str, Any]:
    """The description as stored and carried by events, references resolved to IDs."""
    return {
        "kind": str(ListKind(description.kind)),
        **province_fields(description.provinces),
        **period_fields(description.period),
        "derived_from": _references(conn, description.derived_from, "derived_from", own,
                                    prefix),
        "compiled_by": _references(conn, description.compiled_by, "compiled_by", own, prefix),
    }


def changed_description(
    conn: Connection, current: Mapping[str, Any], change: DescriptionChange, *,
    prefix: bool = True,
) -> tuple[dict[str, Any], list[str]]:
    """The whole description after ``change`` and the names of the fields it changes."""
    own = str(current["id"])
    new = {k: current[k] for k in LIST_DESCRIPTION}
    if not isinstance(change.kind, _Keep):
        new["kind"] = str(ListKind(change.kind))
    if not isinstance(change.provinces, _Keep):
        new.update(province_fields(change.provinces))
    if not isinstance(change.period, _Keep):
        new.update(period_fields(change.period))
    if not isinstance(change.derived_from, _Keep):
        new["derived_from"] = _references(conn, change.derived_from, "derived_from", own,
                                          prefix)
    if not isinstance(change.compiled_by, _Keep):
        new["compiled_by"] = _references(conn, change.compiled_by, "compiled_by", own, prefix)
    shown = {"provinces": ("provinces",), "period": ("period_from", "period_to", "period_text"),
             "kind": ("kind",), "derived_from": ("derived_from",),
             "compiled_by": ("compiled_by",)}
    changed = [name for name, keys in shown.items()
               if any(new[k] != current[k] for k in keys)]
    return new, changed


def describe_list(
    store: Store, list_ref: str, change: DescriptionChange, actor: str, *,
    prefix: bool = True,
) -> tuple[dict[str, Any], list[str], int | None]:
    """Change a list's kind, coverage or provenance with one ``list.described`` event.

    Returns the list row as it is now, the fields changed and the event's index
    (None, and no event, when nothing changes).
    """
    with store.transaction(actor) as tx:
        current = resolve_list(tx.conn, list_ref, prefix=prefix)
        changed, index = emit_description(tx, current, change, prefix=prefix)
        row = open_description(tx.keys, tx.conn, tx.conn.execute(
            select(s.lists).where(s.lists.c.id == current["id"])).mappings().one())
    return row, changed, index


def emit_description(
    tx: Transaction, current: Mapping[str, Any], change: DescriptionChange, *,
    prefix: bool = True,
) -> tuple[list[str], int | None]:
    """Emit ``list.described`` for ``change`` in an open transaction (none if nothing changes).

    ``current``: the list's row as stored (a protected list's description sealed).
    Returns the names of the fields changed and the event's index.
    """
    if change.is_empty():
        raise UserError("nothing to change: give a kind, provinces, a period or provenance")
    opened = open_description(tx.keys, tx.conn, current)
    new, changed = changed_description(tx.conn, opened, change, prefix=prefix)
    if not changed:
        return changed, None
    list_id = str(current["id"])
    index = tx.emit("list.described", sealed_description(
        tx, {"list_id": list_id, **new, "changed": changed}, list_id,
        str(current["sensitivity"])))
    return changed, index


@dataclass(frozen=True)
class ListInfo:
    """One list: its description, its current version and what that holds."""

    id: str
    source_id: str
    source_title: str
    kind: str
    provinces: list[str] | None
    province_keys: list[str] | None
    period_from: str | None
    period_to: str | None
    period_text: str | None
    derived_from: list[str]
    compiled_by: list[str]
    current_import_id: str
    versions: int
    sensitivity: str
    created_at: str
    rows: int
    item_id: str
    original_name: str | None
    linked_persons: int
    #: Whether the description is sealed (a protected list): opened here, but never to
    #: be written where the list's readers are not (an estimate's event, say).
    sealed: bool = False

    def coverage_text(self) -> str:
        """Coverage in a few words, for tables."""
        where = ", ".join(self.provinces) if self.provinces else "provinces not limited"
        when = "period not stated"
        if self.period_from or self.period_to:
            when = f"{self.period_from or '…'}..{self.period_to or '…'}"
        return f"{where}; {when}"


def linked_persons_by_import() -> Subquery:
    """Subquery: ``import_id``, ``n`` (distinct persons its records are linked to)."""
    pr, rec = s.person_records.c, s.records.c
    return (
        select(rec.import_id, func.count(func.distinct(pr.person_id)).label("n"))
        .join(s.person_records, pr.record_id == rec.id)
        .group_by(rec.import_id)
        .subquery()
    )


def list_catalogue(
    store: Store, conn: Connection, ids: Sequence[str] | None = None
) -> list[ListInfo]:
    """Every list (or those named), in the order they were first imported.

    Counts are those of each list's current version; the estimate selects and
    merges lists from this (kind, coverage, provenance). Sealed descriptions are
    opened with the store's keys: this is the operator's view, for no one else.
    """
    ls, li, src, it = s.lists.c, s.list_imports.c, s.sources.c, s.items.c
    persons = linked_persons_by_import()
    first = (
        select(li.list_id, func.min(li.ledger_index).label("at"))
        .group_by(li.list_id)
        .subquery()
    )
    query = (
        select(s.lists, src.title.label("source_title"), li.rows, li.item_id,
               it.original_name, persons.c.n)
        .join(s.sources, src.id == ls.source_id)
        .join(s.list_imports, li.id == ls.current_import_id)
        .join(s.items, it.id == li.item_id)
        .join(first, first.c.list_id == ls.id)
        .outerjoin(persons, persons.c.import_id == ls.current_import_id)
        .order_by(first.c.at)
    )
    if ids is not None:
        query = query.where(ls.id.in_(list(ids)))
    out: list[ListInfo] = []
    for found in conn.execute(query).mappings():
        r = open_description(store.keys, conn, found)
        out.append(ListInfo(
            id=r["id"], source_id=r["source_id"], source_title=r["source_title"],
            kind=r["kind"], provinces=r["provinces"], province_keys=r["province_keys"],
            period_from=r["period_from"], period_to=r["period_to"],
            period_text=r["period_text"], derived_from=list(r["derived_from"]),
            compiled_by=list(r["compiled_by"]), current_import_id=r["current_import_id"],
            versions=int(r["versions"]), sensitivity=r["sensitivity"],
            created_at=r["created_at"], rows=int(r["rows"]), item_id=r["item_id"],
            original_name=r["original_name"], linked_persons=int(r["n"] or 0),
            sealed=found["sealed"] is not None,
        ))
    return out


__all__ = [
    "KEEP",
    "DescriptionChange",
    "ListDescription",
    "ListInfo",
    "Period",
    "changed_description",
    "describe_list",
    "emit_description",
    "list_catalogue",
    "list_kinds",
    "open_description",
    "parse_period",
    "resolve_list",
    "resolve_reference",
    "sealed_description",
    "stored_description",
]
