"""The documents page: full-text search of the texts the visitor may see (the one
document search, as ``POST /api/search``), the query in the body only, matches marked."""

from __future__ import annotations

import pytest
from api_world import LEVELS, World
from fastapi import FastAPI
from web_world import client_for, csrf_of

from dadkhahi.domain.vocab import Sensitivity


@pytest.mark.parametrize("who", ["anonymous", "viewer_g", "analyst", "admin_g"])
def test_hits_are_only_the_texts_the_visitor_may_see(app: FastAPI, world: World,
                                                     who: str) -> None:
    client = client_for(app, world, who)
    form = client.get("/en/documents")
    assert form.status_code == 200 and 'method="post"' in form.text
    answer = client.post("/en/documents", data={"csrf": csrf_of(form.text),
                                                "q": "SYNTHETIC"})
    assert answer.status_code == 200
    for level in LEVELS:
        item = world.objects[level].item
        shown = f'href="/en/items/{item}"' in answer.text
        assert shown == world.can_see(who, level), (who, level)
    for marker in world.hidden_markers(who):
        assert marker not in answer.text
    assert "<mark>SYNTHETIC</mark>" in answer.text
    assert "SYNTHETIC" not in str(answer.url)  # the query never in an address


def test_an_empty_query_is_answered_beside_the_field_in_persian(app: FastAPI,
                                                                world: World) -> None:
    client = client_for(app, world, "admin_g")
    token = csrf_of(client.get("/fa/documents").text)
    answer = client.post("/fa/documents", data={"csrf": token, "q": ""})
    assert answer.status_code == 422
    assert 'id="f-q-error"' in answer.text and "واژه‌هایی را که می‌جویید بنویسید" in answer.text
    none = client.post("/fa/documents", data={"csrf": token, "q": "nowhere-word-xyz"})
    assert none.status_code == 200 and "۰ صفحه یافت شد" in none.text
    assert world.objects[Sensitivity.PUBLIC].item not in none.text
