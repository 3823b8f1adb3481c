"""From events to table rows: the only code that writes projected tables.

Each event type has one handler turning the event's data into row operations.
The same handlers serve live writes and ``ledger verify``'s replay, so the
tables are, by construction, a function of the log. Handlers are pure: they
never read the database, which is what makes batching and replay cheap.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, insert, update

from dadkhahi.domain.errors import IntegrityError
from dadkhahi.store import link_rows
from dadkhahi.store import schema as s


@dataclass(frozen=True)
class Insert:
    table: Table
    row: dict[str, Any]


@dataclass(frozen=True)
class Update:
    table: Table
    key: dict[str, Any]
    values: dict[str, Any]


@dataclass(frozen=True)
class Delete:
    table: Table
    key: dict[str, Any]


Op = Insert | Update | Delete
Handler = Callable[[int, Mapping[str, Any]], list[Op]]

HANDLERS: dict[str, Handler] = {}


def handles(event_type: str) -> Callable[[Handler], Handler]:
    """Register the projection of one event type."""

    def register(fn: Handler) -> Handler:
        if event_type in HANDLERS:
            raise RuntimeError(f"two projections for {event_type}")
        HANDLERS[event_type] = fn
        return fn

    return register


def _row(table: Table, index: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Pick the table's columns from event data; absent optional columns become NULL."""
    row: dict[str, Any] = {}
    for col in table.c:
        if col.name == "ledger_index":
            row[col.name] = index
        elif col.name in data:
            row[col.name] = data[col.name]
        elif col.nullable:
            row[col.name] = None
        else:
            raise IntegrityError(f"event {index}: {table.name} needs field {col.name!r}")
    return row


def _simple_insert(event_type: str, table: Table) -> None:
    @handles(event_type)
    def _project(index: int, data: Mapping[str, Any]) -> list[Op]:
        return [Insert(table, _row(table, index, data))]


# Events that create exactly one row.
_simple_insert("source.registered", s.sources)
_simple_insert("item.added", s.items)
_simple_insert("item.metadata_removed", s.item_metadata)
_simple_insert("custody.recorded", s.custody)
_simple_insert("item.capture_verified", s.capture_verifications)
_simple_insert("record.added", s.records)
_simple_insert("person.created", s.persons)
_simple_insert("organization.created", s.organizations)
_simple_insert("place.created", s.places)
_simple_insert("act.created", s.acts)
_simple_insert("testimony.recorded", s.testimonies)


def _changed(table: Table, kept: frozenset[str], index: int,
             data: Mapping[str, Any]) -> list[Op]:
    """An object's fields changed: every column the event carries but those ``kept``,
    and its sealed payload anew (a protected object's replaces the row's; an object not
    protected has none)."""
    values = {c.name: data[c.name] for c in table.c if c.name in data and c.name not in kept}
    return [Update(table, {"id": data["id"]},
                   {**values, "sealed": data.get("sealed"), "ledger_index": index})]


#: What a change of a testimony's interview leaves as it is.
_TESTIMONY_KEPT = frozenset({"id", "source_id", "pseudonym", "sensitivity", "created_at",
                             "sealed", "ledger_index"})
#: What a change of a source's fields leaves as it is.
_SOURCE_KEPT = frozenset({"id", "kind", "sensitivity", "created_at", "sealed", "ledger_index"})


@handles("testimony.interview_changed")
def _interview_changed(index: int, data: Mapping[str, Any]) -> list[Op]:
    # The whole interview after the change (a protected one's payload with the witness).
    return _changed(s.testimonies, _TESTIMONY_KEPT, index, data)


@handles("source.language_changed")
def _source_language_changed(index: int, data: Mapping[str, Any]) -> list[Op]:
    # The language (a protected source's placeholders and whole payload anew).
    return _changed(s.sources, _SOURCE_KEPT, index, data)


#: What a change of an act leaves as it is.
_ACT_KEPT = frozenset({"id", "sensitivity", "sealed", "ledger_index"})


@handles("act.changed")
def _act_changed(index: int, data: Mapping[str, Any]) -> list[Op]:
    # The whole act after the change (a protected one's placeholders and payload anew).
    return _changed(s.acts, _ACT_KEPT, index, data)


