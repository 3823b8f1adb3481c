"""A new version of a list: which records it keeps, adds, removes and changes.

A corrected file (or the same file read with other options) is imported as the
next version of a list; the version before stays in the store and the ledger but
no longer counts (linkage, estimates and publication read current versions only).
This module works out, inside the import's transaction, what the new version
changes, and puts it into the import's ``records.imported`` event (``version``)
so that a replay of the ledger does exactly the same:

* **Matching.** Records match across versions by the list's own ID when both
  versions have an ID column, else by a hash of the row (its non-empty cells under
  their column names; equal rows match in file order).
* **What changed** per matched pair: the normalised fields (and the verbatim
  cells, and the list's own ID) that differ. Counts of records added, removed and
  changed go into ``list_imports`` and the ledger.
* **Persons.** A matched record takes over its predecessor's person; a removed
  record leaves its person (the next linkage run rebuilds the claims of both).
* **Review decisions** on a pair involving a record of the old version carry over
  to the new records when neither record's linkage fields
  (:data:`dadkhahi.domain.records.LINKAGE_FIELDS`) changed; otherwise the pair
  returns to the review queue of the last model run with the old decision shown
  beside it (``previous_decision``), no longer in force. A decision on a removed
  record lapses. Pending review pairs follow their records to the new version.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, or_, select

from dadkhahi.domain.records import LINKAGE_FIELDS
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

_LINKAGE = frozenset(LINKAGE_FIELDS)


@dataclass(frozen=True)
class VersionChanges:
    """What a new version of a list changed, for the import's report."""

    previous_import: str
    previous_version: int
    matched_by: str
    added: int
    removed: int
    changed: int
    unchanged: int
    linkage_changed: int
    persons_kept: int
    decisions_carried: int
    decisions_returned: int
    decisions_lapsed: int
    review_moved: int


