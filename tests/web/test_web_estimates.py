"""The estimates page: recorded estimates as each reader may see them, the chart drawn
on the server with its data table, and an estimate queued as a job (SYNTHETIC numbers).
"""

from __future__ import annotations

from typing import Any

import pytest
from api_world import World
from fastapi import FastAPI
from page_data import SITE, add_estimate_by_prison, add_estimates
from sqlalchemy import select
from web_world import client_for, csrf_of

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import schema as s

RESTRICTED = Sensitivity.RESTRICTED


@pytest.fixture(scope="module")
def recorded(world: World) -> dict[str, str]:
    return add_estimates(world)


@pytest.mark.parametrize(("who", "sees_unreleased"), [
    ("anonymous", False), ("viewer_g", False), ("researcher", False), ("lawyer_g", False),
    ("analyst", True), ("admin", True)])
def test_who_sees_which_estimate(app: FastAPI, world: World, recorded: dict[str, str],
                                 who: str, sees_unreleased: bool) -> None:
    client = client_for(app, world, who)
    for lang in ("fa", "en"):
        page = client.get(f"/{lang}/estimates")
        assert page.status_code == 200
        assert recorded["released"] in page.text
        assert (recorded["unreleased"] in page.text) is sees_unreleased
        # The world's protected lists and records never reach this page.
        assert "SECRET-" not in page.text
        chart = client.get(f"/{lang}/estimates/chart.svg")
        assert chart.status_code == 200
        assert chart.headers["content-type"].startswith("image/svg+xml")
        assert "sandbox" in chart.headers["content-security-policy"]
        assert b"<svg" in chart.content and b"<script" not in chart.content
    en = client.get("/en/estimates").text
    assert "7,021" in en and "6,121 to 8,522 (95%)" in en and "the public" in en
    assert "SYNTHETIC list A" in en and world.objects[RESTRICTED].list_id in en
    fa = client.get("/fa/estimates").text
    assert "۷٬۰۲۱" in fa


def test_chart_is_the_same_bytes_for_the_same_data(app: FastAPI, world: World,
                                                   recorded: dict[str, str]) -> None:
    client = client_for(app, world, "analyst")
    first = client.get("/fa/estimates/chart.svg").content
    assert first == client.get("/fa/estimates/chart.svg").content
    assert first != client.get("/en/estimates/chart.svg").content  # Persian digits


def test_an_analyst_queues_an_estimate_job(app: FastAPI, world: World,
                                           recorded: dict[str, Any]) -> None:
    client = client_for(app, world, "analyst")
    form = csrf_of(client.get("/en/estimates").text)
    bad = client.post("/en/estimates", data={"csrf": form, "method": "lcmcr", "by": "",
                                              "seed": "minus one", "level": "120"})
    assert bad.status_code == 422
    assert 'id="f-seed-error"' in bad.text and 'id="f-level-error"' in bad.text
    with world.store.reading() as conn:
        before = conn.execute(select(s.jobs.c.id).where(
            s.jobs.c.kind == "estimate.store")).all()
    assert before == []  # a refused form queues nothing
    done = client.post("/fa/estimates", data={"csrf": form, "method": "chao",
                                               "by": "province", "seed": "۱۹۸۸",
                                               "level": "۹۰"})
    assert done.status_code == 303 and done.headers["location"] == "/fa/jobs"
    with world.store.reading() as conn:
        job = conn.execute(select(s.jobs.c.params, s.jobs.c.created_by).where(
            s.jobs.c.kind == "estimate.store")).one()
    params = job.params
    assert params["method"] == "chao" and params["by"] == "province"
    assert params["seed"] == 1988 and params["level"] == 0.9
    assert job.created_by == world.user_ids["analyst"]
    # A role that may not analyse gets no form and is refused.
    researcher = client_for(app, world, "researcher")
    page = researcher.get("/en/estimates").text
    assert 'action="/en/estimates"' not in page
    refused = researcher.post("/en/estimates", data={"csrf": csrf_of(page), "method": "chao",
                                                      "by": "", "seed": "1", "level": "95"})
    assert refused.status_code == 403


def test_dashboard_shows_the_released_estimate(app: FastAPI, world: World,
                                               recorded: dict[str, str]) -> None:
    """A released estimate on the dashboard (its sentence once broke the page: a bare
    '%' in a gettext message)."""
    client = client_for(app, world, "anonymous")
    en = client.get("/en/")
    assert en.status_code == 200 and "with a 95% interval from 6,121 to 8,522" in en.text
    fa = client.get("/fa/")
    assert fa.status_code == 200 and "۹۵٪" in fa.text


