"""Transcription over HTTP, on a protected item: two independent transcriptions (the second
transcriber is not shown the first), their differences, a resolution, the queue; the page
stays "not found" to anyone without the grant, and each read of it is audited."""

from __future__ import annotations

import pytest
from api_world import World
from sqlalchemy import select

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.jobs.worker import run_now
from dadkhahi.store import schema as s

FIRST = "SYNTHETICFIRSTHANDQX Evin 1367 ten names"
SECOND = "SYNTHETICFIRSTHANDQX Evin 1367 two names"


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world


def test_two_independent_transcriptions_differ_and_are_resolved(world: World) -> None:
    item = world.objects[Sensitivity.PROTECTED].item
    page = f"/api/items/{item}/pages/7"
    c, h = world.client, world.headers
    asked = c.post(f"/api/items/{item}/transcription-requests", headers=h("investigator_g"),
                   json={"pages": [7], "required": 2})
    assert asked.status_code == 201, asked.text
    queue = c.get("/api/transcriptions", headers=h("investigator_g")).json()["pages"]
    assert {"item_id": item, "page": 7, "state": "open"}.items() <= next(
        p for p in queue if p["item_id"] == item and p["page"] == 7).items()
    typed = c.post(f"{page}/transcriptions", headers=h("investigator_g"), json={"text": FIRST})
    assert typed.status_code == 201, typed.text
    assert typed.json()["mentions"] is None  # one of two: nothing scanned while blind
    again = c.post(f"{page}/transcriptions", headers=h("investigator_g"), json={"text": FIRST})
    assert again.status_code == 422 and "someone else" in again.text
    # The second transcriber sees the page, not the first one's text.
    blind = c.get(f"{page}/transcription", headers=h("admin_g"))
    assert blind.status_code == 200 and FIRST not in blind.text
    assert blind.json()["texts"] == [] and blind.json()["yours"] is False
    own = c.get(f"{page}/transcription", headers=h("investigator_g")).json()
    assert [t["text"] for t in own["texts"]] == [FIRST + "\n"] and own["yours"]
    assert c.post(f"{page}/transcriptions", headers=h("admin_g"),
                  json={"text": SECOND}).status_code == 201
    both = c.get(f"{page}/transcription", headers=h("lawyer_g")).json()
    assert both["state"] == "differ" and both["transcriptions"] == 2 == len(both["texts"])
    assert [d for d in both["differences"] if d["op"] != "equal"] == [
        {"op": "replace", "first": "ten", "second": "two"}]
    # Someone without the grant: not found, and nothing of the text.
    for who in ("researcher", "admin", "anonymous"):
        hidden = c.get(f"{page}/transcription", headers=h(who))
        assert hidden.status_code == 404 and "SYNTHETICFIRSTHANDQX" not in hidden.text, who
    resolved = c.post(f"{page}/resolution", headers=h("investigator_g"), json={"text": FIRST})
    assert resolved.status_code == 201
    # The settled text feeds the mention finder: a job queued as the reviewer's, which
    # the worker runs; its proposals name the resolution.
    queued = resolved.json()["mentions"]["job"]
    assert queued["kind"] == "mentions.find" and queued["state"] == "queued", queued
    assert c.get(f"/api/jobs/{queued['id']}", headers=h("investigator_g")).status_code == 200
    ran = run_now(world.store, queued["id"])
    assert ran.state == "succeeded" and ran.result is not None, ran.error
    [found] = ran.result["runs"]
    assert found["item_id"] == item and found["proposals"] == 1, found
    [proposal] = [p for p in c.get("/api/proposals", headers=h("investigator_g")).json()[
        "proposals"] if p["text_item_id"] == resolved.json()["text_item_id"]]
    # A count is proposed as a published figure saying what it counts (issue 15).
    assert proposal["value"] == {"approximately": 10, "what": "names"}
    assert proposal["sensitivity"] == "protected"
    done = c.get(f"{page}/transcription", headers=h("lawyer_g")).json()
    assert done["state"] == "done" and done["texts"][-1]["kind"] == "resolution"
    with world.store.reading() as conn:
        audited = set(conn.execute(select(s.audit_reads.c.object_id).where(
            s.audit_reads.c.user_id == world.user_ids["admin_g"])).scalars())
    assert item in audited
