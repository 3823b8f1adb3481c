"""Time full-text search on SQLite and PostgreSQL over SYNTHETIC documents.

    .venv/bin/python benchmarks/documents/bench_search.py [--docs 5000] [--words 2000]
        [--queries 50] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench]
        [--no-sqlite] [--explain] [--bulk [--fast]] [--pages 1] [--keep DIR]

The database named by ``--database-url`` is emptied first (its ``public`` schema dropped):
give it a database of its own, never a shared one.

Documents are drawn from a seeded Zipf-distributed vocabulary of invented Persian and
Latin words (no real text; document ``n`` comes from its own seeded generator, so a
document is the same whatever ``--docs`` is and none is held in memory for long), stored
as items of one public source through ``intake.evidence.add_item`` (the real path: blob,
``item.added`` and custody events), and indexed from ``search.index.segment_rows``, the
rows the extraction job writes:

* by default through ``search.index.index_pages``, exactly as the extraction job does
  (one call per document, its pages in one INSERT, the search index kept up to date);
* with ``--bulk`` (what makes 100,000 documents buildable): the same rows written by COPY
  on PostgreSQL with the search index dropped during the load and made again after it
  from its own definition, and by one INSERT … SELECT into the FTS5 table on SQLite. This
  measures search, not the ingest path's cost per document.

With ``--fast`` (and ``--bulk``, one page) the item rows are written straight into
``items`` (no blob, no ledger event) and each document's tokens are its words (the
vocabulary is already in the tokenizer's normal form, checked on every batch), so
100,000 documents build on a loaded machine; ``--keep DIR`` keeps each backend's home
(and its database) and searches it again on the next run instead of building.

``--pages N`` cuts each document into N pages of about equal length (one index row
each), as a 10-page PDF is indexed.

Queries are rare words (drawn from the vocabulary's tail), common words (its head),
two-word phrases taken from the documents, and common phrases (two of the four most
common words, most present in every document: the case where PostgreSQL's ranking cost
once grew with every matching row); each is run through ``search.engine.search``
as a signed-in researcher (the visibility filter applied) for the top 20 hits. Prints the
build time and p50/p95/max latency per query class and backend (wall and CPU of this
process), and checks the two backends return the same set of hits for rare words,
phrases and prefixes (with a limit above the hit count). ``--explain`` prints
PostgreSQL's ``EXPLAIN (ANALYZE, BUFFERS)`` of the engine's statement, visibility filter
included, for one query of each class.

What the common pairs cost (``search.grams``): ``--pairs none`` builds the index without
them (as before them: phrases by positions), ``--pairs both`` with a pair only where both
words are common (a cheaper form, tried here by replacing the rule in this process only),
the default with the shipped rule. Each build prints its CPU seconds (this process; on
PostgreSQL also the server's, every process of the cluster, read from ``/proc``: run it
on a cluster of its own) and the bytes the index takes (``dbstat`` on SQLite,
``pg_relation_size`` on PostgreSQL). ``--reindex`` (with ``--keep``, on a home built with
``--pairs none``) times ``dadkhahi documents reindex``'s work, which writes the pairs.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import inspect
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from dadkhahi.access.policy import Principal, Role
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import Receipt, add_item
from dadkhahi.intake.sources import register_source
from dadkhahi.search.engine import search
from dadkhahi.search.index import PUBLIC, PageText, ensure_fts, index_pages, segment_rows
from dadkhahi.search.tokens import index_text
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

PERSIAN = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
LATIN = "abcdefghijklmnoprstuvz"
SEED = 15
BATCH = 500
COLUMNS = ("item_id", "text_item_id", "source_id", "page", "part", "partition", "tokens",
           "token_count", "spans", "text")


def common_words() -> tuple[str, ...]:
    """The shipped common-words list, read from this checkout's ``search/grams.py`` by
    path: the same vocabulary whichever engine is imported (a before/after run puts an
    older checkout's package first on ``PYTHONPATH``)."""
    path = Path(__file__).resolve().parents[2] / "src" / "dadkhahi" / "search" / "grams.py"
    spec = importlib.util.spec_from_file_location("_bench_grams", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return tuple(module.COMMON_WORDS)


def vocabulary(rng: random.Random, size: int) -> list[str]:
    """The Zipf ranks' words: the shipped common words first (most frequent first, as in
    real text, where the head of the distribution is exactly those words), then invented
    words."""
    head = common_words()
    words: set[str] = set()
    while len(words) < size - len(head):
        letters = PERSIAN if rng.random() < 0.6 else LATIN
        word = "".join(rng.choice(letters) for _ in range(rng.randint(3, 9)))
        if word not in head:
            words.add(word)
    return [*head, *sorted(words)]


class Corpus:
    """Document ``n``: ``words`` words drawn Zipf (s = 1) by a generator seeded with n."""

    def __init__(self, vocab: list[str], words: int) -> None:
        self.vocab = vocab
        self.words = words
        # Cumulative weights once: passing plain weights made choices() add up all
        # 50,000 of them again for every document.
        self.cum = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocab))))

    def doc(self, n: int) -> str:
        rng = random.Random(SEED * 1_000_003 + n)
        return " ".join(rng.choices(self.vocab, cum_weights=self.cum, k=self.words))


