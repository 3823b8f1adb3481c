"""Benchmark the ledger's Merkle core on one million synthetic leaves, in memory.

Run: .venv/bin/python benchmarks/ledger/bench_merkle.py [--leaves N] [--batch B]

Measures, with MemoryNodes as the node store:
- appending N leaf hashes in batches of B (nodes_for_append alone, and storing the nodes);
- inclusion proofs at size N: median and p99 over 1,000 random indices, plus verification;
- consistency proofs from 1,000 random old sizes to N, plus verification;
- compute_root streaming over all N leaf hashes.
Leaves are hashes of the integers 0..N-1 (synthetic; no real data).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from collections.abc import Collection, Mapping

from dadkhahi.ledger.merkle import (
    MemoryNodes,
    NodeKey,
    compute_root,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    nodes_for_append,
    root,
    verify_consistency,
    verify_inclusion,
)


class CountingNodes:
    """Counts batched reads and keys, to report what a SQL store would be asked for."""

    def __init__(self, inner: MemoryNodes) -> None:
        self.inner = inner
        self.calls = 0
        self.keys = 0

    def get_nodes(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        self.calls += 1
        self.keys += len(keys)
        return self.inner.get_nodes(keys)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:8.1f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    args = parser.parse_args()
    n, batch, queries = args.leaves, args.batch, args.queries
    rng = random.Random(1988)
    print(f"Python {platform.python_version()} on {platform.machine()}; N={n:,}, batch={batch:,}")

    start = time.perf_counter()
    leaves = [leaf_hash(i.to_bytes(8, "big")) for i in range(n)]
    print(f"leaf hashing of {n:,} synthetic leaves: {time.perf_counter() - start:6.2f} s")

    store = MemoryNodes()
    append_s = store_s = 0.0
    created = 0
    for size in range(0, n, batch):
        chunk = leaves[size : size + batch]
        t0 = time.perf_counter()
        nodes = nodes_for_append(size, chunk, store)
        t1 = time.perf_counter()
        store.add(nodes)
        store_s += time.perf_counter() - t1
        append_s += t1 - t0
        created += len(nodes)
    print(
        f"nodes_for_append, {n:,} leaves in batches of {batch:,}: {append_s:6.2f} s "
        f"({created:,} nodes, {created / n:.3f} per leaf, {append_s / n * 1e6:.2f} µs per leaf)"
    )
    print(f"MemoryNodes.add of those nodes:          {store_s:6.2f} s")

    start = time.perf_counter()
    head = root(n, store)
    print(f"root({n:,}) from the frontier:          {_us(time.perf_counter() - start)}")

    counter = CountingNodes(store)
    proof_times: list[float] = []
    verify_times: list[float] = []
    lengths = 0
    for _ in range(queries):
        index = rng.randrange(n)
        t0 = time.perf_counter()
        proof = inclusion_proof(index, n, counter)
        t1 = time.perf_counter()
        ok = verify_inclusion(leaves[index], index, n, proof, head)
        t2 = time.perf_counter()
        assert ok, f"inclusion proof for {index} failed to verify"
        proof_times.append(t1 - t0)
        verify_times.append(t2 - t1)
        lengths += len(proof)
    print(
        f"inclusion_proof at size {n:,} over {queries:,} indices: "
        f"median {_us(statistics.median(proof_times))}, p99 {_us(_percentile(proof_times, 0.99))} "
        f"({lengths / queries:.1f} hashes; {counter.calls / queries:.0f} read of "
        f"{counter.keys / counter.calls:.1f} keys each)"
    )
    print(
        f"verify_inclusion:                       median {_us(statistics.median(verify_times))}, "
        f"p99 {_us(_percentile(verify_times, 0.99))}"
    )

    counter = CountingNodes(store)
    proof_times, verify_times = [], []
    for _ in range(queries):
        old = rng.randrange(1, n)
        old_root = root(old, store)
        t0 = time.perf_counter()
        proof = consistency_proof(old, n, counter)
        t1 = time.perf_counter()
        ok = verify_consistency(old, n, old_root, head, proof)
        t2 = time.perf_counter()
        assert ok, f"consistency proof from {old} failed to verify"
        proof_times.append(t1 - t0)
        verify_times.append(t2 - t1)
    print(
        f"consistency_proof from {queries:,} random old sizes to {n:,}: "
        f"median {_us(statistics.median(proof_times))}, p99 {_us(_percentile(proof_times, 0.99))} "
        f"({counter.calls / queries:.0f} read of {counter.keys / counter.calls:.1f} keys each)"
    )
    print(
        f"verify_consistency:                     median {_us(statistics.median(verify_times))}, "
        f"p99 {_us(_percentile(verify_times, 0.99))}"
    )

    start = time.perf_counter()
    size, streamed = compute_root(iter(leaves))
    elapsed = time.perf_counter() - start
    assert (size, streamed) == (n, head), "compute_root disagrees with root()"
    print(f"compute_root streaming {n:,} leaf hashes:  {elapsed:6.2f} s (matches root())")


if __name__ == "__main__":
    main()
