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


__all__ = ["Disclosure", "cited_records", "custody_disclosures", "merge", "proof_document",
           "record_disclosures"]
