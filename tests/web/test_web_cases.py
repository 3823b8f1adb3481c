"""Case pages: a team member's cases and a case's evidence matrix with its gaps; anyone
off the team (any role) gets "not found" and never the case's sealed title."""

from __future__ import annotations

import pytest
from api_world import World
from fastapi import FastAPI
from page_data import add_case
from sqlalchemy import func, select
from web_world import client_for, csrf_of

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import schema as s


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


def _case_count(world: World) -> int:
    with world.store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(s.cases)).scalar_one())


def test_a_lawyer_opens_a_case_charges_and_links_from_the_pages(app: FastAPI,
                                                                 world: World) -> None:
    pub = world.objects[Sensitivity.PUBLIC]
    client = client_for(app, world, "lawyer_g")
    token = csrf_of(client.get("/en/cases").text)
    # No token, no case: the form is refused before anything is written.
    before = _case_count(world)
    refused = client.post("/en/cases", data={"title": "SYNTHETIC page case"})
    assert refused.status_code == 403 and _case_count(world) == before
    opened = client.post("/en/cases", data={
        "csrf": token, "title": "SYNTHETIC page case", "suspects": pub.person,
        "acts": pub.act, "period_from": "1988-07-23", "period_to": "1988-09-22"},
        follow_redirects=False)
    assert opened.status_code == 303
    page_url = opened.headers["location"].split("?")[0]
    case_id = page_url.rsplit("/", 1)[1]
    page = client.get(opened.headers["location"])
    assert "The case was opened." in page.text and "SYNTHETIC page case" in page.text
    charged = client.post(page_url, data={
        "csrf": token, "action": "charge", "suspect_id": pub.person,
        "crime": "national-murder::murder", "mode": "instigator"}, follow_redirects=False)
    assert charged.status_code == 303
    page = client.get(page_url)
    assert "no fact linked" in page.text and "Link a fact to an element" in page.text
    charge_id = _only_charge(world, case_id)
    linked = client.post(page_url, data={
        "csrf": token, "action": "link", "element": f"{charge_id}::1",
        "fact_kind": "involvement", "fact_id": pub.involvement, "reliability": "B",
        "credibility": "2", "direction": "incriminating",
        "how": "SYNTHETIC: the list names him"}, follow_redirects=False)
    assert linked.status_code == 303
    page = client.get(page_url)
    matrix = page.text.split("Add a charge")[0]
    assert pub.involvement in matrix and "incriminating" in matrix
    # A fact the lawyer cannot see (here: none such) is not linked: the form says so,
    # nothing is written.
    hidden = "inv_" + "0" * 20
    size = _written(world, case_id)
    bad = client.post(page_url, data={
        "csrf": token, "action": "link", "element": f"{charge_id}::2",
        "fact_kind": "involvement", "fact_id": hidden, "reliability": "B",
        "credibility": "2", "direction": "incriminating", "how": "x"})
    assert bad.status_code == 422 and "could not be linked" in bad.text
    assert _written(world, case_id) == size
    # A mode of liability the crime's framework does not have is refused in words.
    wrong = client.post(page_url, data={
        "csrf": token, "action": "charge", "suspect_id": pub.person,
        "crime": "national-murder::murder", "mode": "25(3)(b)"})
    assert wrong.status_code == 422 and "could not be added" in wrong.text
    assert _written(world, case_id) == size
    # Off the team, the change gets the case's "not found", whatever the role.
    other = client_for(app, world, "admin_g")
    answer = other.post(page_url, data={
        "csrf": csrf_of(other.get("/en/cases").text), "action": "charge",
        "suspect_id": pub.person, "crime": "national-murder::murder", "mode": "instigator"})
    assert answer.status_code == 404 and "SYNTHETIC page case" not in answer.text
    assert _written(world, case_id) == size


def _written(world: World, case_id: str) -> tuple[int, int]:
    """The case's charges and links, counted."""
    with world.store.reading() as conn:
        return tuple(int(conn.execute(select(func.count()).select_from(table).where(
            table.c.case_id == case_id)).scalar_one())
            for table in (s.case_charges, s.case_links))  # type: ignore[return-value]


