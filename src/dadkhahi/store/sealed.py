"""Sealed payloads: protected fields encrypted with a per-record data key.

The sealed form goes into the event (and so into the ledger and its hash); the
data key, wrapped by the master key, goes into ``data_keys`` outside the ledger.
Destroying the data key erases the payload for good while every leaf hash,
root and proof stays valid.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from dadkhahi.domain.errors import NotFoundError
from dadkhahi.domain.ids import new_id
from dadkhahi.ledger import sealing
from dadkhahi.store import schema as s


class KeyRing:
    """Creates, unwraps and destroys per-record data keys."""

    def __init__(self, master_key: bytes) -> None:
        self._master = master_key

    def subkey(self, purpose: str) -> bytes:
        """A 32-byte key for one purpose, derived from the master key (HKDF-SHA256).

        For keyed hashes of values that must be compared but never kept in clear
        (e.g. the throttle of failed sign-ins).
        """
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(hashes.SHA256(), 32, salt=None,
                    info=f"dadkhahi {purpose}".encode()).derive(self._master)

    def seal(
        self, conn: Connection, payload: Mapping[str, Any], context: str, created_at: str
    ) -> dict[str, str]:
        """Encrypt ``payload`` (JSON) under a new data key bound to ``context``."""
        key_id = new_id("key")
        data_key = sealing.new_data_key()
        conn.execute(
            insert(s.data_keys).values(
                id=key_id,
                wrapped=sealing.wrap_key(data_key, self._master),
                created_at=created_at,
            )
        )
        plaintext = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        sealed = sealing.seal(plaintext, data_key, _aad(key_id, context))
        return {"key_id": key_id, **sealed}

    def unseal(
        self, conn: Connection, sealed: Mapping[str, str], context: str
    ) -> dict[str, Any] | None:
        """The payload, or None if its key was destroyed (erased)."""
        key_id = sealed["key_id"]
        wrapped = conn.execute(
            select(s.data_keys.c.wrapped).where(s.data_keys.c.id == key_id)
        ).scalar_one_or_none()
        if wrapped is None:
            return None
        data_key = sealing.unwrap_key(wrapped, self._master)
        body = {k: v for k, v in sealed.items() if k != "key_id"}
        payload: dict[str, Any] = json.loads(sealing.unseal(body, data_key, _aad(key_id, context)))
        return payload

    @staticmethod
    def destroy(conn: Connection, key_id: str) -> None:
        """Delete a data key; the caller records the erasure as a ledger event."""
        result = conn.execute(delete(s.data_keys).where(s.data_keys.c.id == key_id))
        if result.rowcount != 1:
            raise NotFoundError(f"no data key {key_id} (already erased?)")


def _aad(key_id: str, context: str) -> bytes:
    # Binding key id and record id stops a sealed blob being moved to another record.
    return f"{key_id}\n{context}".encode()
