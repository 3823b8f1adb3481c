"""Acts, the registry of named officials, organisations and the timeline (SYNTHETIC).

Each page is checked for what it shows (in the language of allegation, dates in both
calendars) and for what it must not: a protected perpetrator, act, organisation or
source named by public statements carries a ``SECRET-`` marker, and the page's HTML
must not hold it for a reader without the grant.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_world import World
from fastapi import FastAPI
from page_data import PROTECTED, PUBLIC, add_facts
from sqlalchemy import select
from web_world import client_for

from dadkhahi.store import schema as s


@pytest.fixture(scope="module")
def facts(world: World) -> dict[str, str]:
    return add_facts(world)


PAGES = ("/acts", "/perpetrators", "/organizations", "/timeline")


@pytest.mark.parametrize("who", ["anonymous", "viewer_g", "analyst", "researcher"])
def test_no_protected_object_reaches_a_reader_without_the_grant(
        app: FastAPI, world: World, facts: dict[str, Any], who: str) -> None:
    client = client_for(app, world, who)
    pub = world.objects[PUBLIC]
    paths = [*PAGES, f"/acts/{facts['act']}", f"/organizations/{pub.organization}"]
    for lang in ("fa", "en"):
        for path in paths:
            page = client.get(f"/{lang}{path}")
            assert page.status_code == 200, (who, lang, path)
            assert "SECRET-" not in page.text, (who, lang, path)
            assert facts["hidden"] not in page.text and facts["hidden_act"] not in page.text
            assert world.objects[PROTECTED].organization not in page.text
        for hidden in (f"/acts/{facts['hidden_act']}",
                       f"/organizations/{world.objects[PROTECTED].organization}"):
            answer = client.get(f"/{lang}{hidden}")
            assert answer.status_code == 404 and "SECRET-" not in answer.text


def test_registry_speaks_in_the_language_of_allegation(app: FastAPI, world: World,
                                                       facts: dict[str, Any]) -> None:
    en = client_for(app, world, "analyst").get("/en/perpetrators").text
    assert "Official PUBLIC-perp SYNTHETIC" in en
    assert "named as having signed the order for" in en
    # What a protected source says of him is not shown without a grant on it.
    assert "guarded the victims" not in en
    assert "named as holding the office of" in en and "prosecutor SYNTHETIC" in en
    assert "PUBLIC-organisation" in en and "by 1 source" in en
    # The office in a protected organisation is listed without naming it.
    assert "deputy SYNTHETIC" in en and "SECRET-" not in en
    fa = client_for(app, world, "analyst").get("/fa/perpetrators").text
    assert "متهم" not in fa  # allegation, not accusation words of a finding
    assert "نام برده شده" in fa and "مرداد ۱۳۶۷" in fa


def test_a_grant_holder_sees_the_protected_official_and_is_audited(
        app: FastAPI, world: World, facts: dict[str, Any]) -> None:
    page = client_for(app, world, "investigator_g").get("/en/perpetrators").text
    assert "SECRET-official SYNTHETIC" in page
    assert "named as having sat on the commission behind" in page
    assert "named as having guarded the victims of" in page
    with world.store.reading() as conn:
        audited = conn.execute(select(s.audit_reads.c.action).where(
            s.audit_reads.c.object_id == facts["hidden"])).scalars().all()
    assert "read perpetrator registry" in audited
    act_page = client_for(app, world, "investigator_g").get(f"/en/acts/{facts['act']}").text
    assert "SECRET-official SYNTHETIC" in act_page and "SECRET-source SYNTHETIC" in act_page


def test_act_page_and_timeline_show_both_calendars(app: FastAPI, world: World,
                                                   facts: dict[str, Any]) -> None:
    client = client_for(app, world, "analyst")
    act = client.get(f"/en/acts/{facts['act']}").text
    assert "Official PUBLIC-perp SYNTHETIC" in act and "signed the order" in act
    assert "23 July 1988 – 22 August 1988 (Mordad 1367)" in act and "Mordad 1367" in act
    assert "PUBLIC-source SYNTHETIC" in act
    timeline = client.get("/en/timeline").text
    assert "3 August 1988 (12 Mordad 1367)" in timeline and "arrested" in timeline
    fa = client.get("/fa/timeline").text
    assert "۱۲ مرداد ۱۳۶۷ (۳ اوت ۱۹۸۸)" in fa
    # A span typed in the Solar Hijri calendar with Persian digits.
    later = client.get("/fa/timeline", params={"from": "۱۳۶۸"}).text
    assert "arrested" not in later
    bad = client.get("/en/timeline", params={"from": "not a date"})
    assert bad.status_code == 422 and 'id="f-from-error"' in bad.text


def test_a_position_in_a_hidden_organisation_does_not_name_it(
        app: FastAPI, world: World, facts: dict[str, Any]) -> None:
    """The person page shows the office's words, never the organisation's ID inside the
    claim's value (the organisation is protected)."""
    hidden_org = world.objects[PROTECTED].organization
    for lang in ("fa", "en"):
        page = client_for(app, world, "analyst").get(f"/{lang}/persons/{facts['official']}")
        assert page.status_code == 200 and "deputy SYNTHETIC" in page.text
        assert hidden_org not in page.text and "SECRET-" not in page.text
