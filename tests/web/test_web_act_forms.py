"""Recording acts from pages: a new act with its sourced claim, persons named in it with
their sources (plain form and htmx), an act corrected and a person withdrawn from it,
errors beside the fields, the same access rules as ``POST /api/acts``, ``PATCH
/api/acts/{id}``, ``/api/involvements`` (not found for what one may not see)."""

from __future__ import annotations

import json

from api_world import World
from fastapi import FastAPI
from sqlalchemy import func, select
from web_world import client_for, csrf_of

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import schema as s
from dadkhahi.store.actors import pseudonym_in

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


def _fresh_act(world: World, level: Sensitivity = PUBLIC,
               description: str | None = None) -> tuple[str, str]:
    """A new act of ``level`` at its level's place, with its level's person as victim
    (and the involvement's ID)."""
    from dadkhahi.domain.dates import DateRange
    from dadkhahi.domain.vocab import ActType, InvolvementRole
    from dadkhahi.facts import entities
    from dadkhahi.facts.entities import Support

    obj = world.objects[level]
    with world.store.transaction("setup") as tx:
        act = entities.create_act(tx, ActType.EXECUTION, place_id=obj.place,
                                  date=DateRange(None, None, None), sensitivity=level,
                                  description=description)
        inv = entities.add_involvement(tx, act, InvolvementRole.VICTIM, person_id=obj.person,
                                       sensitivity=level, support=[Support(obj.source)])
    if level is PROTECTED:  # granted as the world's protected objects are
        from dadkhahi.access import grants

        for name, granted in world.granted.items():
            if granted and name != "anonymous":
                grants.grant(world.store, act, world.user_ids[name], "setup")
    return act, inv


def _correction(page: str, **fields: str) -> dict[str, str]:
    """The correction form as the page filled it (csrf, version), with ``fields`` set."""
    import re

    version = re.search(r'name="version" value="(\d+)"', page)
    assert version is not None, "the page has no correction form"
    return {"csrf": csrf_of(page), "version": version.group(1), **fields}