def paged(body: str, pages: int) -> list[PageText]:
    """A document's words cut into ``pages`` pages of about equal length."""
    words = body.split(" ")
    size = -(-len(words) // pages)
    return [PageText(n + 1, " ".join(words[first:first + size]))
            for n, first in enumerate(range(0, len(words), size))]


def _copy_rows(store: Store, rows: list[tuple[object, ...]]) -> None:
    """COPY rows into search_segments (PostgreSQL, psycopg 3)."""
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY search_segments ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def _fast_items(store: Store, source: str, docs: dict[int, str]) -> dict[str, int]:
    """``--fast``: item rows written straight into ``items`` (no blob, no ledger event)."""
    from sqlalchemy import insert

    from dadkhahi.domain.ids import new_id
    from dadkhahi.store import schema as s

    made = {new_id("item"): n for n in docs}
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rows = [{"id": item, "source_id": source, "size": len(docs[n].encode("utf-8")),
             "sha256": hashlib.sha256(docs[n].encode("utf-8")).hexdigest(),
             "media_type": "text/plain", "received_at": now, "sensitivity": "public",
             "ledger_index": 0} for item, n in made.items()]
    with store.engine.begin() as conn:
        conn.execute(insert(s.items), rows)
    return made


def _fast_rows(store: Store, source: str, docs: dict[int, str], made: dict[str, int],
               sqlite: bool) -> None:
    """``--fast``: one index row per document, its tokens the text itself (and its
    common pairs, as ``search.index.segment_rows`` writes them).

    The vocabulary's words are already the tokenizer's tokens (checked on each batch's
    first document), so the spans are the words' offsets, computed without tokenizing.
    """
    # Imported here: a search-only run (--keep) may import an engine older than pairs.
    from dadkhahi.search.index import with_pairs

    rows = []
    for item, n in made.items():
        body = docs[n]
        if not rows:
            assert index_text(body) == body, "the vocabulary is not in normal form"
        words = body.split(" ")
        spans, at = [], 0
        for word in words:
            spans += [at, at + len(word)]
            at += len(word) + 1
        rows.append((item, item, source, 1, 0, PUBLIC, with_pairs(words), len(words),
                     json.dumps(spans), body))
    if sqlite:
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO search_segments ({', '.join(COLUMNS)}) "
                                 f"VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    else:
        _copy_rows(store, rows)


def use_pairs(rule: str) -> None:
    """``--pairs``: which common pairs this process writes (and asks for). ``shipped``: the
    code's rule; ``both``: a pair only where both words are common (the query side follows:
    it asks for the pairs the same rule makes); ``none``: no pairs, and the index is not
    marked as holding them (phrases by positions, as before them; on a kept home made
    with pairs, its phrases are searched by positions)."""
    import itertools as _it

    from dadkhahi.search import grams
    from dadkhahi.search import index as search_index

    if rule == "none":
        def plain(words: list[str], key: bytes | None = None) -> str:
            return " ".join(words)

        search_index.with_pairs = plain  # type: ignore[assignment]
        # Phrases by positions even on a kept home whose rows hold pairs: the query path
        # before them, over the same rows.
        from dadkhahi.search import engine

        engine.pairs_ready = lambda conn: False  # type: ignore[assignment]
    elif rule == "both":
        def pairs(self: grams.Pairing, tokens: list[str]) -> list[str]:
            common = self.common
            return [self.pair(a, b) for a, b in _it.pairwise(tokens)
                    if a in common and b in common]

        grams.Pairing.pairs = pairs  # type: ignore[method-assign,assignment]


def server_cpu(store: Store) -> float | None:
    """CPU seconds used so far by every process of the PostgreSQL cluster (the
    postmaster's own and its reaped children's, plus its live children's), read from
    ``/proc``: a figure for a cluster of its own only. None on SQLite (in this process)."""
    if store.engine.dialect.name == "sqlite":
        return None
    with store.engine.connect() as conn:
        folder = conn.execute(text("SHOW data_directory")).scalar_one()
    pid = int(Path(folder, "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")

    def fields(p: int) -> list[str]:
        raw = Path(f"/proc/{p}/stat").read_text()
        return raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "

    own = fields(pid)
    total = sum(int(v) for v in own[11:15])  # utime stime cutime cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                f = fields(int(entry.name))
            except (OSError, ValueError):
                continue
            if int(f[1]) == pid:  # a live child
                total += int(f[11]) + int(f[12])
    return total / tick


def sizes(store: Store) -> str:
    """Bytes the search index takes: its rows (``search_segments``, whose ``tokens`` hold
    the pairs too) and the full-text index over them."""
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            by = dict(conn.execute(text(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name")).all())
            rows = sum(v for k, v in by.items() if k == "search_segments"
                       or k.startswith("ix_search_segments"))
            fts = sum(v for k, v in by.items() if k.startswith("search_fts_"))
            whole = sum(by.values())
            return (f"rows {rows / 1e6:,.1f} MB, FTS5 index {fts / 1e6:,.1f} MB, "
                    f"whole file {whole / 1e6:,.1f} MB")
        rows, index, whole = conn.execute(text(
            "SELECT pg_table_size('search_segments'), "
            "pg_relation_size('ix_search_segments_tsv'), "
            "pg_total_relation_size('search_segments')")).one()
        return (f"rows (heap and TOAST, tsv included) {rows / 1e6:,.1f} MB, RUM index "
                f"{index / 1e6:,.1f} MB, with every index {whole / 1e6:,.1f} MB")


def cpu_line(label: str, process: float, server: float | None) -> str:
    return (f"{label}: CPU {process:.1f} s in this process"
            + ("" if server is None else f", {server:.1f} s in the server"))


def build(url: str | None, root: Path, corpus: Corpus, n_docs: int,
          bulk: bool, pages: int = 1, fast: bool = False, pairs: str = "shipped",
          ) -> tuple[Store, dict[str, int], dict[str, float]]:
    """A new store holding the documents, indexed; item ID -> document number; seconds
    (wall), and CPU seconds of the rows and of the index (``cpu …``: this process;
    ``server …``: the PostgreSQL cluster's)."""
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
    sqlite = store.engine.dialect.name == "sqlite"
    times = {"items": 0.0, "rows": 0.0, "index": 0.0}
    cpu, served = time.process_time(), server_cpu(store)
    with store.transaction("bench") as tx:
        source = register_source(store, tx, SourceSpec(title="SYNTHETIC benchmark corpus",
                                                        sensitivity=Sensitivity.PUBLIC))
    if bulk and pairs != "none":
        # What index_pages does before the first rows of an empty index: the rows
        # written below hold this code's pairs (search.grams).
        from dadkhahi.search.index import claim_empty

        with store.engine.begin() as conn:
            claim_empty(conn)
    index_def = None
    if bulk and not sqlite:
        with store.engine.begin() as conn:
            index_def = conn.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_search_segments_tsv'"
            )).scalar_one()
            conn.execute(text("DROP INDEX ix_search_segments_tsv"))
    numbers: dict[str, int] = {}
    for first in range(0, n_docs, BATCH):
        docs = {n: corpus.doc(n) for n in range(first, min(first + BATCH, n_docs))}
        start = time.perf_counter()
        if fast:
            made = _fast_items(store, source, docs)
            numbers.update(made)
            times["items"] += time.perf_counter() - start
            start = time.perf_counter()
            _fast_rows(store, source, docs, made, sqlite)
            times["rows"] += time.perf_counter() - start
            print(f"  {first + len(docs):,} documents: items {times['items']:.0f} s, "
                  f"index rows {times['rows']:.0f} s", flush=True)
            continue
        with store.transaction("bench") as tx:
            made = []
            for n, body in docs.items():
                blob = store.blobs.put_bytes(body.encode("utf-8"))
                made.append((add_item(store, tx, source, Sensitivity.PUBLIC, None, blob,
                                      Receipt(actor="bench"), media_type="text/plain"), n))
            tx.flush()
            times["items"] += time.perf_counter() - start
            start = time.perf_counter()
            for item, n in made:
                numbers[item] = n
                if not bulk:
                    index_pages(tx.conn, item_id=item, text_item_id=item, source_id=source,
                                partition=PUBLIC, pages=paged(docs[n], pages))
        if bulk:
            rows = [(item, item, source, r["page"], r["part"], PUBLIC, r["tokens"],
                     r["token_count"], None if r["spans"] is None else json.dumps(r["spans"]),
                     r["text"])
                    for item, n in made
                    for r in segment_rows(paged(docs[n], pages), protected=False)]
            if sqlite:
                with store.engine.begin() as conn:
                    conn.exec_driver_sql(
                        f"INSERT INTO search_segments ({', '.join(COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(COLUMNS))})", rows)
            else:
                _copy_rows(store, rows)
        times["rows"] += time.perf_counter() - start
        print(f"  {first + len(docs):,} documents: items {times['items']:.0f} s, "
              f"index rows {times['rows']:.0f} s", flush=True)
    times["cpu rows"] = time.process_time() - cpu
    after = server_cpu(store)
    if after is not None and served is not None:
        times["server rows"] = after - served
    cpu, served = time.process_time(), after
    start = time.perf_counter()
    with store.engine.begin() as conn:
        if bulk and sqlite:
            name = ensure_fts(conn, PUBLIC)
            conn.execute(text(f"INSERT INTO {name}(rowid, tokens) "
                              "SELECT id, tokens FROM search_segments WHERE partition = :p"),
                         {"p": PUBLIC})
        elif index_def is not None:
            # Memory for the build (the server's default, 64 MB, spills to disk often).
            conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
            conn.execute(text(index_def))
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if not sqlite else "ANALYZE"))
    times["index"] = time.perf_counter() - start
    times["cpu index"] = time.process_time() - cpu
    after = server_cpu(store)
    if after is not None and served is not None:
        times["server index"] = after - served
    return store, numbers, times


def reopen(root: Path, url: str | None, saved: Path, docs: int) -> tuple[Store, dict[str, int]]:
    """A home kept by an earlier ``--keep`` run, opened again (no build)."""
    data = json.loads(saved.read_text("utf-8"))
    if data["docs"] != docs:
        raise SystemExit(f"{root} holds {data['docs']:,} documents, not {docs:,}")
    if url:
        os.environ["DADKHAHI_DATABASE_URL"] = url
    try:
        store = Store.open(Home(root))
    finally:
        os.environ.pop("DADKHAHI_DATABASE_URL", None)
    return store, {item: int(n) for item, n in data["numbers"].items()}


def timed(store: Store, who: Principal, queries: list[str],
          ) -> tuple[list[float], list[float], float | None]:
    """Wall and CPU milliseconds of each query (CPU: this process only), and the
    PostgreSQL cluster's CPU milliseconds per query on average (None on SQLite)."""
    wall, cpu = [], []
    served = server_cpu(store)
    for q in queries:
        start, start_cpu = time.perf_counter(), time.process_time()
        search(store, who, q, limit=20)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    after = server_cpu(store)
    per = None if after is None or served is None else (after - served) * 1000 / len(queries)
    return wall, cpu, per


def explain(store: Store, who: Principal, label: str, q: str) -> None:
    """PostgreSQL's plan, with timings and buffers, of the engine's statement for ``q``."""
    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql

    from dadkhahi.access.policy import params, visible
    from dadkhahi.search import engine
    from dadkhahi.search.query import parse
    from dadkhahi.store import schema as s

    items = select(s.items.c.id).where(visible(who, s.items))
    with store.reading() as conn:
        # The statement the engine chooses (capped for a very common query; an engine
        # older than the cap, run for a before/after comparison, has one statement).
        capped = hasattr(engine, "very_common") and engine.very_common(conn, parse(q), None)
        chosen: dict[str, Any] = {"capped": True} if capped else {}
        values = engine.postgres_params(parse(q))
        if "ts_check" in values:  # a phrase found by its pairs, checked as the phrase
            chosen["checked"] = True
        if "sources" in inspect.signature(engine.postgres_statement).parameters:
            # Testimonies' passages seen through their sources, as the engine asks
            # (an engine older than passages in the index has no such argument).
            chosen["sources"] = select(s.sources.c.id).where(visible(who, s.sources))
        stmt = engine.postgres_statement([PUBLIC], items, 20, **chosen).params(
            **values, **params(who))
        sql = str(stmt.compile(dialect=postgresql.dialect(),
                               compile_kwargs={"literal_binds": True}))
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql).scalars()
        print(f"  plan, {label} {q}{' (capped)' if capped else ''}:")
        print("\n".join("    " + line for line in plan))


