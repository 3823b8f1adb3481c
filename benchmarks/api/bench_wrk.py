"""Load test of the HTTP API with wrk (a C load generator that costs little CPU).

    .venv/bin/python benchmarks/api/bench_wrk.py --backend sqlite
    .venv/bin/python benchmarks/api/bench_wrk.py --backend postgresql \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/api/bench_wrk.py --backend both --rounds 3 --server granian

Stores ``--records`` SYNTHETIC records, starts ``dadkhahi serve`` on loopback and, in
each of ``--rounds`` rounds, measures back to back on the same server:

* the **floor**: ``--connections`` closed-loop connections asking ``GET /api/auth/me``
  anonymously (routing, middleware, dependencies, JSON; no store work): no route
  that does work can be faster here;
* **reads alone**: the reading connections below without the writers, so the writes'
  effect on the reads is a ratio of two runs a few seconds apart (``--no-reads-alone``
  leaves it out);
* **reads with writes mixed in**: ``--connections`` connections in all, of which
  ``--write-connections`` POST new records (one wrk process) while the others read a
  record by ID, a page of 20 records of a source, or the sources (another wrk
  process), each signed in with a bearer token;

then a **paced** run: ``--connections`` clients each sending one request every
``--pace-ms`` (wrk's ``delay()``; 10% writes), twice: first with every client
starting at the same instant (a worst case that, in a closed loop, never disperses: the
clients stay a train of 50 requests queued behind one another, so its p99 is about 50
times the CPU per request), then with each client starting at a random phase within
the pace, as independent people's clients do; the goal is read on the second.
Every acknowledged write (201) is looked up in the store afterwards: a missing one is
a lost write. Each run prints
throughput, p50/p99 latency and errors as wrk measured them, and the CPU per request of
the server process (on PostgreSQL also of the database's processes serving it), which
depends little on how loaded the machine is; the summary gives the
median and the spread over the rounds and the ratios the issue asks for (reads'
throughput >= 50% of the floor's, reads' p99 <= 2x the floor's; paced p99 < 50 ms).

Every closed-loop connection holds its first request ``--warm`` seconds (wrk's
``delay()``), and throughput is counted over the rest of the run (wrk's correction below
then takes its interval over the whole run: slightly fewer copies than it would make).
The server's event loop (uvloop, whose libuv accepts one connection per loop iteration
since libuv pull request 3696) otherwise accepts the last of 50 connections opened at
once only after dozens of busy iterations: their first requests waited seconds, timed
by wrk from the moment the kernel completed the connection, and wrk's correction for
coordinated omission copies each such sample at every interval below it. That, not the
reads' own latency, was the p99 of stop 24 (benchmarks/README.md, "The read tail was
connection set-up").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import PASSWORD, cpu_seconds, free_port, populate

from dadkhahi.store import schema as s
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store

# wrk's done() hook: one JSON line the script parses (latencies in microseconds).
DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50": %d, "p90": %d, "p99": %d, ' ..
    '"max": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""

# Each thread appends the IDs its 201s returned to its own file, for the lost-write check.
CREATED = """
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
end
local created = nil
local function note(status, body)
  if status == 201 then
    if created == nil then
      created = io.open(string.format("%s/created-%s-%d.txt", OUT, RUN, thread_no), "a")
    end
    local id = string.match(body, '"id":"(rec_[0-9a-f]+)"')
    if id then created:write(id, "\\n"); created:flush() end
  end
