"""What ``Store.open`` costs with no scrub due (the ``scrub_due`` look-up every open now
makes) and with one left by an erasure whose scrub did not run.

    .venv/bin/python benchmarks/ledger/bench_open_scrub.py --events 20000 --opens 30 \
        [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Builds a home of --events synthetic ``person.created`` events and one sealed key, then
times --opens opens with no mark (median, the engine disposed after each, as a command
does), destroys the key in a transaction and redacts one event without scrubbing (the
process died after the commit), and times the open that finds the marks and scrubs
(PostgreSQL: ``VACUUM FULL`` of ``store.erase.REDACTED_TABLES``; SQLite: the WAL
checkpoint), then one more open with no mark. Without --url: SQLite. A database made for
the run is dropped after it.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

from bench_redaction import scratch_home  # run as a script: its folder is on the path

from dadkhahi.store.erase import destroy_keys, scrubs_due
from dadkhahi.store.home import Home
from dadkhahi.store.redact import SOURCE_ERASED, redact_events
from dadkhahi.store.store import Store, utc_now


def _closed(store: Store) -> None:
    store.engine.dispose()
    store.key_engine.dispose()


def _open_ms(home: Home) -> float:
    t0 = time.perf_counter()
    store = Store.open(home)
    took = (time.perf_counter() - t0) * 1e3
    _closed(store)
    return took


def _run(home: Home, events: int, opens: int) -> None:
    store = Store.init(home, "bench.dadkhahi.local/ledger", "bench")
    for base in range(0, events, 10_000):
        with store.transaction("bench") as tx:
            for i in range(base, min(events, base + 10_000)):
                tx.emit("person.created", {"id": f"per_{i:09d}", "label": f"SYNTHETIC {i}",
                                           "sensitivity": "restricted", "synthetic": 1})
    with store.transaction("bench") as tx:
        sealed = store.keys.seal(tx.conn, {"name": "SYNTHETIC witness"}, "per_w", utc_now())
    _closed(store)
    times = [_open_ms(home) for _ in range(opens)]
    print(f"{store.size():,} events; open with no scrub due: median "
          f"{statistics.median(times):.1f} ms (min {min(times):.1f}, {opens} opens)")
    store = Store.open(home)
    with store.transaction("bench") as tx:
        destroy_keys(tx, [sealed["key_id"]], "SYNTHETIC witness asked")
        redact_events(tx, {5: ["label"]}, SOURCE_ERASED)
    with store.reading() as conn:
        print(f"marks left (no scrub ran): {len(scrubs_due(conn))}")
    _closed(store)
    print(f"open with a scrub due (keys and a redaction): {_open_ms(home):.1f} ms")
    store = Store.open(home)
    with store.reading() as conn:
        print(f"marks left after it: {len(scrubs_due(conn))}")
    _closed(store)
    times = [_open_ms(home) for _ in range(opens)]
    print(f"open after it, no scrub due: median {statistics.median(times):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--opens", type=int, default=30)
    parser.add_argument("--url", default=None, help="PostgreSQL server URL (a database "
                        "is made on it for the run and dropped after)")
    args = parser.parse_args()
    with scratch_home(args.url, "open") as home:
        _run(home, args.events, args.opens)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"CPU {usage.ru_utime + usage.ru_stime:.1f} s, max RSS {usage.ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
