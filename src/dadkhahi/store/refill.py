"""Fill a projected table, or some of its columns, from the ledger: for schema revisions.

A revision that adds a projected table or column must leave an upgraded home as a
home built anew from the same ledger would be (``ledger verify`` compares the live tables
with a replay, row by row). Where the events old homes hold already carry what the new
table or column shows, NULL or no rows would be wrong; the revision calls
:func:`refill` for it, which replays the log through the projection's own handlers
(the only code that writes projected tables) into a scratch copy of that one table and
writes what the replay put there into the live one.

Only the columns the live table has are written, so a revision keeps working when later
revisions add more. It reads every event once: the cost of ``ledger verify``'s replay,
paid once at the upgrade.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    create_engine,
    delete,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.pool import StaticPool

from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.projection import OpBuffer, project

#: Rows written to the live table per statement.
BATCH = 5_000


def refill(conn: Connection, table: str, columns: Sequence[str] | None = None) -> int:
    """Make ``table`` (every row) or its ``columns`` (the rows it holds, matched by primary
    key) what a replay of the whole ledger writes there; returns the rows written.

    Without ``columns`` the table's rows are replaced (a new table: it held none). With
    them, only those columns of the existing rows are set; rows the replay has and the
    table lacks are an error (the table was not a projection of this ledger).
    """
    declared = s.metadata.tables[table]
    if declared not in s.PROJECTED:
        raise ValueError(f"{table} is not a projected table")
    live = {c["name"] for c in inspect(conn).get_columns(table)}
    wanted = [c for c in (columns or [c.name for c in declared.c]) if c in live]
    scratch = create_engine("sqlite://", poolclass=StaticPool)
    try:
        with scratch.begin() as replay:
            s.metadata.create_all(replay, tables=[declared])
            _replay_into(conn, replay, declared)
            rows = [dict(r) for r in replay.execute(select(declared)).mappings()]
    finally:
        scratch.dispose()
    target = declared.c
    if columns is None:
        conn.execute(delete(declared))
        for start in range(0, len(rows), BATCH):  # the live columns only
            conn.execute(insert(declared),
                         [{k: r[k] for k in wanted} for r in rows[start:start + BATCH]])
        return len(rows)
    keys = [c.name for c in declared.primary_key.columns]
    statement = (update(declared)
                 .where(and_(*(target[k] == bindparam(f"key_{k}") for k in keys)))
                 .values({c: bindparam(f"new_{c}") for c in wanted}))
    written = 0
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        result = conn.execute(statement, [
            {**{f"key_{k}": r[k] for k in keys}, **{f"new_{c}": r[c] for c in wanted}}
            for r in chunk])
        written += result.rowcount
    if written != len(rows):
        raise RuntimeError(f"{table}: the ledger's replay has {len(rows)} rows, the table "
                           f"matched {written} of them")
    return written


def _replay_into(conn: Connection, replay: Connection, table: Table) -> None:
    """Every event's operations on ``table``, in log order (handlers never read the
    database, so the other tables' operations can be left out)."""
    buffer = OpBuffer()
    for event in ledger_log.iter_events(conn):
        body = json.loads(event.body)
        ops = [op for op in project(event.index, body["type"], body["data"])
               if op.table is table]
        if ops:
            buffer.add(replay, ops)
    buffer.flush(replay)


__all__ = ["BATCH", "refill"]