end
"""

READS = """
local ids, sources = {}, {}
for line in io.lines(IDS) do ids[#ids + 1] = line end
for line in io.lines(SOURCES) do sources[#sources + 1] = line end
math.randomseed(os.time())
function request()
  local roll = math.random()
  local headers = {["Authorization"] = "Bearer " .. TOKEN}
  if roll < 0.5 then
    return wrk.format("GET", "/api/records/" .. ids[math.random(#ids)], headers)
  elseif roll < 0.9 then
    return wrk.format("GET", "/api/records?limit=20&source_id=" ..
      sources[math.random(#sources)], headers)
  end
  return wrk.format("GET", "/api/sources", headers)
end
"""

WRITES = """
local sources = {}
for line in io.lines(SOURCES) do sources[#sources + 1] = line end
local n = 0
function request()
  n = n + 1
  local body = string.format(
    '{"source_id": "%s", "verbatim": {"name": "SYNTHETIC wrk %d %d"}}',
    sources[math.random(#sources)], thread_no, n)
  return wrk.format("POST", "/api/records", {["Authorization"] = "Bearer " .. TOKEN,
    ["Content-Type"] = "application/json"}, body)
end
function response(status, headers, body) note(status, body) end
"""

# Paced: every connection waits PACE ms after each answer; 1 request in 10 writes.
PACED = READS.replace("function request()", "function read_request()") + """
local m = 0
function request()
  if math.random() < 0.1 then
    m = m + 1
    local body = string.format(
      '{"source_id": "%s", "verbatim": {"name": "SYNTHETIC paced %d %d"}}',
      sources[math.random(#sources)], thread_no, m)
    return wrk.format("POST", "/api/records", {["Authorization"] = "Bearer " .. TOKEN,
      ["Content-Type"] = "application/json"}, body)
  end
  return read_request()
end
-- Each client's first request waits a phase: TOGETHER = every client at once (a train:
-- in a closed loop the 50 requests queue behind one another, each client goes again PACE
-- after its answer, so the train never disperses and p99 is about 50 service times);
-- otherwise a uniformly random phase in [0, PACE), as independent people's clients have.
local paced_calls = 0
function delay()
  paced_calls = paced_calls + 1
  if paced_calls <= CONNS and not TOGETHER then return math.random(0, PACE - 1) end
  return PACE
end
function response(status, headers, body) note(status, body) end
"""

# The floor: a matched route that resolves its dependencies but touches no store
# (who am I, asked anonymously). An unknown path is no floor here: FastAPI tries every
# route before its 404, which costs more than a matched read.
FLOOR = """
function request() return wrk.format("GET", "/api/auth/me") end
"""

# The first request of each connection waits WARM ms, long enough for the server to
# accept every connection while it has nothing else to do; later ones go at once (0 ms).
# With one wrk thread, the first CONNS calls are the connections' first requests: a
# second call needs a first answer, which comes after WARM.
WARM = """
local delays = 0
function delay()
  delays = delays + 1
  if delays <= CONNS then return WARM end
  return 0
end
"""


def lua(out: Path, name: str, body: str, values: dict[str, Any], created: bool,
        warm: tuple[int, int] | None = None) -> Path:
    """A wrk script; ``warm`` = (connections, ms) holds each connection's first request."""
    head = "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())
    if warm is not None:
        head += f"CONNS = {warm[0]}\nWARM = {warm[1]}\n"
    path = out / f"{name}.lua"
    path.write_text(head + (CREATED if created else "") + body + (WARM if warm else "") + DONE)
    return path


def wrk(base: str, script: Path, connections: int, duration: float,
        threads: int = 1) -> subprocess.Popen[str]:
    # One thread: the WARM script counts its connections' first requests per thread.
    return subprocess.Popen(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:.0f}s", "--timeout", "10s",
         "-s", str(script), base], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def result(proc: subprocess.Popen[str], warm_ms: int = 0) -> dict[str, Any]:
    """wrk's figures; throughput over the run less the ``warm_ms`` no request was sent."""
    out, _ = proc.communicate()
    for line in out.splitlines():
        if line.startswith("WRKJSON "):
            found: dict[str, Any] = json.loads(line[len("WRKJSON "):])
            found["rps"] = found["requests"] / (found["duration_us"] / 1e6 - warm_ms / 1000)
            found["errors"] = sum(found[k] for k in
                                  ("connect", "read", "write", "status", "timeout"))
            return found
    raise SystemExit(f"wrk said:\n{out}")


def show(label: str, r: dict[str, Any]) -> None:
    cpu = f"  CPU/request {r['cpu_ms']:.2f} ms" if "cpu_ms" in r else ""
    if "db_cpu_ms" in r:
        cpu += (f" + database >= {r['db_cpu_ms']:.2f} ms ({r['db_sessions']} server processes "
                "started)")
    print(f"  {label:34} {r['rps']:8.0f} req/s  p50 {r['p50'] / 1000:7.1f} ms  "
          f"p99 {r['p99'] / 1000:7.1f} ms  max {r['max'] / 1000:7.1f} ms  "
          f"errors {r['errors']} (non-2xx {r['status']}, timeouts {r['timeout']}){cpu}")


def backend_cpu(admin: Any, db: str) -> dict[int, float]:
    """CPU seconds (user + system) of each PostgreSQL server process serving ``db`` now."""
    with admin.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :n"),
                            {"n": db}).scalars().all()
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(pid)] = (int(fields[11]) + int(fields[12])) / tick
    return found


class Meter:
    """CPU per request of one run: the server process's, and on PostgreSQL the database's.

    CPU per request barely depends on the machine's load, unlike throughput and latency.
    The database's figure counts the server processes alive at both ends of the run only:
    a pooled connection closed and opened again during the run (the pool's overflow) takes
    its CPU with it, so the figure is a lower bound, and the run says how many server
    processes started during it (none, once the pools hold every connection they use).
    """

    def __init__(self, pid: int, admin: Any, db: str) -> None:
        self.pid, self.admin, self.db = pid, admin, db

    def start(self) -> tuple[float, dict[int, float], int]:
        return cpu_seconds(self.pid), self._db(), self.sessions()

    def _db(self) -> dict[int, float]:
        return {} if self.admin is None else backend_cpu(self.admin, self.db)

    def sessions(self) -> int:
        """Server processes started for the database so far (``pg_stat_database``): the
        processes alive at both ends of a run miss those that came and went within it."""
        if self.admin is None:
            return 0
        with self.admin.connect() as conn:
            return int(conn.execute(text("SELECT sessions FROM pg_stat_database "
                                         "WHERE datname = :n"), {"n": self.db}).scalar_one())

    def stop(self, began: tuple[float, dict[int, float], int], *runs: dict[str, Any]) -> None:
        """Write the CPU per request since ``began`` into each of ``runs`` (run together)."""
        n = max(1, sum(r["requests"] for r in runs))
        server = (cpu_seconds(self.pid) - began[0]) / n * 1000
        now = self._db()
        kept = set(now) & set(began[1])
        db = sum(now[p] - began[1][p] for p in kept) / n * 1000
        if self.admin is not None:
            time.sleep(1.5)  # a session is counted at its start, flushed within a second
        started = self.sessions() - began[2]
        for r in runs:
            r["cpu_ms"] = server
            if self.admin is not None:
                r["db_cpu_ms"] = db
                r["db_sessions"] = started


def start(home: Home, port: int, args: argparse.Namespace, env: dict[str, str]
          ) -> subprocess.Popen[bytes]:
    if args.server == "granian":
        env = {**env, "DADKHAHI_HOME": str(home.path),
               "DADKHAHI_ALLOWED_HOSTS": "127.0.0.1,localhost"}
        cmd = [str(Path(sys.executable).parent / "granian"), "--interface", "asgi",
               "--factory", "--host", "127.0.0.1", "--port", str(port), "--workers",
               str(args.workers), "--loop", "uvloop", "--log-level", "warning",
               "--no-ws", "dadkhahi.api.server:app_from_env"]
    else:
        cmd = [sys.executable, "-m", "dadkhahi", "--home", str(home.path), "serve",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
               "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/ledger/key", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit("the server exited during start-up")
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start")


def lost_writes(store: Store, out: Path) -> tuple[int, int]:
    """(acknowledged writes, of which missing from the store)."""
    acked: set[str] = set()
    for f in out.glob("created-*.txt"):
        acked |= {line.strip() for line in f.read_text().splitlines() if line.strip()}
    found: set[str] = set()
    ids = sorted(acked)
    with store.reading() as conn:
        for i in range(0, len(ids), 1000):
            found |= set(conn.execute(select(s.records.c.id).where(
                s.records.c.id.in_(ids[i:i + 1000]))).scalars())
    return len(acked), len(acked - found)


def summary(label: str, runs: list[dict[str, Any]]) -> dict[str, float]:
    rps = [r["rps"] for r in runs]
    p99 = [r["p99"] / 1000 for r in runs]
    cpu = ""
    if all("cpu_ms" in r for r in runs):
        cpu = f"  CPU/request median {statistics.median(r['cpu_ms'] for r in runs):.2f} ms"
    if all("db_cpu_ms" in r for r in runs):
        cpu += f" + database >= {statistics.median(r['db_cpu_ms'] for r in runs):.2f} ms"
    print(f"  {label:34} {statistics.median(rps):8.0f} req/s (runs {min(rps):.0f}-"
          f"{max(rps):.0f})  p99 median {statistics.median(p99):.1f} ms "
          f"(runs {min(p99):.1f}-{max(p99):.1f}){cpu}")
    return {"rps": statistics.median(rps), "p99": statistics.median(p99)}


def one_backend(backend: str, args: argparse.Namespace) -> None:
    print(f"=== {backend}: {args.records:,} records, {args.connections} connections "
          f"({args.write_connections} writing), {args.duration:.0f} s per run after {args.warm} s "
          f"for connecting, "
          f"{args.rounds} rounds, {args.server} with {args.workers} worker(s); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    tmp = Path(tempfile.mkdtemp(prefix="dadkhahi-wrk-"))
    env = {k: v for k, v in os.environ.items() if k != ENV_DATABASE_URL}
    os.environ.pop(ENV_DATABASE_URL, None)
    admin, db = None, ""
    if backend == "postgresql":
        admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        db = f"dadkhahi_wrk_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        url = make_url(args.pg_url).set(database=db).render_as_string(hide_password=False)
        env[ENV_DATABASE_URL] = os.environ[ENV_DATABASE_URL] = url
    proc = None
    try:
        home = Home(tmp / "home")
        store = Store.init(home, "bench.dadkhahi.local/wrk", "bench")
        ids = populate(store, args.records, 1)
        if backend == "postgresql":
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
        out = tmp / "wrk"
        out.mkdir()
        (out / "ids.txt").write_text("\n".join(ids["records"][:20_000]) + "\n")
        (out / "sources.txt").write_text("\n".join(ids["sources"]) + "\n")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start(home, port, args, env)
        token = httpx.post(f"{base}/api/auth/login", json={
            "username": "bench", "password": PASSWORD}).json()["token"]
        values = {"TOKEN": token, "IDS": str(out / "ids.txt"),
                  "SOURCES": str(out / "sources.txt"), "OUT": str(out), "PACE": args.pace_ms}
        warm_ms = args.warm * 1000
        readers_n = args.connections - args.write_connections
        floor_lua = lua(out, "floor", FLOOR, values, created=False,
                        warm=(args.connections, warm_ms))
        reads_lua = lua(out, "reads", READS, values, created=False, warm=(readers_n, warm_ms))
        length = args.duration + args.warm
        floors: list[dict[str, Any]] = []
        alone: list[dict[str, Any]] = []
        reads: list[dict[str, Any]] = []
        writes: list[dict[str, Any]] = []
        cpu0 = cpu_seconds(proc.pid)
        meter = Meter(proc.pid, admin, db)
        for n in range(args.rounds):
            result(wrk(base, floor_lua, args.connections, 3 + args.warm))  # not counted
            began = meter.start()
            floors.append(result(wrk(base, floor_lua, args.connections, length), warm_ms))
            meter.stop(began, floors[-1])
            if args.reads_alone:
                began = meter.start()
                alone.append(result(wrk(base, reads_lua, readers_n, length), warm_ms))
                meter.stop(began, alone[-1])
            writes_lua = lua(out, f"writes{n}", WRITES, {**values, "RUN": f"w{n}"},
                             created=True, warm=(args.write_connections, warm_ms))
            began = meter.start()
            readers = wrk(base, reads_lua, readers_n, length)
            writers = wrk(base, writes_lua, args.write_connections, length)
            reads.append(result(readers, warm_ms))
            writes.append(result(writers, warm_ms))
            meter.stop(began, reads[-1], writes[-1])
            print(f"round {n + 1}:")
            show("floor (anonymous /api/auth/me)", floors[-1])
            if alone:
                show("reads alone", alone[-1])
            show("reads (with writes beside)", reads[-1])
            show("writes (POST /api/records)", writes[-1])
        together_lua = lua(out, "paced-together", PACED, {
            **values, "RUN": "paced-t", "CONNS": args.connections, "TOGETHER": True},
            created=True)
        together = result(wrk(base, together_lua, args.connections, args.paced_duration))
        paced_lua = lua(out, "paced", PACED, {
            **values, "RUN": "paced", "CONNS": args.connections, "TOGETHER": False},
            created=True)
        paced = result(wrk(base, paced_lua, args.connections, args.paced_duration))
        cpu = cpu_seconds(proc.pid) - cpu0
        print("paced:")
        show(f"{args.connections} clients, 1 per {args.pace_ms} ms, all starting together",
             together)
        show(f"{args.connections} clients, 1 per {args.pace_ms} ms, random phase", paced)
        acked, lost = lost_writes(store, out)
        print(f"summary over {args.rounds} rounds (median, spread):")
        f = summary("floor", floors)
        a = summary("reads alone", alone) if alone else None
        r = summary("reads", reads)
        summary("writes", writes)
        errors = sum(x["errors"] for x in floors + alone + reads + writes) + paced["errors"] \
            + together["errors"]
        print(f"  reads / floor throughput: {r['rps'] / f['rps']:.0%} (goal >= 50%); "
              f"reads p99 / floor p99: {r['p99'] / f['p99']:.2f}x (goal <= 2x); "
              f"paced p99 {paced['p99'] / 1000:.1f} ms (goal < 50 ms; "
              f"{together['p99'] / 1000:.1f} ms with every client starting together)")
        if a is not None:
            print(f"  what the writes cost the reads: p99 with / without them "
                  f"{r['p99'] / a['p99']:.2f}x, throughput {r['rps'] / a['rps']:.0%}")
        print(f"  errors (floor, reads, writes, paced): {errors}; writes acknowledged {acked:,}, "
              f"lost {lost}; server CPU {cpu:.0f} s; load average "
              f"{os.getloadavg()[0]:.1f}")
        store.engine.dispose()
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # granian can take longer to drain
                proc.kill()
                proc.wait()
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
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--write-connections", type=int, default=5)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pace-ms", type=int, default=500)
    parser.add_argument("--paced-duration", type=float, default=30.0)
    parser.add_argument("--warm", type=int, default=1,
                        help="seconds each closed-loop connection waits before its first "
                             "request, so every connection is accepted before any is timed")
    parser.add_argument("--reads-alone", action=argparse.BooleanOptionalAction, default=True,
                        help="also run the readers without the writers each round")
    parser.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: bash scripts/install-system-deps.sh")
    for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
        one_backend(backend, args)


if __name__ == "__main__":
    main()
