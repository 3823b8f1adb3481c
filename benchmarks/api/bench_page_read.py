"""What one warm API page read costs in process, on SQLite or PostgreSQL (issue 11).

    .venv/bin/python benchmarks/api/bench_page_read.py --backend postgresql \
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] \
        [--records 20000] [--requests 2000] [--profile page.prof] [--route record]

Stores ``--records`` SYNTHETIC records (as ``bench_load.py`` does; on PostgreSQL in a
database of its own, vacuumed and analysed), builds the API app over the store, signs
in as an investigator and sends ``--requests`` warm requests, one at a time, straight
to the ASGI app (no socket, no load generator): ``GET /api/records?limit=20&source_id=S``
over the two sources in turn, the page wrk reads in ``bench_wrk.py``. Prints the wall
time per request (p50, p95) and the CPU time of this process per request (user +
system, every thread: on PostgreSQL the read runs in a worker thread), beside, for the
same page, the read function alone (``access.reads.read_page``) and the query alone as
the database runs it (``EXPLAIN ANALYZE`` execution time, PostgreSQL). On PostgreSQL
the CPU its backends spend on the requests is printed beside (their ``/proc`` user +
system time before and after: the server must run on this machine), since a read's cost
on two shared cores is both processes'.

``--route record`` reads one record by ID instead (the other half of wrk's reads). The
number of statements one request sends is printed first.

``--profile FILE`` runs the requests under cProfile timed by each thread's CPU clock
(the event loop's thread and the worker threads, merged) and writes the stats to FILE
(read them with ``pstats``); timings taken under the profiler are not printed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import PASSWORD, populate

from dadkhahi.access import reads, users
from dadkhahi.access.policy import params
from dadkhahi.api import create_app
from dadkhahi.http import requests as http_requests
from dadkhahi.store.db import is_sqlite
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store


def cpu() -> float:
    """User + system CPU seconds of this process (all threads)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


