"""The documents pages: full-text search of the texts the visitor may see (the one
document search, as ``POST /api/search``), the query in the body only, matches marked;
an item's text page by page with its mentions marked and the claims proposed from them,
accepted or rejected there; a protected text "not found" to anyone without the grant."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from api_world import LEVELS, World
from fastapi import FastAPI
from page_data import PARTY, PROTECTED, PUBLIC, add_attributed_proposal, add_document
from web_world import client_for, csrf_of

from dadkhahi.domain.vocab import Sensitivity


@pytest.mark.parametrize("who", ["anonymous", "viewer_g", "analyst", "admin_g"])
def test_hits_are_only_the_texts_the_visitor_may_see(app: FastAPI, world: World,
                                                     who: str) -> None:
    client = client_for(app, world, who)
    form = client.get("/en/documents")
    assert form.status_code == 200 and 'method="post"' in form.text
    answer = client.post("/en/documents", data={"csrf": csrf_of(form.text),
                                                "q": "SYNTHETIC"})
    assert answer.status_code == 200
    for level in LEVELS:
        item = world.objects[level].item
        shown = f'href="/en/items/{item}"' in answer.text
        assert shown == world.can_see(who, level), (who, level)
    for marker in world.hidden_markers(who):
        assert marker not in answer.text
    assert "<mark>SYNTHETIC</mark>" in answer.text
    assert "SYNTHETIC" not in str(answer.url)  # the query never in an address


def test_an_empty_query_is_answered_beside_the_field_in_persian(app: FastAPI,
                                                                world: World) -> None:
    client = client_for(app, world, "admin_g")
    token = csrf_of(client.get("/fa/documents").text)
    answer = client.post("/fa/documents", data={"csrf": token, "q": ""})
    assert answer.status_code == 422
    assert 'id="f-q-error"' in answer.text and "واژه‌هایی را که می‌جویید بنویسید" in answer.text
    none = client.post("/fa/documents", data={"csrf": token, "q": "nowhere-word-xyz"})
    assert none.status_code == 200 and "۰ یافته" in none.text
    assert world.objects[Sensitivity.PUBLIC].item not in none.text


@pytest.mark.parametrize("who", ["anonymous", "viewer_g", "analyst", "admin_g"])
def test_the_source_filter_lists_only_sources_with_text_the_visitor_may_see(
        app: FastAPI, world: World, who: str) -> None:
    from sqlalchemy import select

    from dadkhahi.store import schema as s

    form = client_for(app, world, who).get("/en/documents")
    assert form.status_code == 200 and 'name="source" multiple' in form.text
    for level in LEVELS:
        source = world.objects[level].source
        assert (f'<option value="{source}"' in form.text) == world.can_see(who, level), level
    for marker in world.hidden_markers(who):
        assert marker not in form.text
    with world.store.reading() as conn:  # lists hold no text to search: not offered
        lists = list(conn.execute(select(s.sources.c.id).where(s.sources.c.kind == "list"))
                     .scalars())
    assert lists and not any(f'value="{x}"' in form.text for x in lists)


def test_filters_narrow_the_search_and_travel_as_ids_only(app: FastAPI, world: World) -> None:
    """Chosen in the address (a kind and source IDs, as a link may carry them) or in the
    form; applied before ranking: a hit the visitor may see outside them is not shown."""
    client = client_for(app, world, "admin_g")
    public, protected = (world.objects[x] for x in (Sensitivity.PUBLIC, PROTECTED))
    assert world.can_see("admin_g", PROTECTED)
    form = client.get(f"/en/documents?kind=document&source={public.source}")
    assert form.status_code == 200
    assert re.search(rf'<option value="{public.source}" dir="auto" selected>', form.text)
    assert re.search(r'<option value="document" selected>', form.text)
    answer = client.post("/en/documents", data={"csrf": csrf_of(form.text), "q": "SYNTHETIC",
                                                "kind": "document",
                                                "source": [public.source, protected.source]})
    assert answer.status_code == 200, answer.text
    assert f'href="/en/items/{public.item}"' in answer.text
    assert f'href="/en/items/{protected.item}"' in answer.text
    assert f'href="/en/items/{world.objects[Sensitivity.RESTRICTED].item}"' not in answer.text
    only = client.post("/en/documents", data={"csrf": csrf_of(form.text), "q": "SYNTHETIC",
                                              "kind": "testimony"})
    assert only.status_code == 200 and 'href="/en/items/' not in only.text
    assert "SYNTHETIC" not in str(answer.url) and "SYNTHETIC" not in str(only.url)


@pytest.mark.parametrize("how", ["address", "form"])
def test_a_source_the_visitor_may_not_see_is_refused_like_one_that_does_not_exist(
        app: FastAPI, world: World, how: str) -> None:
    client = client_for(app, world, "analyst")
    assert not world.can_see("analyst", PROTECTED)
    hidden = world.objects[PROTECTED].source
    answers = []
    for ref in (hidden, "src_nosuchsource0000"):
        if how == "address":
            answer = client.get(f"/en/documents?source={ref}")
        else:
            token = csrf_of(client.get("/en/documents").text)
            answer = client.post("/en/documents", data={"csrf": token, "q": "SYNTHETIC",
                                                        "source": ref})
        assert answer.status_code == 422 and 'id="f-source-error"' in answer.text
        assert ref not in answer.text and "<mark>" not in answer.text
        for marker in world.hidden_markers("analyst"):
            assert marker not in answer.text
        answers.append(re.sub(r'name="csrf" value="[^"]*"', "", answer.text))
    assert answers[0] == answers[1]  # nothing tells the hidden one from none at all
    bad = client.get("/en/documents?kind=everything")
    assert bad.status_code == 422 and 'id="f-kind-error"' in bad.text


# --- an item's text, its mentions and the claims proposed from them ---


@pytest.fixture(scope="module")
def documents(world: World) -> dict[Sensitivity, str]:
    """The SYNTHETIC report in the public and in the protected source, read for mentions."""
    return {level: add_document(world, level) for level in (PUBLIC, PROTECTED)}


def _claims(world: World, item: str) -> list[dict[str, object]]:
    from sqlalchemy import select

    from dadkhahi.store import schema as s

    with world.store.reading() as conn:
        return [dict(r) for r in conn.execute(
            select(s.proposals.c.status, s.proposals.c.claim_id)
            .where(s.proposals.c.item_id == item)).mappings()]


def _linked_person(world: World, record: str) -> str:
    from sqlalchemy import select

    from dadkhahi.store import schema as s

    with world.store.reading() as conn:
        return str(conn.execute(select(s.person_records.c.person_id).where(
            s.person_records.c.record_id == record)).scalar_one())


def test_the_text_page_shows_pages_mentions_and_proposals_then_a_review(
        app: FastAPI, world: World, documents: dict[Sensitivity, str]) -> None:
    item = documents[PUBLIC]
    client = client_for(app, world, "investigator_g")
    page = client.get(f"/en/items/{item}/text")
    assert page.status_code == 200
    html = page.text
    assert "Language: English" in html and "plain text" in html
    assert '<mark title="person">Ali Karimi</mark>' in html
    assert '<mark title="count of people">seventy</mark>' in html
    person = _linked_person(world, world.objects[PUBLIC].list_record)  # "Karimi, Ali"
    assert f'href="/en/persons/{person}"' in html  # a candidate of the name
    proposals = re.findall(r'<li class="panel" id="(prp_[0-9a-f]+)">', html)
    assert len(proposals) == 2 and html.count('value="accept"') == 2
    executed, counted = proposals
    token = csrf_of(html)
    # No subject chosen for a proposal that names none: said beside it, nothing changes.
    answer = client.post(f"/en/items/{item}/proposals/{executed}",
                         data={"csrf": token, "action": "accept"})
    assert answer.status_code == 303 and "error=subject" in answer.headers["location"]
    assert "choose one, then accept" in client.get(answer.headers["location"]).text
    answer = client.post(f"/en/items/{item}/proposals/{executed}", data={
        "csrf": token, "action": "accept", "entity": f"person:{person}"})
    assert answer.headers["location"].endswith("done=accepted")
    answer = client.post(f"/en/items/{item}/proposals/{counted}",
                         data={"csrf": token, "action": "reject"})
    assert answer.headers["location"].endswith("done=rejected")
    after = client.get(answer.headers["location"]).text
    assert "The proposal was rejected" in after and 'value="accept"' not in after
    states = sorted((str(c["status"]), c["claim_id"] is not None)
                    for c in _claims(world, item))
    assert states == [("accepted", True), ("rejected", False)]
    # Accepted twice: refused beside the proposal, not a server error.
    again = client.post(f"/en/items/{item}/proposals/{executed}", data={
        "csrf": token, "action": "accept", "entity": f"person:{person}"})
    assert "error=decided" in again.headers["location"]


def test_the_persian_text_page_is_right_to_left_with_persian_digits(
        app: FastAPI, world: World, documents: dict[Sensitivity, str]) -> None:
    page = client_for(app, world, "admin_g").get(f"/fa/items/{documents[PUBLIC]}/text")
    assert page.status_code == 200
    assert 'lang="fa" dir="rtl"' in page.text
    assert "زبان: انگلیسی" in page.text and "۷۰" in page.text


@pytest.mark.parametrize("who", ["anonymous", "viewer_g", "researcher", "admin"])
def test_a_protected_text_is_not_found_without_the_grant(
        app: FastAPI, world: World, documents: dict[Sensitivity, str], who: str) -> None:
    item = documents[PROTECTED]
    client = client_for(app, world, who)
    if who == "anonymous":
        # Sent to sign in first, the item not named.
        answer = client.get(f"/en/items/{item}/text")
        assert answer.status_code == 303 and "sign-in" in answer.headers["location"]
        return
    seen = world.can_see(who, PROTECTED)
    missing = client.get("/en/items/itm_00000000000000000000/text")
    answer = client.get(f"/en/items/{item}/text")
    assert missing.status_code == 404
    if seen:
        assert answer.status_code == 200
        return
    assert answer.status_code == 404 and answer.text == missing.text.replace(
        "itm_00000000000000000000", item)
    assert "Ali Karimi" not in answer.text
    token = csrf_of(client.get("/en/documents").text)
    with world.store.reading() as conn:
        from sqlalchemy import select

        from dadkhahi.store import schema as s

        proposal = conn.execute(select(s.proposals.c.id).where(
            s.proposals.c.item_id == item)).scalars().first()
    for path, form in ((f"/en/items/{item}/proposals/{proposal}", {"action": "reject"}),
                       (f"/en/items/{item}/mentions", {}), (f"/en/items/{item}/extract", {})):
        refused = client.post(path, data={"csrf": token, **form})
        assert refused.status_code in (403, 404), (path, refused.status_code)
        if who.startswith("admin"):
            assert refused.status_code == 404, path
    assert all(c["status"] == "pending" for c in _claims(world, item))



def _pending(world: World, item: str, prop: str) -> str:
    from sqlalchemy import select

    from dadkhahi.store import schema as s

    with world.store.reading() as conn:
        return str(conn.execute(select(s.proposals.c.id).where(
            s.proposals.c.item_id == item, s.proposals.c.property == prop,
            s.proposals.c.status == "pending")).scalars().one())


def test_a_proposal_s_subject_is_chosen_by_name_with_the_one_person_search(
        app: FastAPI, world: World) -> None:
    """The subject of a proposal that names none is found by name (typed in the other
    script) with the act page's picker: as you type (htmx) the choices alone, then
    accepted with the person chosen; the suggested subjects are listed by name."""
    from sqlalchemy import select

    from dadkhahi.store import schema as s

    item = add_document(world, PUBLIC, "subject-by-name.txt")
    executed = _pending(world, item, "executed")
    person = _linked_person(world, world.objects[PUBLIC].list_record)  # "Karimi, Ali"
    client = client_for(app, world, "investigator_g")
    html = client.get(f"/en/items/{item}/text").text
    assert f'id="n-{executed}" name="subject_name"' in html
    # The name's candidates listed by name (and ID), not as a bare KIND:ID.
    assert re.search(r'<option value="person:(per_[0-9a-f]+)">Ali Karimi \(\1\)</option>',
                     html)
    token = csrf_of(html)
    picks = client.post(f"/en/items/{item}/proposals/{executed}/persons",
                        headers={"HX-Request": "true"},
                        data={"csrf": token, "subject_name": "علی کریمی"})
    assert picks.status_code == 200 and "<html" not in picks.text
    assert f'name="person_pick" value="{person}"' in picks.text
    none = client.post(f"/en/items/{item}/proposals/{executed}/persons",
                       headers={"HX-Request": "true"},
                       data={"csrf": token, "subject_name": "Zzyzx Qwv"})
    assert "No person you may see has this name." in none.text
    assert "identifier" not in none.text  # the text page has no identifier field
    done = client.post(f"/en/items/{item}/proposals/{executed}", data={
        "csrf": token, "action": "accept", "person_pick": person,
        "entity": "person:per_00000000000000000000"})  # the picker wins over the list
    assert done.headers["location"].endswith("done=accepted"), done.headers["location"]
    with world.store.reading() as conn:
        claim = conn.execute(select(s.claims.c.entity_kind, s.claims.c.entity_id).join(
            s.proposals, s.proposals.c.claim_id == s.claims.c.id).where(
            s.proposals.c.id == executed)).one()
    assert tuple(claim) == ("person", person)


def test_a_proposal_s_picker_works_without_javascript(app: FastAPI, world: World) -> None:
    """The Find button posts the proposal's form to the picker: the text page again (in
    Persian), the persons found in that proposal's form, the name kept there, never in
    an address."""
    item = add_document(world, PUBLIC, "picker-no-script.txt")
    executed = _pending(world, item, "executed")
    person = _linked_person(world, world.objects[PUBLIC].list_record)
    client = client_for(app, world, "investigator_g")
    token = csrf_of(client.get(f"/fa/items/{item}/text").text)
    page = client.post(f"/fa/items/{item}/proposals/{executed}/persons",
                       data={"csrf": token, "subject_name": "Karimi", "action": "accept"})
    assert page.status_code == 200 and 'lang="fa" dir="rtl"' in page.text
    form = page.text[page.text.index(f'id="{executed}"'):]
    form = form[:form.index("</form>")]
    assert f'name="person_pick" value="{person}"' in form
    assert f'id="n-{executed}" name="subject_name" value="Karimi"' in form
    assert "Karimi" not in str(page.url)


def test_a_proposal_s_picker_follows_the_text_page_rules(
        app: FastAPI, world: World, documents: dict[Sensitivity, str]) -> None:
    """Who may not add facts is refused; an item one may not see is "not found" (the
    same page as a missing one); as you type, no protected person is offered."""
    form = {"subject_name": "Najafi"}
    public = documents[PUBLIC]
    # The picker reads no proposal (only the item's visibility): any ID in the path.
    proposal = "prp_00000000000000000000"
    researcher = client_for(app, world, "researcher")
    token = csrf_of(researcher.get("/en/search").text)
    assert researcher.post(f"/en/items/{public}/proposals/{proposal}/persons",
                           data={"csrf": token, **form}).status_code == 403
    analyst = client_for(app, world, "analyst")
    token = csrf_of(analyst.get("/en/search").text)
    hidden_item = documents[PROTECTED]
    for fragment in ({}, {"HX-Request": "true"}):
        hidden = analyst.post(f"/en/items/{hidden_item}/proposals/{proposal}/persons",
                              headers=fragment, data={"csrf": token, **form})
        missing = analyst.post(
            f"/en/items/itm_00000000000000000000/proposals/{proposal}/persons",
            headers=fragment, data={"csrf": token, **form})
        assert hidden.status_code == missing.status_code == 404
        assert hidden.text == missing.text.replace("itm_00000000000000000000", hidden_item)
    # The protected person ("Najafi, Javad") is offered to a grant holder only when asked
    # with the Find button, never as they type.
    granted = client_for(app, world, "investigator_g")
    token = csrf_of(granted.get("/en/search").text)
    hidden_person = _linked_person(world, world.objects[PROTECTED].list_record)
    typed = granted.post(f"/en/items/{public}/proposals/{proposal}/persons",
                         headers={"HX-Request": "true"}, data={"csrf": token, **form})
    assert typed.status_code == 200 and hidden_person not in typed.text
    found = granted.post(f"/en/items/{public}/proposals/{proposal}/persons",
                         data={"csrf": token, **form})
    assert found.status_code == 200


def _accepted_claim(world: World, proposal: str) -> dict[str, object] | None:
    from sqlalchemy import select

    from dadkhahi.store import schema as s

    with world.store.reading() as conn:
        row = conn.execute(select(s.claims).join(
            s.proposals, s.proposals.c.claim_id == s.claims.c.id).where(
            s.proposals.c.id == proposal)).mappings().first()
        return None if row is None else world.store.keys.open_row(conn, dict(row))


def test_an_attributed_party_is_linked_on_the_text_page(app: FastAPI, world: World) -> None:
    """A proposal whose sentence names who said it: the page offers the organisations the
    reviewer may see, or a person found by name; accepted, the claim names the party and
    is raised to its sensitivity, through the API's service."""
    item = world.objects[PUBLIC].item
    restricted = world.objects[Sensitivity.RESTRICTED].organization
    protected = world.objects[PROTECTED].organization
    pid = add_attributed_proposal(world)
    analyst = client_for(app, world, "analyst")  # adds facts, no grant
    html = analyst.get(f"/en/items/{item}/text").text
    form = html[html.index(f'id="{pid}"'):]
    form = form[:form.index("</form>")]
    assert "Who made the statement" in form and PARTY in form
    assert f'<option value="{restricted}">' in form
    assert protected not in html and "SECRET-" not in html
    token = csrf_of(html)
    # A protected organisation sent anyway: "not found", no claim made.
    hidden = analyst.post(f"/en/items/{item}/proposals/{pid}", data={
        "csrf": token, "action": "accept", "party_organization": protected})
    assert hidden.status_code == 404 and _accepted_claim(world, pid) is None
    done = analyst.post(f"/en/items/{item}/proposals/{pid}", data={
        "csrf": token, "action": "accept", "party_organization": restricted})
    assert done.headers["location"].endswith("done=accepted"), done.headers["location"]
    claim = _accepted_claim(world, pid)
    assert claim is not None and claim["sensitivity"] == "restricted"  # raised from public
    assert claim["value"] == {"approximately": 40, "attributed_to": PARTY,
                              "attributed_party": {"kind": "organization", "id": restricted}}
    # A person as the party, found by name as you type (the party's own picker).
    pid = add_attributed_proposal(world)
    person = _linked_person(world, world.objects[PUBLIC].list_record)
    picks = analyst.post(f"/en/items/{item}/proposals/{pid}/persons",
                         headers={"HX-Request": "true", "HX-Trigger-Name": "party_name"},
                         data={"csrf": token, "party_name": "علی کریمی",
                               "subject_name": "Zzyzx"})
    assert f'name="party_pick" value="{person}"' in picks.text
    assert 'name="person_pick"' not in picks.text
    # Without JavaScript, the party's Find button: the page again, the choices there.
    page = analyst.post(f"/en/items/{item}/proposals/{pid}/persons", data={
        "csrf": token, "picker": "party", "party_name": "Karimi"})
    assert page.status_code == 200
    assert page.text.count(f'name="party_pick" value="{person}"') == 1
    assert f'id="pn-{pid}" name="party_name" value="Karimi"' in page.text
    done = analyst.post(f"/en/items/{item}/proposals/{pid}", data={
        "csrf": token, "action": "accept", "party_pick": person,
        "party_organization": restricted})  # the person found by name wins
    assert done.headers["location"].endswith("done=accepted"), done.headers["location"]
    claim = _accepted_claim(world, pid)
    assert claim is not None and claim["sensitivity"] == "public"
    assert claim["value"]["attributed_party"] == {"kind": "person", "id": person}  # type: ignore[index]


