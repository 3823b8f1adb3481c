"""The ledger on a user's behalf: signing checkpoints and proving an event is in the log."""

from __future__ import annotations

from typing import Any

from dadkhahi.access import reads
from dadkhahi.access.policy import Permission, Principal, require
from dadkhahi.ledger.proofs import make_bundle
from dadkhahi.store import ledger_log
from dadkhahi.store.store import Store


def sign_checkpoint(store: Store, principal: Principal) -> str:
    """Sign a checkpoint of the whole log now (``sign``); the signed note."""
    require(principal, Permission.SIGN)
    return store.checkpoint()


def inclusion_bundle(store: Store, principal: Principal, index: int) -> dict[str, Any]:
    """An offline-verifiable inclusion proof of a visible event against a fresh checkpoint."""
    found = reads.read_event(store, principal, index)
    store.checkpoint()
    with store.reading() as conn:
        latest = ledger_log.latest_checkpoint(conn)
        assert latest is not None
        size, note = latest
        proof = ledger_log.inclusion_proof(conn, index, size)
    return make_bundle(index, found.body, proof, note)
