"""Erasure: destroy data keys so nothing sealed under them can be read again.

The ledger keeps every event (and its hash), so the sealed bytes stay; what goes
is the wrapped data key in ``data_keys``. A plain ``DELETE`` would leave the
wrapped key readable in the database's free pages, in SQLite's write-ahead log
or in PostgreSQL's dead tuples, so after the keys are destroyed the store is
scrubbed (:func:`scrub`): SQLite runs with ``secure_delete`` (deleted content is
overwritten with zeros, see ``store.db``) and its WAL is checkpointed and
truncated; PostgreSQL rewrites the key table (``VACUUM FULL data_keys``).

The scrub runs after the commit, so a crash, a kill or a failed scrub there would leave
the bytes in the files for good: the transaction that makes a scrub due marks it
(:func:`mark_scrub_due`, table ``scrub_due``), the scrub deletes the marks it went
through only after it did, and ``Store.open`` scrubs when a mark is left.

What this cannot reach: backups and copies of the home or database taken
before the erasure (and PostgreSQL's WAL archive) still hold the wrapped key,
until the master key they were wrapped under is rotated and the old one
destroyed. Say so to whoever asks for an erasure.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import Connection, delete, inspect, select, text

from dadkhahi.store import schema as s
from dadkhahi.store.db import is_sqlite, write_transaction
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
    if indices:
        mark_scrub_due(tx.conn, ("data_keys",), indices[-1])
    return indices


class ScrubError(RuntimeError):
    """Destroyed keys are still in the database's files (a long transaction held them)."""


#: The tables :func:`scrub` rewrites on PostgreSQL after a redaction of events
#: (``store.redact``): the old bodies are dead tuples of ``ledger_events`` until then, and
#: the rows in clear an act raised by revision 0004, a link and a gap mark erased by 0006
#: held are dead tuples of ``acts``, ``case_links`` and ``case_gap_marks`` (seen: the
#: raised act's first words were still in the file of ``acts`` after the events were
#: redacted, a mark's note in the file of ``case_gap_marks``).
REDACTED_TABLES = ("data_keys", "ledger_events", "acts", "case_links", "case_gap_marks")


def mark_scrub_due(conn: Connection, tables: Sequence[str], index: int) -> None:
    """Mark ``tables`` as to be scrubbed, in the transaction of the ledger event ``index``
    that made it due (a ``key.destroyed``, an ``event.redacted``); :func:`scrub` deletes
    the mark once it went through.

    A revision before 0007 (which makes ``scrub_due``) writes no mark: 0007 marks what
    those revisions destroyed and redacted, in the same upgrade transaction.
    """
    for table in tables:
        if table not in REDACTED_TABLES:
            raise ValueError(f"scrub rewrites {', '.join(REDACTED_TABLES)}, not {table}")
    if not inspect(conn).has_table(s.scrub_due.name):
        return
    d = s.scrub_due.c
    marked = set(conn.execute(select(d.table_name).where(d.ledger_index == index)).scalars())
    rows = [{"table_name": t, "ledger_index": index} for t in dict.fromkeys(tables)
            if t not in marked]
    if rows:
        conn.execute(s.scrub_due.insert(), rows)


def scrubs_due(conn: Connection) -> list[tuple[str, int]]:
    """The marks left by :func:`mark_scrub_due` (table, ledger index): a scrub still due."""
    d = s.scrub_due.c
    return [(t, int(i)) for t, i in conn.execute(
        select(d.table_name, d.ledger_index).order_by(d.ledger_index, d.table_name))]


def scrub(store: Store, timeout: float = 60.0, tables: Sequence[str] = ("data_keys",)) -> None:
    """Leave no destroyed key readable in the database's files (see the module docstring).

    On PostgreSQL, waits up to ``timeout`` seconds for transactions older than the call to
    end, then rewrites the key table, the other ``tables`` and every table a mark left in
    ``scrub_due`` names (:data:`REDACTED_TABLES` after a redaction); raises
    :class:`ScrubError` if they do not end. The marks read before the scrub are deleted
    after it went through (a mark written meanwhile stays for the next scrub; a crash
    between the scrub and the delete only repeats the scrub).
    """
    with store.engine.connect() as conn:
        due = scrubs_due(conn)
    rewrite = [*dict.fromkeys([*tables, *(t for t, _ in due)])]
    for table in rewrite:
        if table not in REDACTED_TABLES:
            raise ValueError(f"scrub rewrites {', '.join(REDACTED_TABLES)}, not {table}")
    if is_sqlite(store.engine):
        with store.engine.connect() as conn:
            # TRUNCATE waits for readers (busy timeout) and then empties the WAL file;
            # with secure_delete on, the deleted rows were already zeroed in their pages.
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
        if busy:
            raise ScrubError("the write-ahead log could not be emptied after an erasure; "
                               "run the erasure again when no long read is running")
    else:
        # VACUUM cannot run in a transaction block: each statement commits on its own.
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            _wait_for_older_snapshots(conn, timeout)
            for table in rewrite:
                # A name from the fixed tuple above, never user input.
                conn.execute(text(f"VACUUM FULL {table}"))
    if due:
        _clear(store, due)


def _clear(store: Store, due: Sequence[tuple[str, int]]) -> None:
    """Delete the marks a scrub went through (after it did, in a transaction of its own)."""
    d = s.scrub_due.c
    with write_transaction(store.engine) as conn:
        for table, index in due:
            conn.execute(delete(s.scrub_due).where(d.table_name == table,
                                                   d.ledger_index == index))


# A transaction that began before the erasure committed may still see the deleted keys, so
# VACUUM FULL copies them into the rewritten table as "recently dead" (and any transaction
# with a write in progress, in any database of the server, holds back that horizon). Seen
# on a shared server: a benchmark idle in a transaction elsewhere left every key readable.
_OLDER_SNAPSHOTS = text(
    "SELECT pg_snapshot_xmin(pg_current_snapshot()) < CAST(:t AS xid8)"
    " OR EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
    " AND backend_type = 'client backend' AND datname = current_database()"
    " AND backend_xmin IS NOT NULL AND age(backend_xmin) > age(CAST(:t32 AS xid)))"
)


def _wait_for_older_snapshots(conn: Connection, timeout: float) -> None:
    """Wait until no transaction that may see the destroyed keys is left (PostgreSQL).

    Other roles' sessions in the same database are hidden from ``pg_stat_activity``;
    their running writes are still seen through the server-wide snapshot.
    """
    horizon = conn.execute(text("SELECT pg_snapshot_xmax(pg_current_snapshot())")).scalar_one()
    deadline = time.monotonic() + timeout
    # xid8 counts epochs; the 32-bit xid of pg_stat_activity is its low half.
    params = {"t": str(horizon), "t32": str(int(str(horizon)) % 2**32)}
    while conn.execute(_OLDER_SNAPSHOTS, params).scalar_one():
        if time.monotonic() >= deadline:
            raise ScrubError(
                "the destroyed keys could not be scrubbed from the database's files: a "
                f"transaction older than the erasure is still running after {timeout:g} s; "
                "the keys are destroyed, run the erasure again when it has ended"
            )
        time.sleep(0.1)


def erase_payload(store: Store, key_id: str, reason: str, actor: str) -> int:
    """Destroy one data key, record the erasure and scrub; returns the event index."""
    with store.transaction(actor) as tx:
        index = destroy_keys(tx, [key_id], reason)[0]
    scrub(store)
    return index
