"""What a redaction of ledger events costs after it commits: the scrub of the tables.

    .venv/bin/python benchmarks/ledger/bench_redaction.py --events 100000 \
        --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Builds a home of --events synthetic events (``person.created``, and one act in a
hundred with a description), times the search every erasure now makes for acts raised
by revision 0004 (none here: a scan of the ledger's types), redacts two act events
(``store.redact.redact_events``, one transaction, as an erasure does) and times, on
PostgreSQL, each ``VACUUM FULL`` the scrub runs (``store.erase.REDACTED_TABLES``: the
old bodies are dead tuples until the tables are rewritten), and a full ``ledger
verify`` after it. Without --url: SQLite, where the scrub is a WAL checkpoint
(``secure_delete`` zeroed the old bytes at the update).
A database made for the run is dropped after it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, select, text, update

from dadkhahi.store import schema as s
from dadkhahi.store.erase import REDACTED_TABLES
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.redact import SOURCE_ERASED, erased_acts_in_clear, redact_events
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger


def _build(store: Store, events: int, batch: int) -> None:
    for base in range(0, events, batch):
        with store.transaction("bench") as tx:
            for i in range(base, min(events, base + batch)):
                if i % 100 == 0:
                    tx.emit("act.created", {
                        "id": f"act_{i:09d}", "type": "execution", "place_id": None,
                        "date_earliest": "1988-08-03", "date_latest": "1988-08-03",
                        "date_text": "SYNTHETIC 12 Mordad 1367",
                        "description": f"SYNTHETIC words of act {i} " * 8,
                        "sensitivity": "restricted"})
                else:
                    tx.emit("person.created", {"id": f"per_{i:09d}",
                                               "label": f"SYNTHETIC {i}",
                                               "sensitivity": "restricted", "synthetic": 1})


def _run(store: Store, events: int, batch: int) -> None:
    t0 = time.perf_counter()
    _build(store, events, batch)
    print(f"built {store.size():,} events in {time.perf_counter() - t0:.1f} s")
    e = s.ledger_events.c
    with store.reading() as conn:
        found = {int(i): str(json.loads(body)["data"]["id"]) for i, body in conn.execute(
            select(e.idx, e.body).where(e.type == "act.created").order_by(e.idx).limit(2))}
    targets = sorted(found)
    t0 = time.perf_counter()
    with store.reading() as conn:  # what every erasure adds: the search for raised acts
        erased_acts_in_clear(conn, {"no key"})
    print(f"erasure's search for acts raised by 0004 (store.redact.erased_acts_in_clear): "
          f"{(time.perf_counter() - t0) * 1e3:.0f} ms")
    t0 = time.perf_counter()
    with store.transaction("bench") as tx:
        redact_events(tx, {int(i): ["date_text", "description"] for i in targets},
                      SOURCE_ERASED)
        # The caller sets the rows a replay of the husks gives (an erased act's later
        # act.raised does it in the home; here no later version does).
        tx.conn.execute(update(s.acts).where(s.acts.c.id.in_(found.values())).values(
            date_text=None, description=None))
    print(f"redacted {len(targets)} events (one transaction): "
          f"{(time.perf_counter() - t0) * 1e3:.0f} ms")
    if store.engine.dialect.name == "sqlite":
        t0 = time.perf_counter()
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"sqlite scrub (wal_checkpoint TRUNCATE): {time.perf_counter() - t0:.2f} s")
    else:
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in REDACTED_TABLES:
                size = conn.execute(text("SELECT pg_total_relation_size(:t)"),
                                    {"t": table}).scalar_one()
                t0 = time.perf_counter()
                conn.execute(text(f"VACUUM FULL {table}"))
                print(f"VACUUM FULL {table}: {time.perf_counter() - t0:.2f} s "
                      f"({size / 2**20:.1f} MiB with indexes and TOAST before)")
    t0 = time.perf_counter()
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
    print(f"ledger verify of {report.size:,} events: {time.perf_counter() - t0:.1f} s -> "
          f"{'OK' if report.ok else report.findings[:3]}")


@contextmanager
def scratch_home(url: str | None, what: str) -> Iterator[Home]:
    """A new home in a temporary directory; with ``url`` (a PostgreSQL server), on a
    database made for the run and dropped after it (``benchmarks/ledger`` share it)."""
    root = Path(tempfile.mkdtemp(prefix=f"dadkhahi-bench-{what}-"))
    admin, name = None, ""
    if url:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        name = f"dadkhahi_bench_{what}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        os.environ[ENV_DATABASE_URL] = make_url(url).set(database=name).render_as_string(
            hide_password=False)
    try:
        yield Home(root / "home")
    finally:
        if admin is not None:
            with admin.connect() as conn:
                # A disposed engine's backends may still be exiting (DROP refused them).
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                  " WHERE datname = :n"), {"n": name})
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--url", default=None, help="PostgreSQL server URL (a database "
                        "is made on it for the run and dropped after)")
    args = parser.parse_args()
    with scratch_home(args.url, "redact") as home:
        store = Store.init(home, "bench.dadkhahi.local/ledger", "bench")
        try:
            _run(store, args.events, args.batch)
        finally:
            store.engine.dispose()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"CPU {usage.ru_utime + usage.ru_stime:.1f} s, max RSS {usage.ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
