"""What a read of protected rows costs the database (issue 11): statements per page of
sealed rows, and the plan of the grants check when many users hold grants.

    .venv/bin/python benchmarks/api/bench_protected_reads.py --backend postgresql \
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] \
        [--users 200] [--grants 50] [--sources 500] [--records 20] [--reads 500] \
        [--grants-index "user_id" | "user_id, scope_id"]

Stores ``--sources`` protected SYNTHETIC sources of ``--records`` protected (sealed)
records each, adds ``--users`` investigators and grants each of them ``--grants``
sources drawn with a fixed seed (on PostgreSQL in a database of its own, vacuumed and
analysed). Then, as the first user reading a page of 20 records of a source they hold
(``access.reads.read_page``, the page ``GET /api/records?source_id=S`` reads):

* the statements the read sends, and how many of them read ``data_keys`` (a sealed row's
  data key was a statement of its own: 21 for a page of 20);
* the plan of the page's statement: on PostgreSQL ``EXPLAIN (ANALYZE, BUFFERS)`` of the
  prepared statement under ``plan_cache_mode = force_generic_plan`` (as the reads by key
  run it), printing how ``access_grants`` is read (node, index, rows, buffers) and the
  whole statement's buffers and times; on SQLite ``EXPLAIN QUERY PLAN``;
* the CPU time of ``--reads`` such page reads in this process (median and best).

Counts, plans and buffers do not depend on the machine's load; the times do.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Engine, event
from sqlalchemy.dialects.postgresql import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_page_read import scratch_home

from dadkhahi.access import grants, passwords, reads, users
from dadkhahi.access.policy import Principal, Role, params
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.protected import REDACTED
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.sources import register_source
from dadkhahi.store.db import is_sqlite
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

PASSWORD = "SYNTHETIC benchmark passphrase"


def populate(store: Store, n_sources: int, n_records: int, n_users: int, n_grants: int,
             seed: int) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """Protected sources and records, users, grants: (sources, user IDs, grants by user)."""
    t0 = time.perf_counter()
    sources = []
    with store.transaction("bench") as tx:
        for i in range(n_sources):
            source = register_source(store, tx, SourceSpec(
                title=f"SYNTHETIC protected list {i}", kind=SourceKind.LIST,
                sensitivity=Sensitivity.PROTECTED))
            sources.append(source)
            for j in range(n_records):
                rid = new_id("record")
                secret = {"verbatim": {"name": f"SYNTHETIC witness {i}-{j}"},
                          "normalized": {"name": f"synthetic witness {i}-{j}"},
                          "external_id": f"P{i}-{j}"}
                # Sealed as intake.lists writes a protected record: one data key each.
                tx.emit("record.added", {
                    "id": rid, "source_id": source, "item_id": None, "import_id": None,
                    "row_number": j, "external_id": REDACTED, "verbatim": {},
                    "normalized": {}, "sensitivity": "protected", "sealed": tx.seal(secret, rid),
                })
    # Users are the setting here, not their passwords: a cheap hash.
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    user_ids = [users.add_user(store, f"bench{u}", Role.INVESTIGATOR, PASSWORD, "bench")
                for u in range(n_users)]
    rng = random.Random(seed)
    held: dict[str, list[str]] = {}
    with store.transaction("bench") as tx:
        for uid in user_ids:
            held[uid] = sorted(rng.sample(sources, min(n_grants, len(sources))))
            for source in held[uid]:
                grants.grant_in(tx, source, uid)
    print(f"stored {n_sources:,} protected sources x {n_records} sealed records, "
          f"{n_users} users x {n_grants} grants in {time.perf_counter() - t0:.1f} s")
    return sources, user_ids, held


def count_statements(store: Store, who: Principal, source: str, reads_timed: int
                     ) -> None:
    page_of = reads.RESOURCES["records"]
    query = reads.PageQuery(filters={"source_id": source}, limit=20)
    reads.read_page(store, who, page_of, query)  # warm: statements built, pool filled
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        page, _ = reads.read_page(store, who, page_of, query)
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    sealed = sum(1 for r in page.data if r.get("verbatim", {}).get("name", "").startswith(
        "SYNTHETIC witness"))
    print(f"a page of {len(page.data)} sealed records ({sealed} opened): "
          f"{len(sent)} statements, {sum('data_keys' in x for x in sent)} of them on data_keys "
          "(SQLite's BEGIN goes to the driver directly, uncounted)")
    # CPU of this process's thread only (on PostgreSQL the database's own is not in it).
    cpu = []
    for _ in range(reads_timed):
        c0 = time.thread_time()
        reads.read_page(store, who, page_of, query)
        cpu.append(time.thread_time() - c0)
    print(f"read_page of that page, {reads_timed} calls: CPU median "
          f"{statistics.median(cpu) * 1e3:.3f} ms, best {min(cpu) * 1e3:.3f} ms")


def _literal(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    if not re.fullmatch(r"[A-Za-z0-9_\-]*", str(value)):
        raise ValueError(f"unexpected bound value {value!r}")
    return f"'{value}'"


def explain(store: Store, who: Principal, source: str) -> None:
    stmt = reads._page_statement(reads.RESOURCES["records"], who.team, ("source_id",),
                                 "id", False, False)
    bind = {**params(who), "page_limit": 21, "filter_source_id": source}
    if is_sqlite(store.engine):
        compiled = stmt.compile(store.engine)
        with store.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}",
                tuple(compiled.construct_params(bind)[k] for k in compiled.positiontup or ()),
            ).all()
        print("EXPLAIN QUERY PLAN (SQLite):")
        for row in rows:
            print(f"  {row[3]}")
        return
    # $1, $2, ... as PREPARE takes them (the asyncpg dialect's parameter style).
    compiled = stmt.compile(dialect=asyncpg.dialect())
    values = compiled.construct_params(bind)
    args = ", ".join(_literal(values[k]) for k in compiled.positiontup or ())
    with store.engine.connect() as conn:
        conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        conn.exec_driver_sql(f"PREPARE page AS {compiled}")
        for _ in range(3):  # warm the buffers and the plan
            conn.exec_driver_sql(f"EXECUTE page({args})").all()
        plan = conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE page({args})").scalar_one()
        conn.exec_driver_sql("DEALLOCATE page")
        conn.rollback()
    top = (plan if isinstance(plan, list) else json.loads(plan))[0]
    found = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("Relation Name") == "access_grants":
            found.append(node)
        for child in node.get("Plans", []):
            walk(child)

    walk(top["Plan"])
    root = top["Plan"]
    print(f"EXPLAIN ANALYZE (generic plan): planning {top['Planning Time']:.3f} ms, "
          f"execution {top['Execution Time']:.3f} ms, shared buffers hit "
          f"{root.get('Shared Hit Blocks', 0)} read {root.get('Shared Read Blocks', 0)}")
    # The rule checks the grants at each level it nests (row, source, item, import,
    # list): a subplan each, built at most once per execution, never run when not needed.
    ran = [n for n in found if n["Actual Loops"]]
    print(f"  access_grants read by {len(found)} subplans, {len(ran)} of them run:")
    for node in ran:
        index = node.get("Index Name") or next(
            (c.get("Index Name") for c in node.get("Plans", []) if c.get("Index Name")), None)
        print(f"    {node['Node Type']}{' on ' + index if index else ''}: "
              f"rows {node['Actual Rows']} x {node['Actual Loops']} loops, heap fetches "
              f"{node.get('Heap Fetches', '-')}, buffers hit {node.get('Shared Hit Blocks', 0)}"
              f" read {node.get('Shared Read Blocks', 0)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--pg-url", default=os.environ.get(
        "DADKHAHI_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--grants", type=int, default=50, help="grants per user")
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--records", type=int, default=20, help="records per source")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reads", type=int, default=500, help="page reads timed (CPU)")
    parser.add_argument("--grants-index", choices=["user_id", "user_id, scope_id"],
                        help="replace the schema's index of access_grants by the asker with "
                             "this one (to compare the two on the same code)")
    args = parser.parse_args()
    with scratch_home(args.backend, args.pg_url, "protected") as home:
        run(args, home)


def run(args: argparse.Namespace, home: Home) -> None:
    store = None
    try:
        store = Store.init(home, "bench.dadkhahi.local/protected", "bench")
        _, user_ids, held = populate(store, args.sources, args.records, args.users,
                                     args.grants, args.seed)
        if args.grants_index:
            # The same store read through another index of access_grants (to compare).
            with store.engine.begin() as conn:
                for name in ("ix_access_grants_user_id", "ix_access_grants_user_id_scope_id"):
                    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
                conn.exec_driver_sql(f"CREATE INDEX ix_bench_access_grants ON access_grants "
                                     f"({args.grants_index})")
        if args.backend == "postgresql":
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
        else:
            with store.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        with store.reading() as conn:
            total = conn.exec_driver_sql("SELECT count(*) FROM access_grants").scalar_one()
        who = Principal(user_id=user_ids[0], username="bench0", role=Role.INVESTIGATOR)
        source = held[user_ids[0]][0]
        print(f"{args.backend}: {total:,} grants in all, {len(held[user_ids[0]])} of them "
              f"the reader's; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        count_statements(store, who, source, args.reads)
        explain(store, who, source)
    finally:
        if store is not None:
            store.engine.dispose()


if __name__ == "__main__":
    main()