#: What an act raised to its sources' level leaves as it is: its level changes.
_ACT_RAISED_KEPT = frozenset({"id", "sealed", "ledger_index"})


@handles("act.raised")
def _act_raised(index: int, data: Mapping[str, Any]) -> list[Op]:
    # The whole act at its new level (``store.act_levels``; sealed anew when protected).
    return _changed(s.acts, _ACT_RAISED_KEPT, index, data)


@handles("involvement.withdrawn")
def _involvement_withdrawn(index: int, data: Mapping[str, Any]) -> list[Op]:
    # Its supports first (they point to it), then the involvement itself.
    ops: list[Op] = [Delete(s.involvement_support, {"involvement_id": data["id"], "seq": seq})
                     for seq in range(int(data["supports"]))]
    return [*ops, Delete(s.involvements, {"id": data["id"]})]


@handles("event.redacted")
def _event_redacted(index: int, data: Mapping[str, Any]) -> list[Op]:
    # Only in the ledger (``ledger.redaction``): the rows the redacted event projected
    # are set by the redaction's caller, and a replay of the redacted body gives the same.
    return []


_simple_insert("consent.recorded", s.consents)


@handles("document.extracted")
def _document_extracted(index: int, data: Mapping[str, Any]) -> list[Op]:
    row = dict(data, state="done")
    ops: list[Op] = [Insert(s.extractions, _row(s.extractions, index, row))]
    ops.extend(
        Insert(s.document_pages, _row(s.document_pages, index, dict(
            page, text_item_id=data["text_item_id"], item_id=data["item_id"])))
        for page in data["pages"]
    )
    return ops


@handles("document.extraction_failed")
def _document_failed(index: int, data: Mapping[str, Any]) -> list[Op]:
    return [Insert(s.extractions, _row(s.extractions, index, dict(data, state="failed")))]


_simple_insert("transcription.recorded", s.transcriptions)


@handles("transcription.requested")
def _transcription_requested(index: int, data: Mapping[str, Any]) -> list[Op]:
    common = {k: data[k] for k in ("item_id", "required", "reason", "at")}
    return [Insert(s.transcription_requests, _row(s.transcription_requests, index, {
        **common, "id": f"{data['id']}:{page}", "page": page})) for page in data["pages"]]


@handles("testimony.segmented")
def _testimony_segmented(index: int, data: Mapping[str, Any]) -> list[Op]:
    return [Insert(s.testimony_segments, _row(s.testimony_segments, index, row))
            for row in data["segments"]]


_simple_insert("segment.translated", s.segment_translations)


@handles("mentions.found")
def _mentions_found(index: int, data: Mapping[str, Any]) -> list[Op]:
    common = {k: data[k] for k in ("item_id", "text_item_id", "source_id")}
    common["run_id"] = data["id"]
    ops: list[Op] = [Insert(s.mentions, _row(s.mentions, index, {**common, **m}))
                     for m in data["mentions"]]
    ops.extend(Insert(s.proposals, _row(s.proposals, index, {**common, "status": "pending",
                                                             **p}))
               for p in data["proposals"])
    return ops


@handles("proposal.reviewed")
def _proposal_reviewed(index: int, data: Mapping[str, Any]) -> list[Op]:
    return [Update(s.proposals, {"id": data["id"]}, {
        "status": data["status"], "claim_id": data.get("claim_id"), "ledger_index": index})]


_simple_insert("source.linked", s.source_links)


def _with_support(event_type: str, table: Table, support: Table, key: str) -> None:
    """Events creating one row plus the sources that support it (claims, involvements)."""

    @handles(event_type)
    def _project(index: int, data: Mapping[str, Any]) -> list[Op]:
        row = dict(data)
        if table is s.claims:
            row.setdefault("status", "asserted")
        ops: list[Op] = [Insert(table, _row(table, index, row))]
        for seq, item in enumerate(data.get("support", [])):
            ops.append(Insert(support, _row(support, index, {key: data["id"], "seq": seq,
                                                             **item})))
        return ops


_with_support("involvement.added", s.involvements, s.involvement_support, "involvement_id")
_with_support("claim.added", s.claims, s.claim_support, "claim_id")


