"""Recording acts from pages: a new act with its sourced claim, persons named in it with
their sources (plain form and htmx), errors beside the fields, the same access rules as
``POST /api/acts`` and ``/api/involvements`` (not found for what one may not see)."""

from __future__ import annotations

import json

from api_world import World
from fastapi import FastAPI
from sqlalchemy import func, select
from web_world import client_for, csrf_of

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import schema as s

PUBLIC, PROTECTED = Sensitivity.PUBLIC, Sensitivity.PROTECTED


def _acts(world: World) -> int:
    with world.store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(s.acts)).scalar_one())


def _event(world: World, kind: str) -> dict[str, object]:
    e = s.ledger_events.c
    with world.store.reading() as conn:
        raw = conn.execute(select(e.body).where(e.type == kind)
                           .order_by(e.idx.desc()).limit(1)).scalar_one()
    found: dict[str, object] = json.loads(raw)
    return found


def test_a_new_act_is_recorded_with_a_claim_citing_its_source(app: FastAPI,
                                                              world: World) -> None:
    pub = world.objects[PUBLIC]
    client = client_for(app, world, "investigator_g")
    form = client.get("/fa/acts/new")
    assert form.status_code == 200 and f'value="{pub.source}"' in form.text
    answer = client.post("/fa/acts", data={
        "csrf": csrf_of(form.text), "type": "execution", "date": "۱۳۶۷/۰۵/۱۲",
        "place_id": pub.place, "source_id": pub.source, "locator": "p. 3",
        "description": "<script>alert(1)</script> SYNTHETIC act", "sensitivity": "public"})
    assert answer.status_code == 303, answer.text
    act_id = answer.headers["location"].rsplit("/", 1)[1]
    assert act_id.startswith("act_")
    created = _event(world, "act.created")["data"]
    assert isinstance(created, dict) and created["id"] == act_id
    assert created["date_earliest"] == created["date_latest"] == "1988-08-03"
    claim = _event(world, "claim.added")["data"]
    assert isinstance(claim, dict) and claim["entity_id"] == act_id
    assert claim["property"] == "account"
    assert claim["support"] == [{"source_id": pub.source, "record_id": None,
                                 "item_id": None, "locator": "p. 3"}]
    page = client.get(f"/en/acts/{act_id}").text
    assert "3 August 1988 (12 Mordad 1367)" in page
    assert "what the source says happened" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


def test_a_wrong_date_is_shown_beside_its_field_and_nothing_is_written(
        app: FastAPI, world: World) -> None:
    client = client_for(app, world, "investigator_g")
    token = csrf_of(client.get("/en/acts/new").text)
    before = _acts(world)
    answer = client.post("/en/acts", data={
        "csrf": token, "type": "torture", "date": "1367/12/31",
        "source_id": world.objects[PUBLIC].source, "sensitivity": "public"})
    assert answer.status_code == 422
    assert 'id="f-date-error"' in answer.text and "Not a date" in answer.text
    assert 'value="1367/12/31"' in answer.text  # what was typed is kept
    assert _acts(world) == before


def test_what_one_may_not_see_cannot_be_cited_and_is_not_named(app: FastAPI,
                                                              world: World) -> None:
    pro = world.objects[PROTECTED]
    client = client_for(app, world, "analyst")  # adds facts, holds no grant
    form = client.get("/en/acts/new").text
    assert pro.source not in form and "SECRET-" not in form
    before = _acts(world)
    answer = client.post("/en/acts", data={
        "csrf": csrf_of(form), "type": "execution", "source_id": pro.source,
        "sensitivity": "restricted"})
    assert answer.status_code == 422
    assert "no such source or place" in answer.text and "SECRET-" not in answer.text
    assert _acts(world) == before
    # Who may not add facts gets no form and no write.
    researcher = client_for(app, world, "researcher")
    assert researcher.get("/en/acts/new").status_code == 403
    assert "/acts/new" not in researcher.get("/en/acts").text


