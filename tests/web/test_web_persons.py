"""The person page and the review queue: what they show, the decisions they record."""

from __future__ import annotations

import pytest
from api_world import World
from fastapi import FastAPI
from sqlalchemy import select
from web_world import client_for, csrf_of

from dadkhahi.access import dossier
from dadkhahi.domain.vocab import EntityKind, Sensitivity
from dadkhahi.facts import entities
from dadkhahi.facts.entities import Support
from dadkhahi.intake.records import add_record
from dadkhahi.store import actors
from dadkhahi.store import schema as s
from dadkhahi.web.pages import persons


def _linked_person(world: World, level: Sensitivity) -> tuple[str, str]:
    """(person, record) of a list record of ``level`` linked by the world's run."""
    record = world.objects[level].list_record
    with world.store.reading() as conn:
        person = conn.execute(select(s.person_records.c.person_id).where(
            s.person_records.c.record_id == record)).scalar_one()
    return str(person), record


def test_person_page_shows_records_claims_acts_and_is_audited(app: FastAPI,
                                                              world: World) -> None:
    protected = world.objects[Sensitivity.PROTECTED]
    client = client_for(app, world, "investigator_g")
    page = client.get(f"/en/persons/{protected.person}")
    assert page.status_code == 200
    html = page.text
    assert "SECRET-person SYNTHETIC" in html  # the sealed label, opened for a grant holder
    assert "SECRET-claim value" in html and "SECRET-source SYNTHETIC" in html
    assert f'<bdi dir="ltr" class="id">{protected.person}</bdi>' in html
    assert "execution" in html and "SECRET-act" in html  # the act and its description
    with world.store.reading() as conn:
        audited = conn.execute(select(s.audit_reads.c.object_id).where(
            s.audit_reads.c.object_id == protected.person)).scalars().all()
    assert audited, "a protected person shown on a page is in the audit trail"
    persian = client.get(f"/fa/persons/{protected.person}").text
    assert "ادعاها و منابعشان" in persian and "اعدام" in persian
    # Without the grant the same page is a plain "not found".
    hidden = client_for(app, world, "analyst").get(f"/en/persons/{protected.person}")
    assert hidden.status_code == 404 and "SECRET-" not in hidden.text


def test_records_are_shown_side_by_side(app: FastAPI, world: World) -> None:
    person, record = _linked_person(world, Sensitivity.PUBLIC)
    page = client_for(app, world, "analyst").get(f"/en/persons/{person}")
    assert page.status_code == 200
    assert record in page.text
    assert "Karimi" in page.text and "Reza" in page.text and "Father" in page.text


def test_split_from_the_person_page_is_a_ledgered_decision(app: FastAPI,
                                                           world: World) -> None:
    person, record = _linked_person(world, Sensitivity.RESTRICTED)
    other = world.objects[Sensitivity.RESTRICTED].list_record_b
    client = client_for(app, world, "analyst")
    page = client.get(f"/en/persons/{person}")
    missing = client.post(f"/en/persons/{person}/decisions",
                          data={"csrf": csrf_of(page.text), "record_a": record,
                                "record_b": "", "decision": "different"})
    assert missing.status_code == 422
    assert 'id="record_b-error"' in missing.text and 'aria-invalid="true"' in missing.text
    unknown = client.post(f"/en/persons/{person}/decisions",
                          data={"csrf": csrf_of(page.text), "record_a": record,
                                "record_b": "rec_" + "0" * 20, "decision": "different"})
    assert unknown.status_code == 422 and "no such record" in unknown.text
    done = client.post(f"/en/persons/{person}/decisions",
                       data={"csrf": csrf_of(page.text), "record_a": record,
                             "record_b": other, "decision": "different"})
    assert done.status_code == 303
    d = s.link_decisions.c
    with world.store.reading() as conn:
        row = conn.execute(select(d.decision, d.actor, d.ledger_index).where(
            d.record_a == min(record, other), d.record_b == max(record, other))
            .order_by(d.ledger_index.desc())).first()
    assert row is not None and row.decision == "different"
    with world.store.reading() as conn:
        analyst = actors.pseudonym_in(conn, world.store.keys, "analyst")
    assert row.actor == analyst  # the signed-in user is the actor (by pseudonym)


def test_viewers_may_not_decide(app: FastAPI, world: World) -> None:
    person, record = _linked_person(world, Sensitivity.PUBLIC)
    client = client_for(app, world, "viewer_g")
    page = client.get(f"/en/persons/{person}")
    assert "Record the decision" not in page.text
    refused = client.post(f"/en/persons/{person}/decisions",
                          data={"csrf": csrf_of(page.text), "record_a": record,
                                "record_b": record, "decision": "same"})
    assert refused.status_code == 403


