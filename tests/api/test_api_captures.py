"""``POST /api/captures``: a web capture queued as a job with its address sealed; the
server's own network refused unless the server allows it; the address never in a URL."""

from __future__ import annotations

import pytest
from api_world import World
from sqlalchemy import select

from dadkhahi.store import schema as s

ADDRESS = "http://127.0.0.1:9/SYNTHETICCAPTUREQX"


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world


def test_a_capture_is_queued_sealed_and_local_addresses_are_refused(world: World) -> None:
    h = world.headers("investigator_g")
    refused = world.client.post("/api/captures", headers=h, json={"url": ADDRESS})
    assert refused.status_code in (400, 422) and "private or local" in refused.text
    bad = world.client.post("/api/captures", headers=h, json={"url": "file:///etc/passwd"})
    assert bad.status_code in (400, 422) and "http://" in bad.text
    queued = world.client.post("/api/captures", headers=h, json={
        "url": "http://203.0.114.1/SYNTHETICCAPTUREQX"})
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert job["kind"] == "documents.capture" and "SYNTHETICCAPTUREQX" not in queued.text
    with world.store.reading() as conn:
        params = conn.execute(select(s.jobs.c.params).where(s.jobs.c.id == job["id"])
                              ).scalar_one()
    assert "SYNTHETICCAPTUREQX" not in str(params)
    viewer = world.client.post("/api/captures", headers=world.headers("viewer_g"),
                               json={"url": "http://203.0.114.1/"})
    assert viewer.status_code == 403
