"""What one API read costs below the HTTP layer, and what a garbage-collector pass costs.

Stores ``--records`` SYNTHETIC records (as ``bench_load.py`` does), then times, in
one process and one thread: an empty read transaction, resolving a session token,
reading one record, and reading a page of 20 records of one source (median of
``--repeat`` calls each). It then builds the API app over the same store and times
a full garbage collection, before and after ``api.server.served`` freezes the
start-up objects.

    .venv/bin/python benchmarks/api/bench_read_path.py
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_load import PASSWORD, populate

from dadkhahi.access import reads, sessions, users
from dadkhahi.api import create_app
from dadkhahi.api.server import served
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


def median_us(call: Callable[[], object], repeat: int) -> float:
    """Median wall time of one call, in microseconds."""
    call()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dadkhahi-bench-"))
    try:
        home = Home(tmp / "home")
        store = Store.init(home, "bench.dadkhahi.local/read-path", "bench")
        ids = populate(store, args.records, 1)
        principal = users.authenticate(store, "bench", PASSWORD)
        assert principal is not None
        token = sessions.open_session(store, principal, None)
        rng = random.Random(7)
        records = reads.RESOURCES["records"]
        page = reads.PageQuery(filters={"source_id": ids["sources"][0]}, limit=20)

        def empty() -> None:
            with store.reading():
                pass

        def resolve() -> None:
            with store.reading() as conn:
                sessions.resolve(conn, token)

        steps: dict[str, Callable[[], object]] = {
            "empty read transaction": empty,
            "resolve a session token": resolve,
            "read one record": lambda: reads.read_object(
                store, principal, records, rng.choice(ids["records"])),
            "read a page of 20 records": lambda: reads.read_page(
                store, principal, records, page),
        }
        print(f"SYNTHETIC store of {args.records:,} records; median of {args.repeat} calls")
        for name, call in steps.items():
            print(f"{name:28} {median_us(call, args.repeat):8.0f} µs")
        store.engine.dispose()

        app = create_app(home)
        gc.collect()
        tracked = len(gc.get_objects())
        t0 = time.perf_counter()
        gc.collect()
        before = time.perf_counter() - t0
        served(app)
        t0 = time.perf_counter()
        gc.collect()
        after = time.perf_counter() - t0
        print(f"full garbage collection with the app built ({tracked:,} tracked objects): "
              f"{before * 1000:.1f} ms; after served() froze them: {after * 1000:.1f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
