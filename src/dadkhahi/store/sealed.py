"""Sealed payloads: protected fields encrypted with a per-record data key.

The sealed form goes into the event (and so into the ledger and its hash); the
data key, wrapped by the master key, goes into ``data_keys`` outside the ledger.
Destroying the data key erases the payload for good while every leaf hash,
root and proof stays valid.

Since selective proofs, a sealed payload also carries ``commitments``: each field's
salted hash (:mod:`dadkhahi.ledger.selective`), so one field can be proven to a
recipient (:meth:`KeyRing.disclose`) without the key or the other fields. Payloads
sealed before carry none and can only be disclosed whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from dadkhahi.domain.errors import IntegrityError, NotFoundError
from dadkhahi.domain.ids import new_id
from dadkhahi.ledger import sealing, selective
from dadkhahi.store import schema as s

#: The ``data_keys`` row holding the root of keyed hashes once the master key was
#: rotated (``store.rotate``): the first master key, wrapped like any data key.
ROOT_KEY_ID = "key_root"
#: Data keys asked for in one statement (SQLite binds at most 32,766 values; an API page
#: holds at most 500 rows, so a page's keys are one statement).
KEYS_PER_STATEMENT = 500
_KEYS = select(s.data_keys.c.id, s.data_keys.c.wrapped).where(
    s.data_keys.c.id.in_(bindparam("key_ids", expanding=True)))


class KeyRing:
    """Creates, unwraps and destroys per-record data keys."""

    def __init__(self, master_key: bytes, root: bytes | None = None) -> None:
        self._master = master_key
        self._root = master_key if root is None else root

    @property
    def master(self) -> bytes:
        """The key-wrapping key (for re-wrapping at a rotation)."""
        return self._master

    @property
    def root(self) -> bytes:
        """What keyed hashes are derived from: the master key until the first rotation."""
        return self._root

    def subkey(self, purpose: str) -> bytes:
        """A 32-byte key for one purpose, derived from the root (HKDF-SHA256).

        For keyed hashes of values that must be compared but never kept in clear
        (e.g. the throttle of failed sign-ins). The root is the master key, or after a
        rotation the first master key kept sealed, so these stay the same.
        """
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(hashes.SHA256(), 32, salt=None,
                    info=f"dadkhahi {purpose}".encode()).derive(self._root)

    def seal(
        self, conn: Connection, payload: Mapping[str, Any], context: str, created_at: str
    ) -> dict[str, Any]:
        """Encrypt ``payload`` (JSON) under a new data key bound to ``context``.

        The result also carries each field's commitment (``commitments``)."""
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
        # Committed as they will be read back (JSON round trip), so a disclosure made
        # from the opened payload hashes to the very same commitment.
        opened = json.loads(plaintext)
        salts = {name: selective.field_salt(data_key, key_id, context, name) for name in opened}
        return {"key_id": key_id, **sealed, "commitments": selective.commitments(opened, salts)}

    def _data_key(self, conn: Connection, key_id: str) -> bytes | None:
        """The unwrapped data key, or None if it was destroyed (erased)."""
        wrapped = conn.execute(
            select(s.data_keys.c.wrapped).where(s.data_keys.c.id == key_id)
        ).scalar_one_or_none()
        return None if wrapped is None else sealing.unwrap_key(wrapped, self._master)

    def data_keys(self, conn: Connection, key_ids: Iterable[str]) -> dict[str, bytes]:
        """The unwrapped data keys of ``key_ids`` still there (a destroyed one is absent),
        read in one statement per :data:`KEYS_PER_STATEMENT` keys, not one per key."""
        wanted = sorted(set(key_ids))
        found: dict[str, bytes] = {}
        for start in range(0, len(wanted), KEYS_PER_STATEMENT):
            rows = conn.execute(_KEYS, {"key_ids": wanted[start:start + KEYS_PER_STATEMENT]})
            found.update((str(key_id), sealing.unwrap_key(wrapped, self._master))
                         for key_id, wrapped in rows)
        return found

    def unseal(
        self, conn: Connection, sealed: Mapping[str, str], context: str
    ) -> dict[str, Any] | None:
        """The payload, or None if its key was destroyed (erased)."""
        key_id = sealed["key_id"]
        return _open(sealed, self._data_key(conn, key_id), context)

    def unseal_many(
        self, conn: Connection, sealed: Sequence[tuple[Mapping[str, str], str]]
    ) -> list[dict[str, Any] | None]:
        """The payloads of ``(sealed payload, context)`` pairs, in their order, each None
        if its key was destroyed: as :meth:`unseal`, with every data key read at once (a
        page of sealed rows was one statement per row)."""
        keys = self.data_keys(conn, (payload["key_id"] for payload, _ in sealed))
        return [_open(payload, keys.get(payload["key_id"]), context)
                for payload, context in sealed]

    def disclose(
        self, conn: Connection, sealed: Mapping[str, Any], context: str,
        names: Iterable[str] | None = None,
    ) -> dict[str, str] | None:
        """Disclosure texts (``[salt, name, value]``) of fields of a sealed payload.

        ``names``: the fields to disclose (default: every committed field). None if the
        key was destroyed. Raises :class:`IntegrityError` if the payload carries no
        commitments (sealed before selective proofs) or a disclosure does not match its
        commitment (the store and the ledger disagree).
        """
        committed = sealed.get("commitments")
        if not isinstance(committed, Mapping):
            raise IntegrityError("this sealed payload predates field commitments: it can "
                                 "only be disclosed whole")
        key_id = str(sealed["key_id"])
        data_key = self._data_key(conn, key_id)
        if data_key is None:
            return None
        body = {k: v for k, v in sealed.items() if k in ("alg", "nonce", "ct")}
        payload = json.loads(sealing.unseal(body, data_key, _aad(key_id, context)))
        out: dict[str, str] = {}
        for name in (committed if names is None else names):
            if name not in payload or name not in committed:
                raise IntegrityError(f"the sealed payload has no committed field {name!r}")
            text = selective.disclosure(
                selective.field_salt(data_key, key_id, context, name), name, payload[name])
            if selective.digest(text) != committed[name]:
                raise IntegrityError(f"field {name!r} does not match its commitment in the "
                                     "ledger")
            out[name] = text
        return out

    def open_row(self, conn: Connection, row: dict[str, Any]) -> dict[str, Any]:
        """A row with its ``sealed`` payload laid over its placeholder columns (the
        payload's context is the row's ID); ``erased`` set when the key is gone."""
        return self.open_rows(conn, [row])[0]

    def open_rows(self, conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """:meth:`open_row` of every row, their data keys read at once (in place)."""
        sealed = [(row, payload) for row in rows if (payload := row.pop("sealed", None))]
        opened = self.unseal_many(conn, [(payload, str(row["id"])) for row, payload in sealed])
        for (row, _), payload in zip(sealed, opened, strict=True):
            if payload is None:
                row["erased"] = True
            else:
                row.update({k: v for k, v in payload.items() if k in row})
        return rows

    @staticmethod
    def destroy(conn: Connection, key_id: str) -> None:
        """Delete a data key; the caller records the erasure as a ledger event."""
        result = conn.execute(delete(s.data_keys).where(s.data_keys.c.id == key_id))
        if result.rowcount != 1:
            raise NotFoundError(f"no data key {key_id} (already erased?)")


def _open(sealed: Mapping[str, str], data_key: bytes | None, context: str
          ) -> dict[str, Any] | None:
    if data_key is None:
        return None
    key_id = sealed["key_id"]
    body = {k: v for k, v in sealed.items() if k != "key_id"}
    payload: dict[str, Any] = json.loads(sealing.unseal(body, data_key, _aad(key_id, context)))
    return payload


def _aad(key_id: str, context: str) -> bytes:
    # Binding key id and record id stops a sealed blob being moved to another record.
    return f"{key_id}\n{context}".encode()