@handles("ledger.initialized")
def _initialized(index: int, data: Mapping[str, Any]) -> list[Op]:
    return []


@handles("master_key.rotated")
def _master_key_rotated(index: int, data: Mapping[str, Any]) -> list[Op]:
    # A fact about the key files, not about evidence: the data keys it re-wrapped live
    # outside the ledger (``data_keys``), and the key never enters an event.
    return []


@handles("item.released")
def _item_released(index: int, data: Mapping[str, Any]) -> list[Op]:
    # A redacted copy released at a lower sensitivity by a recorded decision. Its
    # ledger_index stays its intake event (what a court bundle proves the file by).
    return [Update(s.items, {"id": data["item_id"]},
                   {"sensitivity": data["sensitivity"], "release_index": index})]


@handles("claim.status_changed")
def _claim_status(index: int, data: Mapping[str, Any]) -> list[Op]:
    return [Update(s.claims, {"id": data["id"]}, {"status": data["status"], "ledger_index": index})]


@handles("place.status_changed")
def _place_status(index: int, data: Mapping[str, Any]) -> list[Op]:
    return [Update(s.places, {"id": data["id"]}, {"status": data["status"], "ledger_index": index})]


@handles("records.imported")
def _records_imported(index: int, data: Mapping[str, Any]) -> list[Op]:
    common = {k: data[k] for k in ("source_id", "item_id", "import_id", "sensitivity")}
    if "header" in data:
        return _list_records(index, data, common)
    ops: list[Op] = [
        Insert(s.records, _row(s.records, index, {**common, **rec})) for rec in data["records"]
    ]
    return ops


@handles("key.destroyed")
def _key_destroyed(index: int, data: Mapping[str, Any]) -> list[Op]:
    return [Insert(s.erasures, _row(s.erasures, index, data))]


# --- access (issue 5) ---
# Users, grants and audited reads. A user's password hash travels sealed (never in
# clear); logins leave a trace in the ledger but no projected row.

_simple_insert("user.added", s.users)
_simple_insert("access.granted", s.access_grants)


def _user_update(event_type: str, values: Callable[[Mapping[str, Any]], dict[str, Any]]) -> None:
    @handles(event_type)
    def _project(index: int, data: Mapping[str, Any]) -> list[Op]:
        return [Update(s.users, {"id": data["id"]}, {**values(data), "ledger_index": index})]


_user_update("user.role_changed", lambda d: {"role": d["role"]})
_user_update("user.disabled", lambda d: {"disabled": 1})
_user_update("user.enabled", lambda d: {"disabled": 0})
_user_update("user.password_changed", lambda d: {"sealed": d["sealed"]})


@handles("access.revoked")
def _access_revoked(index: int, data: Mapping[str, Any]) -> list[Op]:
    return [Delete(s.access_grants, {"scope_id": data["scope_id"], "user_id": data["user_id"]})]


@handles("user.logged_in")
def _logged_in(index: int, data: Mapping[str, Any]) -> list[Op]:
    return []


@handles("audit.read")
def _audit_read(index: int, data: Mapping[str, Any]) -> list[Op]:
    common = {k: data.get(k)
              for k in ("user_id", "username", "action", "ip", "actor", "ip_hash", "at")}
    return [
        Insert(s.audit_reads, _row(s.audit_reads, index, {
            **common, "seq": seq, "object_kind": obj["kind"], "object_id": obj["id"]}))
        for seq, obj in enumerate(data["objects"])
    ]


@handles("auth.sign_in_failed")
def _sign_in_failed(index: int, data: Mapping[str, Any]) -> list[Op]:
    return [Insert(s.failed_sign_ins, _row(s.failed_sign_ins, index, data))]


_simple_insert("user.factor_added", s.user_factors)


@handles("user.factor_removed")
def _factor_removed(index: int, data: Mapping[str, Any]) -> list[Op]:
    return [Delete(s.user_factors, {"id": data["id"]})]


# Every change is a row; a setting's value is its latest row.
_simple_insert("access.setting_changed", s.access_settings)


