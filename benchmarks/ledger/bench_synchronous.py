"""What SQLite's ``synchronous=FULL`` costs the ledger, against NORMAL.

Two workloads on a fresh SQLite store, once per level: many small transactions (one
custody-sized event each, as an intake of small files or an audited read writes) and a
few large ones (5,000 events each, as a list import writes). Prints commits per second,
median and p95 commit latency of the small ones and events per second of the large
ones (what is synced is checked by tests/intake/test_intake_durability.py).

    .venv/bin/python benchmarks/ledger/bench_synchronous.py --small 300 --large 4
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from dadkhahi.store import db
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


def run(level: str, small: int, large: int, folder: Path) -> dict[str, float]:
    db.SQLITE_SYNCHRONOUS = level
    store = Store.init(Home(folder / level), "bench.dadkhahi.local/sync", "bench")
    small_s: list[float] = []
    for i in range(small):
        started = time.perf_counter()
        with store.transaction("bench") as tx:
            tx.emit("person.created", {"id": f"person_s{i:08d}", "label": "SYNTHETIC",
                                       "sensitivity": "public", "synthetic": 1})
        small_s.append(time.perf_counter() - started)
    large_s: list[float] = []
    for j in range(large):
        started = time.perf_counter()
        with store.transaction("bench") as tx:
            for i in range(5000):
                tx.emit("person.created", {"id": f"person_l{j:03d}{i:06d}",
                                           "label": "SYNTHETIC", "sensitivity": "public",
                                           "synthetic": 1})
        large_s.append(time.perf_counter() - started)
    store.engine.dispose()
    small_s.sort()
    return {
        "small_per_s": small / sum(small_s),
        "small_median_ms": statistics.median(small_s) * 1000,
        "small_p95_ms": small_s[int(0.95 * (len(small_s) - 1))] * 1000,
        "large_events_per_s": 5000 * large / sum(large_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=300, help="one-event transactions")
    parser.add_argument("--large", type=int, default=4, help="5,000-event transactions")
    parser.add_argument("--dir", type=Path, default=None,
                        help="folder on the disk to measure (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        results = {level: run(level, args.small, args.large, Path(tmp))
                   for level in ("NORMAL", "FULL")}
    print(f"SQLite synchronous levels, {args.small} one-event and {args.large} "
          "5,000-event transactions each (WAL mode)")
    print(f"{'level':8} {'small tx/s':>11} {'median ms':>10} {'p95 ms':>8} {'large ev/s':>11}")
    for level, r in results.items():
        print(f"{level:8} {r['small_per_s']:11.1f} {r['small_median_ms']:10.2f} "
              f"{r['small_p95_ms']:8.2f} {r['large_events_per_s']:11.0f}")
    n, f = results["NORMAL"], results["FULL"]
    print(f"FULL / NORMAL: small commits {f['small_per_s'] / n['small_per_s']:.2f}x the rate, "
          f"large transactions {f['large_events_per_s'] / n['large_events_per_s']:.2f}x")


if __name__ == "__main__":
    main()