def row_hash(verbatim: Mapping[str, str]) -> str:
    """SHA-256 of a row's non-empty cells under their column names (order-free)."""
    cells = sorted((str(k), str(v)) for k, v in verbatim.items() if v != "")
    return hashlib.sha256(
        json.dumps(cells, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    ).hexdigest()


def _old_records(store: Store, conn: Connection, import_id: str) -> list[dict[str, Any]]:
    """The current version's records, opened (an erased record cannot be matched)."""
    r = s.records.c
    rows = conn.execute(
        select(r.id, r.row_number, r.external_id, r.verbatim, r.normalized, r.sealed)
        .where(r.import_id == import_id).order_by(r.row_number, r.id)
    ).mappings().all()
    out: list[dict[str, Any]] = []
    for row in rows:
        rec = dict(row)
        if rec["sealed"] is not None:
            opened = store.keys.unseal(conn, rec["sealed"], str(rec["id"]))
            if opened is None:
                rec.update(verbatim=None, normalized={}, external_id=None)
            else:
                rec.update(verbatim=opened.get("verbatim", {}),
                           normalized=opened.get("normalized", {}),
                           external_id=opened.get("external_id"))
        out.append(rec)
    return out


def _new_view(header: Sequence[str], rec: Mapping[str, Any]) -> dict[str, Any]:
    verbatim = {h: c for h, c in zip(header, rec["cells"], strict=True) if c != ""}
    return {"id": rec["id"], "verbatim": verbatim, "normalized": rec["normalized"],
            "external_id": rec["external_id"]}


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    before, after = old["normalized"] or {}, new["normalized"] or {}
    fields = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if old["verbatim"] != new["verbatim"]:
        fields.append("(cells)")
    if old["external_id"] != new["external_id"]:
        fields.append("(list id)")
    return fields


def _match(
    old: list[dict[str, Any]], new: list[dict[str, Any]], by_id: bool
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    def key(rec: Mapping[str, Any]) -> str | None:
        if rec["verbatim"] is None:
            return None  # erased: nothing left to match on
        return str(rec["external_id"]) if by_id else row_hash(rec["verbatim"])

    waiting: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in old:
        k = key(rec)
        if k is not None:
            waiting[k].append(rec)
    pairs = []
    for rec in new:
        candidates = waiting.get(str(key(rec)))
        if candidates:
            pairs.append((candidates.pop(0), rec))
    return pairs


def _latest_decisions(conn: Connection, old_ids: list[str]) -> list[dict[str, Any]]:
    """The decision in force on each pair touching these records (the latest per pair)."""
    d = s.link_decisions.c
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(old_ids), 2000):
        chunk = old_ids[start:start + 2000]
        rows = conn.execute(
            select(s.link_decisions).where(or_(d.record_a.in_(chunk), d.record_b.in_(chunk)))
            .order_by(d.ledger_index)
        ).mappings().all()
        for row in rows:
            found[(str(row["record_a"]), str(row["record_b"]))] = dict(row)
    return sorted(found.values(), key=lambda x: int(x["ledger_index"]))


def plan_version(
    store: Store,
    conn: Connection,
    previous: Mapping[str, Any],
    header: Sequence[str],
    records: list[dict[str, Any]],
    id_column: str | None,
    *,
    now: str,
) -> tuple[dict[str, Any], VersionChanges]:
    """The ``version`` part of a new version's event, and its summary.

    ``previous``: the current version's ``list_imports`` row; ``records``: the new
    version's records as prepared for the event (before sealing). Read under the
    import's write transaction, so nothing can change in between.
    """
    old = _old_records(store, conn, str(previous["id"]))
    new = [_new_view(header, rec) for rec in records]
    by_id = previous["id_column"] is not None and id_column is not None
    pairs = _match(old, new, by_id)
    successor: dict[str, str] = {}
    changed_linkage: set[str] = set()  # new ids whose linkage fields changed
    matched: list[list[Any]] = []
    for o, n in pairs:
        fields = _differences(o, n)
        successor[str(o["id"])] = str(n["id"])
        if _LINKAGE.intersection(fields):
            changed_linkage.add(str(n["id"]))
        matched.append([str(o["id"]), str(n["id"]), fields])
    old_ids = [str(o["id"]) for o in old]
    removed = [i for i in old_ids if i not in successor]
    old_set = set(old_ids)

    p = s.person_records.c
    linked = {str(r) for r in conn.execute(
        select(p.record_id).where(p.record_id.in_(old_ids))).scalars()} if old_ids else set()
    relink = [[o, successor[o]] for o in old_ids if o in linked and o in successor]
    unlink = [o for o in old_ids if o in linked and o not in successor]

    def follow(record: str) -> str | None:
        return successor.get(record) if record in old_set else record

    carried: list[dict[str, Any]] = []
    returned: dict[tuple[str, str], str] = {}
    lapsed = 0
    in_force = _latest_decisions(conn, old_ids)
    for dec in in_force:
        a, b = follow(str(dec["record_a"])), follow(str(dec["record_b"]))
        if a is None or b is None:
            lapsed += 1
            continue
        a, b = sorted((a, b))
        if a in changed_linkage or b in changed_linkage:
            returned[(a, b)] = str(dec["id"])
            continue
        copy = {
            "id": f"dec_{secrets.token_hex(10)}", "record_a": a, "record_b": b,
            "decision": dec["decision"], "actor": dec["actor"], "note": dec["note"],
            "run_id": dec["run_id"], "probability": dec["probability"],
            "decided_at": now, "carried_from": str(dec["id"]),
        }
        if dec.get("sealed"):
            # A sealed note is bound to its decision's ID: sealed again for the copy
            # (an erased note stays erased).
            opened = store.keys.unseal(conn, dec["sealed"], str(dec["id"]))
            if opened is not None:
                copy["sealed"] = store.keys.seal(conn, opened, copy["id"], now)
        carried.append(copy)
    review = _follow_review(conn, follow, returned, old_set, {str(d["id"]): d for d in in_force})
    n_changed = sum(1 for m in matched if m[2])
    version = {
        "matched_by": "external_id" if by_id else "row",
        "added": len(new) - len(pairs),
        "removed": removed,
        "matched": matched,
        "relink": relink,
        "unlink": unlink,
        "decisions": carried,
        **review,
    }
    summary = VersionChanges(
        previous_import=str(previous["id"]),
        previous_version=int(previous["list_version"]),
        matched_by=version["matched_by"],
        added=len(new) - len(pairs), removed=len(removed), changed=n_changed,
        unchanged=len(pairs) - n_changed, linkage_changed=len(changed_linkage),
        persons_kept=len(relink), decisions_carried=len(carried),
        decisions_returned=len(returned), decisions_lapsed=lapsed,
        review_moved=len(review["review_update"]) + len(review["review_add"]),
    )
    return version, summary


def _follow_review(
    conn: Connection,
    follow: Any,
    returned: dict[tuple[str, str], str],
    old_set: set[str],
    decisions: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """The last model run's queue, moved onto the new records (see the module docstring).

    Rows touching old records are pointed at their successors (seq kept: the queue's
    order is its meaning) or deleted when a record was removed; a returned pair the
    queue does not hold yet is added before every other pair (negative seq).
    """
    lr, runs = s.link_review.c, s.link_runs.c
    run_id = conn.execute(
        select(runs.id).where(runs.kind == "model").order_by(runs.ledger_index.desc()).limit(1)
    ).scalar_one_or_none()
    empty: dict[str, Any] = {"review_run": None, "review_update": [], "review_delete": [],
                             "review_add": []}
    if run_id is None:
        return empty
    update: list[list[Any]] = []
    delete: list[int] = []
    placed: set[tuple[str, str]] = set()
    rows = conn.execute(
        select(lr.seq, lr.record_a, lr.record_b, lr.previous_decision)
        .where(lr.run_id == run_id).order_by(lr.seq)
    ).all()
    lowest = 0
    for seq, a, b, before in rows:
        lowest = min(lowest, int(seq))
        if str(a) not in old_set and str(b) not in old_set:
            continue
        na, nb = follow(str(a)), follow(str(b))
        if na is None or nb is None:
            delete.append(int(seq))
            continue
        na, nb = sorted((na, nb))
        placed.add((na, nb))
        update.append([int(seq), na, nb, returned.get((na, nb), before)])
    add: list[list[Any]] = []
    for (a, b), decision_id in returned.items():  # in ledger order of the decisions
        if (a, b) in placed:
            continue
        lowest -= 1
        probability = decisions[decision_id]["probability"]
        ppm = None if probability is None else round(float(probability) * 1e6)
        add.append([lowest, a, b, ppm, decision_id])
    return {**empty, "review_run": str(run_id), "review_update": update,
            "review_delete": delete, "review_add": add}


__all__ = ["VersionChanges", "plan_version", "row_hash"]
