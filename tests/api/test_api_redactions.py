"""``POST /api/items/{id}/redactions``: a redacted copy of a protected item made by a grant
holder, the removed words in no answer and no event; "not found" without the grant."""

from __future__ import annotations

import pytest
from api_world import World, marker
from sqlalchemy import select

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import schema as s


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world


def test_a_redacted_copy_over_the_api(world: World) -> None:
    item = world.objects[Sensitivity.PROTECTED].item
    secret = f"{marker(Sensitivity.PROTECTED)}file"
    body = {"reason": "SYNTHETIC: for a partner", "texts": [secret]}
    for who in ("researcher", "admin"):
        hidden = world.client.post(f"/api/items/{item}/redactions",
                                   headers=world.headers(who), json=body)
        assert hidden.status_code == 404, who
    made = world.client.post(f"/api/items/{item}/redactions",
                             headers=world.headers("investigator_g"), json=body)
    assert made.status_code == 201, made.text
    assert made.json()["spans"] == 1 and secret not in made.text
    copy = made.json()["redacted_item_id"]
    content = world.client.get(f"/api/items/{copy}/content",
                               headers=world.headers("investigator_g"))
    assert content.status_code == 200 and secret not in content.text
    assert "[redacted] SYNTHETIC" in content.text
    with world.store.reading() as conn:
        events = b"".join(conn.execute(select(s.ledger_events.c.body)).scalars())
    assert secret.encode() not in events
