"""The ledger on a user's behalf: signing checkpoints and proving an event is in the log."""

from __future__ import annotations

from typing import Any

from dadkhahi.access import reads
from dadkhahi.access.policy import Permission, Principal, require
from dadkhahi.domain.errors import ConflictError
from dadkhahi.ledger.proofs import make_bundle
from dadkhahi.store import ledger_log
from dadkhahi.store.store import Store


def sign_checkpoint(store: Store, principal: Principal) -> str:
    """Sign a checkpoint of the whole log now (``sign``); the signed note."""
    require(principal, Permission.SIGN)
    return store.checkpoint()


def inclusion_bundle(store: Store, principal: Principal, index: int) -> dict[str, Any]:
    """An offline-verifiable inclusion proof of a visible event against the latest signed
    checkpoint.

    A read never signs (a visitor asking for proofs must not make the server write):
    every change signs a checkpoint when it commits (:meth:`Store.transaction`), so only
    an event written on a reader's behalf (an audit of a read) can be newer than the
    latest checkpoint, and it is proven once the next change or ``sign`` signs one.
    """
    found = reads.read_event(store, principal, index)
    with store.reading() as conn:
        latest = ledger_log.latest_checkpoint(conn)
        if latest is None or latest[0] <= index:
            raise ConflictError(f"event {index} is newer than the latest signed checkpoint; "
                                "it is proven after the next change is signed")
        size, note = latest
        proof = ledger_log.inclusion_proof(conn, index, size)
    return make_bundle(index, found.body, proof, note, found.leaf_hash)
