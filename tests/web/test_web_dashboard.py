"""The dashboard's acts by month, prison and province (issue 14): charts drawn on the
server with their tables beside them, under the disclosure rule and the small-number
rule, a protected place's name only to a grant holder and audited (SYNTHETIC)."""

from __future__ import annotations

import datetime as dt

import pytest
from api_world import World
from fastapi import FastAPI
from page_data import PROTECTED
from sqlalchemy import select
from web_world import client_for

from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.vocab import ActType, PlaceKind, Sensitivity
from dadkhahi.facts import entities
from dadkhahi.store import schema as s


def _day(month: int, day: int) -> DateRange:
    d = dt.date(1988, month, day)
    return DateRange(d, d, d.isoformat())


@pytest.fixture(scope="module")
def acts(world: World) -> dict[str, str]:
    """Six public acts at a prison in a province in August 1988, two at another prison in
    September (a small cell outside the team), three restricted ones at the protected
    prison in August."""
    public = Sensitivity.PUBLIC
    with world.store.transaction("tester") as tx:
        province = entities.create_place(tx, "PUBLIC-province SYNTHETIC", PlaceKind.PROVINCE,
                                         name_fa="استان آزمایشی", sensitivity=public)
        big = entities.create_place(tx, "PUBLIC-prison-big SYNTHETIC", PlaceKind.PRISON,
                                    parent_id=province, sensitivity=public)
        small = entities.create_place(tx, "PUBLIC-prison-small SYNTHETIC", PlaceKind.PRISON,
                                      sensitivity=public)
        for n in range(6):
            entities.create_act(tx, ActType.EXECUTION, place_id=big, date=_day(8, n + 1),
                                sensitivity=public)
        for n in range(2):
            entities.create_act(tx, ActType.EXECUTION, place_id=small, date=_day(9, n + 1),
                                sensitivity=public)
        for n in range(3):
            entities.create_act(tx, ActType.EXECUTION, place_id=world.objects[PROTECTED].place,
                                date=_day(8, n + 10), sensitivity=Sensitivity.RESTRICTED)
    return {"province": province, "big": big, "small": small}


def _rows(page: str, heading: str) -> str:
    """The section of the page under ``heading`` (its table)."""
    start = page.index(heading)
    return page[start:page.index("</section>", start)]


def test_the_team_sees_acts_by_month_prison_and_province(
        app: FastAPI, world: World, acts: dict[str, str]) -> None:
    client = client_for(app, world, "analyst")
    page = client.get("/en/").text
    prisons = _rows(page, "Acts by prison")
    assert f'href="/en/places/{acts["big"]}"' in prisons
    assert "PUBLIC-prison-big SYNTHETIC" in prisons
    assert f'href="/en/places/{acts["small"]}"' in prisons  # 2 acts: the team sees them
    assert "SECRET-" not in page  # the protected prison is not the analyst's to see
    months = _rows(page, "Acts by month")
    assert "August 1988" in months and "September 1988" in months
    provinces = _rows(page, "Acts by province")
    assert f'href="/en/places/{acts["province"]}"' in provinces
    assert "province not known" in provinces
    for name in ("month", "prison", "province"):
        assert f'src="/en/dashboard/chart.svg?of={name}"' in page
        chart = client.get("/en/dashboard/chart.svg", params={"of": name})
        assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
        assert chart.content.startswith(b"<?xml") and b"SECRET-" not in chart.content
        assert "sandbox" in chart.headers["content-security-policy"]
    assert client.get("/en/dashboard/chart.svg", params={"of": "x"}).status_code == 404
    fa = client.get("/fa/").text
    assert "اقدام‌ها بر پایهٔ زندان" in fa and "استان آزمایشی" in fa and "۶" in fa


def test_outside_the_team_small_cells_are_merged(app: FastAPI, world: World,
                                                 acts: dict[str, str]) -> None:
    page = client_for(app, world, "anonymous").get("/en/").text
    prisons = _rows(page, "Acts by prison")
    assert acts["small"] not in prisons  # 2 acts: counted only with others
    assert "others together (each fewer than 5)" in prisons
    assert "SECRET-" not in page and "RESTRICTED-" not in page


def test_a_grant_holder_sees_the_protected_prison_and_is_audited(
        app: FastAPI, world: World, acts: dict[str, str]) -> None:
    client = client_for(app, world, "investigator_g")
    prisons = _rows(client.get("/en/").text, "Acts by prison")
    assert "SECRET-place" in prisons
    with world.store.reading() as conn:
        audited = conn.execute(select(s.audit_reads.c.action).where(
            s.audit_reads.c.object_id == world.objects[PROTECTED].place)).scalars().all()
    assert "read dashboard" in audited
