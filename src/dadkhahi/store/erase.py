"""Erasure: destroy data keys so nothing sealed under them can be read again.

The ledger keeps every event (and its hash), so the sealed bytes stay; what goes
is the wrapped data key in ``data_keys``. A plain ``DELETE`` would leave the
wrapped key readable in the database's free pages, in SQLite's write-ahead log
or in PostgreSQL's dead tuples, so after the keys are destroyed the store is
scrubbed (:func:`scrub`): SQLite runs with ``secure_delete`` (deleted content is
overwritten with zeros, see ``store.db``) and its WAL is checkpointed and
truncated; PostgreSQL rewrites the key table (``VACUUM FULL data_keys``).

What this cannot reach: backups and copies of the home or database taken
before the erasure (and PostgreSQL's WAL archive) still hold the wrapped key,
until the master key they were wrapped under is rotated and the old one
destroyed. Say so to whoever asks for an erasure.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text

from dadkhahi.store.db import is_sqlite
from dadkhahi.store.sealed import KeyRing
from dadkhahi.store.store import Store, Transaction, utc_now


def destroy_keys(tx: Transaction, key_ids: Sequence[str], reason: str) -> list[int]:
    """Destroy data keys in an open transaction, one ``key.destroyed`` event each.

    Call :func:`scrub` after the transaction has committed.
    """
    indices = []
    for key_id in dict.fromkeys(key_ids):  # once each, in the order given
        KeyRing.destroy(tx.conn, key_id)
        indices.append(tx.emit("key.destroyed",
                               {"key_id": key_id, "reason": reason, "at": utc_now()}))
    return indices


def scrub(store: Store) -> None:
    """Leave no destroyed key readable in the database's files (see the module docstring)."""
    if is_sqlite(store.engine):
        with store.engine.connect() as conn:
            # TRUNCATE waits for readers (busy timeout) and then empties the WAL file;
            # with secure_delete on, the deleted rows were already zeroed in their pages.
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
        if busy:
            raise RuntimeError("the write-ahead log could not be emptied after an erasure; "
                               "run the erasure again when no long read is running")
        return
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM FULL data_keys"))


def erase_payload(store: Store, key_id: str, reason: str, actor: str) -> int:
    """Destroy one data key, record the erasure and scrub; returns the event index."""
    with store.transaction(actor) as tx:
        index = destroy_keys(tx, [key_id], reason)[0]
    scrub(store)
    return index
