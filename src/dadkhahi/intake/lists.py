"""Import a victim list (CSV or XLSX): the file an item, each row a record, one event.

All or nothing. The file is read and every row validated before anything is
written; any problem refuses the whole file with a report naming line and field
for each one. Only then is the file copied into the blob store and, in one
database transaction, the source (if new), the item with its custody entry and
one ``records.imported`` event holding every row (verbatim and normalised) are
written. A file whose SHA-256 was imported before is refused, naming that import.

Records of a protected list have their verbatim cells, normalised fields and
external id sealed (one data key per record, so one record can be erased).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.domain.errors import NotFoundError, UserError, ValidationError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.sources import REDACTED, SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.evidence import Receipt, add_item
from dadkhahi.intake.list_columns import ColumnPlan, plan_columns
from dadkhahi.intake.list_description import (
    ListDescription,
    linked_persons_by_import,
    open_description,
    sealed_description,
    stored_description,
)
from dadkhahi.intake.list_rows import normalise_rows
from dadkhahi.intake.list_versions import VersionChanges, plan_version
from dadkhahi.intake.sources import get_source, register_source
from dadkhahi.intake.tabular import RawTable, read_list_file
from dadkhahi.store import schema as s
from dadkhahi.store.projection import LIST_DESCRIPTION
from dadkhahi.store.store import Store, utc_now

_RANK = {Sensitivity.PUBLIC: 0, Sensitivity.RESTRICTED: 1, Sensitivity.PROTECTED: 2}

Progress = Callable[[str], None]


@dataclass
class ImportReport:
    """What one import did (or, with ``problems``, why it was refused)."""

    import_id: str
    list_id: str
    list_version: int
    kind: str
    source_id: str
    source_created: bool
    item_id: str
    sha256: str
    rows: int
    format: str
    encoding: str | None
    columns: dict[str, str]
    unmapped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ledger_index: int = -1
    seconds: float = 0.0
    #: For a new version of a list: what it changed (None for a list's first file).
    version: VersionChanges | None = None


@dataclass(frozen=True)
class _Prepared:
    table: RawTable
    plan: ColumnPlan
    records: list[dict[str, Any]]
    warnings: list[str]


def _prepare(table: RawTable, plan: ColumnPlan, id_column: str | None) -> _Prepared:
    header_problems = [p for p in table.problems if p[0] == 1]
    header_problems += [(1, p.removeprefix("line 1, ")) for p in plan.problems]
    if header_problems:
        # Without a sound header no row can be read reliably: stop at line 1.
        raise _refusal(header_problems)
    problems = [p for p in table.problems if p[0] != 1]
    position = {name: i for i, name in enumerate(table.header)}
    cols = {
        name: [row[position[column]].strip() for row in table.rows]
        for name, column in plan.fields.items()
    }
    normalised = normalise_rows(table.lines, cols)
    problems += normalised.problems
    external: list[str | None] = [None] * len(table.rows)
    if id_column is not None:
        at = position[id_column]
        first_seen: dict[str, int] = {}
        for i, (line, row) in enumerate(zip(table.lines, table.rows, strict=True)):
            value = row[at].strip()
            if not value:
                problems.append((line, f"field {id_column}: empty id"))
            elif value in first_seen:
                problems.append(
                    (line, f"field {id_column}: duplicate id {value!r} "
                           f"(first on line {first_seen[value]})")
                )
            else:
                first_seen[value] = line
            external[i] = value or None
    if problems:
        raise _refusal(problems)
    records = [
        {
            "id": new_id("record"),
            "row_number": line,
            "external_id": ext,
            # Verbatim: every cell exactly as read, in header order (see projection).
            "cells": row,
            "normalized": norm,
        }
        for line, row, ext, norm in zip(
            table.lines, table.rows, external, normalised.rows, strict=True
        )
    ]
    return _Prepared(table, plan, records, table.warnings + normalised.warnings)


def _refusal(problems: list[tuple[int, str]]) -> ValidationError:
    lines = [
        f"line {line}, {what}" if what.startswith("field ") else f"line {line}: {what}"
        for line, what in sorted(problems)
    ]
    return ValidationError(
        f"refused: {len(lines)} problem(s) in the file; nothing was stored", lines
    )


def _earlier_import(
    conn: Connection, sha256: str, list_id: str | None = None, before: str | None = None
) -> dict[str, Any] | None:
    """The first import of this file, leaving out the list a new version is for (and
    the import ``before``, being written)."""
    li = s.list_imports.c
    query = select(li.id, li.list_id, li.source_id, li.item_id, li.imported_at, li.rows,
                   li.sensitivity).where(li.sha256 == sha256)
    if before is not None:
        query = query.where(li.id != before)
    if list_id is not None:
        # The same file read with other options may be a new version of its own list.
        query = query.where(li.list_id != list_id)
    row = conn.execute(
        query
        .order_by(li.ledger_index)
        .limit(1)
    ).mappings().first()
    return None if row is None else dict(row)


def resolve_source(conn: Connection, ref: str) -> dict[str, Any] | None:
    """A source by ID (or unique ID prefix) or by exact title; None if there is none."""
    try:
        return get_source(conn, ref)
    except NotFoundError as exc:
        if "ambiguous" in str(exc):
            raise
    rows = conn.execute(select(s.sources).where(s.sources.c.title == ref).limit(2)).mappings().all()
    if len(rows) > 1:
        raise UserError(f"two sources are titled {ref!r}: give the source ID instead")
    return dict(rows[0]) if rows else None


def _current_version(store: Store, conn: Connection, list_id: str) -> dict[str, Any]:
    """The list's row joined with its current import (for a new version), sealed
    fields opened."""
    ls, li = s.lists.c, s.list_imports.c
    row = conn.execute(
        select(s.list_imports, ls.sensitivity.label("list_sensitivity"))
        .join(s.list_imports, li.id == ls.current_import_id).where(ls.id == list_id)
    ).mappings().first()
    if row is None:
        raise NotFoundError(f"no list {list_id!r}")
    listed = conn.execute(select(s.lists).where(ls.id == list_id)).mappings().one()
    description = open_description(store.keys, conn, listed)
    return {**open_import(store, conn, dict(row)), "list_kind": description["kind"],
            "list_description": {k: description[k] for k in LIST_DESCRIPTION},
            "list_sealed": listed["sealed"] is not None}


def open_import(store: Store, conn: Connection, row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``list_imports`` row with its sealed fields (a protected list's column names,
    ID column and sheet) laid back; an erased payload leaves the placeholders."""
    out = {k: v for k, v in row.items() if k != "sealed"}
    if row.get("sealed"):
        opened = store.keys.unseal(conn, row["sealed"], str(row["id"])) or {}
        out.update({k: v for k, v in opened.items() if k in out})
    return out


