"""The testimonies pages: the list of those the visitor may see and one testimony with its
interview, consents, segments (direct or hearsay) and translations, through the API's
service; a protected testimony "not found" (the same page as a missing one) and absent
from the list for anyone its source may not go to; protected reads audited."""

from __future__ import annotations

import pytest
from api_world import World
from fastapi import FastAPI
from page_data import WITNESS, add_testimonies
from sqlalchemy import select
from web_world import client_for

from dadkhahi.store import schema as s

MISSING = "tst_00000000000000000000"


@pytest.fixture(scope="module")
def made(world: World) -> dict[str, str]:
    return add_testimonies(world)


def test_the_list_holds_only_the_testimonies_the_visitor_may_see(
        app: FastAPI, world: World, made: dict[str, str]) -> None:
    granted = client_for(app, world, "investigator_g").get("/en/testimonies")
    assert granted.status_code == 200
    assert f'href="/en/testimonies/{made["protected"]}"' in granted.text
    assert f'href="/en/testimonies/{made["public"]}"' in granted.text
    assert "1399/02/10" in granted.text  # the interview date, opened for the grant holder
    for who in ("researcher", "admin", "viewer_g"):
        listed = client_for(app, world, who).get("/en/testimonies")
        assert listed.status_code == 200
        assert made["protected"] not in listed.text and "1399/02/10" not in listed.text
        assert f'href="/en/testimonies/{made["public"]}"' in listed.text, who
    assert client_for(app, world, "anonymous").get("/en/testimonies").status_code == 303


def test_a_testimony_with_its_consents_segments_and_translations(
        app: FastAPI, world: World, made: dict[str, str]) -> None:
    client = client_for(app, world, "investigator_g")
    page = client.get(f"/en/testimonies/{made['protected']}")
    assert page.status_code == 200
    html = page.text
    assert WITNESS in html and "SYNTHETIC interviewer" in html
    assert html.index("seen or lived by the witness") < html.index("heard from others")
    assert "from 12.0 s" in html and "to 18.5 s" in html
    assert "I saw him in the corridor" in html and "SYNTHETIC translator" in html
    assert "a court" in html and "SYNTHETIC court" in html and ">given<" in html
    with world.store.reading() as conn:
        audited = set(conn.execute(select(s.audit_reads.c.object_id).where(
            s.audit_reads.c.user_id == world.user_ids["investigator_g"])).scalars())
    assert made["protected"] in audited
    persian = client.get(f"/fa/testimonies/{made['protected']}").text
    assert 'lang="fa" dir="rtl"' in persian and "از ۱۲٫۰ ثانیه" in persian


@pytest.mark.parametrize("who", ["researcher", "admin", "viewer_g", "analyst"])
def test_a_protected_testimony_is_not_found_without_the_grant(
        app: FastAPI, world: World, made: dict[str, str], who: str) -> None:
    client = client_for(app, world, who)
    missing = client.get(f"/en/testimonies/{MISSING}")
    answer = client.get(f"/en/testimonies/{made['protected']}")
    assert missing.status_code == answer.status_code == 404
    assert answer.text == missing.text.replace(MISSING, made["protected"])
    assert WITNESS not in answer.text
    assert client.get(f"/en/testimonies/{made['public']}").status_code == 200