def _only_charge(world: World, case_id: str) -> str:
    with world.store.reading() as conn:
        return str(conn.execute(select(s.case_charges.c.id).where(
            s.case_charges.c.case_id == case_id)).scalar_one())


def test_a_viewer_may_not_open_a_case(app: FastAPI, world: World) -> None:
    client = client_for(app, world, "viewer_g")
    page = client.get("/en/cases")
    assert "Open a case" not in page.text
    before = _case_count(world)
    answer = client.post("/en/cases", data={"csrf": csrf_of(page.text), "title": "SYNTHETIC x"})
    assert answer.status_code == 403 and _case_count(world) == before


def test_a_bundle_is_queued_from_the_case_page_for_its_team_only(app: FastAPI, world: World,
                                                                  case_id: str) -> None:
    from dadkhahi.jobs import queue

    client = client_for(app, world, "investigator_g")
    token = csrf_of(client.get(f"/en/cases/{case_id}").text)
    before = len(queue.list_jobs(world.store))
    # No token, no job; the recipient goes in the body and comes back in no address.
    assert client.post(f"/en/cases/{case_id}", data={
        "action": "bundle", "recipient": "SYNTHETIC Court X"}).status_code == 403
    queued = client.post(f"/en/cases/{case_id}", data={
        "csrf": token, "action": "bundle", "recipient": "SYNTHETIC Court X"})
    assert queued.status_code == 303 and "Court" not in queued.headers["location"]
    mine = queue.list_jobs(world.store)
    assert len(mine) == before + 1 and mine[0].kind == "case.bundle"
    assert "SYNTHETIC Court X" not in repr(mine[0].params)
    page = client.get(queued.headers["location"])
    assert "The court bundle was queued" in page.text and mine[0].id in page.text
    assert f'hx-get="/en/cases/{case_id}/bundles"' in page.text  # polls while unfinished
    rows = client.get(f"/en/cases/{case_id}/bundles")
    assert rows.status_code == 200 and "Queued" in rows.text and "<html" not in rows.text
    # Not written yet: no download; off the team: the case's 404 for the list and the file.
    assert client.get(f"/en/cases/{case_id}/bundles/{mine[0].id}").status_code == 404
    other = client_for(app, world, "admin_g")
    assert other.get(f"/en/cases/{case_id}/bundles").status_code == 404
    assert other.get(f"/en/cases/{case_id}/bundles/{mine[0].id}").status_code == 404
    # No recipient: refused in words, nothing queued.
    bad = client.post(f"/en/cases/{case_id}", data={
        "csrf": token, "action": "bundle", "recipient": " "})
    assert bad.status_code == 422 and "could not be queued" in bad.text
    assert len(queue.list_jobs(world.store)) == before + 1
    queue.request_cancel(world.store, mine[0].id)


def test_a_gap_is_marked_from_the_case_page_and_shown_beside_it(app: FastAPI,
                                                                world: World) -> None:
    from dadkhahi.domain.vocab import GapStatus
    from dadkhahi.web.pages.cases import GAP_STATUSES

    assert set(GAP_STATUSES) == {str(s) for s in GapStatus}  # every status has its words
    case_id = add_case(world, ["lawyer_g"])
    client = client_for(app, world, "lawyer_g")
    page_url = f"/en/cases/{case_id}"
    page = client.get(page_url)
    assert "Mark a gap" in page.text
    token = csrf_of(page.text)
    charge_id = _only_charge(world, case_id)
    note = "SYNTHETICPAGEGAPNOTE: the roster was burnt"
    bad = client.post(page_url, data={"csrf": token, "action": "mark_gap",
                                      "gap": f"{charge_id}::2", "gap_status": "proven",
                                      "note": note})
    assert bad.status_code == 422 and "could not be marked" in bad.text
    marked = client.post(page_url, data={"csrf": token, "action": "mark_gap",
                                         "gap": f"{charge_id}::2",
                                         "gap_status": "unobtainable", "note": note},
                         follow_redirects=False)
    assert marked.status_code == 303 and marked.headers["location"].endswith("?done=marked")
    gaps = client.get(page_url).text.split('id="gaps-heading"')[1].split("matrix-heading")[0]
    assert "<strong>Unobtainable</strong> (" in gaps and note in gaps
    fa = client.get(f"/fa/cases/{case_id}").text
    assert "<strong>دست‌نیافتنی</strong> (" in fa and note in fa


