"""The database's own files as an attacker copying the disk reads them (one helper for
every grep attack on the store): SQLite's file and WAL; PostgreSQL's relation files of the
store's database, after a checkpoint so every write has reached them, and optionally the
server's WAL (which erasure cannot reach, as ``store.erase`` says)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from dadkhahi.store.store import Store


def database_files(store: Store, *, server_wal: bool = False) -> bytes:
    """Every byte of the store's database files (skips if PostgreSQL's are not readable)."""
    if store.engine.dialect.name == "sqlite":
        store.engine.dispose()
        return b"".join(p.read_bytes() for p in store.home.path.glob("dadkhahi.sqlite*"))
    with store.engine.connect() as conn:
        conn.execute(text("CHECKPOINT"))
        data = Path(str(conn.execute(text("SHOW data_directory")).scalar()))
        oid = conn.execute(
            text("SELECT oid FROM pg_database WHERE datname = current_database()")
        ).scalar()
    store.engine.dispose()
    if not os.access(data / "base", os.R_OK):
        pytest.skip("PostgreSQL's data directory is not readable here (not root)")
    for _ in range(5):
        files = [*(data / "base" / str(oid)).rglob("*")]
        if server_wal:
            files += (data / "pg_wal").glob("0*")
        try:
            return b"".join(p.read_bytes() for p in files if p.is_file())
        except FileNotFoundError:
            # A checkpoint of another session's (the other test worker's CHECKPOINT or
            # DROP DATABASE) recycled a WAL segment or removed a dropped relation's
            # file between the listing and the read: list them again.
            continue
    raise AssertionError("the database's files kept changing while being read")