# --- lists and linkage (issue 3) ---
# A list import (``records.imported`` with a ``header``) carries its rows as cells
# under that header and describes its file in ``list``. A linkage run carries, in
# one event, its review queue, the persons it creates, the records it assigns to a
# person or moves to another one, the claims it adds and the claims it retires
# (persons whose records changed get fresh claims; the old ones are superseded).


def _list_records(index: int, data: Mapping[str, Any], common: dict[str, Any]) -> list[Op]:
    # A list's rows travel as cells under one shared header (compact, ASCII keys);
    # the table keeps each record's non-empty cells under their column names.
    header = data["header"]
    ops: list[Op] = []
    for rec in data["records"]:
        verbatim = {h: c for h, c in zip(header, rec["cells"], strict=False) if c != ""}
        row = {**common, **rec, "verbatim": verbatim}
        ops.append(Insert(s.records, _row(s.records, index, row)))
    described = data["list"]
    version = data.get("version")
    row = {
        **described,
        "id": data["import_id"],
        "source_id": data["source_id"],
        "item_id": data["item_id"],
        "sensitivity": data["sensitivity"],
        "rows": len(data["records"]),
    }
    if version is not None:
        row.update(matched_by=version["matched_by"], added=version["added"],
                   removed=len(version["removed"]),
                   changed=sum(1 for m in version["matched"] if m[2]))
    ops.append(Insert(s.list_imports, _row(s.list_imports, index, row)))
    list_id, supersedes = described["list_id"], described.get("supersedes")
    if supersedes is None:
        ops.append(Insert(s.lists, _row(s.lists, index, {
            **data["description"], "id": list_id, "source_id": data["source_id"],
            "current_import_id": data["import_id"], "versions": described["list_version"],
            "sensitivity": data["sensitivity"], "created_at": described["imported_at"],
        })))
        return ops
    ops.append(Update(s.list_imports, {"id": supersedes},
                      {"superseded_by": data["import_id"], "ledger_index": index}))
    ops.append(Update(s.lists, {"id": list_id}, {
        **_description(data.get("description") or {}),
        "current_import_id": data["import_id"], "versions": described["list_version"],
        "sensitivity": data["sensitivity"], "ledger_index": index,
    }))
    if version is not None:
        ops.extend(_version_ops(index, version))
    return ops


def _version_ops(index: int, version: Mapping[str, Any]) -> list[Op]:
    # A new list version (dadkhahi.intake.list_versions): matched records take over
    # their predecessors' persons, removed ones leave theirs; decisions carried over
    # are copied onto the new records; the last model run's queue follows the records.
    ops: list[Op] = [
        Update(s.person_records, {"record_id": old}, {"record_id": new, "ledger_index": index})
        for old, new in version["relink"]
    ]
    ops.extend(Delete(s.person_records, {"record_id": old}) for old in version["unlink"])
    ops.extend(Insert(s.link_decisions, _row(s.link_decisions, index, d))
               for d in version["decisions"])
    run_id = version["review_run"]
    ops.extend(Delete(s.link_review, {"run_id": run_id, "seq": seq})
               for seq in version["review_delete"])
    ops.extend(
        Update(s.link_review, {"run_id": run_id, "seq": seq},
               {"record_a": a, "record_b": b, "previous_decision": before, "ledger_index": index})
        for seq, a, b, before in version["review_update"]
    )
    ops.extend(
        Insert(s.link_review, _row(s.link_review, index, {
            "run_id": run_id, "seq": seq, "record_a": a, "record_b": b,
            "probability": None if ppm is None else ppm / 1e6, "previous_decision": before}))
        for seq, a, b, ppm, before in version["review_add"]
    )
    return ops


#: What ``list.described`` (and a list's first import) says about a list.
LIST_DESCRIPTION = ("kind", "provinces", "province_keys", "period_from", "period_to",
                    "period_text", "derived_from", "compiled_by")


def _description(data: Mapping[str, Any]) -> dict[str, Any]:
    # A protected list's description is sealed (its columns hold placeholders); a
    # description without a seal (a list no longer protected, or an older event)
    # takes the seal away.
    if not data:
        return {}
    return {**{k: data[k] for k in LIST_DESCRIPTION if k in data}, "sealed": data.get("sealed")}