def test_review_queue_decides_and_undoes(app: FastAPI, world: World) -> None:
    client = client_for(app, world, "admin_g")
    page = client.get("/en/review")
    assert page.status_code == 200 and "Are these two records the same person?" in page.text
    assert 'data-key="KeyS"' in page.text
    first = page.text
    token = csrf_of(first)
    a = first.split('name="record_a" value="')[1].split('"')[0]
    b = first.split('name="record_b" value="')[1].split('"')[0]
    done = client.post("/en/review", data={"csrf": token, "record_a": a, "record_b": b,
                                           "decision": "same"})
    assert done.status_code == 303
    after = client.get("/en/review").text
    assert f'name="record_a" value="{a}"' not in after  # the decided pair left the queue
    assert "Your last decision" in after
    reverse = client.post("/en/review", data={"csrf": token, "decision": "undo"})
    assert reverse.status_code == 303
    d = s.link_decisions.c
    with world.store.reading() as conn:
        decisions = conn.execute(select(d.decision).where(
            d.record_a == min(a, b), d.record_b == max(a, b)).order_by(d.ledger_index)
        ).scalars().all()
    # Superseded, never deleted: nothing was in force before, so the undo withdraws it
    # and the pair is back in the queue.
    assert decisions == ["same", "withdrawn"]
    assert f'name="record_a" value="{a}"' in client.get("/en/review").text
    # A researcher may neither see the queue nor decide.
    researcher = client_for(app, world, "researcher")
    assert researcher.get("/en/review").status_code == 403
    assert "Review queue" not in researcher.get("/en/").text


def test_review_queue_hides_pairs_with_a_record_one_cannot_see(app: FastAPI,
                                                               world: World) -> None:
    client = client_for(app, world, "analyst")  # no grants
    for _ in range(8):
        page = client.get("/en/review")
        assert "SECRET-" not in page.text
        if "No pair is waiting" in page.text:
            break
        token = csrf_of(page.text)
        a = page.text.split('name="record_a" value="')[1].split('"')[0]
        b = page.text.split('name="record_b" value="')[1].split('"')[0]
        protected = world.objects[Sensitivity.PROTECTED]
        assert {a, b}.isdisjoint({protected.list_record, protected.list_record_b})
        client.post("/en/review", data={"csrf": token, "record_a": a, "record_b": b,
                                        "decision": "different"})
    assert "No pair is waiting" in client.get("/en/review").text


def test_a_person_s_records_and_claims_come_a_page_at_a_time(
        app: FastAPI, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A person of many records and claims (the 500-record person of the benchmark) is
    shown a page at a time: each record and claim on exactly one page, a property's
    conflicting claims on the same page, links to the pages before and after."""
    monkeypatch.setattr(dossier, "RECORDS_PAGE", 2)
    monkeypatch.setattr(dossier, "CLAIMS_PAGE", 2)
    monkeypatch.setattr(persons, "RECORDS_PAGE", 2)
    monkeypatch.setattr(persons, "CLAIMS_PAGE", 2)
    public = world.objects[Sensitivity.PUBLIC]
    with world.store.transaction("setup") as tx:
        person = entities.create_person(tx, "Paged person SYNTHETIC",
                                        sensitivity=Sensitivity.PUBLIC, synthetic=True)
        records = [add_record(tx, public.source, Sensitivity.PUBLIC,
                              {"full_name": f"Paged record {n} SYNTHETIC"}) for n in range(3)]
        records.sort()  # the page's order: source, import, row, ID (these differ in ID only)
        for prop, value in (("alpha", "one"), ("beta", "two"), ("beta", "three")):
            entities.add_claim(tx, EntityKind.PERSON, person, prop, f"{value} SYNTHETIC",
                               [Support(public.source)], sensitivity=Sensitivity.PUBLIC)
    # Linked as a linkage run links them (the projection's rows; no run needed here).
    with world.store.engine.begin() as conn:
        conn.execute(s.person_records.insert(), [
            {"record_id": r, "person_id": person, "run_id": "test", "ledger_index": 0}
            for r in records])
    client = client_for(app, world, "analyst")
    first = client.get(f"/en/persons/{person}").text
    assert [r in first for r in records] == [True, True, False]
    assert "one SYNTHETIC" in first and "two SYNTHETIC" not in first  # beta kept whole
    assert "?records=2&amp;claims=0" in first and "?claims=1&amp;records=0" in first
    second = client.get(f"/fa/persons/{person}?records=۲&claims=1").text
    assert [r in second for r in records] == [False, False, True]
    assert "two SYNTHETIC" in second and "three SYNTHETIC" in second
    assert "one SYNTHETIC" not in second and "?records=0&amp;claims=1" in second
    assert "Next page" not in second and "صفحهٔ بعد" not in second


def test_a_claim_names_each_of_its_sources_once_with_how_often_it_is_cited(
        app: FastAPI, world: World) -> None:
    """A claim supported by many records of one list (the 500-record person's claims are)
    shows that list once, with the number of its supports, in both languages."""
    public = world.objects[Sensitivity.PUBLIC]
    with world.store.transaction("setup") as tx:
        person = entities.create_person(tx, "Cited person SYNTHETIC",
                                        sensitivity=Sensitivity.PUBLIC, synthetic=True)
        entities.add_claim(tx, EntityKind.PERSON, person, "cited", "value SYNTHETIC",
                           [Support(public.source, locator=f"page {n}") for n in range(3)]
                           + [Support(public.list_source)], sensitivity=Sensitivity.PUBLIC)
    with world.store.reading() as conn:
        titles = dict(conn.execute(select(s.sources.c.id, s.sources.c.title)).all())
    client = client_for(app, world, "analyst")
    for lang, cited in (("en", "cited 3 times"), ("fa", "۳ بار استناد شده")):
        page = client.get(f"/{lang}/persons/{person}").text
        claims = page[page.index('id="claims-heading"'):page.index('id="acts-heading"')]
        assert claims.count(f'<bdi dir="auto">{titles[public.source]}</bdi>') == 1
        assert claims.count(f'<bdi dir="auto">{titles[public.list_source]}</bdi>') == 1
        assert claims.count(cited) == 1, lang
