"""Time the one person search on a store of about 100,000 SYNTHETIC persons.

    .venv/bin/python benchmarks/search/bench_person_search.py [--people 100000] [--lists 2]
        [--queries 300] [--keep DIR]

Every person is invented by ``benchmarks/linkage/generate.py`` (names in Persian script
and several romanisations, with typos, as real lists write them). The lists are imported
as a user would; persons are made by a stand-in linker that groups records by the
generator's truth (the benchmark measures search, not linkage). Queries are names as one
list wrote them, asked in the *other* script where the person is on a list of the other
script, so most queries cross scripts. Prints the index build time, p50/p95/max latency
of ``search_persons`` and recall: how often the true person is the first hit / in the
first 10.
"""

from __future__ import annotations

import argparse
import json
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


def _truth_linker(truth: dict[tuple[str, str], int]) -> Any:
    """Clusters = the generator's true persons (keyed by list title and list ID)."""

    def link(records: pd.DataFrame, labels: Any = None, backend: str = "duckdb",
             threshold: float = 0.9, seed: int = 1) -> Any:
        empty = pd.DataFrame(columns=["record_id_l", "record_id_r", "match_probability",
                                      "match_weight"])

        return SimpleNamespace(
            pairs=empty, review_candidates=empty, conflicts=empty,
            clusters=pd.DataFrame({
                "record_id": records["record_id"].astype(str).to_numpy(),
                "cluster_id": [f"p{truth[(s, str(e))]}" for s, e in
                               zip(records["source_id"], records["external_id"], strict=True)],
            }),
            model={"stand_in": "truth"}, stats={"x": 1.0})

    return link


def build(folder: Path, people: int, lists: int) -> tuple[Store, pd.DataFrame, dict[str, str]]:
    t0 = time.perf_counter()
    df = generate(people, lists, seed=7)
    write_lists(df, folder / "lists")
    manifest = json.loads((folder / "lists" / "manifest.json").read_text("utf-8"))
    print(f"generated {len(df):,} records of {df['true_person_id'].nunique():,} persons "
          f"on {lists} lists in {time.perf_counter() - t0:.1f} s", flush=True)
    store = Store.init(Home(folder / "home"), "bench.dadkhahi.local/search", "bench")
    source_of: dict[str, str] = {}
    t0 = time.perf_counter()
    for list_name, meta in manifest["lists"].items():
        report = import_list(
            store, folder / "lists" / meta["file"], actor="bench", id_column=meta["id_column"],
            mapping={f: h for f, h in meta["map"].items() if h},
            source=SourceSpec(title=f"{meta['title']} SYNTHETIC", kind=SourceKind.LIST,
                              sensitivity=Sensitivity.RESTRICTED))
        source_of[list_name] = report.source_id
    print(f"imported in {time.perf_counter() - t0:.1f} s", flush=True)
    truth = {(source_of[s], str(r)): int(p) for s, r, p in
             zip(df["source_id"], df["record_id"], df["true_person_id"], strict=True)}
    t0 = time.perf_counter()
    report = run_linkage(store, "bench", linker=_truth_linker(truth), synthetic=True)
    print(f"persons by truth: {report.persons:,} in {time.perf_counter() - t0:.1f} s",
          flush=True)
    return store, df, source_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--lists", type=int, default=2)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--keep", type=Path, help="build the store here and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-search-"))
    folder.mkdir(parents=True, exist_ok=True)
    store, df, source_of = build(folder, args.people, args.lists)
    t0 = time.perf_counter()
    keyed = refresh_name_index(store)
    print(f"name index: {keyed:,} records keyed in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    again = refresh_name_index(store)
    print(f"refresh with nothing new: {again} records, "
          f"{(time.perf_counter() - t0) * 1000:.1f} ms")

    records = load_records(store)
    person = dict(zip(records["record_id"], records.get("person_id", pd.Series(dtype=str)),
                      strict=False))
    with store.reading() as conn:
        from sqlalchemy import select

        from dadkhahi.store import schema as s
        person = dict(conn.execute(select(s.person_records.c.record_id,
                                          s.person_records.c.person_id)).all())
    by_true: dict[int, list[str]] = {}
    list_of = {v: k for k, v in source_of.items()}
    rec = records.assign(list=records["source_id"].map(list_of))
    truth = {(lst, str(e)): pid for lst, e, pid in
             zip(df["source_id"], df["record_id"], df["true_person_id"], strict=True)}
    rec["true"] = [truth[(lst, str(e))] for lst, e in zip(rec["list"], rec["external_id"],
                                                           strict=True)]
    for true_id, record_id in zip(rec["true"], rec["record_id"], strict=True):
        by_true.setdefault(int(true_id), []).append(str(record_id))
    rng = random.Random(11)
    names = df.assign(name=df["full_name"].fillna(
        (df["given_name"].fillna("") + " " + df["family_name"].fillna("")).str.strip()))
    names = names[names["name"].str.len() > 0]
    sample = names.iloc[rng.sample(range(len(names)), min(args.queries, len(names)))]
    latencies: list[float] = []
    first = top10 = 0
    for name, true_id in zip(sample["name"], sample["true_person_id"], strict=True):
        t0 = time.perf_counter()
        found = search_persons(store, TEAM, str(name), limit=10)
        latencies.append(time.perf_counter() - t0)
        wanted = {person.get(r) for r in by_true[int(true_id)]}
        ids = [h.person_id for h in found.hits]
        first += bool(ids) and ids[0] in wanted
        top10 += any(i in wanted for i in ids)
    ms = np.array(latencies) * 1000
    n = len(latencies)
    print(f"persons search over {len(person):,} linked records, {n} queries "
          f"(names as the lists wrote them, every script):")
    print(f"  latency p50 {np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, "
          f"max {ms.max():.1f} ms")
    print(f"  true person first: {first / n:.1%}; in the first 10: {top10 / n:.1%}")
    print("  (recall is bounded by namesakes: the generator gives common names to many "
          "different people)")


if __name__ == "__main__":
    main()
