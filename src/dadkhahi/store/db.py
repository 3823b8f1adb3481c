"""Engines and transactions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

#: SQLite's ``synchronous`` level. FULL: in WAL mode every commit syncs the WAL, so a
#: transaction reported committed (an item taken in, an event the user was shown)
#: survives a power cut, not only a killed process; NORMAL syncs only at checkpoints
#: and a power cut may lose the last commits (the database stays consistent). The
#: ledger is evidence: FULL. Its cost is measured by benchmarks/ledger/bench_synchronous.py.
SQLITE_SYNCHRONOUS = "FULL"
#: Seconds a pooled PostgreSQL connection may sit unused before it is pinged on its next
#: checkout (see :func:`_ping_when_idle`).
PING_AFTER_IDLE = 10.0
#: Worker threads that run the HTTP faces' reads by key on PostgreSQL
#: (:func:`dadkhahi.http.requests.run_read`), and the connections the engine of those
#: reads keeps open (:func:`make_key_read_engine`): one per thread, so none is opened or
#: closed under load. They shared the 40 threads of every worker-thread task with a pool
#: of 5 connections kept and 10 more opened and closed on demand: 15 server processes
#: came or went in a 3 s run, each new one planning its statements anew (issue 11). On
#: a small server more threads would not read faster: the reads wait for its cores.
KEY_READ_THREADS = 8
#: Connections the engine of reads by key keeps beyond :data:`KEY_READ_THREADS`, for the
#: reads by key made in other threads: a write reads back what it made (a POST's answer),
#: a page of the workspace reads an object. Under wrk with 5 writers, without them 16
#: server processes started in a 10 s run of reads and writes (the writers' reads took
#: connections beyond the readers' 8, opened and closed); with 4 more kept, none.
KEY_READ_SPARE = 4


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and explicit write locking."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})
        _tune_sqlite(engine)
        return engine
    engine = create_engine(url)
    _ping_when_idle(engine)
    return engine


def make_key_read_engine(url: str) -> Engine:
    """The engine of the reads by key on PostgreSQL (``Store.reading(by_key=True)``).

    A read by key (a session, one object by ID, a page in ID order along an index that
    ends in the ID) takes the same path through the same index whatever values are
    bound, so a plan made without them is the plan made with them. Left to choose,
    PostgreSQL planned the page of a source's records anew at every run (a custom plan:
    planning 1.7-6.9 ms against 0.5 ms of execution, issue 11); with
    ``plan_cache_mode = force_generic_plan`` a statement psycopg has prepared (after
    its 5th run on a connection) is planned once per connection. Searches, counts,
    other orders and filters keep the main engine, where the values bound choose the
    plan. The pool keeps :data:`KEY_READ_THREADS` + :data:`KEY_READ_SPARE` connections,
    and hands back the one returned last, whose prepared statements are the warmest.
    """
    options = make_url(url).query.get("options", "")
    if isinstance(options, tuple):
        options = " ".join(options)
    engine = create_engine(
        url, pool_size=KEY_READ_THREADS + KEY_READ_SPARE, pool_use_lifo=True,
        connect_args={"options": f"{options} -c plan_cache_mode=force_generic_plan".strip()})
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has sat idle a while.

    ``pool_pre_ping`` pings on every checkout: one more round trip to the server per
    request (two with the session lookup), each a switch to PostgreSQL's process, which
    on a busy machine waits for a core (issue 11: a page of 20 records took 8.5-13 ms
    through the API against 1.1 ms in the database). What a ping guards against, a
    server restarted or a connection cut by a firewall, strikes connections left idle;
    one in steady use meets it at most once, and SQLAlchemy then drops every pooled
    connection opened before (its disconnect handling), so later requests reconnect.
    A ping that fails discards the connection and the pool opens another.
    """
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return  # new, or used moments ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("a pooled connection no longer answers") from exc


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction starts, so
        # that writers can take the write lock up front with BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cur.execute("PRAGMA foreign_keys=ON")
        # Deleted content (a destroyed data key above all) is overwritten with zeros,
        # not left in free pages for anyone with a copy of the file (store.erase).
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        # Straight to the driver: every read pays for this, and SQLAlchemy's statement
        # path (events, result set-up) costs several times the BEGIN itself.
        conn.connection.driver_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded backend."""
    return engine.dialect.name == "sqlite"


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the database's write lock from its first statement.

    SQLite: BEGIN IMMEDIATE, so two writers never interleave their ledger appends.
    PostgreSQL: the ledger head row is locked by the caller (SELECT … FOR UPDATE).
    """
    if not is_sqlite(engine):
        with engine.connect() as conn, conn.begin():
            yield conn
        return
    # Writers of this process queue on a lock first: SQLite makes a writer that finds
    # the lock taken sleep and retry with growing pauses (up to 100 ms), so under
    # concurrent writes most of a write's latency was sleeping after the lock was free.
    # Other processes sharing the file still meet the busy timeout.
    with _writer_lock(engine), engine.connect() as conn, \
            conn.execution_options(sqlite_begin="IMMEDIATE").begin():
        yield conn


_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_LOCKS_LOCK = threading.Lock()


def _writer_lock(engine: Engine) -> threading.RLock:
    with _LOCKS_LOCK:
        lock = _WRITER_LOCKS.get(engine)
        if lock is None:
            lock = _WRITER_LOCKS[engine] = threading.RLock()
        return lock


@contextmanager
def read_connection(engine: Engine, one_statement: bool = False) -> Iterator[Connection]:
    """A read-only view of one consistent snapshot.

    ``one_statement``: the caller runs a single statement, which sees one snapshot by
    itself, and at most looks up after it what that statement named by ID (the data
    keys of sealed rows). On PostgreSQL it then runs without BEGIN and COMMIT, two of
    the three round trips to the server (each a switch to its process, which on a busy
    machine waits for a core); SQLite's BEGIN costs microseconds in process and stays.
    """
    if one_statement and not is_sqlite(engine):
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn
        return
    with engine.connect() as conn:
        if not is_sqlite(engine):
            # PostgreSQL's default, READ COMMITTED, gives each statement its own snapshot,
            # so a page and its count could disagree; REPEATABLE READ holds one snapshot
            # for the transaction (a transaction that only reads never fails to serialise).
            # psycopg sends the level in the BEGIN itself: no extra round trip.
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


class DatabaseReader:
    """Reads of a home's database without its store: no key ring, no migration check, no
    walk of the home's files. For a look-up the command line makes before it opens the
    store (``evidence add --source``: the source's sensitivity, so that copying its files
    can start while the store opens). Close it when done."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only view of one consistent snapshot (:func:`read_connection`)."""
        with read_connection(self.engine) as conn:
            yield conn

    def close(self) -> None:
        """Let go of the database's connections."""
        self.engine.dispose()
