"""List imports and linkage on a user's behalf: check, call the services, show what is visible.

Access decisions (the API's routers ``api/routers/lists.py`` and ``api/routers/linkage.py``
document them to clients too; the review and person pages call the same functions):

* **Importing a list** needs ``add_evidence``. An existing source is named by its
  exact ID or its exact title, among the sources the principal can see; an ID of an
  invisible source is "not found", never "forbidden". A name that matches no source
  registers a new source of kind ``list``; a new protected source is granted to
  the importer at once (as ``POST /api/sources`` does). Protected records in a less
  protected source are refused unless the importer holds a grant on the source
  (they could not see what they imported).
* A file already imported is refused (409) naming the earlier import when the
  principal can see it. When they cannot, nothing tells them it exists: the file is
  imported as any new file would be, and a ``list.duplicate_found`` event, as protected
  as the earlier import, tells those who may see that one.
* **Listing imports**: anyone; an import is shown only when its records would be
  (:func:`dadkhahi.access.imports.visible_import`), with its list's description; a
  list's provenance names only the lists and sources the principal can see.
* **Describing a list** (kind, coverage, provenance) needs ``add_evidence`` and a
  visible current version (else "not found"); references must be exact IDs of
  visible lists or sources, and references the principal cannot see are kept.
* **Running linkage** needs ``analyse``, and runs as a job
  (:func:`dadkhahi.services.jobs.enqueue_linkage`). The run links every list record,
  whatever the runner may see: it writes persons and claims under the same visibility
  rules, and its report holds counts only. Over HTTP it runs on DuckDB; Spark runs
  (long, for millions of records) are left to the command line.
* **The review queue and decisions** need ``review`` or ``analyse``. A pair is shown
  only when *both* records are visible to the principal; otherwise it is left out
  entirely. Deciding on a record one cannot see is "not found".
* **Link statistics** need ``analyse`` and are computed over the list records the
  principal can see only (records, persons, per-list counts, overlaps, decisions and
  pending review pairs), so nothing about an invisible list is counted.

Every protected object returned (import, record, opened source title or file name)
is written to the audit trail before the answer leaves.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, func, select, tuple_

from dadkhahi.access import grants
from dadkhahi.access.audit import ObjectRef, record_reads
from dadkhahi.access.imports import visible_import
from dadkhahi.access.policy import (
    Permission,
    Principal,
    params,
    require,
    visible,
    visible_ref,
)
from dadkhahi.access.reads import keyset_page, visible_row
from dadkhahi.domain.errors import ConflictError, NotFoundError, UserError, ValidationError
from dadkhahi.domain.sources import REDACTED, SourceSpec
from dadkhahi.domain.vocab import (
    DECISIONS_IN_FORCE,
    Credibility,
    ListKind,
    Reliability,
    Sensitivity,
    SourceKind,
)
from dadkhahi.intake.evidence import Receipt
from dadkhahi.intake.list_description import (
    KEEP,
    DescriptionChange,
    ListDescription,
    emit_description,
    open_description,
    stored_description,
)
from dadkhahi.intake.lists import ImportReport, import_list, list_imports, open_import
from dadkhahi.intake.tabular import file_digest
from dadkhahi.store import actors
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.versions import check_version

_SOURCE_ID = re.compile(r"src_[0-9a-f]{20}")
_PROTECTED = str(Sensitivity.PROTECTED)


#: Most "different" decisions one split records (a split of a large person into halves
#: would be a quarter of its records squared; a bigger one goes in steps).
MOST_DECISIONS = 2_000


def require_reviewer(principal: Principal) -> None:
    """Review or analyse permission (the linkage review queue and decisions)."""
    if not (principal.can(Permission.REVIEW) or principal.can(Permission.ANALYSE)):
        require(principal, Permission.REVIEW)  # raises, naming the permission


# --- list imports ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ImportTarget:
    """Where an uploaded list goes: an existing source (its row), a new one, or (with
    ``new_version_of``, source None) the next version of a list."""

    source: str | SourceSpec | None
    existing: dict[str, Any] | None
    new_version_of: str | None = None


def _has_grant(conn: Connection, principal: Principal, scope_id: str) -> bool:
    g = s.access_grants.c
    return conn.execute(
        select(g.scope_id).where(g.scope_id == scope_id, g.user_id == (principal.user_id or ""))
    ).first() is not None


def import_target(
    store: Store, principal: Principal, ref: str, sensitivity: Sensitivity | None,
    reliability: Reliability, credibility: Credibility,
) -> ImportTarget:
    """Resolve ``ref`` among visible sources, then check the permission (404 before 403)."""
    ref = ref.strip()
    if not ref:
        raise ValidationError("source: give a source ID or title")
    with store.reading() as conn:
        src = s.sources.c
        row = conn.execute(
            select(s.sources).where(src.id == ref, visible(principal, s.sources)),
            params(principal),
        ).mappings().first()
        if row is None and _SOURCE_ID.fullmatch(ref):
            # Exists or not, an ID the principal cannot see is simply not there.
            raise NotFoundError(f"no source {ref!r}")
        require(principal, Permission.ADD_EVIDENCE)
        if row is None and ref != REDACTED:
            # Titles of protected sources are sealed: only clear titles can match, and
            # every clear title is visible to a team member who may add evidence.
            rows = conn.execute(
                select(s.sources).where(src.title == ref, visible(principal, s.sources))
                .limit(2), params(principal),
            ).mappings().all()
            if len(rows) > 1:
                raise ValidationError(f"two sources are titled {ref!r}: give the source ID")
            row = rows[0] if rows else None
        if row is not None:
            existing = dict(row)
            level = sensitivity or Sensitivity(existing["sensitivity"])
            if level is Sensitivity.PROTECTED and existing["sensitivity"] != _PROTECTED and \
                    not _has_grant(conn, principal, str(existing["id"])):
                raise ValidationError(
                    "you would not be able to see these protected records: ask for a grant "
                    f"on source {existing['id']} first")
            return ImportTarget(str(existing["id"]), existing)
    if ref == REDACTED:
        raise ValidationError("name a protected source by its ID")
    spec = SourceSpec(title=ref, kind=SourceKind.LIST,
                      sensitivity=sensitivity or Sensitivity.RESTRICTED,
                      reliability=reliability, credibility=credibility)
    return ImportTarget(spec, None)


def version_target(
    store: Store, principal: Principal, list_id: str, sensitivity: Sensitivity | None,
) -> ImportTarget:
    """The list a new version is for: visible (else 404), then the permission, as for
    :func:`import_target`; ``ImportTarget.new_version_of`` names it."""
    with store.reading() as conn:
        row = conn.execute(
            select(s.lists).where(s.lists.c.id == list_id.strip(), visible(principal, s.lists)),
            params(principal),
        ).mappings().first()
        if row is None:
            raise NotFoundError(f"no list {list_id.strip()!r}")
        require(principal, Permission.ADD_EVIDENCE)
        level = sensitivity or Sensitivity(row["sensitivity"])
        if level is Sensitivity.PROTECTED and row["sensitivity"] != _PROTECTED and \
                not _has_grant(conn, principal, str(row["source_id"])):
            raise ValidationError(
                "you would not be able to see these protected records: ask for a grant "
                f"on source {row['source_id']} first")
    return ImportTarget(None, None, str(row["id"]))


def _check_earlier(
    store: Store, principal: Principal, sha256: str, list_id: str | None = None
) -> bool:
    """Whether a file with this SHA-256 was imported where the principal may not see it.

    409 naming the earlier import when they may see it (a file of the list a new version
    is for may come again, read with other options); False when there is none. An
    import the principal may not see is never confirmed, not even by a refusal.
    """
    li = s.list_imports.c
    with store.reading() as conn:
        mine = [] if list_id is None else [li.list_id != list_id]
        earlier = conn.execute(
            select(li.id).where(li.sha256 == sha256, *mine).order_by(li.ledger_index).limit(1)
        ).first()
        if earlier is None:
            return False
        shown = conn.execute(
            select(li.id, li.source_id, li.imported_at, li.rows)
            .where(li.sha256 == sha256, visible_import(principal), *mine)
            .order_by(li.ledger_index).limit(1), params(principal),
        ).first()
    if shown is None:
        return True
    raise ConflictError(
        f"this file was already imported: import {shown.id} into source "
        f"{shown.source_id} on {shown.imported_at} ({shown.rows} records); "
        "nothing was stored")


def import_upload(
    store: Store, principal: Principal, path: Path, target: ImportTarget, *,
    id_column: str | None, mapping: dict[str, str], sensitivity: Sensitivity | None,
    encoding: str | None, sheet: str | None, receipt: Receipt,
    description: ListDescription | None = None, multiline_cells: bool = False,
) -> dict[str, Any]:
    """Import the uploaded file at ``path`` (all or nothing) and show the new import."""
    sha256, _, _ = file_digest(path)

    def run(hidden_earlier: bool) -> ImportReport:
        return import_list(
            store, path, source=target.source, actor=principal.name, id_column=id_column,
            mapping=mapping, sensitivity=sensitivity, encoding=encoding, sheet=sheet,
            receipt=receipt, description=description, multiline_cells=multiline_cells,
            new_version_of=target.new_version_of, duplicate_ok=hidden_earlier)

    hidden = _check_earlier(store, principal, sha256, target.new_version_of)
    try:
        report = run(hidden)
    except ValidationError:
        raise
    except UserError:
        # Imported meanwhile by someone else: named if visible, else imported as new.
        if hidden or not _check_earlier(store, principal, sha256, target.new_version_of):
            raise
        report = run(True)
    if report.source_created and isinstance(target.source, SourceSpec) and \
            target.source.sensitivity is Sensitivity.PROTECTED and principal.user_id:
        grants.grant(store, report.source_id, principal.user_id, principal.name)
    shown = imports_for(store, principal, ids=[report.import_id], action="import list")
    if not shown:  # the checks above make this unreachable; never answer with less
        raise NotFoundError(f"no list import {report.import_id!r}")
    return {
        **shown[0],
        "source_created": report.source_created,
        "unmapped": report.unmapped,
        "warnings": report.warnings,
        "changes": None if report.version is None else dataclasses.asdict(report.version),
    }


def _visible_references(conn: Connection, principal: Principal, ids: set[str]) -> set[str]:
    """Which of these list and source IDs the principal may see."""
    if not ids:
        return set()
    ls, src = s.lists.c, s.sources.c
    lists = conn.execute(
        select(ls.id).where(ls.id.in_(sorted(ids)), visible(principal, s.lists)),
        params(principal),
    ).scalars()
    sources = conn.execute(
        select(src.id).where(src.id.in_(sorted(ids)), visible(principal, s.sources)),
        params(principal),
    ).scalars()
    return {str(x) for x in (*lists, *sources)}


def _list_views(
    store: Store, conn: Connection, principal: Principal, list_ids: set[str]
) -> dict[str, dict[str, Any]]:
    """Lists as the principal may see them (references to hidden objects left out).

    ``list_ids``: lists the principal was found to see; a protected list's sealed
    description is opened for them (callers audit the read)."""
    rows = [open_description(store.keys, conn, r) for r in conn.execute(
        select(s.lists).where(s.lists.c.id.in_(sorted(list_ids)))
    ).mappings().all()]
    refs = {str(x) for r in rows for x in (*r["derived_from"], *r["compiled_by"])}
    shown = _visible_references(conn, principal, refs)
    views: dict[str, dict[str, Any]] = {}
    for r in rows:
        view = {k: r[k] for k in ("id", "kind", "provinces", "province_keys", "period_from",
                                  "period_to", "period_text", "current_import_id",
                                  "versions", "sensitivity")}
        view["derived_from"] = [x for x in r["derived_from"] if x in shown]
        view["compiled_by"] = [x for x in r["compiled_by"] if x in shown]
        view["version"] = int(r["ledger_index"])
        views[str(r["id"])] = view
    return views


def _reference(conn: Connection, principal: Principal, ref: str, field: str) -> str:
    """An exact list, import or source ID the principal may see, as a list or source ID."""
    ls, li, src = s.lists.c, s.list_imports.c, s.sources.c
    found: Any = None
    if ref.startswith(("lst_", "imp_")):
        column = ls.id if ref.startswith("lst_") else li.id
        found = conn.execute(
            select(ls.id).join(s.list_imports, li.list_id == ls.id)
            .where(column == ref, visible(principal, s.lists)).limit(1), params(principal),
        ).scalar()
    elif ref.startswith("src_"):
        found = conn.execute(
            select(src.id).where(src.id == ref, visible(principal, s.sources)),
            params(principal)).scalar()
    if found is None:
        # The same answer whether it does not exist or is hidden.
        raise ValidationError(f"{field}: no list or source {ref!r} (give an exact lst_, "
                              "imp_ or src_ ID)")
    return str(found)


def description_for(
    store: Store, principal: Principal, kind: ListKind, provinces: Sequence[str],
    period: str | None, derived_from: Sequence[str], compiled_by: Sequence[str],
) -> ListDescription:
    """A new list's description, checked before its file is taken: references must be
    exact IDs of visible lists or sources (resolved to list or source IDs)."""
    with store.reading() as conn:
        description = ListDescription(
            kind=kind, provinces=list(provinces) or None, period=period,
            derived_from=[_reference(conn, principal, r, "derived_from") for r in derived_from],
            compiled_by=[_reference(conn, principal, r, "compiled_by") for r in compiled_by])
        stored_description(conn, description, prefix=False)  # provinces and period
    return description


def describe_for(
    store: Store, principal: Principal, list_id: str, fields: dict[str, Any],
    expected_version: int,
) -> dict[str, Any]:
    """Change a visible list's kind, coverage or provenance (``add_evidence``; If-Match)."""
    with store.transaction(principal.name) as tx:
        row = tx.conn.execute(
            select(s.lists).where(s.lists.c.id == list_id, visible(principal, s.lists)),
            params(principal),
        ).mappings().first()
        if row is None:
            raise NotFoundError(f"no list {list_id!r}")
        require(principal, Permission.ADD_EVIDENCE)
        check_version(tx.conn, s.lists, list_id, expected_version,
                      current=int(row["ledger_index"]))
        change: dict[str, Any] = {}
        for name in ("derived_from", "compiled_by"):
            if name in fields:
                given = [_reference(tx.conn, principal, ref, name)
                         for ref in fields[name] or []]
                # References this principal cannot see were set by someone who could:
                # they stay, unseen and unchanged.
                old = [str(x) for x in row[name]]
                shown = _visible_references(tx.conn, principal, set(old))
                change[name] = given + [x for x in old if x not in shown and x not in given]
        if "kind" in fields and fields["kind"] is not None:
            change["kind"] = fields["kind"]
        if "provinces" in fields:
            change["provinces"] = fields["provinces"] or None
        if "period" in fields:
            change["period"] = fields["period"] or None
        emit_description(tx, dict(row), DescriptionChange(**{
            k: change.get(k, KEEP) for k in
            ("kind", "provinces", "period", "derived_from", "compiled_by")}), prefix=False)
    with store.reading() as conn:
        view = _list_views(store, conn, principal, {list_id})[list_id]
    if view["sensitivity"] == _PROTECTED:
        record_reads(store, principal, "describe list", [("list", list_id)])
    return view


