"""Erasure: destroy a payload's data key; the ledger keeps its hash and stays valid."""

from __future__ import annotations

from dadkhahi.store.sealed import KeyRing
from dadkhahi.store.store import Store, utc_now


def erase_payload(store: Store, key_id: str, reason: str, actor: str) -> int:
    """Destroy one data key and record the erasure; returns the event index."""
    with store.transaction(actor) as tx:
        KeyRing.destroy(tx.conn, key_id)
        return tx.emit("key.destroyed", {"key_id": key_id, "reason": reason, "at": utc_now()})
