"""Case pages: a team member's cases and a case's evidence matrix with its gaps; anyone
off the team (any role) gets "not found" and never the case's sealed title."""

from __future__ import annotations

import pytest
from api_world import World
from fastapi import FastAPI
from page_data import add_case
from web_world import client_for

from dadkhahi.domain.vocab import Sensitivity


@pytest.fixture(scope="module")
def case_id(world: World) -> str:
    return add_case(world, ["investigator_g"])


def test_the_team_sees_the_matrix_and_its_gaps(app: FastAPI, world: World,
                                               case_id: str) -> None:
    client = client_for(app, world, "investigator_g")
    listed = client.get("/en/cases")
    assert listed.status_code == 200 and "SECRET-case SYNTHETIC" in listed.text
    page = client.get(f"/en/cases/{case_id}")
    assert page.status_code == 200
    assert "Evidence matrix" in page.text and "Gaps" in page.text
    assert world.objects[Sensitivity.PUBLIC].involvement in page.text
    assert "incriminating" in page.text
    assert "supported by 0 independent sources (below the threshold of 2)" in page.text
    assert "no fact linked" in page.text
    fa = client.get(f"/fa/cases/{case_id}")
    assert fa.status_code == 200 and "ماتریس" in fa.text


def test_the_persian_matrix_words_each_element_in_persian(app: FastAPI, world: World,
                                                           case_id: str) -> None:
    fa = client_for(app, world, "investigator_g").get(f"/fa/cases/{case_id}").text
    # The status words were the English of the CSV: each is now worded on the page.
    for english in ("supported by", "independent source", "below the threshold",
                    "no fact linked", "exculpatory or mixed"):
        assert english not in fa, english
    assert "پشتیبانی‌شده با ۰ منبع مستقل" in fa and "زیر آستانهٔ ۲" in fa
    assert "هیچ واقعیتی پیوند نخورده" in fa


@pytest.mark.parametrize("who", ["anonymous", "viewer_g", "researcher", "analyst",
                                 "lawyer_g", "admin", "admin_g"])
def test_anyone_off_the_team_gets_not_found(app: FastAPI, world: World, case_id: str,
                                           who: str) -> None:
    client = client_for(app, world, who)
    answer = client.get(f"/en/cases/{case_id}")
    assert answer.status_code in (404, 303)
    assert "SECRET-case" not in answer.text
    listed = client.get("/en/cases")
    assert "SECRET-case" not in listed.text and case_id not in listed.text
