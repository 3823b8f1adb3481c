"""Persons known only from records of a protected list (issue 11), through the API.

The rule (docs/ARCHITECTURE.md, access): such a person is protected, and its scope is its
own ID and the sources of its records: it goes to a holder of a grant on the person, or
to a reader who may see *every* one of its records (their sources' grants). So a reader
granted only on a *different* protected source learns nothing of it (no row, no count, no
search hit, no review pair), and the holder of the list's own source sees it without a
grant on each person. SYNTHETIC lists: one open, two protected (A and B).
"""

from __future__ import annotations

import dataclasses
import secrets
import sys
from pathlib import Path
from typing import Any

from api_world import list_csv, stand_in_linker
from fastapi.testclient import TestClient
from sqlalchemy import select

from dadkhahi.access import grants, sessions, users
from dadkhahi.access.policy import Principal, Role
from dadkhahi.api import create_app
from dadkhahi.api.settings import ApiSettings
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.lists import import_list
from dadkhahi.linkage.service import run_linkage
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "linkage"))

PASSWORD = "SYNTHETIC passphrase for tests"


def _list(store: Store, tmp: Path, name: str, rows: list[list[str]], level: Sensitivity
          ) -> Any:
    path = tmp / f"{name}.csv"
    path.write_bytes(list_csv(rows))
    return import_list(store, path, source=f"SYNTHETIC {name}", actor="setup",
                       id_column="ID", sensitivity=level)


def _row(ext: str, name: str) -> list[str]:
    return [ext, name, "Reza", "1367/05/12", "Tehran", ""]


def test_a_person_only_a_protected_list_knows_goes_to_that_lists_readers_only(
    store: Store, tmp_path: Path
) -> None:
    tag = "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(6))
    a_name, b_name = f"Qzv{tag}a, Synthetic", f"Qzv{tag}b, Synthetic"
    _list(store, tmp_path, "open", [_row("O1", "Karimi, Ali")], Sensitivity.PUBLIC)
    a = _list(store, tmp_path, "a", [_row("A1", a_name), _row("A2", "Karimi, Ali")],
              Sensitivity.PROTECTED)
    b = _list(store, tmp_path, "b", [_row("B1", b_name)], Sensitivity.PROTECTED)
    with store.reading() as conn:
        ids = {str(r.id): str(r.import_id) for r in conn.execute(
            select(s.records.c.id, s.records.c.import_id))}
    by_import = {imp: sorted(r for r, i in ids.items() if i == imp) for imp in set(ids.values())}
    a_records, b_records = by_import[a.import_id], by_import[b.import_id]
    # Every record its own person; the pairs within and across the protected lists to review.
    pairs = [(min(x, y), max(x, y)) for x, y in ((a_records[0], a_records[1]),
                                                  (a_records[0], b_records[0]))]
    run_linkage(store, "setup", linker=stand_in_linker(store, pairs), synthetic=True)
    with store.reading() as conn:
        person_of = dict(conn.execute(select(s.person_records.c.record_id,
                                             s.person_records.c.person_id)).tuples().all())
    a_only = {person_of[r] for r in a_records}
    b_only = {person_of[r] for r in b_records}

    people = {"a_holder": a.source_id, "b_holder": b.source_id, "nobody": None}
    tokens = {}
    for name, scope in people.items():
        uid = users.add_user(store, name, Role.ANALYST, PASSWORD, "setup")
        if scope is not None:
            grants.grant(store, scope, uid, "setup")
        tokens[name] = sessions.open_session(
            store, Principal(user_id=uid, username=name, role=Role.ANALYST), "127.0.0.1")
    client = TestClient(create_app(store.home, ApiSettings(), store=store),
                        raise_server_exceptions=False)

    seen: dict[str, dict[str, Any]] = {}
    for name, token in tokens.items():
        h = {"Authorization": f"Bearer {token}"}
        listed = client.get("/api/persons?limit=500", headers=h).json()["data"]
        count = client.get("/api/status", headers=h).json()["counts"]["persons"]
        single = {p for p in a_only | b_only
                  if client.get(f"/api/persons/{p}", headers=h).status_code == 200}
        hits = {str(x["person_id"]) for q in (a_name, b_name) for x in client.post(
            "/api/persons/search", json={"name": q}, headers=h).json()["hits"]}
        review = client.get("/api/linkage/review", headers=h)
        assert review.status_code == 200, review.text
        in_review = {x[side]["id"] for x in review.json() for side in ("left", "right")}
        seen[name] = {"listed": {str(p["id"]) for p in listed}, "count": count,
                      "single": single, "hits": hits, "review": in_review}

    for name, mine, theirs in (("a_holder", a_only, b_only), ("b_holder", b_only, a_only),
                               ("nobody", set(), a_only | b_only)):
        got = seen[name]
        assert got["listed"] & (a_only | b_only) == mine, name
        assert got["single"] == mine, name
        assert got["count"] == len(got["listed"]), name
        assert got["hits"] & theirs == set(), name
    # The review queue: the pair inside list A goes to A's holder only; the pair across A
    # and B to nobody here (neither holds both).
    assert seen["a_holder"]["review"] == set(a_records)
    assert seen["b_holder"]["review"] == set() and seen["nobody"]["review"] == set()


