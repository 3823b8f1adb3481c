"""Hostile input on pages: stored HTML and script shown inert, direction overrides removed."""

from __future__ import annotations

from api_world import World
from fastapi import FastAPI
from web_world import client_for

from dadkhahi.access.policy import Principal
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.services import objects as services

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> \u202eFDP.exe محمد\u200cرضا'


def test_stored_markup_and_bidi_overrides_are_shown_inert(app: FastAPI, world: World) -> None:
    who = "investigator_g"
    principal = Principal(user_id=world.user_ids[who], username=who, role=world.roles[who])
    person = services.create_person(world.store, principal, HOSTILE, Sensitivity.RESTRICTED,
                                    True)
    for lang in ("fa", "en"):
        page = client_for(app, world, who).get(f"/{lang}/persons/{person['id']}")
        assert page.status_code == 200
        html = page.text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
        assert "\u202e" not in html  # the override is not shown, so it reorders nothing
        assert "محمد\u200cرضا" in html  # ZWNJ is Persian spelling and stays
        assert '<h1><bdi dir="auto">' in html  # isolated, in its own direction
