"""The testimonies pages: the list of those the visitor may see and one testimony with its
interview, consents, segments (direct or hearsay) and translations, through the API's
service; a protected testimony "not found" (the same page as a missing one) and absent
from the list for anyone its source may not go to; protected reads audited."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from api_world import World
from fastapi import FastAPI
from page_data import WITNESS, add_testimonies
from sqlalchemy import func, select
from web_world import client_for, csrf_of

from dadkhahi.store import schema as s
from dadkhahi.store.actors import pseudonym_in

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
    # The interview date (typed 1399/02/10), opened for the grant holder.
    assert "29 April 2020" in granted.text
    for who in ("researcher", "admin", "viewer_g"):
        listed = client_for(app, world, who).get("/en/testimonies")
        assert listed.status_code == 200
        assert made["protected"] not in listed.text and "29 April 2020" not in listed.text
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
    # The interview's date, typed 1399/02/10, as every date of the page: Solar Hijri
    # first in Persian digits (the Gregorian beside it), Gregorian first in English.
    assert "۱۰ اردیبهشت ۱۳۹۹ (۲۹ آوریل ۲۰۲۰)" in _interview(persian)
    assert "1399/02/10" not in _interview(persian)
    assert "29 April 2020 (10 Ordibehesht 1399)" in _interview(html)
    listed = client.get("/fa/testimonies").text
    assert "۱۰ اردیبهشت ۱۳۹۹" in listed and "1399/02/10" not in listed


def _interview(html: str) -> str:
    """The interview's facts as the page shows them (not the change form's fields)."""
    start = html.index('aria-labelledby="interview-heading"')
    return html[start:html.index("</dl>", start)]


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


# --- changes from the pages: what the API allows, through the same service ---


def _actor_of(world: World, table: Any, row_id: str) -> str:
    """The actor of the ledger event that last wrote the row."""
    with world.store.reading() as conn:
        index = conn.execute(select(table.c.ledger_index).where(table.c.id == row_id)
                             ).scalar_one()
        body = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.idx == index)).scalar_one()
    return str(json.loads(body)["actor"])


def _pseudonym(world: World, who: str) -> str:
    with world.store.reading() as conn:  # a user's pseudonym is keyed on their account
        return pseudonym_in(conn, world.store.keys, who)


def _segments(world: World, testimony: str) -> list[dict[str, Any]]:
    g = s.testimony_segments.c
    with world.store.reading() as conn:
        return [world.store.keys.open_row(conn, dict(r)) for r in conn.execute(
            select(s.testimony_segments).where(g.testimony_id == testimony)
            .order_by(g.seq)).mappings()]


def test_record_a_testimony_from_the_form(app: FastAPI, world: World) -> None:
    """The list offers the form to who may add evidence; the testimony is recorded by the
    API's service (protected, its source granted to its maker, an event under their
    name); a title left empty is said beside its field, nothing recorded."""
    client = client_for(app, world, "investigator_g")
    listed = client.get("/en/testimonies").text
    assert 'href="/en/testimonies/new"' in listed
    form = client.get("/fa/testimonies/new")
    assert form.status_code == 200 and 'lang="fa" dir="rtl"' in form.text
    token = csrf_of(form.text)
    with world.store.reading() as conn:
        before = conn.execute(select(func.count()).select_from(s.testimonies)).scalar_one()
    empty = client.post("/fa/testimonies", data={"csrf": token, "title": "",
                                                  "witness_name": "SECRET-kept witness",
                                                  "sensitivity": "protected"})
    assert empty.status_code == 422 and 'id="f-title-error"' in empty.text
    assert 'value="SECRET-kept witness"' in empty.text  # what was typed is kept
    with world.store.reading() as conn:
        assert conn.execute(select(func.count()).select_from(s.testimonies)
                            ).scalar_one() == before
    done = client.post("/en/testimonies", data={
        "csrf": token, "title": "SECRET-web testimony SYNTHETIC",
        "witness_name": "SECRET-web witness SYNTHETIC", "interview_date": "1399/02/10",
        "others_present": "SYNTHETIC aunt\n\nSYNTHETIC lawyer", "read_back": "yes",
        "language": "fa", "sensitivity": "protected"})
    assert done.status_code == 303, done.text
    made = done.headers["location"].rsplit("/", 1)[1]
    assert "SECRET" not in done.headers["location"]
    page = client.get(done.headers["location"]).text
    assert "SECRET-web witness SYNTHETIC" in page and "SYNTHETIC aunt" in page
    # The interview's language (typed "fa") by its name in the page's language.
    assert "<dt>Language</dt><dd>Persian</dd>" in page
    persian = client.get(done.headers["location"].replace("/en/", "/fa/")).text
    assert "<dd>فارسی</dd>" in persian and "<dd>fa</dd>" not in persian
    assert _actor_of(world, s.testimonies, made) == _pseudonym(world, "investigator_g")
    # Protected, granted to its maker only: another grant holder does not see it.
    assert client_for(app, world, "admin_g").get(f"/en/testimonies/{made}").status_code == 404
    # Who may not add evidence gets no form and may not record one.
    viewer = client_for(app, world, "viewer_g")
    assert 'href="/en/testimonies/new"' not in viewer.get("/en/testimonies").text
    assert viewer.get("/en/testimonies/new").status_code == 403
    assert viewer.post("/en/testimonies", data={
        "csrf": csrf_of(viewer.get("/en/documents").text), "title": "x",
        "sensitivity": "public"}).status_code == 403


def test_consent_segments_and_translations_from_the_testimony_page(
        app: FastAPI, world: World, made: dict[str, str]) -> None:
    """Consent for a partner (a Solar Hijri day in Persian digits), a segment after the
    last one, a translation beside it: each through the API's service, an event under the
    signed-in user, shown on the page; hostile text shown inert."""
    testimony = made["protected"]
    client = client_for(app, world, "investigator_g")
    page = client.get(f"/en/testimonies/{testimony}").text
    assert f'action="/en/testimonies/{testimony}/consents"' in page
    assert f'action="/en/testimonies/{testimony}/segments"' in page
    token = csrf_of(page)
    done = client.post(f"/en/testimonies/{testimony}/consents", data={
        "csrf": token, "recipient_kind": "partner", "recipient": "SYNTHETIC partner",
        "status": "given", "date": "۱۳۹۹/۰۲/۱۰", "how": "recorded orally",
        "informed_defence": "1"})
    assert done.status_code == 303 and "done=consent" in done.headers["location"]
    with world.store.reading() as conn:
        consent = conn.execute(select(s.consents).where(
            s.consents.c.testimony_id == testimony,
            s.consents.c.recipient_kind == "partner")).mappings().one()
    assert consent["date"] == "2020-04-29" and consent["informed_defence"] is True
    assert _actor_of(world, s.consents, str(consent["id"])) == _pseudonym(
        world, "investigator_g")
    hostile = "SECRET-segment <script>alert(1)</script> \u202eevil"
    done = client.post(f"/en/testimonies/{testimony}/segments", data={
        "csrf": token, "text": hostile, "knowledge": "hearsay", "start": "۳۰٫۵",
        "end": "41", "note": "SYNTHETIC note"})
    assert done.status_code == 303, done.text
    last = _segments(world, testimony)[-1]
    assert last["text"] == hostile and last["start"] == 30.5 and last["end"] == 41.0
    assert _actor_of(world, s.testimony_segments, str(last["id"])) == _pseudonym(
        world, "investigator_g")
    done = client.post(f"/en/testimonies/{testimony}/segments/{last['id']}/translations",
                       data={"csrf": token, "language": "en",
                             "text": "SECRET-translation: web SYNTHETIC",
                             "translator": "SYNTHETIC web translator"})
    assert done.status_code == 303, done.text
    shown = client.get(done.headers["location"]).text
    assert "The translation was kept beside the segment." in shown
    assert "SYNTHETIC web translator" in shown and "SYNTHETIC partner" in shown
    assert "<script>alert(1)</script>" not in shown and "&lt;script&gt;" in shown
    assert "\u202e" not in shown  # the override shown safely, as every user text


def test_a_mistake_is_said_beside_its_field_and_nothing_is_recorded(
        app: FastAPI, world: World, made: dict[str, str]) -> None:
    testimony = made["protected"]
    client = client_for(app, world, "investigator_g")
    token = csrf_of(client.get(f"/fa/testimonies/{testimony}").text)
    count = len(_segments(world, testimony))
    given = client.post(f"/fa/testimonies/{testimony}/consents", data={
        "csrf": token, "recipient_kind": "court", "recipient": "", "status": "given",
        "how": "", "date": "not a day"})
    assert given.status_code == 422
    for field in ("recipient", "how", "date"):
        assert f'id="f-{field}-error"' in given.text, field
    assert "<details class=\"panel\" open>" in given.text  # the form shown open
    wrong = client.post(f"/fa/testimonies/{testimony}/segments", data={
        "csrf": token, "text": "SYNTHETIC kept text", "knowledge": "direct",
        "start": "20", "end": "10"})
    assert wrong.status_code == 422 and 'id="f-end-error"' in wrong.text
    for start in ("nan", "-3", "twelve"):
        bad = client.post(f"/fa/testimonies/{testimony}/segments", data={
            "csrf": token, "text": "SYNTHETIC", "knowledge": "direct", "start": start})
        assert bad.status_code == 422 and 'id="f-start-error"' in bad.text, start
    assert "SYNTHETIC kept text" in wrong.text
    segment = _segments(world, testimony)[0]["id"]
    empty = client.post(f"/fa/testimonies/{testimony}/segments/{segment}/translations",
                        data={"csrf": token, "language": "en", "text": ""})
    assert empty.status_code == 422 and f'id="t-{segment}-text-error"' in empty.text
    assert len(_segments(world, testimony)) == count


@pytest.mark.parametrize("who", ["researcher", "admin", "analyst", "viewer_g"])
def test_a_protected_testimony_takes_no_change_without_the_grant(
        app: FastAPI, world: World, made: dict[str, str], who: str) -> None:
    """Without the grant, a form posted to the protected testimony is answered as for a
    missing one ("not found"; "forbidden" to whoever may not add evidence at all, for
    any testimony) and nothing is recorded."""
    client = client_for(app, world, who)
    token = csrf_of(client.get("/en/documents").text)
    count = len(_segments(world, made["protected"]))
    segment = _segments(world, made["protected"])[0]["id"]
    form = {"csrf": token, "text": "SYNTHETIC", "knowledge": "direct", "language": "en",
            "recipient_kind": "team", "status": "refused", "interviewer": "SYNTHETIC",
            "version": "1"}
    may_add = who == "admin"  # of these, only an admin may add evidence
    for path in ("interview", "consents", "segments", f"segments/{segment}/translations"):
        answer = client.post(f"/en/testimonies/{made['protected']}/{path}", data=form)
        missing = client.post(f"/en/testimonies/{MISSING}/{path}", data=form)
        assert answer.status_code == missing.status_code == (404 if may_add else 403), path
        assert answer.text == missing.text.replace(MISSING, made["protected"])
    assert len(_segments(world, made["protected"])) == count
    if may_add:  # the public testimony is theirs to add to
        done = client.post(f"/en/testimonies/{made['public']}/segments", data=form)
        assert done.status_code == 303, done.text


def test_change_the_interview_from_the_testimony_page(
        app: FastAPI, world: World, made: dict[str, str]) -> None:
    """The interview's form (no script needed) holds what is recorded and the version it
    was read at; posted, it changes the interview through the API's service (an event
    under the signed-in user, sealed: the new place in no event's or column's clear
    text); a mistake is said beside its field; a change made meanwhile by someone else is
    refused, the form then showing what is recorded now."""
    testimony = made["protected"]
    client = client_for(app, world, "investigator_g")
    page = client.get(f"/en/testimonies/{testimony}").text
    action = f'action="/en/testimonies/{testimony}/interview"'
    assert action in page and 'value="SYNTHETIC interviewer"' in page
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version is not None
    token = csrf_of(page)
    form = {"csrf": token, "version": version.group(1), "interview_date": "1399/02/10",
            "interview_place": "SECRET-moved place SYNTHETIC",
            "interviewer": "SYNTHETIC interviewer", "interpreter": "SYNTHETIC interpreter",
            "language": "fa", "read_back": "no", "others_present": "SYNTHETIC aunt\n\n",
            "materials_shown": "SYNTHETIC photo", "prior_statements": ""}
    wrong = client.post(f"/fa/testimonies/{testimony}/interview",
                        data={**form, "read_back": "maybe", "language": "x" * 36})
    assert wrong.status_code == 422
    assert 'id="f-read_back-error"' in wrong.text and 'id="f-language-error"' in wrong.text
    assert 'value="SECRET-moved place SYNTHETIC"' in wrong.text  # what was typed is kept
    done = client.post(f"/en/testimonies/{testimony}/interview", data=form)
    assert done.status_code == 303, done.text
    assert "done=interview" in done.headers["location"]
    assert "SECRET" not in done.headers["location"]
    shown = client.get(done.headers["location"]).text
    assert "The interview is recorded as shown." in shown
    assert "SECRET-moved place SYNTHETIC" in shown and "SYNTHETIC interpreter" in shown
    with world.store.reading() as conn:
        row = conn.execute(select(s.testimonies).where(
            s.testimonies.c.id == testimony)).mappings().one()
        body = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.idx == row["ledger_index"])).scalar_one()
    assert json.loads(body)["type"] == "testimony.interview_changed"
    assert json.loads(body)["data"]["changed"] == [
        "interview_place", "interpreter", "others_present", "read_back"]
    assert b"SECRET-moved" not in bytes(body) and row["interview_place"] == "[protected]"
    assert _actor_of(world, s.testimonies, testimony) == _pseudonym(world, "investigator_g")
    # The same form again, read before that change: refused, the form now as recorded.
    stale = client.post(f"/en/testimonies/{testimony}/interview",
                        data={**form, "interview_place": "SYNTHETIC stale place"})
    assert stale.status_code == 409 and "make your change again" in stale.text
    assert 'value="SECRET-moved place SYNTHETIC"' in stale.text
    assert f'name="version" value="{row["ledger_index"]}"' in stale.text
    with world.store.reading() as conn:
        assert conn.execute(select(s.testimonies.c.ledger_index).where(
            s.testimonies.c.id == testimony)).scalar_one() == row["ledger_index"]
    # Who may not add evidence sees no form.
    public = client_for(app, world, "viewer_g").get(f"/en/testimonies/{made['public']}")
    assert public.status_code == 200
    assert f'action="/en/testimonies/{made["public"]}/interview"' not in public.text


def test_the_documents_search_finds_a_passage_with_its_time_code_for_the_grant_holder(
        app: FastAPI, world: World, made: dict[str, str]) -> None:
    """The search page lists a testimony's segment or translation as a hit of its own:
    linked to the segment on the testimony's page, with its number, time code and
    language; without the grant, neither the hit nor its words."""
    client = client_for(app, world, "investigator_g")
    form = client.get("/en/documents")
    found = client.post("/en/documents", data={"csrf": csrf_of(form.text), "q": "corridor"})
    assert found.status_code == 200
    link = re.search(rf'href="/en/testimonies/{made["protected"]}#(seg_\w+)"', found.text)
    assert link is not None, found.text
    hit = found.text[found.text.index(link.group(0)):]
    hit = hit[:hit.index("</li>")]
    assert "segment 1" in hit and "Translation" in hit and "English" in hit
    assert "from 12.0 s" in hit and "to 18.5 s" in hit
    assert "in the <mark>corridor</mark>" in hit
    persian = client_for(app, world, "investigator_g")
    token = csrf_of(persian.get("/fa/documents").text)
    shown = persian.post("/fa/documents", data={"csrf": token, "q": "راهرو"}).text
    assert f'/fa/testimonies/{made["protected"]}#' in shown
    assert "بخش ۱" in shown and "از ۱۲٫۰ ثانیه" in shown and "<mark>راهرو</mark>" in shown
    for who in ("researcher", "admin", "viewer_g"):
        other = client_for(app, world, who)
        token = csrf_of(other.get("/en/documents").text)
        answer = other.post("/en/documents", data={"csrf": token, "q": "corridor"})
        assert answer.status_code == 200
        assert made["protected"] not in answer.text and "corridor</mark>" not in answer.text
        assert "SECRET-translation" not in answer.text, who