def overlap(store: Store, who: Principal, queries: list[str]) -> None:
    """``--overlap``: the engine's top 20 (ranked among the first matches when it caps a
    very common query) against the exact top 20 (every match ranked, by the same score,
    straight from the index), per query: how many of the 20 are the same pages, and how
    many of the engine's score at least the exact 20th (ties make a set of 20 ambiguous),
    and what the exact ranking costs (wall; CPU of this process, where SQLite runs)."""
    from dadkhahi.search.query import parse

    sqlite = store.engine.dialect.name == "sqlite"
    same, good, capped, walls, cpus = [], [], 0, [], []
    for q in queries:
        result = search(store, who, q, limit=20)
        capped += bool(result.notes)
        if sqlite:
            sql = ("SELECT s.item_id, -bm25(search_fts_public) FROM search_fts_public "
                   "JOIN search_segments s ON s.id = search_fts_public.rowid "
                   "WHERE search_fts_public MATCH :m ORDER BY bm25(search_fts_public) LIMIT 20")
            bind = {"m": parse(q).written().fts5}
        else:
            sql = ("SELECT item_id, 1 / (tsv <=> to_tsquery('simple', :q)) FROM search_segments "
                   "WHERE tsv @@ to_tsquery('simple', :q) "
                   "ORDER BY tsv <=> to_tsquery('simple', :q) LIMIT 20")
            bind = {"q": parse(q).written().match}
        start, start_cpu = time.perf_counter(), time.process_time()
        with store.reading() as conn:
            exact = conn.execute(text(sql), bind).all()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - start_cpu) * 1000)
        last = min(float(score) for _, score in exact)
        same.append(len({h.item_id for h in result.hits} & {str(i) for i, _ in exact}))
        good.append(sum(h.score >= last - 1e-9 for h in result.hits))
        print(f"  overlap {q}: {same[-1]}/20 the same pages, {good[-1]}/20 scoring at least "
              f"the exact 20th ({last:.4g}; engine's 20th {result.hits[-1].score:.4g})"
              f"{' (capped)' if result.notes else ''}", flush=True)
    print(f"  overlap@20 mean {statistics.mean(same):.1f}/20 (min {min(same)}), scoring at "
          f"least the exact 20th {statistics.mean(good):.1f}/20 (min {min(good)}); "
          f"{capped} of {len(queries)} capped; the exact top 20 (every match ranked) took "
          f"p50 {statistics.median(walls):.1f} ms wall, {statistics.median(cpus):.1f} ms "
          f"CPU here", flush=True)