async def call(app: Any, method: str, path: str, query: str = "",
               headers: dict[str, str] | None = None, body: bytes = b"") -> tuple[int, bytes]:
    """One request straight to the ASGI app: (status, body)."""
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    raw += [(b"host", b"127.0.0.1"), (b"content-length", str(len(body)).encode())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "root_path": "", "headers": raw,
             "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def profile_worker_threads(into: cProfile.Profile) -> None:
    """Profile what ``run_read`` hands to worker threads too (cProfile sees one thread)."""
    original = vars(http_requests)["to_thread"].run_sync
    lock = threading.Lock()

    class Profiled:
        @staticmethod
        async def run_sync(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            def run() -> Any:
                with lock:
                    into.enable()
                    try:
                        return fn(*args)
                    finally:
                        into.disable()
            return await original(run, **kwargs)

    setattr(http_requests, "to_thread", Profiled)  # noqa: B010 (not exported)


async def drive(app: Any, token: str, ids: dict[str, Any], n: int,
                profile: str | None, route: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    sources, records = ids["sources"], ids["records"]

    async def one(i: int) -> None:
        if route == "record":
            status, body = await call(app, "GET", f"/api/records/{records[i % len(records)]}",
                                      "", headers)
            if status != 200:
                raise RuntimeError(f"unexpected answer {status}: {body[:200]!r}")
            return
        status, body = await call(app, "GET", "/api/records",
                                  f"limit=20&source_id={sources[i % len(sources)]}", headers)
        if status != 200 or len(json.loads(body)["data"]) != 20:
            raise RuntimeError(f"unexpected answer {status}: {body[:200]!r}")

    for i in range(50):  # warm: statements built and cached, pool filled, pages hot
        await one(i)
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(Engine, "before_cursor_execute", note)
    await one(0)
    event.remove(Engine, "before_cursor_execute", note)
    print(f"statements sent by one request: {len(statements)} ({', '.join(statements)}; "
          "SQLite's BEGIN goes to the driver directly, uncounted)")
    if profile:
        # CPU time of each thread, not wall time: on a shared machine a profile in wall
        # time shows mostly waits for a core.
        main = cProfile.Profile(time.thread_time)
        workers = cProfile.Profile(time.thread_time)
        profile_worker_threads(workers)
        main.enable()
        for i in range(n):
            await one(i)
        main.disable()
        stats = pstats.Stats(main)
        stats.add(workers)
        stats.dump_stats(profile)
        print(f"profile of {n} requests written to {profile}")
        return
    wall, cpus = [], []
    server0 = backend_cpu()
    for i in range(n):
        c0, t0 = cpu(), time.perf_counter()
        await one(i)
        wall.append(time.perf_counter() - t0)
        cpus.append(cpu() - c0)
    server = backend_cpu() - server0
    what = "GET /api/records/…" if route == "record" else "GET /api/records?limit=20&source_id=…"
    print(f"{what}  {n} requests: wall p50 "
          f"{pct(wall, 0.5) * 1e3:.2f} ms, p95 {pct(wall, 0.95) * 1e3:.2f} ms; CPU "
          f"{sum(cpus) / n * 1e3:.2f} ms per request (mean)"
          + (f"; PostgreSQL's backends {server / n * 1e3:.2f} ms per request"
             if os.environ.get(ENV_DATABASE_URL) else ""))


def backend_cpu() -> float:
    """User + system seconds of the PostgreSQL backends serving this run's database
    (0 on SQLite): read from ``/proc``, so the server must run on this machine."""
    url = os.environ.get(ENV_DATABASE_URL)
    if not url:
        return 0.0
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            pids = conn.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).scalars().all()
    finally:
        engine.dispose()
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError as e:
            raise SystemExit(f"PostgreSQL's backend {pid} is not on this machine: {e}") from e
        fields = stat[stat.rindex(")") + 2:].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def read_alone(store: Store, sources: list[str], n: int) -> None:
    principal = users.authenticate(store, "bench", PASSWORD)
    assert principal is not None
    resource_ = reads.RESOURCES["records"]
    queries = [reads.PageQuery(filters={"source_id": src}, limit=20) for src in sources]
    for i in range(50):
        reads.read_page(store, principal, resource_, queries[i % 2])
    wall, c0 = [], cpu()
    for i in range(n):
        t0 = time.perf_counter()
        reads.read_page(store, principal, resource_, queries[i % 2])
        wall.append(time.perf_counter() - t0)
    print(f"reads.read_page alone              {n} calls:    wall p50 "
          f"{pct(wall, 0.5) * 1e3:.2f} ms, p95 {pct(wall, 0.95) * 1e3:.2f} ms; CPU "
          f"{(cpu() - c0) / n * 1e3:.2f} ms per call (mean)")
    if is_sqlite(store.engine):
        return
    stmt = reads._page_statement(resource_, principal.team, ("source_id",), "id", False, False)
    bind = {**params(principal), "page_limit": 21, "filter_source_id": sources[0]}
    compiled = stmt.compile(store.engine, compile_kwargs={"literal_binds": False})
    with store.engine.connect() as conn:
        times = []
        for _ in range(20):
            plan = conn.exec_driver_sql(
                f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}",
                tuple(bind[k] for k in compiled.positiontup or ())
                if compiled.positional else {**compiled.construct_params(bind)},
            ).scalar_one()
            times.append(plan[0]["Execution Time"] + plan[0]["Planning Time"])
    print(f"EXPLAIN ANALYZE of the page query  planning + execution p50 "
          f"{statistics.median(times):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get(
        "DADKHAHI_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", metavar="FILE")
    parser.add_argument("--route", choices=["page", "record"], default="page",
                        help="a page of 20 records of a source, or one record by ID")
    args = parser.parse_args()
    with scratch_home(args.backend, args.pg_url, "page") as home:
        run(args, home)


@contextmanager
def scratch_home(backend: str, pg_url: str, name: str) -> Iterator[Home]:
    """A home in a temporary folder (and on PostgreSQL a database of its own, named in
    the environment as the store reads it), both removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix=f"dadkhahi-{name}-"))
    os.environ.pop(ENV_DATABASE_URL, None)
    admin, db = None, ""
    if backend == "postgresql":
        admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
        db = f"dadkhahi_{name}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        os.environ[ENV_DATABASE_URL] = make_url(pg_url).set(database=db).render_as_string(
            hide_password=False)
    try:
        yield Home(tmp / "home")
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, home: Home) -> None:
    store = None
    try:
        store = Store.init(home, "bench.dadkhahi.local/page-read", "bench")
        ids = populate(store, args.records, 1)
        if args.backend == "postgresql":
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
        app = create_app(home, store=store)
        status, body = asyncio.run(call(
            app, "POST", "/api/auth/login", headers={"Content-Type": "application/json"},
            body=json.dumps({"username": "bench", "password": PASSWORD}).encode()))
        assert status == 200, body
        token = json.loads(body)["token"]
        print(f"{args.backend}: SYNTHETIC store of {args.records:,} records; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        asyncio.run(drive(app, token, ids, args.requests, args.profile, args.route))
        if not args.profile:
            read_alone(store, ids["sources"], args.requests)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        if store is not None:
            store.engine.dispose()


if __name__ == "__main__":
    main()
