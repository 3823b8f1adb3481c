"""Places: the offline map's data, the list beside it, a place page with its acts, and
its status recorded from the page."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from api_world import World
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_world import client_for, csrf_of

from dadkhahi.access.policy import Principal
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.vocab import (
    ActType,
    InvolvementRole,
    PlaceKind,
    PlaceStatus,
    Sensitivity,
)
from dadkhahi.facts.entities import Support
from dadkhahi.services import objects
from dadkhahi.store import schema as s
from dadkhahi.store.actors import pseudonym_in


def test_map_data_list_and_place_page(app: FastAPI, world: World) -> None:
    who = "investigator_g"
    principal = Principal(user_id=world.user_ids[who], username=who, role=world.roles[who])
    site = objects.create_place(
        world.store, principal, "Khavaran SYNTHETIC", PlaceKind.BURIAL_SITE,
        name_fa="خاوران", parent_id=None, latitude=35.61, longitude=51.62,
        status=PlaceStatus.DESTROYED, sensitivity=Sensitivity.PUBLIC)
    act = objects.record_act(world.store, principal, ActType.UNMARKED_BURIAL,
                             Support(world.objects[Sensitivity.PUBLIC].source),
                             place_id=site["id"], date=None, description="SYNTHETIC burial",
                             sensitivity=Sensitivity.PUBLIC)
    objects.create_involvement(world.store, principal, act["id"], InvolvementRole.VICTIM,
                               person_id=world.objects[Sensitivity.PUBLIC].person,
                               organization_id=None, sensitivity=Sensitivity.PUBLIC)
    # Its status over time: dated claims of their sources; the column shows the latest.
    source = world.objects[Sensitivity.PUBLIC].source
    objects.add_place_status(world.store, principal, site["id"], PlaceStatus.BUILT_OVER,
                             [Support(source)], date=DateRange(date(2009, 1, 1),
                                                               date(2009, 1, 31), "2009-01"))
    objects.add_place_status(world.store, principal, site["id"], PlaceStatus.DAMAGED,
                             [Support(source)], date=DateRange(date(2005, 1, 1),
                                                               date(2005, 12, 31), "2005"))
    client = client_for(app, world, "anonymous")
    page = client.get("/fa/places")
    assert page.status_code == 200
    # The map loads its data as the memorial's does: the one map script, the outlines
    # as an asset and the places as a script calling dadkhahiPlaces.
    scripts = re.findall(r'<script src="([^"]+)" defer></script>', page.text)
    assert [s.rsplit("/", 1)[1] for s in scripts[-3:]] == ["map.js", "outlines.js",
                                                           "map-data.js"]
    assert all(client.get(s).status_code == 200 for s in scripts)
    data = _map_data(client, scripts[-1])
    assert {"id": site["id"], "name": "خاوران", "kind": "burial_site",
            "status": "built_over", "lat": 35.61, "lon": 51.62} in data
    assert "SECRET-" not in page.text and "RESTRICTED-" not in page.text
    assert not any(("SECRET-" in p["name"] or "RESTRICTED-" in p["name"]) for p in data)
    filtered = client.get("/en/places?status=intact").text
    assert "Khavaran SYNTHETIC" not in filtered
    only = re.findall(r'<script src="(/en/places/map-data.js[^"]*)"', filtered)
    assert only == ["/en/places/map-data.js?status=intact"]
    assert site["id"] not in {p["id"] for p in _map_data(client, only[0])}
    assert [p["id"] for p in _map_data(client, f"/fa/places/{site['id']}/map-data.js")] == [
        site["id"]]
    one = client.get(f"/en/places/{site['id']}")
    assert one.status_code == 200
    assert "unmarked burial" in one.text and "SYNTHETIC burial" in one.text
    assert "PUBLIC-person SYNTHETIC" in one.text  # the victim, linked
    history = one.text[one.text.index('id="status-heading"'):one.text.index('id="acts-heading"')]
    assert history.index("2005") < history.index("2009") and "shown now" in history
    assert source in history
    fa = client.get(f"/fa/places/{site['id']}").text
    assert "وضعیت در گذر زمان" in fa and "وضعیت کنونی" in fa


def _map_data(client: TestClient, url: str) -> list[dict[str, Any]]:
    """The places a map-data script hands the map (it must be one call of JSON)."""
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    assert answer.headers["cross-origin-resource-policy"] == "same-origin"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"
    call = re.fullmatch(r"dadkhahiPlaces\((.*)\);\n", answer.text, re.S)
    assert call is not None, answer.text[:80]
    data: list[dict[str, Any]] = json.loads(call.group(1))
    return data


def test_map_data_is_data_not_code(app: FastAPI, world: World) -> None:
    who = "admin_g"
    principal = Principal(user_id=world.user_ids[who], username=who, role=world.roles[who])
    name = '</script><script>alert(1)</script>"]);alert(2);//'
    hidden = objects.create_place(world.store, principal, "SYNTHETIC hidden place",
                                  PlaceKind.CITY, name_fa=None, parent_id=None,
                                  latitude=31.0, longitude=51.0, status=PlaceStatus.UNKNOWN,
                                  sensitivity=Sensitivity.RESTRICTED)
    objects.create_place(world.store, principal, name, PlaceKind.CITY, name_fa=None,
                         parent_id=None, latitude=30.0, longitude=50.0,
                         status=PlaceStatus.UNKNOWN, sensitivity=Sensitivity.PUBLIC)
    client = client_for(app, world, "anonymous")
    html = client.get("/en/places").text
    assert "<script>alert(1)" not in html
    # The name comes back whole from the JSON: it never ends the call or the string.
    assert name in {p["name"] for p in _map_data(client, "/en/places/map-data.js")}
    # A place the visitor may not see is not in the list's data, nor its own (404).
    assert hidden["id"] not in {p["id"] for p in _map_data(client, "/en/places/map-data.js")}
    assert client.get(f"/en/places/{hidden['id']}/map-data.js").status_code == 404


def _last_event(world: World, kind: str) -> tuple[int, dict[str, Any]]:
    e = s.ledger_events.c
    with world.store.reading() as conn:
        row = conn.execute(select(e.idx, e.body).where(e.type == kind)
                           .order_by(e.idx.desc()).limit(1)).one()
    return int(row.idx), json.loads(row.body)


def _events(world: World) -> int:
    with world.store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(s.ledger_events)).scalar_one())


def _site(world: World, name: str) -> str:
    who = "admin_g"
    principal = Principal(user_id=world.user_ids[who], username=who, role=world.roles[who])
    return str(objects.create_place(
        world.store, principal, name, PlaceKind.BURIAL_SITE, name_fa=None, parent_id=None,
        latitude=None, longitude=None, status=PlaceStatus.UNKNOWN,
        sensitivity=Sensitivity.PUBLIC)["id"])


def test_a_status_is_recorded_from_the_place_page(app: FastAPI, world: World) -> None:
    """Plain form (redirect) and htmx (the section in place): a dated claim of its source
    in the ledger under the signed-in user; the place's status follows the latest."""
    site = _site(world, "SYNTHETIC status site")
    source = world.objects[Sensitivity.PUBLIC].source
    client = client_for(app, world, "investigator_g")
    page = client.get(f"/en/places/{site}").text
    assert f'action="/en/places/{site}/statuses"' in page and 'name="status"' in page
    token = csrf_of(page)
    plain = client.post(f"/en/places/{site}/statuses", data={
        "csrf": token, "status": "damaged", "date": "۱۳۸۴", "source_id": source,
        "locator": "p. 2", "sensitivity": "public"})
    assert plain.status_code == 303, plain.text
    assert plain.headers["location"] == f"/en/places/{site}#status-heading"
    _, claim = _last_event(world, "claim.added")
    assert claim["data"]["entity_id"] == site and claim["data"]["property"] == "status"
    assert claim["data"]["value"] == "damaged"
    assert claim["data"]["date_earliest"] == "2005-03-21"  # the Solar Hijri year 1384
    with world.store.reading() as conn:
        assert claim["actor"] == pseudonym_in(conn, world.store.keys, "investigator_g")
    fragment = client.post(f"/fa/places/{site}/statuses", headers={"HX-Request": "true"},
                           data={"csrf": token, "status": "built_over", "date": "2009-01",
                                 "source_id": source, "sensitivity": "public"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="status"') and "<html" not in (
        fragment.text)
    assert fragment.text.index("رویش ساخته‌اند") > fragment.text.index("آسیب‌دیده")
    with world.store.reading() as conn:
        assert conn.execute(select(s.places.c.status).where(s.places.c.id == site)
                            ).scalar_one() == "built_over"
    shown = client_for(app, world, "anonymous").get(f"/en/places/{site}").text
    history = shown[shown.index('id="status-heading"'):shown.index('id="acts-heading"')]
    assert history.index("damaged") < history.index("built over") < history.index(
        "shown now")
    assert "statuses" not in shown  # no form for who may not add facts


def test_a_wrong_status_form_is_answered_beside_its_fields(app: FastAPI,
                                                          world: World) -> None:
    site = _site(world, "SYNTHETIC status errors")
    client = client_for(app, world, "analyst")
    token = csrf_of(client.get(f"/en/places/{site}").text)
    before = _events(world)
    hostile = '"><script>alert(1)</script>'
    wrong = client.post(f"/en/places/{site}/statuses", data={
        "csrf": token, "status": "unknown", "date": hostile, "sensitivity": "public"})
    assert wrong.status_code == 422
    for field in ("status", "date", "source_id"):
        assert f'id="f-{field}-error"' in wrong.text, field
    assert "<script>alert(1)" not in wrong.text and "&lt;script&gt;" in wrong.text
    # htmx: the section again with the errors, not an error page.
    again = client.post(f"/fa/places/{site}/statuses", headers={"HX-Request": "true"},
                        data={"csrf": token, "status": "intact", "sensitivity": "public",
                              "source_id": world.objects[Sensitivity.PROTECTED].source})
    assert again.status_code == 200 and 'id="f-source_id-error"' in again.text
    assert "SECRET-" not in again.text
    assert _events(world) == before


def test_the_status_form_follows_the_access_rules(app: FastAPI, world: World) -> None:
    site = _site(world, "SYNTHETIC status access")
    pro = world.objects[Sensitivity.PROTECTED]
    form = {"status": "destroyed", "source_id": world.objects[Sensitivity.PUBLIC].source,
            "sensitivity": "public"}
    before = _events(world)
    viewer = client_for(app, world, "viewer_g")
    page = viewer.get(f"/en/places/{site}").text
    assert "statuses" not in page
    assert viewer.post(f"/en/places/{site}/statuses",
                       data={"csrf": csrf_of(client_for(app, world, "viewer_g").get(
                           "/en/search").text), **form}).status_code == 403
    analyst = client_for(app, world, "analyst")  # adds facts, no grant
    assert analyst.post(f"/en/places/{site}/statuses", data=form).status_code == 403  # CSRF
    token = csrf_of(analyst.get("/en/search").text)
    hidden = analyst.post(f"/en/places/{pro.place}/statuses", data={"csrf": token, **form})
    missing = analyst.post("/en/places/place_00000000000000000000/statuses",
                           data={"csrf": token, **form})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text == missing.text.replace("place_00000000000000000000", pro.place)
    assert _events(world) == before