def reindex_timed(store: Store) -> None:
    """``--reindex``: ``search.index.reindex`` (``dadkhahi documents reindex``) on a kept
    home, its CPU (this process and the server's) and the sizes after it."""
    from dadkhahi.search.index import reindex

    cpu, served, start = time.process_time(), server_cpu(store), time.perf_counter()
    changed = reindex(store)
    wall = time.perf_counter() - start
    after = server_cpu(store)
    print(f"  reindexed {changed:,} rows in {wall:.1f} s (wall); "
          + cpu_line("reindex", time.process_time() - cpu,
                     None if after is None or served is None else after - served),
          flush=True)


def percentiles(times: list[float]) -> tuple[float, float, float]:
    times = sorted(times)
    return (statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))],
            times[-1])


def mid_phrases(rng: random.Random, corpus: Corpus, n_docs: int, head: int,
                ) -> Iterator[str]:
    """Adjacent pairs of a common word (rank below ``head``) and a word of rank
    ``head``-2,000, in either order, from random documents."""
    rank = {w: r for r, w in enumerate(corpus.vocab)}
    while True:
        words = corpus.doc(rng.randrange(n_docs)).split(" ")
        i = rng.randrange(len(words) - 1)
        a, b = rank[words[i]], rank[words[i + 1]]
        if (a < head <= b < 2000) or (b < head <= a < 2000):
            yield f'"{words[i]} {words[i + 1]}"'


