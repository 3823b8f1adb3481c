"""Server time of the workspace's main pages on a store of about 100,000 SYNTHETIC persons.

    .venv/bin/python benchmarks/web/bench_pages.py [--people 120000] [--requests 200] \
        [--keep DIR] [--only WORD[,WORD]] [--warm 5]

The store is ``benchmarks/search/bench_person_search.py``'s: people invented by
``benchmarks/linkage/generate.py`` on two lists (Persian script and romanisations),
imported as a user would, persons made by a stand-in linker that groups records by the
generator's truth (this measures pages, not linkage). Added to it: one person of 500
linked records (the issue's heaviest person page: 500 records side by side, their claims
and sources), 2,000 pairs left in the review queue, and 120 places (prisons, cities,
burial sites, each with a status) with 20,000 dated executions at them, each naming one
of the persons as its victim (the timeline and places with data; added to a kept store
that has no acts yet). ``--keep DIR`` builds the store there once and reuses it (the
build dominates on a slow machine). Indexes the running code's schema declares and a
kept store lacks are created first, as a store built by that code would have them (an
older checkout run after a newer one then uses them too: run the older first).
``--only WORD`` measures only the pages whose name holds one of the comma-separated words;
``--warm K`` requests of each page go first, unmeasured.

Every page is asked straight of the server's ASGI app (``dadkhahi serve``'s
``server.create_app``, no socket, no load generator), one request at a time, warm, as
a signed-in admin (``--reader viewer``: a viewer, who sees public rows only) holding the
page cookie, Persian and English pages alternately:
dashboard (its counts kept while the ledger stands still; "counted anew": as the first
request after a ledger event), one of its charts (acts by month, an SVG drawn by
matplotlib), search (a
name as a list wrote it, in a POST body: Persian script or a
romanisation), search-as-you-type, a person page (a different typical person each
time), the 500-record person page (its first page: the person page shows 20 records and
about 100 claims at a time), the review queue, places, acts' timeline. Prints per
page the wall time per request (p50, p95, max), the CPU time of this process per request
(user + system, every thread: the server's whole cost on SQLite, whose reads run in
process; the mean, and p50 and p95 of each request's own) and the HTML's size, with the
load average before and after: on a shared machine the wall figures are loaded figures,
the CPU figures much less so.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "search"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from bench_page_read import call, pct
from bench_person_search import _truth_linker
from bench_person_search import build as build_store

from dadkhahi.access import answers, sessions, users
from dadkhahi.api.settings import ApiSettings
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.vocab import (
    ActType,
    InvolvementRole,
    PlaceKind,
    PlaceStatus,
    Role,
    Sensitivity,
)
from dadkhahi.facts import entities
from dadkhahi.linkage.service import run_linkage
from dadkhahi.search.persons import refresh_name_index
from dadkhahi.server import create_app
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.web.security import PAGE_COOKIE

#: The heavy person's records, and the pairs left for review.
BIG = 500
REVIEW = 2000
PASSWORD = "correct horse battery staple SYNTHETIC 1988"
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def cpu() -> float:
    """User + system CPU seconds of this process (all threads)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def link_with_extras(store: Store, df: pd.DataFrame, source_of: dict[str, str]) -> None:
    """Persons by the generator's truth, plus one person of :data:`BIG` records and
    :data:`REVIEW` pairs for the review queue (records chosen in link-key order: the
    same in every build)."""
    truth = {(source_of[src], str(r)): int(p) for src, r, p in
             zip(df["source_id"], df["record_id"], df["true_person_id"], strict=True)}
    base = _truth_linker(store, truth)

    def link(records: pd.DataFrame, *args: Any, **kwargs: Any) -> Any:
        found = base(records, *args, **kwargs)
        keys = sorted(str(k) for k in records["record_id"])
        big = set(keys[:BIG])
        clusters = found.clusters.copy()
        clusters.loc[clusters["record_id"].isin(big), "cluster_id"] = keys[0]
        rest = keys[BIG:BIG + 2 * REVIEW]
        rest = rest[:len(rest) // 2 * 2]  # pairs (a small store has fewer)
        review = pd.DataFrame(
            [(a, b, 0.5, 0.0) for a, b in zip(rest[::2], rest[1::2], strict=True)],
            columns=["record_id_l", "record_id_r", "match_probability", "match_weight"])
        return SimpleNamespace(pairs=found.pairs, review_candidates=review,
                               conflicts=found.conflicts, clusters=clusters,
                               model=found.model, stats=found.stats)

    t0, c0 = time.perf_counter(), cpu()
    report = run_linkage(store, "bench", linker=link, synthetic=True)
    print(f"persons: {report.persons:,} (one of {BIG} records), {REVIEW:,} pairs to review, "
          f"in {time.perf_counter() - t0:.1f} s ({cpu() - c0:.1f} s CPU)", flush=True)


#: Places (prisons, cities, burial sites) and dated acts at them, each naming a victim.
PLACES = 120
ACTS = 20_000


def add_facts(store: Store) -> None:
    """:data:`PLACES` places with a status and :data:`ACTS` executions on days of
    1981-1988 at them, each with one person as its victim (seeded; added once to a kept
    store, in one transaction)."""
    with store.reading() as conn:
        if conn.execute(select(func.count()).select_from(s.acts)).scalar_one():
            return
        persons = list(conn.execute(select(s.persons.c.id).order_by(s.persons.c.id))
                       .scalars())
    rng = random.Random(1367)
    kinds = (PlaceKind.PRISON, PlaceKind.CITY, PlaceKind.BURIAL_SITE)
    statuses = list(PlaceStatus)
    t0, c0 = time.perf_counter(), cpu()
    with store.transaction("bench") as tx:
        places = [entities.create_place(
            tx, f"Place {i} SYNTHETIC", kinds[i % len(kinds)],
            latitude=round(rng.uniform(26.0, 39.0), 4), longitude=round(rng.uniform(45.0, 61.0), 4),
            status=statuses[i % len(statuses)], sensitivity=Sensitivity.PUBLIC)
            for i in range(PLACES)]
        for _ in range(ACTS):
            day = dt.date(1981, 1, 1) + dt.timedelta(days=rng.randrange(8 * 365))
            act = entities.create_act(tx, ActType.EXECUTION, place_id=rng.choice(places),
                                      date=DateRange(day, day, day.isoformat()),
                                      sensitivity=Sensitivity.RESTRICTED)
            entities.add_involvement(tx, act, InvolvementRole.VICTIM,
                                     person_id=rng.choice(persons),
                                     sensitivity=Sensitivity.RESTRICTED)
    print(f"{PLACES} places and {ACTS:,} acts with a victim each in "
          f"{time.perf_counter() - t0:.1f} s ({cpu() - c0:.1f} s CPU)", flush=True)


def prepare(folder: Path, people: int) -> tuple[Store, pd.DataFrame]:
    """The store (built once under ``folder``), its name index and an admin."""
    kept = (folder / "home").exists()
    t0, c0 = time.perf_counter(), cpu()
    store, df, source_of = build_store(folder, people, 2, link=False)
    if not kept:
        link_with_extras(store, df, source_of)
        users.add_user(store, "bench-admin", Role.ADMIN, PASSWORD, "bench")
    # A kept store from an older main was brought to this code's schema as it was opened
    # (store.migrate: its revisions, and what an older 0001 lacked made from the schema).
    add_facts(store)
    refresh_name_index(store)
    print(f"store ready in {time.perf_counter() - t0:.1f} s ({cpu() - c0:.1f} s CPU of this "
          "process)", flush=True)
    return store, df


def sample(store: Store, df: pd.DataFrame, n: int) -> dict[str, list[str]]:
    """What the requests ask: persons (the heavy one apart) and names to search."""
    rng = random.Random(14)
    with store.reading() as conn:
        pr = s.person_records.c
        sizes = conn.execute(select(pr.person_id, func.count()).group_by(pr.person_id)
                             .order_by(func.count().desc(), pr.person_id).limit(1)).first()
        assert sizes is not None, "no persons"
        assert sizes[1] >= BIG, sizes
        ids = list(conn.execute(select(s.persons.c.id).order_by(s.persons.c.id)).scalars())
    names = df.assign(name=df["full_name"].fillna(
        (df["given_name"].fillna("") + " " + df["family_name"].fillna("")).str.strip()))
    names = names[names["name"].str.len() > 1]["name"].tolist()
    return {"persons": rng.sample(ids, min(n, len(ids))), "big": [str(sizes[0])],
            "names": [str(x) for x in rng.sample(names, min(n, len(names)))]}


async def measure(app: Any, token: str, asked: dict[str, list[str]], n: int,
                  only: list[str], warm: int) -> None:
    cookie = {"Cookie": f"{PAGE_COOKIE}={token}"}
    status, body = await call(app, "GET", "/fa/search", headers=cookie)
    assert status == 200, status
    found = _CSRF.search(body.decode("utf-8"))
    assert found is not None
    csrf = found.group(1)
    form = {**cookie, "Content-Type": "application/x-www-form-urlencoded"}

    def post(i: int, name: str) -> tuple[str, str, dict[str, str], bytes]:
        lang = "fa" if i % 2 == 0 else "en"
        return ("POST", f"/{lang}/search", form,
                urlencode({"csrf": csrf, "name": name}).encode())

    def get(path: str) -> Any:
        return lambda i: ("GET", f"/{'fa' if i % 2 == 0 else 'en'}{path}", cookie, b"")

    def anew(path: str) -> Any:
        def make(i: int) -> Any:
            answers.forget()  # as after a ledger event: nothing kept
            return get(path)(i)
        return make

    pages: dict[str, Any] = {
        "dashboard": get("/"),
        "dashboard (counted anew)": anew("/"),
        "dashboard chart (months)": get("/dashboard/chart.svg"),  # of=month, the default
        "search (POST, a name)": lambda i: post(i, asked["names"][i % len(asked["names"])]),
        "search as you type": lambda i: ("POST", f"/{'fa' if i % 2 == 0 else 'en'}"
                                         "/search/suggest", {**form, "HX-Request": "true"},
                                         urlencode({"csrf": csrf, "name": asked["names"][
                                             i % len(asked["names"])][:4]}).encode()),
        "person (typical)": lambda i: get(
            f"/persons/{asked['persons'][i % len(asked['persons'])]}")(i),
        f"person ({BIG} records)": get(f"/persons/{asked['big'][0]}"),
        "review queue": get("/review"),
        "places (map and table)": get("/places"),
        "timeline of acts": get("/timeline"),
    }
    print(f"{'page':<28} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'CPU ms/req':>10} "
          f"{'CPU p50':>8} {'CPU p95':>8} {'HTML KB':>8}")
    for name, make in pages.items():
        if only and not any(word in name for word in only):
            continue
        for i in range(warm):  # warm: statements compiled, pages in the cache
            method, path, headers, body = make(i)
            status, _ = await call(app, method, path, headers=headers, body=body)
            assert status == 200, (name, path, status)
        wall: list[float] = []
        spent: list[float] = []  # CPU of each request (every thread of this process)
        size = 0
        c0 = cpu()
        for i in range(n):
            method, path, headers, body = make(i)
            t0, u0 = time.perf_counter(), cpu()
            status, answer = await call(app, method, path, headers=headers, body=body)
            wall.append(time.perf_counter() - t0)
            spent.append(cpu() - u0)
            assert status == 200, (name, path, status)
            size = max(size, len(answer))
        used = (cpu() - c0) / n
        print(f"{name:<28} {pct(wall, 0.5) * 1e3:8.1f} {pct(wall, 0.95) * 1e3:8.1f} "
              f"{max(wall) * 1e3:8.1f} {used * 1e3:10.1f} {pct(spent, 0.5) * 1e3:8.1f} "
              f"{pct(spent, 0.95) * 1e3:8.1f} {size / 1024:8.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=145_000,
                        help="people drawn (about 100,000 of them are on a list)")
    parser.add_argument("--requests", type=int, default=200, help="per page")
    parser.add_argument("--keep", type=Path, help="build the store here once and reuse it")
    parser.add_argument("--warm", type=int, default=5,
                        help="requests per page before the measured ones (not measured)")
    parser.add_argument("--only", default="",
                        help="comma-separated words: measure the pages whose name holds one")
    parser.add_argument("--reader", choices=["admin", "viewer"], default="admin",
                        help="who asks: an admin (the team: every page) or a viewer "
                             "(public rows only: the rule keeps the fewest; pages a viewer "
                             "may not open answer 403 and stop the run, so name them out "
                             "with --only)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-web-"))
    folder.mkdir(parents=True, exist_ok=True)
    store, df = prepare(folder, args.people)
    with store.reading() as conn:
        persons = conn.execute(select(func.count()).select_from(s.persons)).scalar_one()
        records = conn.execute(select(func.count()).select_from(s.records)).scalar_one()
        acts = conn.execute(select(func.count()).select_from(s.acts)).scalar_one()
    asked = sample(store, df, args.requests)
    reader = f"bench-{args.reader}"
    if users.authenticate(store, reader, PASSWORD) is None:  # a kept store made before
        users.add_user(store, reader, Role(args.reader), PASSWORD, "bench")
    signed_in = users.authenticate(store, reader, PASSWORD)
    assert signed_in is not None
    token = sessions.open_session(store, signed_in, "127.0.0.1")
    app = create_app(store.home, ApiSettings(), store=store)
    print(f"SQLite store of {persons:,} persons from {records:,} records, {acts:,} acts; "
          f"as {reader}; {args.requests} "
          f"requests per page; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} "
          "cores", flush=True)
    asyncio.run(measure(app, token, asked, args.requests,
                        [w for w in args.only.split(",") if w], args.warm))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