def _gap_lines(html: str) -> list[str]:
    """The gap list's entries as read (tags dropped), each without its mark."""
    import html as markup
    import re

    section = html.split('id="gaps-heading"')[1].split("</ul>")[0]
    return [markup.unescape(re.sub(r"<[^>]+>", "", item.split("<br>")[0])).strip()
            for item in section.split("<li>")[1:]]


def test_each_gap_is_named_as_the_gap_report_names_it(app: FastAPI, world: World) -> None:
    """The crime with its ID, the element's number, which contextual element it is and
    its words, as ``dadkhahi case show`` says them (d1abe86), not "element N"; on the
    Persian page the same in Persian, the framework's own Persian words included."""
    from dadkhahi.access.policy import Principal
    from dadkhahi.cases.case import Scope, add_charge, create_case
    from dadkhahi.cases.frameworks import find_framework, frameworks
    from dadkhahi.cases.service import case_gaps

    pub = world.objects[Sensitivity.PUBLIC]
    found = create_case(world.store, "setup", "SECRET-gap labels SYNTHETIC",
                        Scope((pub.person,), (pub.act,)), members=["investigator_g"])
    add_charge(world.store, "setup", found, pub.person, "rome-statute-art7", "7(1)(a)",
               "25(3)(a)")
    who = "investigator_g"
    report = [g["line"] for g in case_gaps(world.store, Principal(
        user_id=world.user_ids[who], username=who, role=world.roles[who]), found)]
    assert any("element 2 (contextual: attack): " in line for line in report)
    client = client_for(app, world, who)
    assert _gap_lines(client.get(f"/en/cases/{found}").text) == report
    fa = _gap_lines(client.get(f"/fa/cases/{found}").text)
    assert len(fa) == len(report)
    # The crime's and the element's words as the framework states them in Persian.
    framework = find_framework("rome-statute-art7", frameworks())
    attack = next(e for e in framework.elements_of("7(1)(a)") if e.id == "ctx:attack")
    title = framework.crime("7(1)(a)").title.fa
    assert any(line.startswith(f"{title} (7(1)(a))") and
               f"رکن ۲ (زمینه‌ای: attack): {attack.text.fa}" in line for line in fa), fa
    assert all("element" not in line and "no fact linked" not in line for line in fa), fa
    assert "Murder" not in "".join(fa)


def test_a_link_to_a_withdrawn_involvement_is_marked_on_the_case_page(
        app: FastAPI, world: World) -> None:
    """The link stays on the page, marked withdrawn with the date, in both languages; the
    element's standing says it is not counted; nothing the involvement stated (its source,
    its sealed locator) is on the page."""
    from api_world import case_with_withdrawn_link

    made = case_with_withdrawn_link(world)
    client = client_for(app, world, "lawyer_g")
    en = client.get(f"/en/cases/{made.case_id}")
    assert en.status_code == 200
    cell = en.text.split(made.involvement, 1)[1].split("</td>", 1)[0]
    assert '<strong class="withdrawn">withdrawn ' in cell and ": not counted" in cell
    assert "linked facts withdrawn since, not counted: 1" in en.text
    assert "So is an element linked to a fact withdrawn since" in en.text
    gaps = en.text.split('id="gaps-heading"', 1)[1].split("</ul>", 1)[0]
    assert "withdrawn since" in gaps
    fa = client.get(f"/fa/cases/{made.case_id}").text
    assert "پس گرفته شده در " in fa and "واقعیت‌های پیوندخوردهٔ پس‌گرفته‌شده، که شمرده نمی‌شوند: ۱" in fa
    assert "withdrawn since" not in fa and "not counted" not in fa
    for text in (en.text, fa):
        assert made.source not in text and made.secret not in text


