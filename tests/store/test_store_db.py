"""Read connections: a one-statement read opens no transaction on PostgreSQL; a pooled
connection is pinged only after sitting idle."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, select, text

from dadkhahi.store import db
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


def test_a_pooled_postgresql_connection_is_pinged_only_after_sitting_idle(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: a ping on every checkout was one more round trip per read (two per API
    request). A connection in use is not pinged; one left idle is, and one that died
    while idle (a restart, a firewall) is replaced before the read, which succeeds."""
    engine = db.make_engine(pg_url)
    pings: list[object] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    clock = [1000.0]
    monkeypatch.setattr(db.time, "monotonic", lambda: clock[0])
    try:
        for _ in range(3):
            with db.read_connection(engine) as conn:
                pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            clock[0] += db.PING_AFTER_IDLE / 2
        assert pings == []
        # Idle long enough: pinged first. Its server process ended meanwhile: a new one.
        with create_engine(pg_url).connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        clock[0] += db.PING_AFTER_IDLE
        with db.read_connection(engine) as conn:
            again = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert len(pings) == 1 and again != pid
    finally:
        engine.dispose()


def test_a_read_of_several_statements_sees_one_snapshot(store: Store) -> None:
    """What ``reading()`` promises: a write committed between two statements of one read
    is not seen by the second (on PostgreSQL, READ COMMITTED would show it)."""
    with store.engine.begin() as setup:
        setup.execute(text("CREATE TABLE snapshot_probe (x INTEGER)"))
    with store.reading() as conn:
        assert conn.execute(text("SELECT count(*) FROM snapshot_probe")).scalar_one() == 0
        with store.engine.begin() as writer:
            writer.execute(text("INSERT INTO snapshot_probe VALUES (1)"))
        assert conn.execute(text("SELECT count(*) FROM snapshot_probe")).scalar_one() == 0
    with store.reading() as conn:
        assert conn.execute(text("SELECT count(*) FROM snapshot_probe")).scalar_one() == 1