#: What the list of imports may be sorted by (``-`` first: descending).
IMPORT_SORTS = ("-imported_at", "imported_at")


def imports_page(
    store: Store, principal: Principal, *, sensitivity: Sensitivity | None = None,
    superseded: bool | None = None, sort: str = "-imported_at", cursor: str | None = None,
    limit: int = 20,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the list imports the principal may see (of one ``sensitivity``, a
    list's current versions or ``superseded`` ones, when given), newest first by default
    (the ID breaking ties), paged in SQL, each as :func:`imports_for` shows it; and the
    next page's cursor."""
    if sort not in IMPORT_SORTS:
        raise ValidationError(f"sort by one of {', '.join(IMPORT_SORTS)}")
    li = s.list_imports.c
    stmt = select(li.id, li.imported_at).where(visible_import(principal))
    if sensitivity is not None:
        stmt = stmt.where(li.sensitivity == str(sensitivity))
    if superseded is not None:
        stmt = stmt.where(li.superseded_by.is_not(None) if superseded
                          else li.superseded_by.is_(None))
    with store.reading() as conn:
        rows, next_cursor = keyset_page(store, conn, stmt, li.imported_at, li.id,
                                        descending=sort.startswith("-"), cursor=cursor,
                                        limit=limit, bound=params(principal))
    order = {str(r["id"]): n for n, r in enumerate(rows)}
    shown = imports_for(store, principal, ids=list(order)) if order else []
    return sorted(shown, key=lambda x: order[str(x["id"])]), next_cursor


def imports_for(
    store: Store, principal: Principal, *, ids: Sequence[str] | None = None,
    action: str = "list imports",
) -> list[dict[str, Any]]:
    """The list imports the principal may see, oldest first (protected ones audited)."""
    summaries = {x.import_id: x for x in list_imports(store, ids)}
    li, src, it = s.list_imports.c, s.sources.c, s.items.c
    query = (
        select(li.id, li.source_id, li.item_id, li.sha256, li.columns, li.id_column,
               li.sheet, li.sealed, li.sensitivity,
               li.ledger_index, src.sealed.label("source_sealed"),
               it.sealed.label("item_sealed"))
        .join(s.sources, src.id == li.source_id)
        .join(s.items, it.id == li.item_id)
        .where(visible_import(principal))
        .order_by(li.ledger_index)
    )
    if ids is not None:
        query = query.where(li.id.in_(list(ids)))
    out: list[dict[str, Any]] = []
    audited: list[ObjectRef] = []
    with store.reading() as conn:
        for r in conn.execute(query, params(principal)):
            summary = summaries.get(str(r.id))
            if summary is None:  # imported after the summaries were read
                continue
            title, name = summary.source_title, summary.original_name
            if r.source_sealed:
                opened = store.keys.unseal(conn, r.source_sealed, str(r.source_id))
                title = str(opened.get("title", title)) if opened else title
                audited.append(("source", str(r.source_id)))
            if r.item_sealed:
                opened = store.keys.unseal(conn, r.item_sealed, str(r.item_id))
                name = opened.get("original_name", name) if opened else name
                audited.append(("item", str(r.item_id)))
            if r.sensitivity == _PROTECTED:
                audited.append(("list_import", str(r.id)))
            file = open_import(store, conn, dict(r._mapping))
            out.append({
                "id": summary.import_id,
                "list_id": summary.list_id,
                "list_version": summary.list_version,
                "superseded_by": summary.superseded_by,
                "source_id": summary.source_id,
                "source_title": title,
                "item_id": str(r.item_id),
                "original_name": name,
                "sha256": str(r.sha256),
                "format": summary.format,
                "encoding": summary.encoding,
                "rows": summary.rows,
                "columns": dict(file["columns"] or {}),
                "id_column": file["id_column"],
                "sensitivity": summary.sensitivity,
                "imported_at": summary.imported_at,
                "linked_persons": summary.linked_persons,
                "version": int(r.ledger_index),
                "matched_by": summary.matched_by,
                "added": summary.added,
                "removed": summary.removed,
                "changed": summary.changed,
            })
        views = _list_views(store, conn, principal, {x["list_id"] for x in out})
    for entry in out:
        entry["list"] = views[entry["list_id"]]
    record_reads(store, principal, action, audited)
    return out


# --- linkage -------------------------------------------------------------------------


def apply(store: Store, principal: Principal) -> dict[str, Any]:
    """Re-cluster the last model run's pairs with every decision so far (``analyse``)."""
    require(principal, Permission.ANALYSE)
    from dadkhahi.linkage.service import apply_decisions

    return dataclasses.asdict(apply_decisions(store, principal.name))


def previous_decision(
    store: Store, conn: Connection, decision_id: str | None
) -> dict[str, Any] | None:
    """A returned pair's earlier decision (see ``linkage.views.previous_decision``)."""
    from dadkhahi.linkage.views import previous_decision as shown

    return shown(store, conn, decision_id)


def _latest_model_run(conn: Connection) -> dict[str, Any] | None:
    from dadkhahi.linkage.store_io import latest_run

    return latest_run(conn, "model")




def _latest_on_pair(column: Any) -> Any:
    """``column`` of the latest decision on the review pair (NULL: never decided)."""
    lr, d = s.link_review.c, s.link_decisions.c
    return (select(column).where(d.record_a == lr.record_a, d.record_b == lr.record_b)
            .order_by(d.ledger_index.desc()).limit(1).scalar_subquery())


def _undecided_visible_pairs(principal: Principal, run_id: str, me: list[str]) -> Any:
    """Pairs of the run waiting for this reviewer: both records visible, no decision in
    force, and not the pairs this reviewer was last unsure of (they go to another)."""
    lr, d = s.link_review.c, s.link_decisions.c
    latest = func.coalesce(_latest_on_pair(d.decision), "")
    mine_unsure = and_(latest == "unsure",
                       func.coalesce(_latest_on_pair(d.actor), "").in_(me))
    # Each pair's records checked (visible_ref), not every visible record listed first.
    return and_(lr.run_id == run_id, visible_ref(principal, s.records, lr.record_a),
                visible_ref(principal, s.records, lr.record_b),
                latest.not_in(DECISIONS_IN_FORCE), ~mine_unsure)


def _record_views(
    store: Store, conn: Connection, record_ids: set[str], audited: list[ObjectRef]
) -> dict[str, dict[str, Any]]:
    r, src = s.records.c, s.sources.c
    rows = conn.execute(
        select(s.records, src.title.label("source_title"),
               src.sealed.label("source_sealed"))
        .join(s.sources, src.id == r.source_id)
        .where(r.id.in_(sorted(record_ids)))
    ).mappings().all()
    # Every record's and source's data key in one statement, not one per sealed row.
    wanted = [(row[column], str(row[context])) for row in rows
              for column, context in (("sealed", "id"), ("source_sealed", "source_id"))
              if row[column] is not None]
    payloads = iter(store.keys.unseal_many(conn, wanted))
    views: dict[str, dict[str, Any]] = {}
    for row in rows:
        view = dict(row)
        sealed, source_sealed = view.pop("sealed"), view.pop("source_sealed")
        view["version"] = view.pop("ledger_index")
        if sealed is not None:
            opened = next(payloads)
            if opened is None:
                view.update(verbatim={}, normalized={}, external_id=None, erased=True)
            else:
                view.update({k: opened[k] for k in ("verbatim", "normalized", "external_id")
                             if k in opened})
        if source_sealed is not None:
            opened = next(payloads)
            if opened is not None and "title" in opened:
                view["source_title"] = opened["title"]
                audited.append(("source", str(view["source_id"])))
        if view["sensitivity"] == _PROTECTED:
            audited.append(("record", str(view["id"])))
        views[str(view["id"])] = view
    return views


def review_for(store: Store, principal: Principal, limit: int) -> list[dict[str, Any]]:
    """Undecided pairs of the last model run whose two records are both visible."""
    require_reviewer(principal)
    if not 1 <= limit <= 500:
        raise ValidationError("limit must be between 1 and 500")
    lr = s.link_review.c
    audited: list[ObjectRef] = []
    with store.reading() as conn:
        latest = _latest_model_run(conn)
        if latest is None:
            return []
        pairs = conn.execute(
            select(lr.seq, lr.record_a, lr.record_b, lr.probability, lr.weight,
                   lr.previous_decision, lr.fields)
            .where(_undecided_visible_pairs(principal, str(latest["id"]),
                                           _names_of(store, conn, principal)))
            .order_by(lr.seq).limit(limit), params(principal),
        ).all()
        views = _record_views(store, conn, {str(x) for p in pairs for x in p[1:3]}, audited)
        # Both records are visible, so the decisions once made on them are too: the one a
        # new list version returned, else the latest on the pair (an unsure reviewer's).
        previous = {str(p.previous_decision): previous_decision(store, conn, p.previous_decision)
                    for p in pairs if p.previous_decision is not None}
        d = s.link_decisions.c
        latest_ids: dict[tuple[str, str], str] = {}
        for row in conn.execute(
                select(d.id, d.record_a, d.record_b)
                .where(tuple_(d.record_a, d.record_b).in_(
                    [(str(p.record_a), str(p.record_b)) for p in pairs]))
                .order_by(d.ledger_index)):
            latest_ids[(str(row.record_a), str(row.record_b))] = str(row.id)
        on_pair = {pair: previous_decision(store, conn, decision_id)
                   for pair, decision_id in latest_ids.items()}
    record_reads(store, principal, "linkage review", audited)
    return [
        {"run_id": str(latest["id"]), "seq": int(p.seq),
         "probability": None if p.probability is None else float(p.probability),
         "weight": None if p.weight is None else float(p.weight),
         # Each field's match weight in bits (None: the run kept none), shown only with
         # both records, as the pair is.
         "fields": p.fields,
         "left": views[str(p.record_a)], "right": views[str(p.record_b)],
         "previous_decision": previous.get(str(p.previous_decision))
         or on_pair.get((str(p.record_a), str(p.record_b)))}
        for p in pairs
    ]


def review_progress(store: Store, principal: Principal) -> dict[str, Any]:
    """Decisions on visible pairs so far, pairs still waiting, and the reviewer's own
    latest decision (to undo it), for the review queue's progress line."""
    require_reviewer(principal)
    d = s.link_decisions.c
    with store.reading() as conn:
        decided = int(conn.execute(
            select(func.count()).select_from(s.link_decisions)
            .where(visible_ref(principal, s.records, d.record_a),
                   visible_ref(principal, s.records, d.record_b)),
            params(principal)).scalar_one())
        latest = _latest_model_run(conn)
        pending = 0 if latest is None else int(conn.execute(
            select(func.count()).select_from(s.link_review)
            .where(_undecided_visible_pairs(principal, str(latest["id"]),
                                           _names_of(store, conn, principal))),
            params(principal)).scalar_one())
        last = _last_decision(store, conn, principal)
    return {"decided": decided, "pending": pending, "last": last}


def _names_of(store: Store, conn: Connection, principal: Principal) -> list[str]:
    """How the reviewer appears as a decision's actor: the pseudonym, and the name on
    decisions from before pseudonyms."""
    return [principal.name, actors.pseudonym_in(conn, store.keys, principal.name)]


def _last_decision(store: Store, conn: Connection,
                   principal: Principal) -> dict[str, Any] | None:
    """The reviewer's own latest decision on a visible pair."""
    d = s.link_decisions.c
    last = conn.execute(
        select(d.record_a, d.record_b, d.decision, d.ledger_index)
        .where(d.actor.in_(_names_of(store, conn, principal)),
               visible_ref(principal, s.records, d.record_a),
               visible_ref(principal, s.records, d.record_b))
        .order_by(d.ledger_index.desc()).limit(1), params(principal)).mappings().first()
    return dict(last) if last else None


def undo_last_for(store: Store, principal: Principal) -> dict[str, Any] | None:
    """Undo the reviewer's last decision by a superseding one (the ledger keeps both):
    the pair returns to what was in force before it, the earlier decision on the pair
    if there was one, else ``withdrawn`` (no decision: back in the queue). Refused when
    someone has decided the pair since; None when the reviewer has decided nothing."""
    require_reviewer(principal)
    d = s.link_decisions.c
    with store.reading() as conn:
        last = _last_decision(store, conn, principal)
        if last is None:
            return None
        pair = (d.record_a == last["record_a"], d.record_b == last["record_b"])
        newest = conn.execute(select(func.max(d.ledger_index)).where(*pair)).scalar_one()
        if newest != last["ledger_index"]:
            raise ConflictError("someone has decided this pair since: reload the queue")
        before = conn.execute(
            select(d.decision).where(*pair, d.ledger_index < last["ledger_index"])
            .order_by(d.ledger_index.desc()).limit(1)).scalar()
    return decide_for(store, principal, str(last["record_a"]), str(last["record_b"]),
                      str(before or "withdrawn"), f"undo of {last['decision']}")


def decide_for(
    store: Store, principal: Principal, record_a: str, record_b: str, decision: str,
    note: str | None,
) -> dict[str, Any]:
    """Record a human decision on two visible records (``review`` or ``analyse``)."""
    from dadkhahi.linkage.service import decide

    with store.reading() as conn:
        visible_row(conn, principal, s.records, record_a, "record")
        visible_row(conn, principal, s.records, record_b, "record")
    require_reviewer(principal)
    a, b = sorted((record_a, record_b))
    run_id: str | None = None
    probability: float | None = None
    with store.reading() as conn:
        latest = _latest_model_run(conn)
        if latest is not None:
            lr = s.link_review.c
            found = conn.execute(
                select(lr.probability).where(lr.run_id == latest["id"], lr.record_a == a,
                                             lr.record_b == b)).first()
            if found is not None:
                run_id, probability = str(latest["id"]), float(found.probability)
    decision_id = decide(store, principal.name, record_a, record_b, decision, note=note,
                         run_id=run_id, probability=probability)
    from dadkhahi.linkage.store_io import open_decision

    with store.reading() as conn:
        row = conn.execute(
            select(s.link_decisions).where(s.link_decisions.c.id == decision_id)
        ).mappings().one()
        out = open_decision(store, conn, dict(row))
    out["event"] = out.pop("ledger_index")
    return out


def stats_for(store: Store, principal: Principal) -> dict[str, Any]:
    """Linkage counts over the list records the principal can see (``analyse``)."""
    require(principal, Permission.ANALYSE)
    # Imported here: pandas loads only when linkage is asked for.
    from dadkhahi.linkage.store_io import latest_run
    from dadkhahi.linkage.views import linked_records, list_labels, list_overlap

    frame = linked_records(store)
    r, d, li = s.records.c, s.link_decisions.c, s.list_imports.c
    audited: list[ObjectRef] = []
    with store.reading() as conn:
        shown = set(conn.execute(
            select(r.id).where(r.import_id.is_not(None), visible(principal, s.records)),
            params(principal)).scalars())
        audited += [("list_import", str(i)) for i in conn.execute(
            select(li.id).where(visible_import(principal), li.sensitivity == _PROTECTED),
            params(principal)).scalars()]
        decisions = int(conn.execute(
            select(func.count()).select_from(s.link_decisions).where(
                visible_ref(principal, s.records, d.record_a),
                visible_ref(principal, s.records, d.record_b)),
            params(principal)).scalar_one())
        latest = _latest_model_run(conn)
        pending = 0 if latest is None else int(conn.execute(
            select(func.count()).select_from(s.link_review)
            .where(_undecided_visible_pairs(principal, str(latest["id"]),
                                           _names_of(store, conn, principal))),
            params(principal)).scalar_one())
        last = latest_run(conn)
    frame = frame[frame["record_id"].isin(shown)]
    linked = frame.dropna(subset=["person_id"])
    labels = list_labels(store, sorted({str(x) for x in frame["source_id"]}))
    per_list, matrix = list_overlap(frame, labels)
    record_reads(store, principal, "linkage statistics", audited)
    last_run = None if last is None else {
        k: last[k] for k in ("id", "kind", "backend", "threshold", "started_at", "finished_at")}
    return {
        "records": len(frame),
        "linked_records": len(linked),
        "persons": int(linked["person_id"].nunique()),
        "lists": per_list.astype({"records": "int64", "persons": "int64"}).to_dict("records"),
        "overlap": {"lists": [str(c) for c in matrix.columns],
                    "persons": matrix.to_numpy(dtype="int64").tolist()},
        "last_run": last_run,
        "decisions": decisions,
        "review_pending": pending,
    }


__all__ = [
    "ImportTarget",
    "decide_for",
    "describe_for",
    "description_for",
    "import_target",
    "import_upload",
    "imports_for",
    "review_for",
    "review_progress",
    "stats_for",
    "version_target",
]


# --- splitting a person (issue 14) -------------------------------------------------


def _components(ids: list[str], links: list[tuple[str, str]]) -> list[list[str]]:
    """Groups of ``ids`` joined by ``links`` (both ends in ``ids``), each sorted, in the
    order of their first record. A handful of records: plain union-find, no library."""
    parent = {x: x for x in ids}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        if a in parent and b in parent:
            parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for x in ids:
        groups.setdefault(root(x), []).append(x)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: ids.index(g[0]))


def split_preview(store: Store, principal: Principal, person_id: str,
                  picked: Sequence[str]) -> dict[str, Any]:
    """What splitting ``picked`` records off a person would give, before anything is
    recorded: the records that stay and those split off (each side in the groups the
    latest run's stored links hold together), the links the split cuts, and the
    "different" decisions it would record (one per record split off and record that
    stays). Only records the reviewer may see take part: a record they may not see is
    neither shown nor decided on (it stays where linkage puts it).
    """
    r, pr, pl, lr = s.records.c, s.person_records.c, s.person_links.c, s.link_runs.c
    audited: list[ObjectRef] = []
    with store.reading() as conn:
        # A person the reader may not see is "not found" before any permission is
        # named: a refusal would confirm it exists.
        visible_row(conn, principal, s.persons, person_id, "person")
        require_reviewer(principal)
        ids = [str(x) for x in conn.execute(
            select(r.id).where(r.id.in_(select(pr.record_id).where(
                pr.person_id == person_id)), visible(principal, s.records))
            .order_by(r.source_id, r.import_id, r.row_number, r.id), params(principal),
        ).scalars()]
        chosen = list(dict.fromkeys(str(x) for x in picked))
        strangers = [x for x in chosen if x not in ids]
        if strangers:
            raise ValidationError("records to split off must be this person's",
                                  [f"record {strangers[0]}: not a record of this person"])
        if not chosen or len(chosen) == len(ids):
            raise ValidationError("pick some of the person's records, not none or all")
        kept = [x for x in ids if x not in chosen]
        if len(chosen) * len(kept) > MOST_DECISIONS:
            raise ValidationError(
                f"a split records at most {MOST_DECISIONS:,} decisions "
                f"({len(chosen):,} records off, {len(kept):,} staying, "
                f"{len(chosen) * len(kept):,}): split in steps")
        latest = select(lr.id).order_by(lr.ledger_index.desc()).limit(1).scalar_subquery()
        links = [(str(a), str(b)) for a, b in conn.execute(
            select(pl.record_a, pl.record_b).where(pl.run_id == latest,
                                                   pl.record_a.in_(ids)))
            if str(b) in ids]
        views = _record_views(store, conn, set(ids), audited)
    record_reads(store, principal, "split preview", audited)
    side = {x: x in chosen for x in ids}
    return {
        "person_id": person_id,
        "records": views,
        "kept": _components(kept, [x for x in links if not side[x[0]] and not side[x[1]]]),
        "picked": _components(chosen, [x for x in links if side[x[0]] and side[x[1]]]),
        "cut": [x for x in links if side[x[0]] != side[x[1]]],
        "decisions": [(a, b) for a in chosen for b in kept],
    }


def split_for(store: Store, principal: Principal, person_id: str, picked: Sequence[str],
              note: str | None) -> list[str]:
    """Split ``picked`` records off a person: the "different" decisions of
    :func:`split_preview`, recorded in one transaction (all or none) under the signed-in
    reviewer, as ``/api/linkage/decisions`` records each; they take effect when decisions
    are applied or linkage runs again. Returns the decisions' ids."""
    from dadkhahi.linkage.service import decide_many

    preview = split_preview(store, principal, person_id, picked)
    return decide_many(store, principal.name, preview["decisions"], "different", note=note)
