"""Selective proofs in a court bundle: the cited rows of list imports, the sealed fields of
custody steps, proven to the bundle's checkpoint and nothing more.

A fact supported by a record of a list import cites one row of a batch event: the bundle
proves that row (its bytes and its path to the event's rows root, beside the inclusion
proof of the committed event) and, if the row is sealed, discloses its fields with their
salts. The other rows of the import never enter the proof. A custody step of an exhibit
that goes, sealed in its event (a protected item's), has its sealed fields disclosed the
same way, so the court reads who handed it over and how, proven, without the key.
What may go is decided before (the bundle's one disclosure decision on items): a row
goes only when its list file may go, a custody step only with its item.

A cited record belongs to its person by a linkage decision: the row of the ``link.run``
batch event that assigned (or moved) it there (:mod:`dadkhahi.store.link_rows`). The
bundle proves those rows too (no sealed field disclosed: a decision row has none), and
lists each decision in ``matrix.json`` (``linkage``), so the verifier checks that every
link the matrix relies on is the one a proven row of the run says.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.cases.matrix import ElementRow
from dadkhahi.ledger.selective import RowTree, make_selective, row_indices
from dadkhahi.store import schema as s
from dadkhahi.store.sealed import KeyRing

_BATCH = 500


@dataclass
class Disclosure:
    """What one proven event discloses beyond its inclusion: rows and sealed fields."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    fields: list[tuple[int | None, str, str]] = field(default_factory=list)

    def values(self) -> dict[str, Any]:
        """The event's own disclosed fields, ``{name: value}`` (for a custody line)."""
        return {name: json.loads(text)[2] for at, name, text in self.fields if at is None}


def cited_records(rows: Sequence[ElementRow], going: Collection[str]) -> list[str]:
    """Records cited by the case's linked facts whose file (item) goes in the bundle."""
    found = {e.record_id for r in rows for _, ev in r.links for e in ev
             if e.record_id is not None and e.item_id in going}
    return sorted(found)


def record_disclosures(conn: Connection, keys: KeyRing, record_ids: Sequence[str]
                       ) -> dict[int, Disclosure]:
    """Per batch event: the cited rows with paths, and each sealed row's fields.

    Records written by events that are not batches (before selective proofs) are left
    out: their event is proven whole or not at all.
    """
    by_event: dict[int, list[str]] = {}
    for start in range(0, len(record_ids), _BATCH):
        part = list(record_ids[start:start + _BATCH])
        for rid, index in conn.execute(select(s.records.c.id, s.records.c.ledger_index)
                                       .where(s.records.c.id.in_(part))):
            by_event.setdefault(int(index), []).append(str(rid))
    out: dict[int, Disclosure] = {}
    e = s.ledger_events.c
    for index, ids in sorted(by_event.items()):
        body = bytes(conn.execute(select(e.body).where(e.idx == index)).scalar_one())
        if not body.endswith(b',"v":2}'):
            continue
        tree = RowTree(body)
        found = Disclosure()
        for i in row_indices(tree.rows, ids):
            found.rows.append(tree.proof(i))
            found.fields += _fields(conn, keys, tree.rows[i], i)
        out[index] = found
    return out


#: The kinds of link decision a run's row records for a record.
LINK_DECISIONS = ("assign", "move")


def link_decisions(conn: Connection, record_ids: Sequence[str]
                   ) -> tuple[list[dict[str, Any]], dict[int, Disclosure]]:
    """The linkage decisions that put each record with its person, and their row proofs.

    Returns the decisions (``{"record", "person", "decision", "event", "row"}``, in
    record order) and, per ``link.run`` event, the rows that prove them. A record linked
    by an event that is no batch run (a run written before selective proofs, a list's
    new version carrying a link over) is not listed: there is no row to prove it alone.
    """
    pr, e = s.person_records.c, s.ledger_events.c
    linked: dict[str, tuple[str, int]] = {}
    for start in range(0, len(record_ids), _BATCH):
        part = list(record_ids[start:start + _BATCH])
        for rid, pid, index in conn.execute(select(pr.record_id, pr.person_id, pr.ledger_index)
                                            .where(pr.record_id.in_(part))):
            linked[str(rid)] = (str(pid), int(index))
    by_event: dict[int, list[str]] = {}
    for rid, (_, index) in linked.items():
        by_event.setdefault(index, []).append(rid)
    decisions: list[dict[str, Any]] = []
    proofs: dict[int, Disclosure] = {}
    for index, ids in sorted(by_event.items()):
        kind, body = conn.execute(select(e.type, e.body).where(e.idx == index)).one()
        body = bytes(body)
        if kind != "link.run" or not body.endswith(b',"v":2}'):
            continue
        tree = RowTree(body)
        found = Disclosure()
        for i in row_indices(tree.rows, ids):
            row = tree.rows[i]
            decision = next((d for d in LINK_DECISIONS if d in row), None)
            if decision is None or row[decision] != linked[str(row["id"])][0]:
                continue  # not a decision row, or one a later event superseded
            found.rows.append(tree.proof(i))
            decisions.append({"record": str(row["id"]), "person": str(row[decision]),
                              "decision": decision, "event": index, "row": i})
        if found.rows:
            proofs[index] = found
    return sorted(decisions, key=lambda d: (d["record"], d["event"])), proofs


def custody_disclosures(conn: Connection, keys: KeyRing, bodies: Mapping[int, bytes]
                        ) -> dict[int, Disclosure]:
    """Per custody event with committed sealed fields: every field disclosed."""
    out: dict[int, Disclosure] = {}
    for index, body in bodies.items():
        data = json.loads(body)["data"]
        fields = _fields(conn, keys, data, None)
        if fields:
            out[index] = Disclosure(fields=fields)
    return out


def _fields(conn: Connection, keys: KeyRing, holder: Mapping[str, Any], at: int | None
            ) -> list[tuple[int | None, str, str]]:
    sealed = holder.get("sealed")
    if not isinstance(sealed, Mapping) or "commitments" not in sealed:
        return []  # not sealed, or sealed before commitments: nothing to disclose alone
    opened = keys.disclose(conn, sealed, str(holder["id"]))
    return [] if opened is None else [(at, name, text) for name, text in opened.items()]


def proof_document(inclusion: dict[str, Any], disclosure: Disclosure | None) -> dict[str, Any]:
    """The inclusion proof as is, or wrapped in a selective proof with what it discloses."""
    if disclosure is None:
        return inclusion
    return make_selective(inclusion, disclosure.rows, disclosure.fields)


def merge(*parts: Mapping[int, Disclosure]) -> dict[int, Disclosure]:
    """One disclosure per event from several plans."""
    out: dict[int, Disclosure] = {}
    for part in parts:
        for index, found in part.items():
            into = out.setdefault(index, Disclosure())
            into.rows += found.rows
            into.fields += found.fields
    return out


__all__ = ["LINK_DECISIONS", "Disclosure", "cited_records", "custody_disclosures",
           "link_decisions", "merge", "proof_document", "record_disclosures"]