def phrases(rng: random.Random, corpus: Corpus, n_docs: int, count: int) -> Iterator[str]:
    for _ in range(count):
        words = corpus.doc(rng.randrange(n_docs)).split(" ")
        i = rng.randrange(len(words) - 1)
        yield f'"{words[i]} {words[i + 1]}"'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--words", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--explain", action="store_true",
                        help="print PostgreSQL's plan of one query of each class")
    parser.add_argument("--bulk", action="store_true",
                        help="write index rows by COPY / INSERT … SELECT, index made after")
    parser.add_argument("--pages", type=int, default=1,
                        help="pages per document (one index row each)")
    parser.add_argument("--fast", action="store_true",
                        help="with --bulk and one page: item rows written straight into the "
                             "items table (no blobs, no ledger events) and tokens not "
                             "computed again (the vocabulary is in normal form): builds "
                             "100,000 documents on a loaded machine")
    parser.add_argument("--overlap", action="store_true",
                        help="the common words' top 20 against the exact top 20 (every "
                             "match ranked)")
    parser.add_argument("--only", action="append", default=None, metavar="CLASS",
                        help="time this query class only (repeatable)")
    parser.add_argument("--pairs", choices=("shipped", "both", "none"), default="shipped",
                        help="common pairs written and asked for: the shipped rule, only "
                             "where both words are common, or none (index sizes and CPU)")
    parser.add_argument("--reindex", action="store_true",
                        help="with --keep, on a home built with --pairs none: time the "
                             "rewrite of every row with the shipped pairs")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="keep each backend's home in DIR/<backend> (and its database); "
                             "a home kept there before is searched again without building")
    args = parser.parse_args()
    if args.fast and not (args.bulk and args.pages == 1):
        parser.error("--fast needs --bulk and one page per document")
    if args.reindex and (not args.keep or args.pairs != "shipped"):
        parser.error("--reindex needs --keep and the shipped pairs")
    if args.pairs != "shipped":
        use_pairs(args.pairs)
    rng = random.Random(SEED)
    vocab = vocabulary(rng, 50_000)
    corpus = Corpus(vocab, args.words)
    classes = {
        "rare word": [rng.choice(vocab[20_000:]) for _ in range(args.queries)],
        "common word": [rng.choice(vocab[:50]) for _ in range(args.queries)],
        "phrase": list(phrases(rng, corpus, args.docs, args.queries)),
    }
    # Prefixes of rare long words: few enough hits to compare whole sets.
    prefixes = [w[:-1] + "*" for w in rng.sample(vocab[20_000:], 200) if len(w) >= 8][:5]
    # From a generator of their own, so the other classes stay the queries they were.
    both = random.Random(SEED + 1)
    classes["common phrase"] = [f'"{both.choice(vocab[:4])} {both.choice(vocab[:4])}"'
                                for _ in range(args.queries)]
    # Two words side by side in a document, one of the shipped common words and one just
    # below them (ranks 192-2,000: on 8-86% of 2,000-word pages): the phrases a pair only
    # where both words are common (--pairs both) leaves to positions.
    mid = random.Random(SEED + 2)
    classes["common-mid phrase"] = list(itertools.islice(
        mid_phrases(mid, corpus, args.docs, len(common_words())), args.queries))
    who = Principal(user_id="usr_bench", username="bench", role=Role.RESEARCHER)
    backends = ([] if args.no_sqlite else [("sqlite", None)]) + (
        [("postgresql", args.database_url)] if args.database_url else [])
    hits: dict[str, list[set[int]]] = {}
    print(f"{args.docs:,} documents x {args.words:,} words in {args.pages} page(s); "
          f"{args.queries} queries per class;"
          f" {'bulk' if args.bulk else 'row by row'} index; pairs {args.pairs}; "
          f"load {os.getloadavg()[0]:.1f}")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    for name, url in backends:
        with tempfile.TemporaryDirectory() as tmp:
            root = args.keep / name if args.keep else Path(tmp) / "home"
            saved = root.parent / f"{name}-numbers.json"
            if args.keep and saved.exists():
                store, numbers = reopen(root, url, saved, args.docs)
                print(f"{name}: the home kept in {root} searched again (not built)")
                if args.reindex:
                    reindex_timed(store)
            else:
                store, numbers, built = build(url, root, corpus, args.docs, args.bulk,
                                              args.pages, args.fast, args.pairs)
                if args.keep:
                    saved.write_text(json.dumps({"docs": args.docs, "numbers": numbers}),
                                     "utf-8")
                print(f"{name}: items {built['items']:.1f} s, index rows {built['rows']:.1f} s "
                      f"({args.docs / built['rows']:.1f} documents/s), "
                      f"index made and analysed {built['index']:.1f} s (wall)")
                print("  " + cpu_line("items and rows", built["cpu rows"],
                                      built.get("server rows")))
                print("  " + cpu_line("index made and analysed", built["cpu index"],
                                      built.get("server index")))
            print(f"  size: {sizes(store)}", flush=True)
            if name == "postgresql" and args.explain:
                for label, queries in classes.items():
                    explain(store, who, label, queries[0])
            if args.overlap:
                overlap(store, who, classes["common word"])
            for label, queries in classes.items():
                if args.only and label not in args.only:
                    continue
                wall, cpu, per = timed(store, who, queries)
                p50, p95, top = percentiles(wall)
                c50, c95, _ = percentiles(cpu)
                print(f"  {label:13s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {top:7.1f} ms"
                      f"  (client CPU p50 {c50:.1f}, p95 {c95:.1f} ms"
                      + ("" if per is None else f"; server CPU mean {per:.1f} ms")
                      + f", total {sum(cpu) / len(cpu) + (per or 0):.1f} ms a query)  "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
            sample = classes["rare word"][:10] + classes["phrase"][:10] + prefixes
            hits[name] = [{numbers[h.item_id] for h in search(store, None, q, limit=100).hits}
                          for q in sample]
            store.engine.dispose()
    if len(hits) == 2:
        same = sum(a == b for a, b in zip(hits["sqlite"], hits["postgresql"], strict=True))
        print(f"same hit sets on both backends: {same} of {len(hits['sqlite'])} queries "
              "(rare words, phrases and prefixes, up to 100 hits each)")


if __name__ == "__main__":
    main()
