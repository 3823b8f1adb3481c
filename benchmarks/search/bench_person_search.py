"""Time the one person search on a store of about 100,000 SYNTHETIC persons.

    .venv/bin/python benchmarks/search/bench_person_search.py [--people 100000] [--lists 2]
        [--queries 300] [--keep DIR]

Every person is invented by ``benchmarks/linkage/generate.py`` (names in Persian script
and several romanisations, with typos, as real lists write them). The lists are imported
as a user would; persons are made by a stand-in linker that groups records by the
generator's truth (the benchmark measures search, not linkage), or left unlinked with
``--no-link`` (each hit is then one record). Queries are names as a list wrote them (in
Persian script or a romanisation); the person's other records are often in the other
script or another spelling. Prints the index build time, p50/p95/max latency
of ``search_persons`` and recall: how often the true person is the first hit / in the
first 10.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "linkage"))

from generate import generate, write_lists

from dadkhahi.access.policy import Principal, Role
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.lists import import_list
from dadkhahi.linkage.service import run_linkage
from dadkhahi.linkage.store_io import load_records
from dadkhahi.search.persons import refresh_name_index, search_persons
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

TEAM = Principal(user_id="usr_bench", username="bench", role=Role.RESEARCHER)


def _truth_linker(store: Store, truth: dict[tuple[str, str], int]) -> Any:
    """Clusters = the generator's true persons (keyed by source and list ID)."""
    frame = load_records(store)
    where = dict(zip(frame["link_key"], zip(frame["source_id"], frame["external_id"],
                                            strict=True), strict=True))

    def link(records: pd.DataFrame, labels: Any = None, backend: str = "duckdb",
             threshold: float = 0.9, seed: int = 1) -> Any:
        empty = pd.DataFrame(columns=["record_id_l", "record_id_r", "match_probability",
                                      "match_weight"])
        # A cluster is named by one of its records (the service maps keys to records).
        keys = records["record_id"].astype(str)
        person = pd.Series([truth[(str(where[k][0]), str(where[k][1]))] for k in keys])
        first = pd.Series(keys.to_numpy()).groupby(person).transform("min")

        return SimpleNamespace(
            pairs=empty, review_candidates=empty, conflicts=empty,
            clusters=pd.DataFrame({
                "record_id": records["record_id"].astype(str).to_numpy(),
                "cluster_id": first.to_numpy(),
            }),
            model={"stand_in": "truth"}, stats={"x": 1.0})

    return link


def build(folder: Path, people: int, lists: int, link: bool,
          ) -> tuple[Store, pd.DataFrame, dict[str, str]]:
    t0 = time.perf_counter()
    df = generate(people, lists, seed=7)
    write_lists(df, folder / "lists")
    manifest = json.loads((folder / "lists" / "manifest.json").read_text("utf-8"))
    print(f"generated {len(df):,} records of {df['true_person_id'].nunique():,} persons "
          f"on {lists} lists in {time.perf_counter() - t0:.1f} s", flush=True)
    home = Home(folder / "home")
    if (folder / "home").exists():  # a store kept by --keep: reuse its imports
        store = Store.open(home)
        with store.reading() as conn:
            from sqlalchemy import select

            from dadkhahi.store import schema as s
            titles = dict(conn.execute(select(s.sources.c.title, s.sources.c.id)).all())
        source_of = {n: titles[f"{m['title']} SYNTHETIC"] for n, m in manifest["lists"].items()}
        imported = True
    else:
        store = Store.init(home, "bench.dadkhahi.local/search", "bench")
        source_of, imported = {}, False
    t0 = time.perf_counter()
    for list_name, meta in manifest["lists"].items():
        if imported:
            break
        report = import_list(
            store, folder / "lists" / meta["file"], actor="bench", id_column=meta["id_column"],
            mapping={f: h for f, h in meta["map"].items() if h},
            source=SourceSpec(title=f"{meta['title']} SYNTHETIC", kind=SourceKind.LIST,
                              sensitivity=Sensitivity.RESTRICTED))
        source_of[list_name] = report.source_id
    print(f"imported in {time.perf_counter() - t0:.1f} s", flush=True)
    truth = {(source_of[s], str(r)): int(p) for s, r, p in
             zip(df["source_id"], df["record_id"], df["true_person_id"], strict=True)}
    if link:
        t0 = time.perf_counter()
        report = run_linkage(store, "bench", linker=_truth_linker(store, truth),
                             synthetic=True)
        print(f"persons by truth: {report.persons:,} in {time.perf_counter() - t0:.1f} s",
              flush=True)
    return store, df, source_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--lists", type=int, default=2)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--keep", type=Path, help="build the store here and keep it")
    parser.add_argument("--no-link", action="store_true",
                        help="leave the records unlinked (each hit is one record; the "
                             "search's cost is the same, the store is built much faster)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-search-"))
    folder.mkdir(parents=True, exist_ok=True)
    store, df, source_of = build(folder, args.people, args.lists, not args.no_link)
    t0 = time.perf_counter()
    keyed = refresh_name_index(store)
    print(f"name index: {keyed:,} records keyed in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    again = refresh_name_index(store)
    print(f"refresh with nothing new: {again} records, "
          f"{(time.perf_counter() - t0) * 1000:.1f} ms")

    records = load_records(store)
    list_of = {v: k for k, v in source_of.items()}
    truth = {(lst, str(e)): int(pid) for lst, e, pid in
             zip(df["source_id"], df["record_id"], df["true_person_id"], strict=True)}
    true_of = {str(r): truth[(list_of[str(src)], str(e))] for r, src, e in
               zip(records["record_id"], records["source_id"], records["external_id"],
                   strict=True)}
    rng = random.Random(11)
    names = df.assign(name=df["full_name"].fillna(
        (df["given_name"].fillna("") + " " + df["family_name"].fillna("")).str.strip()))
    names = names[names["name"].str.len() > 0]
    sample = names.iloc[rng.sample(range(len(names)), min(args.queries, len(names)))]
    latencies: list[float] = []
    cpu: list[float] = []
    first = top10 = 0
    search_persons(store, TEAM, "warm up", limit=10)  # compiled statements, page cache
    for name, true_id in zip(sample["name"], sample["true_person_id"], strict=True):
        t0, c0 = time.perf_counter(), time.process_time()
        found = search_persons(store, TEAM, str(name), limit=10)
        latencies.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        # A hit is right when its records are the true person's (linked or not).
        right = [any(true_of[r.record_id] == int(true_id) for r in h.records)
                 for h in found.hits]
        first += bool(right) and right[0]
        top10 += any(right)
    ms = np.array(latencies) * 1000
    n = len(latencies)
    print(f"person search over {len(records):,} records of "
          f"{df['true_person_id'].nunique():,} persons, {n} queries "
          f"(names as the lists wrote them, Persian script and romanisations):")
    print(f"  latency p50 {np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, "
          f"max {ms.max():.1f} ms")
    cpu_ms = np.array(cpu) * 1000
    # On a shared machine the wall times are worth only as much as it is quiet; the
    # search runs in this process (SQLite too), so its CPU time is the steadier figure.
    print(f"  CPU per query p50 {np.percentile(cpu_ms, 50):.1f} ms, "
          f"p95 {np.percentile(cpu_ms, 95):.1f} ms (load average {os.getloadavg()[0]:.1f})")
    print(f"  true person first: {first / n:.1%}; in the first 10: {top10 / n:.1%}")
    print("  (recall is bounded by namesakes: the generator gives common names to many "
          "different people)")


if __name__ == "__main__":
    main()
