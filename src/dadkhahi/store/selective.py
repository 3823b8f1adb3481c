"""Selective proofs from the store: the rows and sealed fields a recipient is given, proven.

:mod:`dadkhahi.ledger.selective` defines the proofs; this module reads what they need
(the stored batch event, the tree's nodes, the data keys that derive the salts) and
builds them to one signed checkpoint. A row of a batch goes with its own sealed fields
disclosed (every one, or none: ``fields=False``); an event's own sealed payload (a
custody step, say) can have chosen fields disclosed. Nothing else of the event leaves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from dadkhahi.domain.errors import IntegrityError, NotFoundError
from dadkhahi.ledger.checkpoint import Checkpoint, unverified_note_text
from dadkhahi.ledger.proofs import make_bundle
from dadkhahi.ledger.selective import RowTree, make_selective, row_indices
from dadkhahi.store import ledger_log
from dadkhahi.store.sealed import KeyRing


def _inclusion(conn: Connection, index: int, body: bytes, note: str) -> dict[str, Any]:
    size = Checkpoint.parse(unverified_note_text(note)).size
    return make_bundle(index, body, ledger_log.inclusion_proof(conn, index, size), note)


Disclosed = list[tuple[int | None, str, str]]


def _sealed_fields(conn: Connection, keys: KeyRing, holder: Mapping[str, Any], context: str,
                   names: Iterable[str] | None, at: int | None) -> Disclosed:
    sealed = holder.get("sealed")
    if not isinstance(sealed, Mapping):
        return []
    if "commitments" not in sealed:
        raise IntegrityError("sealed before field commitments: it cannot be proven field "
                             "by field")
    opened = keys.disclose(conn, sealed, context, names)
    if opened is None:  # the key was destroyed: nothing left to disclose
        return []
    return [(at, name, text) for name, text in opened.items()]


def prove_rows(conn: Connection, keys: KeyRing, index: int, row_ids: Sequence[str],
               note: str, *, fields: bool = True) -> dict[str, Any]:
    """A selective proof of the rows ``row_ids`` of batch event ``index``, to ``note``.

    Each row's sealed fields are disclosed with it when ``fields`` (the context of a
    row's seal is its ID). Raises :class:`NotFoundError` for an ID not in that batch.
    """
    body = ledger_log.get_event(conn, index).body
    tree = RowTree(body)
    positions = row_indices(tree.rows, row_ids)
    missing = set(row_ids) - {str(tree.rows[i].get("id")) for i in positions}
    if missing:
        raise NotFoundError(f"{len(missing)} row(s) are not in batch event {index}")
    disclosed: Disclosed = []
    if fields:
        for i in positions:
            disclosed += _sealed_fields(conn, keys, tree.rows[i], str(tree.rows[i]["id"]),
                                        None, i)
    return make_selective(_inclusion(conn, index, body, note),
                          [tree.proof(i) for i in positions], disclosed)


def prove_fields(conn: Connection, keys: KeyRing, index: int, context: str,
                 names: Iterable[str] | None, note: str) -> dict[str, Any]:
    """A selective proof of event ``index`` with fields of its own sealed payload disclosed.

    ``context``: what the payload was sealed to (the object's ID); ``names``: the fields
    (None: every committed field). An event without commitments gets its inclusion only.
    """
    body = ledger_log.get_event(conn, index).body
    data = json.loads(body)["data"]
    sealed = data.get("sealed")
    disclosed = ([] if not isinstance(sealed, Mapping) or "commitments" not in sealed
                 else _sealed_fields(conn, keys, data, context, names, None))
    return make_selective(_inclusion(conn, index, body, note), (), disclosed)


__all__ = ["prove_fields", "prove_rows"]