def test_persons_are_named_in_an_act_with_their_source(app: FastAPI, world: World) -> None:
    pub = world.objects[PUBLIC]
    client = client_for(app, world, "admin_g")
    page = client.get(f"/en/acts/{pub.act}").text
    assert 'hx-post="/en/acts/' in page and 'name="person_id"' in page
    token = csrf_of(page)
    plain = client.post(f"/en/acts/{pub.act}/involvements", data={
        "csrf": token, "person_id": pub.person, "role": "victim",
        "source_id": pub.source, "sensitivity": "public"})
    assert plain.status_code == 303
    inv = _event(world, "involvement.added")["data"]
    assert isinstance(inv, dict) and inv["person_id"] == pub.person
    assert inv["role"] == "victim" and inv["act_id"] == pub.act
    assert inv["support"] == [{"source_id": pub.source, "record_id": None, "item_id": None,
                               "locator": None}]
    # With htmx the section comes back alone, the organisation named in it.
    fragment = client.post(f"/fa/acts/{pub.act}/involvements", headers={"HX-Request": "true"},
                           data={"csrf": token, "organization_id": pub.organization,
                                 "role": "perpetrator_ordered", "source_id": pub.source,
                                 "sensitivity": "public"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="who"')
    assert f"/fa/organizations/{pub.organization}" in fragment.text
    assert "<html" not in fragment.text
    # A missing choice: the fragment again, the error beside the field, nothing written.
    wrong = client.post(f"/fa/acts/{pub.act}/involvements", headers={"HX-Request": "true"},
                        data={"csrf": token, "role": "victim", "source_id": pub.source,
                              "sensitivity": "public"})
    assert 'id="f-person_id-error"' in wrong.text and 'aria-invalid="true"' in wrong.text


def test_a_protected_source_cited_stays_hidden_from_who_may_not_see_it(
        app: FastAPI, world: World) -> None:
    pub, pro = world.objects[PUBLIC], world.objects[PROTECTED]
    client = client_for(app, world, "investigator_g")
    token = csrf_of(client.get(f"/en/acts/{pub.act}").text)
    answer = client.post(f"/en/acts/{pub.act}/involvements", data={
        "csrf": token, "person_id": pub.person, "role": "witness", "source_id": pro.source,
        "sensitivity": "protected"})
    assert answer.status_code == 303, answer.text
    inv = _event(world, "involvement.added")["data"]
    assert isinstance(inv, dict) and inv["sensitivity"] == "protected"
    # A reader without the grant sees neither the involvement nor the protected source.
    shown = client_for(app, world, "analyst").get(f"/en/acts/{pub.act}").text
    assert pro.source not in shown and "SECRET-" not in shown


def _linked_person(world: World, record: str) -> str:
    with world.store.reading() as conn:
        return str(conn.execute(select(s.person_records.c.person_id).where(
            s.person_records.c.record_id == record)).scalar_one())


def test_the_person_picker_finds_a_name_typed_in_the_other_script(app: FastAPI,
                                                                 world: World) -> None:
    """As you type (htmx): the choices alone; then the involvement names the chosen one."""
    pub = world.objects[PUBLIC]
    karimi = _linked_person(world, pub.list_record)  # listed as "Karimi, Ali"
    client = client_for(app, world, "investigator_g")
    token = csrf_of(client.get(f"/en/acts/{pub.act}").text)
    picks = client.post(f"/en/acts/{pub.act}/persons", headers={"HX-Request": "true"},
                        data={"csrf": token, "person_name": "علی کریمی"})
    assert picks.status_code == 200 and "<html" not in picks.text
    assert f'name="person_pick" value="{karimi}"' in picks.text
    none = client.post(f"/en/acts/{pub.act}/persons", headers={"HX-Request": "true"},
                       data={"csrf": token, "person_name": "Zzyzx Qwv"})
    assert "No person you may see has this name" in none.text
    before = _involvements(world, pub.act)
    done = client.post(f"/en/acts/{pub.act}/involvements", data={
        "csrf": token, "person_pick": karimi, "role": "victim", "source_id": pub.source,
        "sensitivity": "public"})
    assert done.status_code == 303, done.text
    assert _involvements(world, pub.act) - before == {karimi}


def test_the_person_picker_works_without_javascript(app: FastAPI, world: World) -> None:
    """The "Find" button posts the whole form to the picker: the act page again, what was
    entered kept, the persons found to choose from."""
    pub = world.objects[PUBLIC]
    client = client_for(app, world, "investigator_g")
    token = csrf_of(client.get(f"/fa/acts/{pub.act}").text)
    page = client.post(f"/fa/acts/{pub.act}/persons", data={
        "csrf": token, "person_name": "Karimi", "role": "signed", "locator": "p. 9"})
    assert page.status_code == 200 and 'lang="fa" dir="rtl"' in page.text
    assert page.text.count('name="person_pick"') >= 1
    assert _linked_person(world, pub.list_record) in page.text
    assert 'value="p. 9"' in page.text and 'value="signed" selected' in page.text


def test_the_person_picker_follows_the_act_page_rules(app: FastAPI, world: World) -> None:
    pro = world.objects[PROTECTED]
    form = {"person_name": "Karimi"}
    # Who may not add facts: refused; an act one may not see: the act page's "not found".
    researcher = client_for(app, world, "researcher")
    token = csrf_of(researcher.get("/en/search").text)
    assert researcher.post(f"/en/acts/{world.objects[PUBLIC].act}/persons",
                           data={"csrf": token, **form}).status_code == 403
    analyst = client_for(app, world, "analyst")
    token = csrf_of(analyst.get("/en/search").text)
    for fragment in ({}, {"HX-Request": "true"}):
        hidden = analyst.post(f"/en/acts/{pro.act}/persons", headers=fragment,
                              data={"csrf": token, **form})
        missing = analyst.post("/en/acts/act_00000000000000000000/persons", headers=fragment,
                               data={"csrf": token, **form})
        assert hidden.status_code == missing.status_code == 404
        assert hidden.text == missing.text.replace("act_00000000000000000000", pro.act)


def _involvements(world: World, act: str) -> set[str]:
    with world.store.reading() as conn:
        return {str(p) for p in conn.execute(select(s.involvements.c.person_id).where(
            s.involvements.c.act_id == act)).scalars() if p}