def test_the_item_page_links_to_the_text_page_where_the_text_is_its_own(
        app: FastAPI, world: World, tmp_path: Path) -> None:
    """An original, and a WARC's HTML response (a web page of its own): linked; another
    derivative (the WARC's stylesheet response), whose text would be its original's: not."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from dadkhahi.intake.warc import import_warc

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    html_page = b"<html><body><p>SYNTHETIC page</p></body></html>"
    for url, body, kind in (("https://news.example/SYNTHETIC/page", html_page, "text/html"),
                            ("https://news.example/SYNTHETIC/s.css", b"p {}", "text/css")):
        writer.write_record(writer.create_warc_record(
            url, "response", payload=io.BytesIO(body),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", kind)],
                                          protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2019-06-01T10:00:00Z"}))
    path = tmp_path / "SYNTHETIC.warc.gz"
    path.write_bytes(buf.getvalue())
    done = import_warc(world.store, path, "setup", source_id=world.objects[PUBLIC].source)
    (page, _, _), (style, _, _) = done.responses
    client = client_for(app, world, "admin_g")
    for item, linked in ((done.warc_item_id, True), (page, True), (style, False)):
        html = client.get(f"/en/items/{item}").text
        assert (f'href="/en/items/{item}/text"' in html) is linked, item
