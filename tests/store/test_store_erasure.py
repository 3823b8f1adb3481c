"""Erasure destroys a sealed payload for good while the ledger stays verifiable."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dadkhahi.domain.errors import NotFoundError
from dadkhahi.ledger.errors import VerificationError
from dadkhahi.store import schema as s
from dadkhahi.store.erase import erase_payload
from dadkhahi.store.store import Store, utc_now
from dadkhahi.store.verify import verify_ledger


def test_erase_keeps_hashes_and_loses_the_payload(store: Store) -> None:
    with store.transaction("tester") as tx:
        sealed = store.keys.seal(tx.conn, {"name": "SYNTHETIC witness"}, "per_w", utc_now())
        tx.emit("person.created", {"id": "per_w", "label": "[protected]",
                                   "sensitivity": "protected", "synthetic": 1})
    with store.reading() as conn:
        assert store.keys.unseal(conn, sealed, "per_w") == {"name": "SYNTHETIC witness"}
        with pytest.raises(VerificationError):
            store.keys.unseal(conn, sealed, "per_other")  # bound to its record
        root_before = verify_ledger(conn, store.verifier_key()).root_hash
    store.checkpoint()
    index = erase_payload(store, sealed["key_id"], "witness asked", "tester")
    with store.reading() as conn:
        assert store.keys.unseal(conn, sealed, "per_w") is None
        erasure = conn.execute(select(s.erasures)).mappings().one()
        report = verify_ledger(conn, store.verifier_key())
    assert erasure["key_id"] == sealed["key_id"] and erasure["ledger_index"] == index
    assert report.ok, report.findings
    assert report.size == index + 1 and report.root_hash != root_before
    with pytest.raises(NotFoundError):
        erase_payload(store, sealed["key_id"], "again", "tester")
