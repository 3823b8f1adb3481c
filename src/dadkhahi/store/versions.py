"""Optimistic concurrency: a row's version is ``ledger_index``, the event that last wrote it.

A change made "to version N" is refused when the row has moved on, so two
people editing the same object never silently overwrite each other. The check
runs inside the write transaction, which holds the ledger's write lock, so no
other writer can slip in between the check and the change.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, select

from dadkhahi.domain.errors import NotFoundError, UserError


class VersionMismatchError(UserError):
    """The object changed since the version the caller read (HTTP 412)."""

    def __init__(self, current: int, expected: int) -> None:
        super().__init__(
            f"the object changed since version {expected} (now at version {current}); "
            "reload it and try again"
        )
        self.current = current
        self.expected = expected


def current_version(conn: Connection, table: Table, row_id: str) -> int:
    """The row's version; NotFoundError if there is no such row."""
    found = conn.execute(
        select(table.c.ledger_index).where(table.c.id == row_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no {table.name} row {row_id!r}")
    return int(found)


def check_version(
    conn: Connection, table: Table, row_id: str | None, expected: int | None,
    *, current: int | None = None,
) -> None:
    """Raise :class:`VersionMismatchError` unless the row is at ``expected`` (None: no check)."""
    if expected is None:
        return
    now = current if current is not None else current_version(conn, table, str(row_id))
    if now != expected:
        raise VersionMismatchError(now, expected)
