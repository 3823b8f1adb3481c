"""Read connections: a one-statement read opens no transaction on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import event, select

from dadkhahi.store import schema as s
from dadkhahi.store.store import Store


def test_a_one_statement_read_sends_no_begin_or_commit_to_postgresql(store: Store) -> None:
    sent: list[str] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *a: sent.append(statement.split()[0].upper()))
    with store.reading(one_statement=True) as conn:
        size = conn.execute(select(s.ledger_head.c.size)).scalar_one()
        if store.engine.dialect.name == "postgresql":
            # No transaction is open on the server: the statement was its own snapshot.
            status = conn.connection.driver_connection.info.transaction_status  # type: ignore[union-attr]
            assert status.name == "IDLE"
    assert size >= 1 and sent == ["SELECT"]
    # A snapshot of several statements still runs in one transaction.
    with store.reading() as conn:
        conn.execute(select(s.ledger_head.c.size)).scalar_one()
        if store.engine.dialect.name == "postgresql":
            status = conn.connection.driver_connection.info.transaction_status  # type: ignore[union-attr]
            assert status.name == "INTRANS"
