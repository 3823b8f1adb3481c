"""The page access matrix, generated from the route table: every page × role × sensitivity.

The world holds protected persons, items and sources whose names and file names carry
``SECRET-`` markers (restricted ones ``RESTRICTED-``). For every page route, every
principal and every sensitivity of the object a page shows, the HTML and the headers
served must hold no marker of a level the principal may not see; a page about an
object the principal cannot see is a plain "not found"; a page about one they can see
shows it (so the check is not vacuous). A page route added without a line here fails.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_world import LEVELS, PRINCIPALS, World
from fastapi import FastAPI
from fastapi.routing import APIRoute
from page_data import add_matrix_testimonies
from web_world import client_for

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.web.pages import ROUTERS

#: Path parameter (besides the language) → the world object it names.
OBJECT_PARAMS = {"person_id": "person", "item_id": "item", "source_id": "source",
                 "place_id": "place", "act_id": "act", "list_id": "list_id",
                 "organization_id": "organization",
                 # The world holds no case: an act's ID names no case, so every principal
                 # gets "not found" (case pages are tested in test_web_cases).
                 "case_id": "act",
                 # A proposal is reviewed from its item's text page (a POST only); an
                 # item's ID names no proposal: "not found" after the form token.
                 "proposal_id": "item",
                 # Nor a bundle job: a job ID of a case that is none is "not found".
                 "job_id": "act",
                 # A testimony of each sensitivity (page_data.add_matrix_testimonies),
                 # and a segment of it (its translation form, a POST only).
                 "testimony_id": "testimony", "segment_id": "segment",
                 # An act's person withdrawn from it (a POST only).
                 "involvement_id": "involvement"}
#: What each object page shows of a visible object (its marker proves it was shown).
SHOWN = {"person": "person SYNTHETIC", "source": "source SYNTHETIC", "item": "name.txt",
         "place": "place", "act": "act", "organization": "organisation",
         "testimony": "interviewer SYNTHETIC"}
#: Pages that legitimately name objects the reader cannot see, by ID only (as the API's
#: ``/api/grants`` and ``/api/audit``): the grants and the audit trail, for the admin who
#: manages them. Markers (names, file names, values) are still checked on them.
ID_EXEMPT = {"/{lang}/admin/users", "/{lang}/admin/audit"}
#: Page routes that answer before any data is read (sign-in steps).
NO_DATA = {"/{lang}/sign-in", "/{lang}/sign-in/second-factor", "/{lang}/sign-in/enrol"}


def page_routes(app: FastAPI, method: str) -> list[APIRoute]:
    """The page routes of the app (FastAPI wraps included routers: read the page routers'
    own tables, which are what the app includes)."""
    found = [r for router in ROUTERS for r in router.routes
             if isinstance(r, APIRoute) and method in r.methods]
    assert found and all(r.path.startswith("/{lang}") for r in found)
    return found


def _params(route: APIRoute) -> list[str]:
    return [p for p in re.findall(r"\{([a-z_]+)\}", route.path) if p != "lang"]


def _leaks(answer: Any, markers: list[str], ids: list[str], asked: str) -> list[str]:
    text = answer.text + "\n".join(f"{k}: {v}" for k, v in answer.headers.items())
    found = [m for m in markers if m in text]
    found += [i for i in ids if i in text and i not in asked]
    return found


def test_every_page_route_is_in_the_matrix(app: FastAPI) -> None:
    for route in page_routes(app, "GET"):
        unknown = [p for p in _params(route) if p not in OBJECT_PARAMS]
        assert unknown == [], f"{route.path}: add {unknown} to OBJECT_PARAMS"


@pytest.fixture(scope="module", autouse=True)
def testimonies(world: World) -> None:
    """Testimonies are objects of the matrix like the others: one at each sensitivity."""
    add_matrix_testimonies(world)


@pytest.mark.parametrize("who", PRINCIPALS)
def test_pages_show_nothing_beyond_the_grant(app: FastAPI, world: World, who: str) -> None:
    client = client_for(app, world, who)
    hidden = world.hidden_markers(who)
    hidden_ids = world.hidden_ids(who)
    checked = 0
    for route in page_routes(app, "GET"):
        params = _params(route)
        levels: tuple[Sensitivity | None, ...] = tuple(LEVELS) if params else (None,)
        for level in levels:
            path = route.path.replace("{lang}", "fa")
            for name in params:
                assert level is not None
                path = path.replace("{" + name + "}",
                                    getattr(world.objects[level], OBJECT_PARAMS[name]))
            answer = client.get(path)
            checked += 1
            assert answer.status_code in (200, 303, 403, 404), (path, answer.status_code)
            ids = [] if route.path in ID_EXEMPT else hidden_ids
            assert _leaks(answer, hidden, ids, path) == [], (who, path)
            if level is None or route.path in NO_DATA:
                continue
            visible = world.can_see(who, level)
            if not visible:
                # Not found, never "forbidden": a protected object's existence is not
                # confirmed (a signed-out visitor may be sent to sign in first).
                assert answer.status_code in (404, 303), (who, path)
            elif answer.status_code == 200:
                kind = OBJECT_PARAMS[params[0]]
                # The object's own page (a download, a picture or a proof is not a page).
                if kind in SHOWN and route.path.endswith("}"):
                    assert f"{world_marker(level)}{SHOWN[kind]}" in answer.text, path
    assert checked >= len(page_routes(app, "GET")) >= 4


def world_marker(level: Sensitivity) -> str:
    from api_world import marker

    return marker(level)


def test_every_form_refuses_a_post_without_its_token(app: FastAPI, world: World) -> None:
    routes = page_routes(app, "POST")
    assert routes, "the pages have forms"
    for who in ("anonymous", "admin_g"):
        client = client_for(app, world, who)
        for route in routes:
            path = route.path.replace("{lang}", "en")
            for name in _params(route):
                path = path.replace("{" + name + "}", getattr(
                    world.objects[Sensitivity.PUBLIC], OBJECT_PARAMS[name]))
            for token in (None, "f" * 64):
                data = {"csrf": token} if token else {}
                answer = client.post(path, data=data)
                assert answer.status_code in (403, 404), (who, path, answer.status_code)
                assert "text/html" in answer.headers["content-type"]
