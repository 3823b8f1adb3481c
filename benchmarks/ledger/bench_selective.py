"""What selective proofs cost: a batch event of N SYNTHETIC rows, committed, then one row.

    .venv/bin/python benchmarks/ledger/bench_selective.py --rows 146341

Times, in process: encoding the batch event; its committed form (``leaf_bytes``: the rows
replaced by their Merkle root, which ``ledger verify`` computes for every batch); the
writer's encoding of both from the rows in hand (``encode_batch``, what an import
pays); building the row tree once (``RowTree``); one row's proof; and checking that
proof with the offline kit (standard library only). Prints sizes too: the stored
event, the committed form, one selective proof. Everything is synthetic.
"""

from __future__ import annotations

import argparse
import json
import time

from dadkhahi.ledger.events import encode_batch, encode_event, leaf_bytes
from dadkhahi.ledger.selective import RowTree
from dadkhahi.offline import kit

T = "2024-05-01T12:00:00Z"


def main() -> None:
    """Run the benchmark and print what it measured."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=146_341)
    args = parser.parse_args()
    rows = [{"id": f"rec_{i:08d}", "cells": [str(i), f"SYNTHETIC name {i}", "Tehran", "1367"],
             "normalized": {"name": f"synthetic name {i}"}, "external_id": str(i)}
            for i in range(args.rows)]
    data = {"header": ["n", "name", "city", "year"], "records": rows}

    t0 = time.perf_counter()
    encode_event("records.imported", data, "bench", T)
    t_old = time.perf_counter() - t0
    t0 = time.perf_counter()
    body = encode_event("records.imported", data, "bench", T, batch=True)
    t_encode = time.perf_counter() - t0
    t0 = time.perf_counter()
    committed = leaf_bytes(body)
    t_commit = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, written = encode_batch("records.imported", data, "bench", T)
    t_writer = time.perf_counter() - t0
    assert written == committed
    t0 = time.perf_counter()
    tree = RowTree(body)
    t_tree = time.perf_counter() - t0
    index = args.rows // 2
    t0 = time.perf_counter()
    row = tree.proof(index)
    t_row = time.perf_counter() - t0
    inclusion = {"event": committed.decode(), "index": 0}
    proof = {"rows": [row], "fields": []}
    t0 = time.perf_counter()
    kit.check_selective(committed.decode(), proof)
    t_check = time.perf_counter() - t0
    size = len(json.dumps({"inclusion": inclusion, **proof}))
    print(f"rows: {args.rows:,}")
    print(f"encode batch event: {t_encode:.2f} s (version 1 event, same data: {t_old:.2f} s); "
          f"{len(body) / 2**20:.1f} MiB")
    print(f"committed form from the bytes (leaf_bytes, per verify): {t_commit:.2f} s; "
          f"{len(committed)} bytes")
    print(f"event and committed form from the rows in hand (encode_batch, per import): "
          f"{t_writer:.2f} s")
    print(f"row tree (once per event per bundle): {t_tree:.2f} s; one row's proof: "
          f"{t_row * 1000:.2f} ms ({len(row['path'])} hashes)")
    print(f"offline kit check of one row: {t_check * 1000:.2f} ms; selective proof "
          f"without the checkpoint: {size:,} bytes")


if __name__ == "__main__":
    main()