def test_an_act_is_corrected_from_its_page(app: FastAPI, world: World) -> None:
    """Without JavaScript: the form filled with the act as it reads, the correction
    recorded under the signed-in user with a claim citing its source, then the page."""
    pub = world.objects[PUBLIC]
    act, _ = _fresh_act(world)
    client = client_for(app, world, "investigator_g")
    page = client.get(f"/en/acts/{act}").text
    assert f'action="/en/acts/{act}/change"' in page
    assert 'name="edit_type"' in page and '<option value="execution" selected>' in page
    form = _correction(page, edit_type="torture", edit_date="۱۳۶۷/۰۵/۱۲",
                       edit_place_id="", edit_source_id=pub.source, edit_locator="p. 8",
                       edit_description='<img src=x onerror=alert(1)> SYNTHETIC fixed')
    done = client.post(f"/en/acts/{act}/change", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/en/acts/{act}"
    event = _event(world, "act.changed")
    data = event["data"]
    assert isinstance(data, dict) and data["id"] == act and data["type"] == "torture"
    assert data["place_id"] is None and data["date_earliest"] == "1988-08-03"
    assert data["changed"] == ["type", "place_id", "date_earliest", "date_latest",
                               "date_text", "description"]
    with world.store.reading() as conn:
        assert event["actor"] == pseudonym_in(conn, world.store.keys, "investigator_g")
    claim = _event(world, "claim.added")["data"]
    assert isinstance(claim, dict) and claim["entity_id"] == act
    shown = client.get(f"/en/acts/{act}").text
    assert "<h1>torture — 3 August 1988" in shown
    assert "&lt;img src=x onerror=alert(1)&gt; SYNTHETIC fixed" in shown
    assert "<img src=x" not in shown
    # The same form again: its version is stale now; the form shows what is recorded.
    stale = client.post(f"/en/acts/{act}/change", data={**form, "edit_type": "execution"})
    assert stale.status_code == 409 and "Someone changed this" in stale.text
    assert '<option value="torture" selected>' in stale.text


def test_a_correction_with_htmx_answers_the_act_in_place(app: FastAPI, world: World) -> None:
    pub = world.objects[PUBLIC]
    act, _ = _fresh_act(world)
    client = client_for(app, world, "admin_g")
    form = _correction(client.get(f"/fa/acts/{act}").text, edit_type="execution",
                       edit_date="Mordad 1367", edit_place_id=pub.place,
                       edit_source_id=pub.source)
    answer = client.post(f"/fa/acts/{act}/change", headers={"HX-Request": "true"},
                         data=form)
    assert answer.status_code == 200 and "<html" not in answer.text
    assert answer.text.lstrip().startswith('<div id="act-facts"')
    assert '<section id="act-claims" aria-labelledby="claims-heading" hx-swap-oob="true">' in (
        answer.text)
    assert "مرداد ۱۳۶۷" in answer.text


def test_a_wrong_correction_is_answered_beside_its_fields(app: FastAPI, world: World) -> None:
    act, _ = _fresh_act(world)
    client = client_for(app, world, "analyst")
    page = client.get(f"/en/acts/{act}").text
    before = _events(world)
    wrong = client.post(f"/en/acts/{act}/change", data=_correction(
        page, edit_type="genocide", edit_date="1367/12/31", edit_source_id=""))
    assert wrong.status_code == 422
    for name in ("edit_type", "edit_date", "edit_source_id"):
        assert f'id="f-{name}-error"' in wrong.text, name
    assert 'value="1367/12/31"' in wrong.text and "<details class=\"panel\" open>" in wrong.text
    # A source the analyst may not see: "not found" beside the field, nothing named.
    hidden = client.post(f"/en/acts/{act}/change", data=_correction(
        page, edit_type="torture", edit_source_id=world.objects[PROTECTED].source))
    assert hidden.status_code == 422 and 'id="f-edit_source_id-error"' in hidden.text
    assert "SECRET-" not in hidden.text
    # Nothing changed: said so, nothing written.
    same = client.post(f"/en/acts/{act}/change", data=_correction(
        page, edit_type="execution", edit_place_id=world.objects[PUBLIC].place,
        edit_source_id=world.objects[PUBLIC].source))
    assert same.status_code == 422 and "the act already reads so" in same.text
    assert _events(world) == before


def test_who_may_correct_an_act_and_withdraw_its_persons(app: FastAPI, world: World) -> None:
    """The API's rule (add facts) on pages; a protected act's persons never reach a
    reader without the grant, nor does the act; a form without its token is refused."""
    pub, pro = world.objects[PUBLIC], world.objects[PROTECTED]
    act, inv = _fresh_act(world)
    hidden_act, hidden_inv = _fresh_act(world, PROTECTED)
    before = _events(world)
    for who in ("viewer_g", "researcher", "lawyer_g"):
        client = client_for(app, world, who)
        page = client.get(f"/en/acts/{act}").text
        assert "/change" not in page and "/withdraw" not in page and "edit_" not in page
        token = csrf_of(client.get("/en/search").text)
        assert client.post(f"/en/acts/{act}/change", data={
            "csrf": token, "edit_type": "torture",
            "edit_source_id": pub.source}).status_code == 403
        assert client.post(f"/en/acts/{act}/involvements/{inv}/withdraw",
                           data={"csrf": token}).status_code == 403
    analyst = client_for(app, world, "analyst")  # adds facts, holds no grant
    assert analyst.post(f"/en/acts/{act}/change", data={
        "edit_type": "torture", "edit_source_id": pub.source}).status_code == 403  # token
    token = csrf_of(analyst.get("/en/search").text)
    for path in (f"/en/acts/{hidden_act}/change",
                 f"/en/acts/{hidden_act}/involvements/{hidden_inv}/withdraw",
                 f"/en/acts/{act}/involvements/{hidden_inv}/withdraw"):
        answer = analyst.post(path, data={"csrf": token, "edit_type": "torture",
                                          "edit_source_id": pub.source})
        assert answer.status_code == 404, path
        assert "SECRET-" not in answer.text
    # A protected act's victim: never in the HTML of a viewer or of the analyst.
    for who in ("viewer_g", "analyst"):
        shown = client_for(app, world, who).get(f"/en/acts/{hidden_act}")
        assert shown.status_code == 404 and "SECRET-" not in shown.text
    assert _events(world) == before
    granted = client_for(app, world, "investigator_g").get(f"/en/acts/{hidden_act}").text
    assert "SECRET-person SYNTHETIC" in granted and f"/involvements/{hidden_inv}/" in granted
    assert pro.person in granted


def test_a_person_named_in_error_is_withdrawn_from_the_act(app: FastAPI,
                                                           world: World) -> None:
    pub = world.objects[PUBLIC]
    act, inv = _fresh_act(world)
    client = client_for(app, world, "investigator_g")
    page = client.get(f"/en/acts/{act}").text
    assert f'action="/en/acts/{act}/involvements/{inv}/withdraw"' in page
    token = csrf_of(page)
    # Another act's address: not found, nothing withdrawn.
    assert client.post(f"/en/acts/{pub.act}/involvements/{inv}/withdraw",
                       data={"csrf": token}).status_code == 404
    done = client.post(f"/en/acts/{act}/involvements/{inv}/withdraw", data={"csrf": token})
    assert done.status_code == 303 and done.headers["location"].endswith("#who-heading")
    withdrawn = _event(world, "involvement.withdrawn")["data"]
    assert withdrawn == {"id": inv, "act_id": act, "supports": 1}
    assert _involvements(world, act) == set()
    assert f"/en/persons/{pub.person}" not in client.get(f"/en/acts/{act}").text.split(
        'id="who"')[1]
    # With htmx the section comes back alone; an involvement withdrawn already: not found.
    _, again = _fresh_act(world)
    fragment = client.post(f"/fa/acts/{act}/involvements/{again}/withdraw",
                           headers={"HX-Request": "true"}, data={"csrf": token})
    assert fragment.status_code == 404  # it is another act's
    assert client.post(f"/en/acts/{act}/involvements/{inv}/withdraw",
                       data={"csrf": token}).status_code == 404


def _events(world: World) -> int:
    """Events written but audits of what was read (the search page a token is taken
    from lists a granted reader's protected lists)."""
    e = s.ledger_events.c
    with world.store.reading() as conn:
        return int(conn.execute(select(func.count()).where(e.type != "audit.read"))
                   .scalar_one())



def _erase_act(world: World, act: str) -> None:
    """Destroy the key of a protected act's payload, as an erasure does."""
    from dadkhahi.store.erase import erase_payload

    with world.store.reading() as conn:
        sealed = conn.execute(select(s.acts.c.sealed).where(s.acts.c.id == act)).scalar_one()
    erase_payload(world.store, sealed["key_id"], "SYNTHETIC erasure", "setup")


def test_an_erased_act_says_so_and_refuses_a_correction(app: FastAPI, world: World) -> None:
    """An act whose payload was erased cannot change: its page says so instead of offering
    the correction form, and a correction posted all the same is refused (409) with that
    reason, in Persian too, not as "nothing was changed"; nothing is written."""
    pub = world.objects[PUBLIC]
    act, inv = _fresh_act(world, PROTECTED, "SECRET-erased act SYNTHETIC")
    client = client_for(app, world, "investigator_g")
    form = _correction(client.get(f"/en/acts/{act}").text, edit_type="torture",
                       edit_source_id=pub.source)
    _erase_act(world, act)
    page = client.get(f"/en/acts/{act}").text
    assert "This act was erased" in page and f"/acts/{act}/change" not in page
    assert "SECRET-erased" not in page and "(erased)" in page
    before = _events(world)
    refused = client.post(f"/en/acts/{act}/change", data=form)
    assert refused.status_code == 409, refused.text
    assert "This act was erased" in refused.text and "Nothing was changed" not in refused.text
    assert 'role="alert"' in refused.text
    persian = client.post(f"/fa/acts/{act}/change", data=form)
    assert persian.status_code == 409 and "این اقدام پاک شده است" in persian.text
    fragment = client.post(f"/fa/acts/{act}/change", data=form,
                           headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="act-facts"')
    assert "این اقدام پاک شده است" in fragment.text
    assert _events(world) == before
    # Its persons are statements of their own: one named in error is still withdrawn.
    done = client.post(f"/en/acts/{act}/involvements/{inv}/withdraw",
                       data={"csrf": csrf_of(page)})
    assert done.status_code == 303 and _involvements(world, act) == set()
