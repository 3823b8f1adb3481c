"""Places: the offline map's data, the list beside it, a place page with its acts."""

from __future__ import annotations

import json
import re
from datetime import date

from api_world import World
from fastapi import FastAPI
from web_world import client_for

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


def test_map_data_list_and_place_page(app: FastAPI, world: World) -> None:
    who = "investigator_g"
    principal = Principal(user_id=world.user_ids[who], username=who, role=world.roles[who])
    site = objects.create_place(
        world.store, principal, "Khavaran SYNTHETIC", PlaceKind.BURIAL_SITE,
        name_fa="خاوران", parent_id=None, latitude=35.61, longitude=51.62,
        status=PlaceStatus.DESTROYED, sensitivity=Sensitivity.PUBLIC)
    act = objects.create_act(world.store, principal, ActType.UNMARKED_BURIAL,
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
    block = re.search(r'<script type="application/json" id="places-data">(.*?)</script>',
                      page.text, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert {"id": site["id"], "name": "خاوران", "kind": "burial_site",
            "status": "built_over", "lat": 35.61, "lon": 51.62} in data
    assert "countries-110m.json" in page.text
    assert "SECRET-" not in page.text and "RESTRICTED-" not in page.text
    filtered = client.get("/en/places?status=intact").text
    assert "Khavaran SYNTHETIC" not in filtered
    one = client.get(f"/en/places/{site['id']}")
    assert one.status_code == 200
    assert "unmarked burial" in one.text and "SYNTHETIC burial" in one.text
    assert "PUBLIC-person SYNTHETIC" in one.text  # the victim, linked
    history = one.text[one.text.index('id="status-heading"'):one.text.index('id="acts-heading"')]
    assert history.index("2005") < history.index("2009") and "shown now" in history
    assert source in history
    fa = client.get(f"/fa/places/{site['id']}").text
    assert "وضعیت در گذر زمان" in fa and "وضعیت کنونی" in fa


def test_map_data_block_is_inert(app: FastAPI, world: World) -> None:
    who = "admin_g"
    principal = Principal(user_id=world.user_ids[who], username=who, role=world.roles[who])
    objects.create_place(world.store, principal, "</script><script>alert(1)</script>",
                         PlaceKind.CITY, name_fa=None, parent_id=None, latitude=30.0,
                         longitude=50.0, status=PlaceStatus.UNKNOWN,
                         sensitivity=Sensitivity.PUBLIC)
    html = client_for(app, world, "anonymous").get("/en/places").text
    assert "<script>alert(1)" not in html and "\\u003c/script\\u003e" in html