@handles("list.duplicate_found")
def _duplicate_found(index: int, data: Mapping[str, Any]) -> list[Op]:
    # Only in the ledger: who may read it is decided by the earlier import it names.
    return []


@handles("list.described")
def _list_described(index: int, data: Mapping[str, Any]) -> list[Op]:
    values = {k: data[k] for k in LIST_DESCRIPTION}
    return [Update(s.lists, {"id": data["list_id"]},
                   {**values, "sealed": data.get("sealed"), "ledger_index": index})]


# --- cases (issue 16): a case, its charges, the links of facts to elements, exports ---
_simple_insert("case.created", s.cases)
_simple_insert("case.charged", s.case_charges)
_simple_insert("case.linked", s.case_links)
_simple_insert("case.gap_marked", s.case_gap_marks)
_simple_insert("case.exported", s.case_exports)

_simple_insert("link.decided", s.link_decisions)
_simple_insert("link.audit_drawn", s.link_audits)
_simple_insert("link.audited", s.link_audit_results)
_simple_insert("estimate.computed", s.estimates)
_simple_insert("estimate.released", s.estimate_releases)


@handles("link.run")
def _link_run(index: int, event: Mapping[str, Any]) -> list[Op]:
    # Numbers travel as integers (parts per million) and the model and statistics as
    # JSON text: an event without floats takes the ledger's fast canonical-JSON path.
    # A batch run (one row per decision) and an old compact run project alike.
    data = link_rows.compact(event)
    run_id = data["id"]
    run = {
        **data,
        "threshold": data["threshold_ppm"] / 1e6,
        "stats": json.loads(data["stats_json"]),
        "model": None if data["model_json"] is None else json.loads(data["model_json"]),
        "provenance": None if data.get("provenance_json") is None
        else json.loads(data["provenance_json"]),
    }
    ops: list[Op] = [Insert(s.link_runs, _row(s.link_runs, index, run))]
    ops.extend(Insert(s.persons, _row(s.persons, index, p)) for p in data["new_persons"])
    # Runs recorded before persons were relabelled carry none.
    ops.extend(
        Update(s.persons, {"id": p["id"]}, {
            "label": p["label"], "sensitivity": p["sensitivity"], "sealed": p.get("sealed"),
            "ledger_index": index})
        for p in data.get("relabel") or ()
    )
    ops.extend(
        Insert(s.person_records, _row(s.person_records, index,
                                      {"record_id": r, "person_id": p, "run_id": run_id}))
        for r, p in data["assign"]
    )
    ops.extend(
        Update(s.person_records, {"record_id": r},
               {"person_id": p, "run_id": run_id, "ledger_index": index})
        for r, p in data["move"]
    )
    # Runs recorded before lineage was kept carry none.
    ops.extend(
        Insert(s.person_lineage, _row(s.person_lineage, index, {
            "run_id": run_id, "from_person": a, "to_person": b, "records": n}))
        for a, b, n in data.get("lineage", ())
    )
    ops.extend(
        Update(s.claims, {"id": c}, {"status": "superseded", "ledger_index": index})
        for c in data["retire"]
    )
    # Claims come compact (see dadkhahi.linkage.persons.build_claims); each supporting
    # record's source and item are listed once in ``supports``.
    # A protected claim carries its sealed payload as a tenth element.
    supports, locator = data["supports"], f"link:{run_id}"
    for cid, pid, prop, value, level, lo, hi, text, cited, *sealed in data["claims"]:
        ops.append(Insert(s.claims, _row(s.claims, index, {
            "id": cid, "entity_kind": "person", "entity_id": pid, "property": prop,
            "value": value, "date_earliest": lo, "date_latest": hi, "date_text": text,
            "sensitivity": level, "status": "asserted", "sealed": sealed[0] if sealed else None,
        })))
        ops.extend(
            Insert(s.claim_support, _row(s.claim_support, index, {
                "claim_id": cid, "seq": seq, "record_id": rec, "source_id": supports[rec][0],
                "item_id": supports[rec][1], "locator": locator,
            }))
            for seq, rec in enumerate(cited)
        )
    # Each field's weight (thousandths of a bit) rides as a fifth element when the run
    # weighed its fields (dadkhahi.linkage.field_weights); older runs have four.
    fields = data.get("weight_fields") or []
    ops.extend(
        Insert(s.link_review, _row(s.link_review, index, {
            "run_id": run_id, "seq": seq, "record_a": a, "record_b": b,
            "probability": ppm / 1e6, "weight": None if milli is None else milli / 1e3,
            "fields": link_rows.field_bits(fields, parts[0] if parts else None),
        }))
        for seq, (a, b, ppm, milli, *parts) in enumerate(data["review"])
    )
    ops.extend(
        Insert(s.person_links, _row(s.person_links, index, {
            "run_id": run_id, "seq": seq, "record_a": a, "record_b": b,
            "probability": ppm / 1e6, "weight": milli / 1e3,
            "fields": link_rows.field_bits(fields, parts[0] if parts else None),
        }))
        for seq, (a, b, ppm, milli, *parts) in enumerate(data.get("links") or ())
    )
    return ops


