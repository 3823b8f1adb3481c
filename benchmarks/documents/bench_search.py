"""Time full-text search on SQLite and PostgreSQL over SYNTHETIC documents.

    .venv/bin/python benchmarks/documents/bench_search.py [--docs 5000] [--words 2000]
        [--queries 50] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench]
        [--no-sqlite] [--explain]

The database named by ``--database-url`` is emptied first (its ``public`` schema dropped):
give it a database of its own, never a shared one.

Documents are drawn from a seeded Zipf-distributed vocabulary of invented Persian and
Latin words (no real text), stored as items of one public source, and indexed by
``dadkhahi.search.index.index_pages`` exactly as the extraction job does. Queries are
rare words (drawn from the vocabulary's tail), common words (its head) and two-word
phrases taken from the documents; each is run through ``search.engine.search`` as a
signed-in researcher (the visibility filter applied) for the top 20 hits. Prints the
index build time and p50/p95/max latency per query class and backend, and checks the two
backends return the same set of hits for every query (with a limit above the hit count).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from dadkhahi.access.policy import Principal, Role
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import Receipt, add_item
from dadkhahi.intake.sources import register_source
from dadkhahi.search.engine import search
from dadkhahi.search.index import PUBLIC, PageText, index_pages
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

PERSIAN = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
LATIN = "abcdefghijklmnoprstuvz"


def vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        letters = PERSIAN if rng.random() < 0.6 else LATIN
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
    return sorted(words)


def documents(rng: random.Random, vocab: list[str], n: int, words: int) -> list[str]:
    weights = [1 / (rank + 1) for rank in range(len(vocab))]  # Zipf, s = 1
    return [" ".join(rng.choices(vocab, weights, k=words)) for _ in range(n)]


def build(url: str | None, root: Path, docs: list[str]) -> tuple[Store, dict[str, int], float]:
    """A new store holding ``docs``, indexed; returns it, item ID -> document number, seconds."""
    if url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        os.environ["DADKHAHI_DATABASE_URL"] = url
    try:
        store = Store.init(Home(root), "bench.invalid/documents", "bench")
    finally:
        os.environ.pop("DADKHAHI_DATABASE_URL", None)
    start = time.perf_counter()
    with store.transaction("bench") as tx:
        source = register_source(store, tx, SourceSpec(title="SYNTHETIC benchmark corpus",
                                                        sensitivity=Sensitivity.PUBLIC))
    numbers: dict[str, int] = {}
    batch = 500
    for first in range(0, len(docs), batch):
        with store.transaction("bench") as tx:
            made = []
            for n in range(first, min(first + batch, len(docs))):
                blob = store.blobs.put_bytes(docs[n].encode("utf-8"))
                made.append((add_item(store, tx, source, Sensitivity.PUBLIC, None, blob,
                                      Receipt(actor="bench"), media_type="text/plain"), n))
            tx.flush()
            for item, n in made:
                numbers[item] = n
                index_pages(tx.conn, item_id=item, text_item_id=item, source_id=source,
                            partition=PUBLIC, pages=[PageText(1, docs[n])])
    return store, numbers, time.perf_counter() - start


def timed(store: Store, who: Principal, queries: list[str]) -> list[float]:
    out = []
    for q in queries:
        start = time.perf_counter()
        search(store, who, q, limit=20)
        out.append((time.perf_counter() - start) * 1000)
    return out


def explain(store: Store, word: str) -> None:
    """PostgreSQL's plan, with timings, of the engine's statement for one word."""
    from sqlalchemy.dialects import postgresql

    from dadkhahi.search import engine
    from dadkhahi.search.query import parse

    with store.reading() as conn:
        conn.execute(text("ANALYZE"))
        stmt = engine.postgres_statement(["public"], None, 20).params(
            ts_query=parse(word).tsquery())
        sql = str(stmt.compile(dialect=postgresql.dialect(),
                               compile_kwargs={"literal_binds": True}))
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql).scalars()
        print("\n".join("    " + line for line in plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--words", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--explain", action="store_true",
                        help="print PostgreSQL's plan of one common-word query")
    args = parser.parse_args()
    rng = random.Random(15)
    vocab = vocabulary(rng, 50_000)
    docs = documents(rng, vocab, args.docs, args.words)
    classes = {
        "rare word": [rng.choice(vocab[20_000:]) for _ in range(args.queries)],
        "common word": [rng.choice(vocab[:50]) for _ in range(args.queries)],
        "phrase": [],
    }
    for _ in range(args.queries):
        words = rng.choice(docs).split(" ")
        i = rng.randrange(len(words) - 1)
        classes["phrase"].append(f'"{words[i]} {words[i + 1]}"')
    who = Principal(user_id="usr_bench", username="bench", role=Role.RESEARCHER)
    backends = ([] if args.no_sqlite else [("sqlite", None)]) + (
        [("postgresql", args.database_url)] if args.database_url else [])
    hits: dict[str, list[set[tuple[str, int]]]] = {}
    print(f"{args.docs:,} documents x {args.words:,} words; {args.queries} queries per class")
    for name, url in backends:
        with tempfile.TemporaryDirectory() as tmp:
            store, numbers, built = build(url, Path(tmp) / "home", docs)
            print(f"{name}: stored and indexed in {built:.1f} s")
            if name == "postgresql" and args.explain:
                explain(store, classes["common word"][0])
            for label, queries in classes.items():
                times = sorted(timed(store, who, queries))
                p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
                print(f"  {label:12s} p50 {statistics.median(times):7.1f} ms  "
                      f"p95 {p95:7.1f} ms  max {times[-1]:7.1f} ms")
            sample = classes["rare word"][:10] + classes["phrase"][:10]
            hits[name] = [{numbers[h.item_id] for h in search(store, None, q, limit=100).hits}
                          for q in sample]
            store.engine.dispose()
    if len(hits) == 2:
        same = sum(a == b for a, b in zip(hits["sqlite"], hits["postgresql"], strict=True))
        print(f"same hit sets on both backends: {same} of {len(hits['sqlite'])} queries "
              "(rare words and phrases, up to 100 hits each)")


if __name__ == "__main__":
    main()