def import_list(
    store: Store,
    path: Path,
    *,
    source: str | SourceSpec | None = None,
    actor: str,
    id_column: str | None = None,
    mapping: Mapping[str, str] | None = None,
    sensitivity: Sensitivity | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    receipt: Receipt | None = None,
    progress: Progress | None = None,
    description: ListDescription | None = None,
    multiline_cells: bool = False,
    new_version_of: str | None = None,
    duplicate_ok: bool = False,
) -> ImportReport:
    """Import one list file; raise :class:`ValidationError` (nothing stored) if it is bad.

    ``source``: an existing source's ID, ID prefix or exact title; if none
    matches, a new source of kind ``list`` with that title is registered (with
    ``sensitivity``). A :class:`SourceSpec` always registers a new source.
    ``mapping``: ``{field: column}`` overriding the automatic header matching.
    ``sensitivity``: of the records (default: the source's); a protected import
    seals every record. ``encoding`` skips detection; ``sheet`` picks an XLSX sheet.
    ``description``: what the list lists, covers and came from (default: victims,
    not limited, no provenance); see :mod:`dadkhahi.intake.list_description`.
    ``multiline_cells``: accept quoted cells whose lines read as rows of the file
    (reported in ``warnings``) instead of refusing the file.
    ``new_version_of``: a list's ID (``lst_…``, exact): the file becomes that list's
    next version, superseding the current one (see :mod:`dadkhahi.intake.list_versions`);
    the source is the list's, ``sensitivity`` defaults to the list's, ``description``
    (if given) replaces the list's.
    ``duplicate_ok``: a file imported before is imported again instead of refused, and a
    ``list.duplicate_found`` event in the same transaction names both imports (for an
    importer who may not see the earlier import, who must not learn it exists).
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    if new_version_of is not None and source is not None:
        raise UserError("a new version stays with its list's source: give no source")
    if new_version_of is None and source is None:
        raise UserError("name the list's source")
    with store.reading() as conn:
        # Before the file is read: a wrong option should not wait for a long parse.
        described = (None if description is None and new_version_of is not None
                     else stored_description(conn, description or ListDescription()))
        current = None if new_version_of is None else _current_version(store, conn, new_version_of)
    say("reading")
    table = read_list_file(path, encoding=encoding, sheet=sheet,
                           multiline_cells=multiline_cells)
    plan = plan_columns(table.header, mapping, id_column)
    say(f"validating {len(table.rows):,} rows")
    prepared = _prepare(table, plan, id_column)

    with store.reading() as conn:
        earlier = _earlier_import(conn, table.sha256, new_version_of)
        if earlier is not None and not duplicate_ok:
            raise UserError(
                f"{path.name} (sha256 {table.sha256[:16]}…) was already imported: import "
                f"{earlier['id']} into source {earlier['source_id']} on "
                f"{earlier['imported_at']} ({earlier['rows']} records, item "
                f"{earlier['item_id']}); nothing was stored. To read it again with other "
                f"options (--id-column, --map), import it as that list's next version: "
                f"--new-version-of {earlier['list_id']}"
            )
        if current is not None:
            existing: dict[str, Any] | None = get_source(conn, str(current["source_id"]))
        else:
            assert source is not None
            existing = None if isinstance(source, SourceSpec) else resolve_source(conn, source)
    spec: SourceSpec | None = None
    if existing is not None:
        source_sensitivity = Sensitivity(existing["sensitivity"])
        default = (source_sensitivity if current is None
                   else Sensitivity(current["list_sensitivity"]))
        level = sensitivity or default
        if _RANK[level] < _RANK[source_sensitivity]:
            raise UserError(
                f"source {existing['id']} is {source_sensitivity}: its records cannot be {level}"
            )
    else:
        assert source is not None
        spec = source if isinstance(source, SourceSpec) else SourceSpec(
            title=source, kind=SourceKind.LIST,
            sensitivity=sensitivity or Sensitivity.RESTRICTED,
        )
        level = sensitivity or spec.sensitivity

    say("storing the file")
    blob = store.blobs.put_file(path)
    if blob.sha256 != table.sha256:
        raise UserError(f"{path.name} changed while it was being imported; nothing was stored")
    say(f"writing {len(prepared.records):,} records")
    changes: VersionChanges | None = None
    with store.transaction(actor) as tx:
        now = utc_now()
        records = prepared.records
        list_meta: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        if current is not None:
            # Read again under the write lock: the version this one supersedes.
            current = _current_version(store, tx.conn, str(current["list_id"]))
            version, changes = plan_version(store, tx.conn, current, table.header, records,
                                            id_column, now=now)
            if (not changes.added and not changes.removed and not changes.changed
                    and id_column == current["id_column"] and plan.fields == current["columns"]
                    and str(level) == current["sensitivity"]):
                raise UserError(
                    f"{path.name} read this way is the current version "
                    f"({current['id']}) again: nothing changed, nothing was stored")
            list_id = str(current["list_id"])
            list_meta = {"list_version": int(current["list_version"]) + 1,
                         "supersedes": str(current["id"])}
            extra = {"version": version}
        if spec is not None:
            source_id = register_source(store, tx, spec)
        else:
            assert existing is not None
            source_id = str(existing["id"])
        item_id = add_item(
            store, tx, source_id, level, path.name, blob,
            receipt or Receipt(actor=actor, how="list import"),
        )
        import_id = new_id("import")
        if current is None:
            list_id, list_meta = new_id("list"), {"list_version": 1}
        header = table.header
        list_file: dict[str, Any] = {
            "list_id": list_id,
            **list_meta,
            "sha256": table.sha256,
            "format": table.format,
            "encoding": table.encoding,
            "delimiter": table.delimiter,
            "sheet": table.sheet,
            "id_column": id_column,
            "columns": plan.fields,
            "imported_at": now,
        }
        if (described is None and current is not None and level is Sensitivity.PROTECTED
                and not current["list_sealed"]):
            # The list becomes protected with this version: its description is sealed
            # from now on (what the earlier, unprotected events carried stays as it was).
            described = dict(current["list_description"])
        event_description = (None if described is None else
                             sealed_description(tx, described, list_id, str(level)))
        if level is Sensitivity.PROTECTED:
            records = [_sealed(tx.seal, table.header, rec) for rec in records]
            # Column and sheet names can name a witness: sealed with the header (a sealed
            # record's cells travel in its own payload, so the event needs no header).
            list_file = tx.seal_protected("list_import", list_file, import_id,
                                          extra={"header": header})
            header = []
        index = tx.emit(
            "records.imported",
            {
                "source_id": source_id,
                "item_id": item_id,
                "import_id": import_id,
                "sensitivity": str(level),
                "header": header,
                "list": list_file,
                **({} if event_description is None else {"description": event_description}),
                "records": records,
                **extra,
            },
            time=now,
            # A batch: each row committed by a Merkle root, provable alone.
            batch=True,
        )
        if duplicate_ok:
            # Read again under the write lock: the earlier import this one repeats.
            earlier = _earlier_import(tx.conn, table.sha256, new_version_of, before=import_id)
            if earlier is not None:
                strictest = max(level, Sensitivity(earlier["sensitivity"]),
                                key=lambda v: _RANK[v])
                tx.emit("list.duplicate_found", {
                    "import_id": import_id, "duplicate_of": earlier["id"],
                    "sha256": table.sha256, "sensitivity": str(strictest)}, time=now)
    store.checkpoint()
    return ImportReport(
        import_id=import_id,
        list_id=list_id,
        list_version=int(list_meta["list_version"]),
        kind=str((described or {}).get("kind") or (current or {}).get("list_kind")),
        source_id=source_id,
        source_created=spec is not None,
        item_id=item_id,
        sha256=table.sha256,
        rows=len(records),
        format=table.format,
        encoding=table.encoding,
        columns=plan.fields,
        unmapped=plan.unmapped,
        warnings=prepared.warnings,
        ledger_index=index,
        seconds=time.perf_counter() - started,
        version=changes,
    )


def _sealed(
    seal: Callable[[Mapping[str, Any], str], dict[str, str]],
    header: list[str],
    record: dict[str, Any],
) -> dict[str, Any]:
    secret = {
        "verbatim": {h: c for h, c in zip(header, record["cells"], strict=True) if c != ""},
        "normalized": record["normalized"],
        "external_id": record["external_id"],
    }
    return {
        **record,
        "sealed": seal(secret, record["id"]),
        "cells": [],
        "normalized": {},
        "external_id": REDACTED if record["external_id"] is not None else None,
    }


def unseal_record(store: Store, conn: Connection, row: Mapping[str, Any]) -> dict[str, Any] | None:
    """A record row with its sealed fields opened; None when its key was destroyed."""
    if row.get("sealed") is None:
        return dict(row)
    opened = store.keys.unseal(conn, row["sealed"], row["id"])
    return None if opened is None else {**row, **opened}


@dataclass(frozen=True)
class ListSummary:
    """One imported list for ``lists show``."""

    import_id: str
    list_id: str
    list_version: int
    superseded_by: str | None
    source_id: str
    source_title: str
    original_name: str | None
    format: str
    encoding: str | None
    rows: int
    sensitivity: str
    imported_at: str
    id_column: str | None
    linked_persons: int
    matched_by: str | None = None
    added: int | None = None
    removed: int | None = None
    changed: int | None = None


def list_imports(store: Store, ids: Sequence[str] | None = None) -> list[ListSummary]:
    """Every list import (every version of every list; those of ``ids`` when given),
    oldest first, with counts."""
    li, src, it = s.list_imports.c, s.sources.c, s.items.c
    persons = linked_persons_by_import()
    query = (
        select(li.id, li.list_id, li.list_version, li.superseded_by, li.source_id, src.title,
               it.original_name, li.format, li.encoding,
               li.rows, li.sensitivity, li.imported_at, li.id_column, persons.c.n,
               li.matched_by, li.added, li.removed, li.changed)
        .join(s.sources, src.id == li.source_id)
        .join(s.items, it.id == li.item_id)
        .outerjoin(persons, persons.c.import_id == li.id)
        .order_by(li.ledger_index)
    )
    if ids is not None:
        query = query.where(li.id.in_(list(ids)))
    with store.reading() as conn:
        return [
            ListSummary(r.id, r.list_id, r.list_version, r.superseded_by, r.source_id, r.title,
                        r.original_name, r.format, r.encoding,
                        r.rows, r.sensitivity, r.imported_at, r.id_column, int(r.n or 0),
                        r.matched_by, r.added, r.removed, r.changed)
            for r in conn.execute(query)
        ]


@dataclass(frozen=True)
class ListCheck:
    """A dry run of :func:`import_list`: what was read, how columns map, what is wrong."""

    table: RawTable
    plan: ColumnPlan
    #: Each problem as ``line N, field F: what`` (or ``line N: what``); empty if importable.
    problems: list[str]
    warnings: list[str]


def check_list(
    path: Path, *, id_column: str | None = None, mapping: Mapping[str, str] | None = None,
    encoding: str | None = None, sheet: str | None = None, multiline_cells: bool = False,
) -> ListCheck:
    """Read and validate a list file exactly as :func:`import_list` would, storing nothing.

    A file that cannot be read at all raises :class:`UserError` as the import does.
    """
    table = read_list_file(path, encoding=encoding, sheet=sheet,
                           multiline_cells=multiline_cells)
    plan = plan_columns(table.header, mapping, id_column)
    try:
        prepared = _prepare(table, plan, id_column)
    except ValidationError as exc:
        return ListCheck(table, plan, exc.problems, list(table.warnings))
    return ListCheck(table, plan, [], prepared.warnings)
