"""Build the SYNTHETIC home of ``test_store_upgrade.py``: a home written by the code of
d70a0c9, whose schema is the frozen revision 0001 (the last main homes were built at).

Run with that commit's code, never today's (its services write its events):

    git archive d70a0c9 src tests/api | tar -x -C /tmp/d70a0c9
    PYTHONPATH=/tmp/d70a0c9/src python tests/store/home_0001/build.py

It writes ``rows.json`` (every table's rows, in the frozen schema's shape), ``schema.json``
(the names of its tables, columns and indexes) and ``files/`` (the home's keys and
blobs) beside itself. The test lays the rows into a database built
by ``alembic upgrade 0001`` on either backend, and opens the home with today's code.

What the home holds: three small lists (their records linked by a stand-in linker into
persons, two pairs sent to review), a person with dated acts and claims at each level, a
recorded estimate, a user, and a queued job. All names are SYNTHETIC.
"""

from __future__ import annotations

import base64
import csv
import json
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
from sqlalchemy import inspect, select

HERE = Path(__file__).resolve().parent
NAMES = ["Ali Karimi", "Zahra Moradi", "Javad Najafi", "Reza Ahmadi", "Maryam Jafari",
         "Hassan Rostami", "Mehdi Sadeghi", "Fatemeh Kazemi", "Sara Hosseini", "Omid Rahimi"]
#: Which of the ten people each list names (every person on at least one list).
LISTS = ([0, 1, 2, 3, 4, 5, 6], [0, 1, 2, 7, 8], [0, 3, 5, 7, 9])
ORIGIN = "test.dadkhahi.local/home0001"


def _linker(truth: dict[str, int], review: list[tuple[int, int]]) -> Any:
    """Records of one person linked at 0.97; pairs of the people in ``review`` at 0.5."""
    from dadkhahi.linkage.clusters import cluster_pairs

    def link(records: pd.DataFrame, labels: Any = None, backend: str = "duckdb",
             threshold: float = 0.9, **_: Any) -> Any:
        person = {rid: truth[rid] for rid in records["record_id"]}
        order = sorted(person)
        rows = [(a, b, 0.97, 5.0) for i, a in enumerate(order) for b in order[i + 1:]
                if person[a] == person[b]]
        maybe = [(a, b, 0.5, 0.0) for i, a in enumerate(order) for b in order[i + 1:]
                 if (person[a], person[b]) in review]
        pairs = pd.DataFrame(rows + maybe, columns=["record_id_l", "record_id_r",
                                                    "match_probability", "match_weight"])
        clustering = cluster_pairs(records["record_id"], pairs, threshold,
                                   sources=records["source_id"])
        return SimpleNamespace(pairs=pairs, clusters=clustering.clusters,
                               review_candidates=pairs[pairs["match_probability"] < 0.9],
                               conflicts=clustering.conflicts, model={"stand_in": True},
                               stats={"x": 1.0})

    return link


def build(home_dir: Path, tmp: Path) -> None:
    from dadkhahi.access import users
    from dadkhahi.access.policy import Role
    from dadkhahi.analysis.estimates import estimate_store, record_estimate
    from dadkhahi.domain.dates import DateRange
    from dadkhahi.domain.vocab import ActType, EntityKind, InvolvementRole, Sensitivity
    from dadkhahi.estimate import Options
    from dadkhahi.facts import entities
    from dadkhahi.facts.entities import Support
    from dadkhahi.intake.lists import import_list
    from dadkhahi.jobs import queue
    from dadkhahi.linkage.service import run_linkage
    from dadkhahi.linkage.store_io import load_records
    from dadkhahi.store.home import Home
    from dadkhahi.store.store import Store

    store = Store.init(Home(home_dir), ORIGIN, "builder")
    truth_by_external: dict[str, int] = {}
    for k, people in enumerate(LISTS):
        path = tmp / f"list{k}.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(["ID", "Name", "City", "Date of execution"])
            for p in people:
                out.writerow([f"L{k}-{p}", f"{NAMES[p]} SYNTHETIC", "Tehran",
                              f"1367/05/{10 + p:02d}"])
                truth_by_external[f"L{k}-{p}"] = p
        import_list(store, path, source=f"SYNTHETIC list {k}", actor="builder",
                    id_column="ID")
    recs = load_records(store)
    truth = {key: truth_by_external[ext]
             for key, ext in zip(recs["link_key"], recs["external_id"], strict=True)}
    run_linkage(store, "builder", linker=_linker(truth, [(1, 8), (3, 9)]), synthetic=True)

    with store.reading() as conn:
        from dadkhahi.store import schema as s

        first = conn.execute(select(s.records.c.id, s.records.c.source_id)
                             .order_by(s.records.c.id)).first()
    assert first is not None
    record, source = first
    with store.transaction("builder") as tx:
        for n, level in enumerate(Sensitivity):
            person = entities.create_person(tx, f"{level} person SYNTHETIC",
                                            sensitivity=level, synthetic=True)
            day = date(1988, 8, 10 + n)  # 1367/05/19 and on
            when = DateRange(day, day, f"1367/05/{19 + n}")
            act = entities.create_act(tx, ActType.EXECUTION, date=when,
                                      description=f"{level} act SYNTHETIC", sensitivity=level)
            entities.add_involvement(tx, act, InvolvementRole.VICTIM, person_id=person,
                                     sensitivity=level)
            entities.add_claim(tx, EntityKind.PERSON, person, "death_date",
                               when.text, [Support(source, record_id=record)],
                               date=when, sensitivity=level)
    done = estimate_store(store, "lcmcr", Options(iterations=200, chains=1, seed=3,
                                                 max_iterations=200))
    record_estimate(store, "builder", done)
    users.add_user(store, "analyst", Role.ANALYST, "SYNTHETIC passphrase for tests", "builder")
    queue.enqueue(store, "ledger.verify", {}, created_by="builder")
    store.checkpoint()
    _dump(store, home_dir)
    store.engine.dispose()


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return {"$base64": base64.b64encode(bytes(value)).decode()}
    return value


def _dump(store: Any, home_dir: Path) -> None:
    from dadkhahi.store import schema as s

    rows: dict[str, list[dict[str, Any]]] = {}
    with store.reading() as conn:
        for table in s.metadata.sorted_tables:
            got = conn.execute(select(table)).mappings().all()
            if got:
                rows[table.name] = [{k: _plain(v) for k, v in r.items()} for r in got]
    # What the home's database holds (names only: the same on either backend), for the
    # test to check that revision 0001 still builds it.
    with store.reading() as conn:
        look = inspect(conn)
        shape = {t: {"columns": sorted(c["name"] for c in look.get_columns(t)),
                     "indexes": sorted(str(i["name"]) for i in look.get_indexes(t))}
                 for t in sorted(look.get_table_names())}
    (HERE / "schema.json").write_text(json.dumps(shape, indent=1, sort_keys=True) + "\n",
                                      "utf-8")
    (HERE / "rows.json").write_text(json.dumps(rows, ensure_ascii=False, indent=0,
                                               sort_keys=True) + "\n", "utf-8")
    files = HERE / "files"
    shutil.rmtree(files, ignore_errors=True)
    shutil.copytree(home_dir, files, ignore=shutil.ignore_patterns("*.sqlite*"))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp) / "home", Path(tmp))
    sys.exit(0)
