"""The audit trail: every read of protected data, as a ledger event.

Reads are recorded *before* the data leaves the server (the caller writes the
event, then answers), so a failure to audit is a failure to answer. Being
ledger events, audit entries are covered by the Merkle tree and signed
checkpoints: deleting or editing one breaks ``ledger verify``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.access.policy import Principal
from dadkhahi.store import schema as s
from dadkhahi.store.actors import keyed_hash
from dadkhahi.store.store import Store, utc_now

#: An audited object: (kind, id), e.g. ("source", "src_…").
ObjectRef = tuple[str, str]


def record_reads(
    store: Store, principal: Principal, action: str, objects: Sequence[ObjectRef]
) -> int | None:
    """Write one ``audit.read`` event naming every protected object read; None if none."""
    if not objects:
        return None
    unique = list(dict.fromkeys(objects))
    with store.transaction(principal.name) as tx:
        # The reader by pseudonym and the address as a keyed hash: the ledger is never
        # erased, so it names no one (store.actors); auditors still see who read what.
        return tx.emit("audit.read", {
            "user_id": principal.user_id,
            "actor": tx.actor,
            "action": action,
            "ip_hash": None if principal.ip is None else keyed_hash(store.keys, principal.ip),
            "at": utc_now(),
            "objects": [{"kind": kind, "id": oid} for kind, oid in unique],
        })


def query_audit(
    conn: Connection,
    *,
    user: str | None = None,
    since: str | None = None,
    object_id: str | None = None,
    limit: int = 1000,
    newest_first: bool = False,
) -> list[dict[str, Any]]:
    """Audited reads, oldest first (``newest_first``: the latest first); ``user`` is a
    username, user ID or pseudonym, ``since`` ISO time."""
    a = s.audit_reads.c
    order = (a.ledger_index.desc(), a.seq.desc()) if newest_first else (a.ledger_index, a.seq)
    stmt = select(s.audit_reads).order_by(*order).limit(limit)
    if user is not None:
        ids = select(s.users.c.id).where(s.users.c.username == user)
        stmt = stmt.where((a.username == user) | (a.user_id == user) | (a.actor == user)
                          | a.user_id.in_(ids))
    if since is not None:
        stmt = stmt.where(a.at >= since)
    if object_id is not None:
        stmt = stmt.where(a.object_id == object_id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def query_failed_sign_ins(
    conn: Connection, *, since: str | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    """Failed sign-ins, oldest first: account ID (None: no such account), reason, time."""
    f = s.failed_sign_ins.c
    stmt = select(s.failed_sign_ins).order_by(f.ledger_index).limit(limit)
    if since is not None:
        stmt = stmt.where(f.at >= since)
    return [dict(r) for r in conn.execute(stmt).mappings()]
