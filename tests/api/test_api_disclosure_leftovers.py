"""The disclosure leftovers of issue 11 item 5, each attack reproduced through the API.

* A re-import of a file someone imported before, where the importer may not see that
  import, was answered 409: the refusal confirmed that a (protected) import of this very
  file exists. Now it is imported as any new file is, and a ``list.duplicate_found``
  event, as protected as the earlier import, tells those who may see it.
* A linkage job's result counted every record (records, persons, pairs), protected
  ones too, for an analyst without a grant.
* A proof request (a read, even anonymous) made the server sign a new checkpoint.

Every name here is SYNTHETIC.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from api_world import World, list_csv, upload
from sqlalchemy import func, not_, select

from dadkhahi.access.policy import Principal, Role, params, visible
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.jobs import queue
from dadkhahi.jobs.queue import JobState
from dadkhahi.ledger.proofs import verify_bundle
from dadkhahi.services.jobs import sees_every_record
from dadkhahi.store import schema as s

PRO = Sensitivity.PROTECTED


def _rows(n: int) -> bytes:
    tag = secrets.token_hex(4)
    return list_csv([[f"{tag}-{i}", f"Testname{i}, Synthetic", "Reza", "1367/05/12",
                      "Tehran", "SYNTHETIC"] for i in range(n)])


def _events(world: World, kind: str) -> list[tuple[int, dict[str, Any]]]:
    with world.store.reading() as conn:
        rows = conn.execute(select(s.ledger_events.c.idx, s.ledger_events.c.body)
                            .where(s.ledger_events.c.type == kind)
                            .order_by(s.ledger_events.c.idx)).all()
    return [(int(i), json.loads(b)["data"]) for i, b in rows]


def _checkpoints(world: World) -> int:
    with world.store.reading() as conn:
        return int(conn.execute(select(func.count())
                                .select_from(s.ledger_checkpoints)).scalar_one())


def test_a_duplicate_of_an_import_one_may_not_see_is_not_confirmed(
    shared_world: World,
) -> None:
    w = shared_world
    data = _rows(2)
    first = upload(w.client, "/api/lists", data,
                   {"source": w.objects[PRO].list_source, "sensitivity": "protected"},
                   w.headers("investigator_g"))
    assert first.status_code == 201, first.text
    # Who may see the earlier import is told which one it repeats.
    seen = upload(w.client, "/api/lists", data, {"source": "SYNTHETIC elsewhere"},
                  w.headers("investigator_g"))
    assert seen.status_code == 409 and first.json()["id"] in seen.text
    # The attack: an admin without the grant uploads the same file. Before, a 409 said a
    # hidden import of it existed; now the answer is that of any new file.
    again = upload(w.client, "/api/lists", data, {"source": "SYNTHETIC elsewhere"},
                   w.headers("admin"))
    assert again.status_code == 201, again.text
    body = again.json()
    assert body["rows"] == 2 and body["id"] != first.json()["id"]
    for secret in (first.json()["id"], first.json()["source_id"], "already", "duplicate"):
        assert secret not in again.text
    # The duplicate is recorded, as protected as the earlier import.
    found = [(i, d) for i, d in _events(w, "list.duplicate_found")
             if d["import_id"] == body["id"]]
    assert len(found) == 1
    index, event = found[0]
    assert event["duplicate_of"] == first.json()["id"] and event["sensitivity"] == "protected"
    for who in ("admin", "researcher", "analyst", "anonymous"):
        r = w.client.get(f"/api/ledger/events/{index}", headers=w.headers(who))
        assert r.status_code == 404, who
    r = w.client.get(f"/api/ledger/events/{index}", headers=w.headers("investigator_g"))
    assert r.status_code == 200 and r.json()["type"] == "list.duplicate_found"


def test_a_linkage_job_shows_no_counts_of_records_its_viewer_may_not_see(
    shared_world: World,
) -> None:
    w = shared_world
    r = w.client.post("/api/linkage/runs", headers=w.headers("analyst"), json={})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    with w.store.reading() as conn:
        total = int(conn.execute(select(func.count()).select_from(s.records)).scalar_one())
        analyst = Principal(user_id=w.user_ids["analyst"], username="analyst",
                            role=Role.ANALYST)
        hidden = int(conn.execute(select(func.count()).select_from(s.records).where(
            not_(visible(analyst, s.records))), params(analyst)).scalar_one())
    assert hidden > 0  # the world holds protected records the analyst may not see
    # The worker runs it (linkage itself is tested elsewhere): a run counts every record.
    claimed = queue.claim(w.store, job_id=job_id)
    assert claimed is not None
    queue.report(w.store, job_id, done=2, note=f"linking {total:,} records (duckdb)")
    running = w.client.get(f"/api/jobs/{job_id}", headers=w.headers("analyst")).json()
    assert str(total) not in json.dumps(running["progress"])
    assert running["progress"]["note"] == "linking records (duckdb)"
    queue.finish(w.store, job_id, JobState.SUCCEEDED, result={
        "run_id": "run_SYNTHETIC", "kind": "link.run", "records": total, "persons": total - 1,
        "new_persons": 1, "reused_persons": 0, "assigned": total, "moved": 0,
        "claims_added": 3, "claims_retired": 0, "pairs": 17, "review": 2, "decisions": 0,
        "conflicts": 0, "seconds": 1.5, "ledger_index": 3})
    for url in (f"/api/jobs/{job_id}", "/api/jobs"):
        shown = w.client.get(url, headers=w.headers("analyst")).json()
        job = shown if url.endswith(job_id) else next(j for j in shown if j["id"] == job_id)
        assert job["result"] == {"run_id": "run_SYNTHETIC", "kind": "link.run",
                                 "ledger_index": 3, "seconds": 1.5, "counts_withheld": True}
    # An admin without grants sees the job, not the counts; with every grant, the counts.
    admin = w.client.get(f"/api/jobs/{job_id}", headers=w.headers("admin")).json()
    assert admin["result"]["counts_withheld"] is True
    granted = Principal(user_id=w.user_ids["admin_g"], username="admin_g", role=Role.ADMIN)
    if sees_every_record(w.store, granted):
        shown = w.client.get(f"/api/jobs/{job_id}", headers=w.headers("admin_g")).json()
        assert shown["result"]["records"] == total


def test_a_proof_request_signs_nothing(shared_world: World) -> None:
    w = shared_world
    # A read of protected data writes its audit event: the log grows, unsigned.
    read = w.client.get(f"/api/sources/{w.objects[PRO].source}",
                        headers=w.headers("investigator_g"))
    assert read.status_code == 200
    with w.store.reading() as conn:
        size = int(conn.execute(select(func.count()).select_from(s.ledger_events))
                   .scalar_one())
        latest = int(conn.execute(select(func.max(s.ledger_checkpoints.c.size))).scalar_one())
    assert latest < size  # the audit event is not yet under a checkpoint
    before = _checkpoints(w)
    # The attack: anonymous proof requests made the server sign a checkpoint each time
    # the log had grown.
    index = _events(w, "source.registered")[0][0]
    for who in ("anonymous", "viewer_g", "admin"):
        proof = w.client.get(f"/api/ledger/events/{index}/proof", headers=w.headers(who))
        assert proof.status_code == 200, proof.text
        assert verify_bundle(proof.json(), w.store.verifier_key()).size == latest
    assert _checkpoints(w) == before
    # The audit event itself is proven once a change signs a checkpoint, never by a read.
    audit = _events(w, "audit.read")[-1][0]
    r = w.client.get(f"/api/ledger/events/{audit}/proof", headers=w.headers("admin"))
    assert r.status_code == 409 and _checkpoints(w) == before
    made = w.client.post("/api/sources", headers=w.headers("investigator_g"),
                         json={"title": "SYNTHETIC signed after a write"})
    assert made.status_code == 201
    assert _checkpoints(w) == before + 1
    r = w.client.get(f"/api/ledger/events/{audit}/proof", headers=w.headers("admin"))
    assert r.status_code == 200
    assert verify_bundle(r.json(), w.store.verifier_key()).size > audit
