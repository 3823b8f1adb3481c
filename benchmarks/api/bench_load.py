"""Bounded load test of the HTTP API on loopback (synthetic data only).

    .venv/bin/python benchmarks/api/bench_load.py --backend sqlite
    .venv/bin/python benchmarks/api/bench_load.py --backend postgresql \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Stores ``--records`` synthetic records (``record.added`` events, written straight
through ``store.transaction``), starts ``dadkhahi serve`` in a subprocess on
127.0.0.1, and runs ``--clients`` concurrent clients for ``--duration`` seconds
(mixed reads and writes; ``--think-ms`` pauses between a client's requests, 0 =
closed loop, every client always waiting on the server). Reports p50/p99 latency
for reads and writes, requests per second, errors, and lost writes: records whose
201 came back but which are not in the database afterwards, and claims whose final
status is not the one last acknowledged to their (only) editor. It also reports the
server's and the load generator's CPU per request, and then (unless ``--no-floor``)
the floor: the same clients asking for an unknown path, which the app answers 404
without touching the store, so no route can be faster on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from dadkhahi.access import users
from dadkhahi.access.policy import Role
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import EntityKind, Sensitivity, SourceKind
from dadkhahi.facts import entities
from dadkhahi.intake.sources import register_source
from dadkhahi.store import schema as s
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store

PASSWORD = "SYNTHETIC benchmark passphrase"
STATUSES = ("asserted", "corroborated", "disputed", "retracted")


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    claim_last: dict[str, str] = field(default_factory=dict)


def populate(store: Store, n_records: int, n_claims: int) -> dict[str, Any]:
    """SYNTHETIC sources, records and claims; returns IDs the clients use."""
    t0 = time.perf_counter()
    with store.transaction("bench") as tx:
        public = register_source(store, tx, SourceSpec(
            title="SYNTHETIC benchmark list (public)", kind=SourceKind.LIST,
            sensitivity=Sensitivity.PUBLIC))
        restricted = register_source(store, tx, SourceSpec(
            title="SYNTHETIC benchmark list (restricted)", kind=SourceKind.LIST,
            sensitivity=Sensitivity.RESTRICTED))
        record_ids = []
        for i in range(n_records):
            rid = new_id("record")
            source, level = (public, "public") if i % 2 else (restricted, "restricted")
            tx.emit("record.added", {
                "id": rid, "source_id": source, "item_id": None, "import_id": None,
                "row_number": i, "external_id": f"B{i}",
                "verbatim": {"name": f"SYNTHETIC person {i}", "prison": "SYNTHETIC ward"},
                "normalized": {"name": f"synthetic person {i}"}, "sensitivity": level,
            })
            record_ids.append(rid)
        person = entities.create_person(tx, "SYNTHETIC benchmark person",
                                        sensitivity=Sensitivity.PUBLIC, synthetic=True)
        claims = [
            entities.add_claim(tx, EntityKind.PERSON, person, f"note_{i}", i,
                               [entities.Support(public)], sensitivity=Sensitivity.PUBLIC)
            for i in range(n_claims)
        ]
    store.checkpoint()
    users.add_user(store, "bench", Role.INVESTIGATOR, PASSWORD, "bench")
    print(f"stored {n_records:,} records + {n_claims} claims in "
          f"{time.perf_counter() - t0:.1f} s (ledger size {store.size():,})")
    return {"records": record_ids, "claims": claims, "sources": [public, restricted]}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split()
        pids += [int(c) for c in children]
    for p in pids:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    home: Home, port: int, workers: int, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "dadkhahi", "--home", str(home.path), "serve", "--host",
           "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/ledger/key", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit("the server exited during start-up")
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


async def client_loop(
    n: int, http: aiohttp.ClientSession, token: str, ids: dict[str, Any], stop: float,
    think: float, stats: Stats, write_share: float,
) -> None:
    """One client: a mixed stream of reads and writes until ``stop``.

    Each client edits only its own claim, so every If-Match it sends should match:
    a 412 would mean an edit got lost or reordered, and counts as an error.
    """
    rng = random.Random(n)
    auth = {"Authorization": f"Bearer {token}"}
    claim = ids["claims"][n]
    async with http.get(f"/api/claims/{claim}", headers=auth) as got:
        version = got.headers["ETag"]
    while time.perf_counter() < stop:
        roll = rng.random()
        kwargs: dict[str, Any] = {"headers": auth}
        status = ""
        if roll < write_share / 2:
            op, method, url = "write: POST /api/records", "POST", "/api/records"
            kwargs["json"] = {"source_id": rng.choice(ids["sources"]),
                              "verbatim": {"name": f"SYNTHETIC new {secrets.token_hex(4)}"}}
        elif roll < write_share:
            op, method, url = "write: PATCH /api/claims/{id}", "PATCH", f"/api/claims/{claim}"
            status = rng.choice(STATUSES)
            kwargs["json"] = {"status": status}
            kwargs["headers"] = {**auth, "If-Match": version}
        elif roll < write_share + (1 - write_share) * 0.45:
            op, method = "read: GET /api/records/{id}", "GET"
            url = f"/api/records/{rng.choice(ids['records'])}"
        elif roll < write_share + (1 - write_share) * 0.85:
            op, method, url = "read: GET /api/records?limit=20", "GET", "/api/records"
            kwargs["params"] = {"limit": 20, "source_id": rng.choice(ids["sources"])}
        else:
            op, method, url = "read: GET /api/sources", "GET", "/api/sources"
        t0 = time.perf_counter()
        try:
            async with http.request(method, url, **kwargs) as r:
                body = await r.read()
                code, etag = r.status, r.headers.get("ETag")
        except (TimeoutError, aiohttp.ClientError) as exc:
            stats.latencies[op].append(time.perf_counter() - t0)
            stats.errors[op] += 1
            stats.error_samples.append(f"{op}: {exc!r}")
            continue
        stats.latencies[op].append(time.perf_counter() - t0)
        if code >= 300:
            stats.errors[op] += 1
            if len(stats.error_samples) < 10:
                stats.error_samples.append(f"{op}: {code} {body[:200]!r}")
        elif method == "POST":
            stats.created.append(json.loads(body)["id"])
        elif method == "PATCH":
            version = etag or version
            stats.claim_last[claim] = status
        if think:
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))


async def run_load(base: str, ids: dict[str, Any], clients: int, duration: float,
                   think: float, write_share: float) -> Stats:
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as http:
        async with http.post("/api/auth/login",
                             json={"username": "bench", "password": PASSWORD}) as r:
            r.raise_for_status()
            token = (await r.json())["token"]
        stats = Stats()
        stop = time.perf_counter() + duration
        await asyncio.gather(*(client_loop(i, http, token, ids, stop, think, stats, write_share)
                               for i in range(clients)))
    return stats


async def run_floor(base: str, clients: int, duration: float) -> list[float]:
    """Latencies of a request that does no work (an unknown path, answered 404 by the
    app's error handler) from the same number of closed-loop clients: the floor that
    the server framework and the shared CPUs set for any route."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base, connector=connector) as http:
        stop = time.perf_counter() + duration

        async def loop() -> None:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                async with http.get("/api/no-such-route") as r:
                    await r.read()
                latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(loop() for _ in range(clients)))
    return latencies


def pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1] * 1000


def report(stats: Stats, duration: float, store: Store) -> dict[str, Any]:
    total = sum(len(v) for v in stats.latencies.values())
    print(f"{'operation':36} {'n':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for op in sorted(stats.latencies):
        lat = stats.latencies[op]
        print(f"{op:36} {len(lat):7d} {pct(lat, 50):8.1f} {pct(lat, 99):8.1f} "
              f"{stats.errors.get(op, 0):6d}")
    reads = [x for op, v in stats.latencies.items() if op.startswith("read") for x in v]
    writes = [x for op, v in stats.latencies.items() if op.startswith("write") for x in v]
    with store.reading() as conn:
        found = set()
        created = stats.created
        for start in range(0, len(created), 1000):
            chunk = created[start:start + 1000]
            found |= set(conn.execute(select(s.records.c.id).where(s.records.c.id.in_(chunk)))
                         .scalars())
        statuses = dict(conn.execute(select(s.claims.c.id, s.claims.c.status).where(
            s.claims.c.id.in_(list(stats.claim_last)))).all())
    lost_records = len(set(created) - found)
    lost_claims = sum(1 for c, st in stats.claim_last.items() if statuses.get(c) != st)
    errors = sum(stats.errors.values())
    summary = {
        "requests": total, "req_per_s": total / duration,
        "read_p50_ms": pct(reads, 50), "read_p99_ms": pct(reads, 99),
        "write_p50_ms": pct(writes, 50), "write_p99_ms": pct(writes, 99),
        "errors": errors, "lost_writes": lost_records + lost_claims,
        "writes_acknowledged": len(created) + len(stats.claim_last),
    }
    print(f"total {total:,} requests in {duration:.0f} s = {summary['req_per_s']:.0f} req/s; "
          f"reads p50 {summary['read_p50_ms']:.1f} ms p99 {summary['read_p99_ms']:.1f} ms; "
          f"writes p50 {summary['write_p50_ms']:.1f} ms p99 {summary['write_p99_ms']:.1f} ms")
    print(f"errors: {errors}; acknowledged writes: {len(created)} records created, "
          f"{len(stats.claim_last)} claims edited; lost writes: {lost_records} records, "
          f"{lost_claims} claim edits")
    for sample in stats.error_samples[:10]:
        print("  error sample:", sample)
    return summary


def one_backend(backend: str, args: argparse.Namespace) -> None:
    print(f"=== {backend}: {args.records:,} records, {args.clients} clients, "
          f"{args.duration:.0f} s, think {args.think_ms} ms, {args.workers} worker(s)")
    tmp = Path(tempfile.mkdtemp(prefix="dadkhahi-bench-"))
    env = dict(os.environ)
    env.pop(ENV_DATABASE_URL, None)
    os.environ.pop(ENV_DATABASE_URL, None)
    admin = None
    db = ""
    if backend == "postgresql":
        admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        db = f"dadkhahi_bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        url = make_url(args.pg_url).set(database=db).render_as_string(hide_password=False)
        env[ENV_DATABASE_URL] = url
        os.environ[ENV_DATABASE_URL] = url
    proc = None
    try:
        home = Home(tmp / "home")
        store = Store.init(home, "bench.dadkhahi.local/load", "bench")
        ids = populate(store, args.records, args.clients)
        if backend == "postgresql":
            # Autovacuum would get there on its own; a bulk load is measured after it has.
            with store.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        port = free_port()
        proc = start_server(home, port, args.workers, env)
        # The set-up left a large heap here; keep the collector from pausing the clients.
        gc.collect()
        gc.freeze()
        cpu0, wall0 = cpu_seconds(proc.pid), time.perf_counter()
        client0 = time.process_time()
        stats = asyncio.run(run_load(f"http://127.0.0.1:{port}", ids, args.clients,
                                     args.duration, args.think_ms / 1000, args.write_share))
        cpu, wall = cpu_seconds(proc.pid) - cpu0, time.perf_counter() - wall0
        client_cpu = time.process_time() - client0
        summary = report(stats, args.duration, store)
        print(f"server CPU: {cpu:.1f} s over {wall:.0f} s wall = "
              f"{1000 * cpu / max(summary['requests'], 1):.2f} ms CPU per request; "
              f"load generator: {client_cpu:.1f} s CPU = "
              f"{1000 * client_cpu / max(summary['requests'], 1):.2f} ms per request; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        if args.floor:
            floor = asyncio.run(run_floor(f"http://127.0.0.1:{port}", args.clients,
                                          min(args.duration, 10.0)))
            print(f"floor (404 on an unknown path, {args.clients} closed-loop clients): "
                  f"{len(floor) / min(args.duration, 10.0):.0f} req/s, "
                  f"p50 {pct(floor, 50):.1f} ms p99 {pct(floor, 99):.1f} ms")
        store.engine.dispose()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :n"), {"n": db})
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}"'))
            admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get(
        "DADKHAHI_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--think-ms", type=float, default=0.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--write-share", type=float, default=0.1)
    parser.add_argument("--no-floor", dest="floor", action="store_false",
                        help="skip the no-work floor measurement after the load")
    args = parser.parse_args()
    for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
        one_backend(backend, args)


if __name__ == "__main__":
    main()
