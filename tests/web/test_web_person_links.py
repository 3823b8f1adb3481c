"""How a person was linked and the split preview (issue 14), through the pages: each
field's match weight on the person page and in the review queue (Persian digits on
Persian pages; a protected record's link shown only to a grant holder), and a split
previewed, then recorded as "different" decisions under the signed-in user."""

from __future__ import annotations

import pytest
from api_world import LINKED_FIELDS, World
from fastapi import FastAPI
from page_data import add_weighed_person
from sqlalchemy import select
from web_world import client_for, csrf_of

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import actors
from dadkhahi.store import schema as s


@pytest.fixture(scope="module")
def person(world: World) -> str:
    return add_weighed_person(world)


def _links_section(html: str) -> str:
    return html.split('aria-labelledby="links-heading"')[1].split("</section>")[0]


def test_the_person_page_shows_each_field_s_weight(app: FastAPI, world: World,
                                                    person: str) -> None:
    granted = client_for(app, world, "investigator_g")
    english = _links_section(granted.get(f"/en/persons/{person}").text)
    assert english.count("<table") == 2  # both links of the three records
    assert "Given name" in english and "4.32" in english and "Father" in english
    persian = _links_section(granted.get(f"/fa/persons/{person}").text)
    assert persian.count("<table") == 2
    assert "۴٫۳۲" in persian and "4.32" not in persian  # Persian digits on Persian pages
    # Without the grant: only the link between the two public records.
    outside = client_for(app, world, "analyst").get(f"/en/persons/{person}").text
    assert _links_section(outside).count("<table") == 1 and "SECRET-" not in outside
    assert sum(LINKED_FIELDS.values()) > 0


def test_the_review_queue_shows_each_field_s_weight(app: FastAPI, world: World,
                                                    person: str) -> None:
    page = client_for(app, world, "admin_g").get("/fa/review").text
    assert "مدل هر فیلد را چگونه سنجید" in page and "۱٫۲۵" in page


def test_a_split_is_previewed_then_confirmed_under_the_signed_in_user(
        app: FastAPI, world: World, person: str) -> None:
    pro = world.objects[Sensitivity.PROTECTED]
    pub = world.objects[Sensitivity.PUBLIC]
    client = client_for(app, world, "investigator_g")
    page = client.get(f"/en/persons/{person}").text
    assert 'name="pick"' in page
    preview = client.get(f"/en/persons/{person}/split", params={"pick": pro.list_record})
    assert preview.status_code == 200
    assert "Records split off" in preview.text and "2 decisions" in preview.text
    d = s.link_decisions.c
    with world.store.reading() as conn:
        before = conn.execute(select(d.id)).scalars().all()
    refused = client.post(f"/en/persons/{person}/split",
                          data={"picks": pro.list_record})  # no CSRF token
    assert refused.status_code == 403
    done = client.post(f"/en/persons/{person}/split",
                       data={"csrf": csrf_of(preview.text), "picks": pro.list_record})
    assert done.status_code == 303
    with world.store.reading() as conn:
        rows = conn.execute(select(d.record_a, d.record_b, d.decision, d.actor)
                            .where(d.id.not_in(before))).all()
        me = actors.pseudonym_in(conn, world.store.keys, "investigator_g")
    assert sorted((frozenset((a, b)), x, who) for a, b, x, who in rows) == sorted(
        (frozenset((pro.list_record, r)), "different", me)
        for r in (pub.list_record, pub.list_record_b))
    # Picking every record is refused next to the field, recording nothing.
    every = client.get(f"/en/persons/{person}/split", params={
        "pick": [pub.list_record, pub.list_record_b, pro.list_record]})
    assert every.status_code == 200 and 'id="pick-error"' in every.text
    again = client.post(f"/en/persons/{person}/split", data={
        "csrf": csrf_of(page), "picks": " ".join([pub.list_record, pub.list_record_b,
                                                  pro.list_record])})
    assert again.status_code == 422 and 'id="pick-error"' in again.text