def project(index: int, event_type: str, data: Mapping[str, Any]) -> list[Op]:
    """The row operations one event causes; unknown types are an integrity error."""
    try:
        handler = HANDLERS[event_type]
    except KeyError:
        raise IntegrityError(f"event {index}: no projection for type {event_type!r}") from None
    try:
        return handler(index, data)
    except KeyError as missing:
        raise IntegrityError(f"event {index} ({event_type}): missing field {missing}") from None


@dataclass
class OpBuffer:
    """Row operations waiting to be written, batched per table.

    Runs of inserts are written with one executemany per table in foreign-key
    order; an update or delete first drains the inserts before it, so order is
    kept wherever it matters.
    """

    inserts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pending: int = 0

    def add(self, conn: Connection, ops: Iterable[Op]) -> None:
        for op in ops:
            if isinstance(op, Insert):
                self.inserts.setdefault(op.table.name, []).append(op.row)
                self.pending += 1
            else:
                self.flush(conn)
                _execute_one(conn, op)

    def flush(self, conn: Connection) -> None:
        if not self.pending:
            return
        for table in s.PROJECTED:
            rows = self.inserts.pop(table.name, None)
            if rows:
                conn.execute(insert(table), rows)
        self.pending = 0


def _execute_one(conn: Connection, op: Update | Delete) -> None:
    cond = and_(*(op.table.c[k] == v for k, v in op.key.items()))
    if isinstance(op, Update):
        result = conn.execute(update(op.table).where(cond).values(op.values))
    else:
        result = conn.execute(delete(op.table).where(cond))
    if result.rowcount != 1:
        raise IntegrityError(f"{op.table.name}: no row {op.key} to change")


def apply_events(conn: Connection, events: Sequence[tuple[int, str, Mapping[str, Any]]]) -> None:
    """Project a batch of (index, type, data) into the tables on ``conn``."""
    buffer = OpBuffer()
    for index, event_type, data in events:
        buffer.add(conn, project(index, event_type, data))
    buffer.flush(conn)


# --- the public memorial (issue 17, dadkhahi.publish) ---
# An approval names every source it approves (``--all`` lists them as they were then),
# so the gate reads which sources were approved, and when, from the rows alone.


@handles("publish.approved")
def _publish_approved(index: int, data: Mapping[str, Any]) -> list[Op]:
    return [Insert(s.publication_approvals, {"source_id": src, "ledger_index": index})
            for src in data["source_ids"]]


_simple_insert("publish.withdrawn", s.publication_withdrawals)
_simple_insert("publish.key_announced", s.publication_keys)


@handles("publish.built")
def _publish_built(index: int, data: Mapping[str, Any]) -> list[Op]:
    ops: list[Op] = [Insert(s.publications, _row(s.publications, index, data))]
    # Builds recorded before addresses were kept list none.
    ops.extend(
        Insert(s.publication_addresses, _row(s.publication_addresses, index, {
            "person_id": pid, "sequence": data["sequence"]}))
        for pid in data.get("addresses", ())
    )
    # Likewise the list pages (builds recorded before list pages were kept list none).
    ops.extend(
        Insert(s.publication_pages, _row(s.publication_pages, index, {
            "path": path, "sequence": data["sequence"]}))
        for path in data.get("pages", ())
    )
    return ops
