"""Short reads on PostgreSQL run in a few worker threads, on as many kept connections."""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio
import pytest
from sqlalchemy import event
from sqlalchemy.pool import Pool

from dadkhahi.access import reads
from dadkhahi.access.policy import ANONYMOUS
from dadkhahi.http.requests import run_read
from dadkhahi.store.db import KEY_READ_SPARE, KEY_READ_THREADS
from dadkhahi.store.store import Store


def test_many_reads_at_once_open_no_more_connections_than_their_threads_on_postgresql(
        store: Store) -> None:
    """Issue 11 (stop 26): the reads ran in any of 40 worker threads, on a pool of 5
    connections kept and 10 more opened and closed on demand, so under load PostgreSQL's
    server processes came and went, each new one planning its statements anew. Forty
    reads at once now run at most KEY_READ_THREADS at a time, on as many connections,
    and none is closed when it is handed back, nor when reads by key from other threads
    (a write reading back what it made) come at the same time."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's connections")
    opened: list[Any] = []
    closed: list[Any] = []
    running, peak = [0], [0]
    lock = threading.Lock()

    def read() -> reads.Page:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.05)  # long enough for every thread allowed to be running at once
            page, _ = reads.read_page(store, ANONYMOUS, reads.RESOURCES["sources"],
                                      reads.PageQuery(limit=1))
            return page
        finally:
            with lock:
                running[0] -= 1

    def other() -> None:
        time.sleep(0.05)
        reads.read_page(store, ANONYMOUS, reads.RESOURCES["sources"], reads.PageQuery(limit=1))

    async def many() -> None:
        async with anyio.create_task_group() as tasks:
            for _ in range(40):
                tasks.start_soon(run_read, store, read)
            for _ in range(KEY_READ_SPARE):
                tasks.start_soon(anyio.to_thread.run_sync, other)

    def on_connect(*_: Any) -> None:
        opened.append(1)

    def on_close(*_: Any) -> None:
        closed.append(1)

    event.listen(Pool, "connect", on_connect)
    event.listen(Pool, "close", on_close)
    try:
        anyio.run(many)
    finally:
        event.remove(Pool, "connect", on_connect)
        event.remove(Pool, "close", on_close)
    assert peak[0] == KEY_READ_THREADS
    assert len(opened) <= KEY_READ_THREADS + KEY_READ_SPARE and closed == []