def test_an_estimate_resting_on_a_protected_list_goes_to_that_lists_readers_only(
    store: Store, tmp_path: Path
) -> None:
    """An estimate of the store counts the persons a protected list alone knows: an
    analyst granted only on another source is not shown it (its figures would say how
    many such persons there are), nor the counts of the job that made it; a holder of
    grants on every list it names is."""
    from dadkhahi.analysis.estimates import estimate_store, record_estimate
    from dadkhahi.estimate import Options
    from dadkhahi.jobs import queue
    from dadkhahi.services.estimates import stored_estimates
    from dadkhahi.services.jobs import job_view, sees_every_record

    names = ["Karimi, Ali", "Moradi, Zahra", "Najafi, Javad", "Rezaei, Hassan"]
    _list(store, tmp_path, "open", [_row(f"O{i}", n) for i, n in enumerate(names)],
          Sensitivity.PUBLIC)
    a = _list(store, tmp_path, "a", [_row(f"A{i}", n) for i, n in enumerate(names[:3])]
              + [_row("A9", "Qzvonly, Synthetic")], Sensitivity.PROTECTED)
    b = _list(store, tmp_path, "b", [_row("B1", "Qzvother, Synthetic")],
              Sensitivity.PROTECTED)
    with store.reading() as conn:
        ext = {str(r.external_id or ""): str(r.id) for r in conn.execute(
            select(s.records.c.id, s.records.c.external_id).where(
                s.records.c.sealed.is_(None)))}
    assert len(ext) == 4  # the open list's (protected ids are sealed)
    from dadkhahi.linkage.store_io import load_records
    recs = load_records(store)
    by_ext = dict(zip(recs["external_id"], recs["record_id"], strict=True))
    pairs = [(by_ext[f"O{i}"], by_ext[f"A{i}"]) for i in range(3)]
    from fake_linker import fake_linker
    run_linkage(store, "setup", linker=fake_linker(store, lambda _r: [list(p) for p in pairs]))
    done = estimate_store(store, "lp", Options(seed=1))
    estimate_id = record_estimate(store, "setup", done)
    principals = {}
    # The estimate names every list (B too, unused or not): its reader must see them all.
    for name, scopes in (("a_holder", (a.source_id, b.source_id)),
                         ("b_holder", (b.source_id,))):
        uid = users.add_user(store, name, Role.ANALYST, PASSWORD, "setup")
        for scope in scopes:
            grants.grant(store, scope, uid, "setup")
        principals[name] = Principal(user_id=uid, username=name, role=Role.ANALYST)
    assert [x["id"] for x in stored_estimates(store, principals["a_holder"])] == [estimate_id]
    assert stored_estimates(store, principals["b_holder"]) == []
    job = queue.enqueue(store, "estimate.store", {"method": "lp"},
                        created_by=principals["b_holder"].user_id)
    finished = dataclasses.replace(job, state="succeeded", result={
        "estimate_id": estimate_id, "documented": done.result.documented,
        "estimate": done.result.estimate})
    assert not sees_every_record(store, principals["b_holder"])
    assert job_view(finished, counts=False)["result"] == {"counts_withheld": True}