def test_a_link_to_an_involvement_withdrawn_then_erased_shows_as_erased(
        app: FastAPI, world: World) -> None:
    """Withdrawn, then its source erased: the link went with the involvement, so the page
    counts it as erased (en, fa), shows no withdrawal, and neither its note nor its fact.
    Before the fix it stayed on the page, marked withdrawn, with its note."""
    from api_world import case_with_withdrawn_link

    made = case_with_withdrawn_link(world, erase=True)
    client = client_for(app, world, "lawyer_g")
    en = client.get(f"/en/cases/{made.case_id}")
    assert en.status_code == 200
    assert "Links erased with the fact they linked: 1." in en.text
    assert "linked facts withdrawn since" not in en.text
    fa = client.get(f"/fa/cases/{made.case_id}")
    assert fa.status_code == 200
    assert "پیوندهایی که همراه با واقعیتِ پیوندشده پاک شده‌اند: ۱." in fa.text
    assert "پس گرفته شده در " not in fa.text
    for text in (en.text, fa.text):
        for secret in (made.note, made.involvement, made.source, made.secret):
            assert secret not in text, secret


def test_a_gap_mark_erased_with_a_link_on_its_element_shows_as_erased(
        app: FastAPI, world: World) -> None:
    """Element 1's mark went with the erased link on element 1: the page lists the gap
    without it and says one mark was erased (en, fa); element 2's mark stays. Before the
    fix the erased witness's words read in the mark's note."""
    from api_world import case_with_erased_mark

    made = case_with_erased_mark(world)
    client = client_for(app, world, "lawyer_g")
    en = client.get(f"/en/cases/{made.case_id}")
    assert en.status_code == 200, en.text
    assert "Gap marks erased with a link on their element: 1." in en.text
    fa = client.get(f"/fa/cases/{made.case_id}")
    assert fa.status_code == 200, fa.text
    assert "نشانه‌های کاستی که همراه با پیوندی بر همان رکن پاک شده‌اند: ۱." in fa.text
    for text in (en.text, fa.text):
        assert made.secret not in text and made.kept in text


def test_a_link_erased_with_its_fact_shows_as_erased_on_the_case_page(
        app: FastAPI, world: World) -> None:
    """A claim linked to an element, from a protected source erased since: the link went
    with the claim (``intake.erasure``), the page says one link was erased, in both
    languages, and nothing of its note is on the page."""
    from dadkhahi.cases.case import Scope, add_charge, create_case, link_fact
    from dadkhahi.domain.sources import SourceSpec
    from dadkhahi.domain.vocab import Credibility, Direction, EntityKind, Reliability
    from dadkhahi.facts.entities import Support, add_claim
    from dadkhahi.intake.erasure import erase_source
    from dadkhahi.intake.sources import register_source

    pro = world.objects[Sensitivity.PROTECTED]
    with world.store.transaction("setup") as tx:
        source = register_source(world.store, tx, SourceSpec(
            title="SYNTHETIC witness", sensitivity=Sensitivity.PROTECTED))
        tx.flush()
        claim = add_claim(tx, EntityKind.PERSON, pro.person, "testimony", "SYNTHETIC seen",
                          [Support(source)], sensitivity=Sensitivity.PROTECTED)
    case_id = create_case(world.store, "setup", "SYNTHETIC case with an erased fact",
                          Scope((pro.person,), (pro.act,)), members=["lawyer_g"])
    charge = add_charge(world.store, "setup", case_id, pro.person, "national-murder",
                        "murder", "perpetrator")
    link_fact(world.store, "setup", case_id, charge, "1", "claim", claim,
              reliability=Reliability.B, credibility=Credibility.PROBABLY_TRUE,
              how="NOTEQUOTESWITNESS as she told it", direction=Direction.INCRIMINATING)
    client = client_for(app, world, "lawyer_g")
    assert claim in client.get(f"/en/cases/{case_id}").text  # the linked fact, shown
    erase_source(world.store, source, "SYNTHETIC: the witness asked for erasure", "setup")
    en = client.get(f"/en/cases/{case_id}")
    assert en.status_code == 200, en.text  # before: the link stayed, its fact shown
    assert "Links erased with the fact they linked: 1." in en.text
    fa = client.get(f"/fa/cases/{case_id}")
    assert fa.status_code == 200
    assert "پیوندهایی که همراه با واقعیتِ پیوندشده پاک شده‌اند: ۱." in fa.text
    for text in (en.text, fa.text):
        assert "NOTEQUOTESWITNESS" not in text and claim not in text
