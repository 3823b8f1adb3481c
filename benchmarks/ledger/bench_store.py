"""Ledger on the embedded store: batched append rate, proof latency, full verification.

    .venv/bin/python benchmarks/ledger/bench_store.py --events 1000000

Appends synthetic ``person.created`` events in transactions of --batch events
on SQLite, then times inclusion and consistency proofs served from the stored
subtree hashes, then a full ``verify_ledger`` (leaf hashes, every tree node,
signatures, and a replay compared row by row with the tables).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from dadkhahi.ledger import merkle
from dadkhahi.store import ledger_log
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--proofs", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="dadkhahi-bench-"))
    store = Store.init(Home(root / "home"), "bench.dadkhahi.local/ledger", "bench")

    start = time.perf_counter()
    for base in range(0, args.events, args.batch):
        with store.transaction("bench") as tx:
            for i in range(base, min(args.events, base + args.batch)):
                tx.emit("person.created", {"id": f"per_{i:09d}", "label": f"SYNTHETIC {i}",
                                           "sensitivity": "restricted", "synthetic": 1})
    append_s = time.perf_counter() - start
    store.checkpoint()
    print(f"append: {args.events:,} events in {append_s:.1f} s = "
          f"{args.events / append_s:,.0f} events/s (transactions of {args.batch:,})")

    with store.reading() as conn:
        size, _ = ledger_log.head(conn)
        root_hash = ledger_log.root(conn, size)
        rng = random.Random(1)
        times = []
        for _ in range(args.proofs):
            idx = rng.randrange(size)
            t0 = time.perf_counter()
            proof = ledger_log.inclusion_proof(conn, idx, size)
            leaf = ledger_log.get_event(conn, idx).leaf_hash
            times.append(time.perf_counter() - t0)
            assert merkle.verify_inclusion(leaf, idx, size, proof, root_hash)
        ctimes = []
        for _ in range(args.proofs // 10):
            old = rng.randrange(1, size)
            t0 = time.perf_counter()
            ledger_log.consistency_proof(conn, old, size)
            ctimes.append(time.perf_counter() - t0)
    times.sort()
    print(f"inclusion proof at size {size:,} (incl. fetching the leaf): median "
          f"{statistics.median(times) * 1e3:.2f} ms, "
          f"p99 {times[int(len(times) * .99)] * 1e3:.2f} ms")
    print(f"consistency proof: median {statistics.median(ctimes) * 1e3:.2f} ms")

    t0 = time.perf_counter()
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
    verify_s = time.perf_counter() - t0
    print(f"full verify of {report.size:,} events: {verify_s:.1f} s "
          f"({report.rows_compared:,} rows replayed and compared) -> "
          f"{'OK' if report.ok else report.findings[:3]}")


if __name__ == "__main__":
    main()