def test_the_capture_histories_overlaps_and_diagnostics_of_an_estimate(
        app: FastAPI, world: World, recorded: dict[str, str]) -> None:
    """The detail of one estimate: its capture histories (verified against the recorded
    hash), the overlap of each pair of lists drawn with its table beside, and the
    estimator's diagnostics; outside the team the small cells are merged."""
    team = client_for(app, world, "analyst")
    page = team.get("/en/estimates", params={"estimate": recorded["released"]}).text
    detail = page.split('id="diagnostics-heading"')[1]
    assert "has the hash the estimate recorded" in detail
    assert "2,100" in detail and "<td>3</td>" in detail  # every cell, to the team
    assert "Persons on both" in detail and "203" in detail and "[AB][AC][BC]" in detail
    assert f"/en/estimates/overlap.svg?estimate={recorded['released']}" in detail
    chart = team.get("/en/estimates/overlap.svg", params={"estimate": recorded["released"]})
    assert chart.status_code == 200 and b"<svg" in chart.content
    assert "sandbox" in chart.headers["content-security-policy"]
    persian = team.get("/fa/estimates", params={"estimate": recorded["released"]}).text
    assert "۲٬۱۰۰" in persian.split('id="diagnostics-heading"')[1]
    outside = client_for(app, world, "anonymous").get(
        "/en/estimates", params={"estimate": recorded["released"]}).text
    merged = outside.split('id="diagnostics-heading"')[1]
    assert "<td>3</td>" not in merged and "<td>19</td>" not in merged
    assert "2 small cells" in merged and "<td>22</td>" in merged
    # Not released to the public: neither its detail nor its chart.
    hidden = client_for(app, world, "anonymous").get(
        "/en/estimates/overlap.svg", params={"estimate": recorded["unreleased"]})
    assert hidden.status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "viewer_g"])
def test_a_released_estimate_names_no_list_withheld_from_its_reader(
        app: FastAPI, world: World, recorded: dict[str, str], who: str) -> None:
    """The workspace showed an estimate released to the public with a restricted list's
    title in clear, in its lists and as a column of its capture histories, to readers
    who may see only public lists (attack35): now it is a withheld list there, as in the
    release; the team still sees the title."""
    outside = client_for(app, world, who).get(
        "/en/estimates", params={"estimate": recorded["released"]}).text
    assert "SYNTHETIC list B" not in outside
    assert "SYNTHETIC list A" in outside and "a withheld list (2)" in outside
    assert "has the hash the estimate recorded" in outside  # checked on the stored table
    team = client_for(app, world, "researcher").get(
        "/en/estimates", params={"estimate": recorded["released"]}).text
    assert "SYNTHETIC list B" in team


@pytest.fixture(scope="module")
def by_prison(world: World, recorded: dict[str, str]) -> str:
    return add_estimate_by_prison(world)


@pytest.mark.parametrize("who", ["anonymous", "viewer_g"])
def test_a_released_estimate_names_no_stratum_withheld_from_its_reader(
        app: FastAPI, world: World, by_prison: str, who: str) -> None:
    """An estimate by prison showed its strata's labels, names the records wrote, to every
    reader of a release: a protected detention site's name in the capture table's rows,
    its warnings and merged strata (strata35). Outside the team a label is shown only as
    the name of a place the reader may see (or no place): the site is a withheld stratum
    everywhere; a team member (with the grant) still sees it."""
    import json

    from dadkhahi.access.policy import ANONYMOUS
    from dadkhahi.analysis.estimates import released_estimates
    from dadkhahi.services.estimates import stored_estimates

    outside = client_for(app, world, who).get(
        "/en/estimates", params={"estimate": by_prison}).text
    assert SITE not in outside and "SECRET-" not in outside
    # Evin, the site, unknown (sorted): the capture table's rows say the site's position.
    assert '<bdi dir="auto">a withheld stratum (2)</bdi>' in outside
    assert "Evin" in outside and "unknown" in outside
    assert "has the hash the estimate recorded" in outside
    rows = stored_estimates(world.store, ANONYMOUS, only=by_prison)
    assert rows and SITE not in json.dumps(rows, default=str)
    assert "a withheld stratum (2)" in json.dumps(rows, default=str)
    # The memorial's releases carry no strata at all.
    assert SITE not in json.dumps([vars(x) for x in released_estimates(world.store)],
                                  default=str)
    team = client_for(app, world, "investigator_g").get(
        "/en/estimates", params={"estimate": by_prison}).text
    assert SITE in team and "a withheld stratum" not in team
