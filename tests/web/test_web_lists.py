"""Every list page's controls, the one mechanism (``web.pages.common.Listing`` over
``access.reads``): filters and sort are codes in the address, pages are read in SQL in a
stable order (the ID breaking ties), the next page's link carries a sealed cursor and
nothing typed or identifying, an unknown code is a clear error page, never a 500."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from api_world import World
from fastapi import FastAPI
from fastapi.testclient import TestClient
from page_data import add_matrix_testimonies
from sqlalchemy import select
from web_world import client_for

from dadkhahi.access.policy import Principal
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.jobs import queue
from dadkhahi.services import objects
from dadkhahi.store import schema as s
from dadkhahi.web.pages import admin, facts, imports, jobs, testimonies, transcriptions

#: Each list page, its filters and orders (codes), as the admin asks them.
LISTS = {
    "/sources": {"kind": "document", "sensitivity": "public", "sort": "title"},
    "/acts": {"type": "execution", "sensitivity": "public", "sort": "-ledger_index"},
    "/organizations": {"sensitivity": "public", "sort": "-name"},
    "/testimonies": {"sensitivity": "public", "sort": "pseudonym"},
    "/admin/users": {"role": "analyst", "state": "active", "sort": "-created_at"},
    "/jobs": {"state": "queued", "kind": "ledger.verify", "sort": "created_at"},
    "/cases": {"sort": "created_at"},
    "/imports": {"sensitivity": "public", "state": "current", "sort": "imported_at"},
    "/transcriptions": {"state": "open", "sort": "-item_id"},
    "/perpetrators": {"sort": "-ledger_index"},
}
_NEXT = re.compile(r'<a class="button secondary" href="([^"]+)">')


@pytest.fixture(scope="module", autouse=True)
def rows(world: World) -> None:
    """Rows enough to page through, ties included: three public organisations of one name,
    testimonies, three analysts, three queued jobs of the admin's."""
    from dadkhahi.access import users

    add_matrix_testimonies(world)
    who = "admin_g"
    principal = Principal(user_id=world.user_ids[who], username=who, role=world.roles[who])
    for _ in range(3):
        objects.create_organization(world.store, principal, "SYNTHETIC tie organisation",
                                    None, Sensitivity.PUBLIC)
    for n in range(3):
        users.add_user(world.store, f"listed_analyst_{n}", users.Role.ANALYST,
                       "SYNTHETIC passphrase for lists", "setup")
        queue.enqueue(world.store, "ledger.verify", {}, created_by=world.user_ids[who])


def _walk(client: TestClient, first: str) -> Iterator[str]:
    """Each page's HTML, following its "Next page" link to the end."""
    url: str | None = first
    for _ in range(50):
        assert url is not None
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        yield answer.text
        found = [html.unescape(h) for h in _NEXT.findall(answer.text) if "cursor=" in h]
        url = found[0] if found else None
        if url is None:
            return
        # Only the list's codes and a cursor travel in the address.
        asked = dict(parse_qsl(urlsplit(url).query))
        assert set(asked) <= {*LISTS[urlsplit(first).path[3:]], "cursor"}, url
        assert re.fullmatch(r"[A-Za-z0-9_-]+", asked["cursor"]), url
    raise AssertionError("more than 50 pages")


def _ids(page: str, prefix: str) -> list[str]:
    return list(dict.fromkeys(re.findall(rf"/(?:en|fa)/\w+/({prefix}_[0-9a-f]+)", page)))


@pytest.mark.parametrize("path", sorted(LISTS))
def test_every_list_shows_its_controls_in_both_languages(app: FastAPI, world: World,
                                                         path: str) -> None:
    client = client_for(app, world, "admin_g")
    query = "&".join(f"{k}={v}" for k, v in LISTS[path].items())
    for lang in ("fa", "en"):
        page = client.get(f"/{lang}{path}?{query}")
        assert page.status_code == 200, page.text[:300]
        controls = page.text[page.text.index('<form class="filters panel"'):]
        controls = controls[:controls.index("</form>")]
        assert 'method="get"' in controls
        for name, code in LISTS[path].items():
            assert f'name="{name}"' in controls, name
            assert f'<option value="{code}" selected>' in controls, (name, code)
        # An unknown code, or markup, is an error page of its own: never a 500.
        for wrong in ({"sort": "<script>alert(1)</script>"}, {"sort": "id; drop"}):
            refused = client.get(f"/{lang}{path}", params=wrong)
            assert refused.status_code == 422 and "<script>alert" not in refused.text
            assert 'lang="' + lang in refused.text


def test_organisations_page_by_name_with_ties_broken_by_id(
        app: FastAPI, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facts, "ACTS_PAGE", 2)
    client = client_for(app, world, "viewer_g")
    seen = [i for page in _walk(client, "/en/organizations?sensitivity=public&sort=-name")
            for i in _ids(page, "org")]
    o = s.organizations.c
    with world.store.reading() as conn:
        wanted = [str(r.id) for r in conn.execute(
            select(o.id).where(o.sensitivity == "public").order_by(o.name.desc(), o.id.desc()))]
    assert seen == wanted and len(wanted) >= 4


def test_testimonies_page_by_pseudonym(app: FastAPI, world: World,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(testimonies, "TESTIMONIES_SHOWN", 1)
    client = client_for(app, world, "admin_g")
    pages = list(_walk(client, "/en/testimonies?sort=-pseudonym"))
    seen = [i for page in pages for i in _ids(page, "tst")]
    t = s.testimonies.c
    with world.store.reading() as conn:
        wanted = [str(r.id) for r in conn.execute(
            select(t.id).order_by(t.pseudonym.desc(), t.id.desc()))]
    assert seen == wanted and len(pages) == len(wanted) >= 3
    public = client.get("/en/testimonies?sensitivity=public").text
    assert _ids(public, "tst") and all(
        i in wanted for i in _ids(public, "tst"))
    assert "SECRET-" not in public


def test_users_and_jobs_page_in_sql(app: FastAPI, world: World,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin, "USERS_SHOWN", 2)
    monkeypatch.setattr(jobs, "SHOWN", 2)
    client = client_for(app, world, "admin_g")
    names = [n for page in _walk(client, "/en/admin/users?role=analyst&sort=-created_at")
             for n in re.findall(r'<th scope="row"><bdi dir="ltr" class="id">([^<]+)</bdi>',
                                 page)]
    u = s.users.c
    with world.store.reading() as conn:
        wanted = [str(r.username) for r in conn.execute(
            select(u.username).where(u.role == "analyst")
            .order_by(u.created_at.desc(), u.id.desc()))]
    assert names == wanted and len(wanted) >= 4
    seen = [i for page in _walk(client, "/en/jobs?state=queued&kind=ledger.verify&sort="
                                        "created_at") for i in re.findall(
        r'<div class="muted"><bdi dir="ltr" class="id">(job_[0-9a-f]+)</bdi>', page)]
    j = s.jobs.c
    with world.store.reading() as conn:
        wanted = [str(r.id) for r in conn.execute(
            select(j.id).where(j.state == "queued", j.kind == "ledger.verify")
            .order_by(j.created_at, j.id))]
    assert seen == wanted and len(wanted) >= 3
    # Who may not manage users has no list of them.
    assert client_for(app, world, "analyst").get("/en/admin/users").status_code == 403




def test_imports_page_in_sql_and_offer_current_lists(app: FastAPI, world: World,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "IMPORTS_SHOWN", 1)
    client = client_for(app, world, "admin_g")
    pages = list(_walk(client, "/en/imports?sort=imported_at"))
    seen = [i for page in pages for i in re.findall(
        r'<a href="/en/items/(itm_[0-9a-f]+)">', page.split('id="done-heading"')[1])]
    li = s.list_imports.c
    with world.store.reading() as conn:
        wanted = [str(r.item_id) for r in conn.execute(
            select(li.item_id).order_by(li.imported_at, li.id))]
    assert seen == wanted and len(pages) == len(wanted) >= 3
    # The chooser of the list a corrected file replaces keeps every current list.
    with world.store.reading() as conn:
        current = {str(x) for x in conn.execute(select(li.list_id).where(
            li.superseded_by.is_(None))).scalars()}
    assert current and all(f'<option value="{x}" dir="auto">' in pages[0] for x in current)
    assert client_for(app, world, "viewer_g").get("/en/imports").status_code == 403


def test_the_transcription_queue_pages_in_sql(app: FastAPI, world: World,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from dadkhahi.access.policy import params, visible
    from dadkhahi.intake import transcriptions as tr

    for level in (Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.PROTECTED):
        tr.request(world.store, world.objects[level].item, [1], "setup", required=2)
    monkeypatch.setattr(transcriptions, "QUEUE_SHOWN", 1)
    client = client_for(app, world, "analyst")  # no grant: the protected item is not queued
    pages = list(_walk(client, "/en/transcriptions?state=open&sort=-item_id"))
    seen = [i for page in pages for i in re.findall(
        r'href="/en/items/(itm_[0-9a-f]+)/transcribe\?page=1"', page)]
    analyst = Principal(user_id=world.user_ids["analyst"], username="analyst",
                        role=world.roles["analyst"])
    q = tr.states_statement(select(s.items.c.id).where(visible(analyst, s.items)))
    with world.store.reading() as conn:
        wanted = [str(r.item_id) for r in conn.execute(
            select(q.c.item_id).where(q.c.state == "open")
            .order_by(q.c.item_id.desc(), q.c.page.desc()), params(analyst))]
    assert seen == wanted and len(wanted) >= 2
    assert world.objects[Sensitivity.PROTECTED].item not in "".join(pages)


def test_the_registry_pages_persons_in_recorded_order(app: FastAPI, world: World,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Persons named in an alleged role, a page of them at a time, read in SQL; a hidden
    official is not named to a reader without the grant."""
    from dadkhahi.domain.vocab import ActType, InvolvementRole
    from dadkhahi.facts import entities
    from dadkhahi.facts.entities import Support

    pub = world.objects[Sensitivity.PUBLIC]
    with world.store.transaction("setup") as tx:
        act = entities.create_act(tx, ActType.EXECUTION, sensitivity=Sensitivity.PUBLIC)
        named = [entities.create_person(tx, f"SYNTHETIC official {n}",
                                        sensitivity=Sensitivity.PUBLIC) for n in range(3)]
        for person in named:
            entities.add_involvement(tx, act, InvolvementRole.SIGNED, person_id=person,
                                     sensitivity=Sensitivity.PUBLIC,
                                     support=[Support(pub.source)])
        hidden = entities.create_person(tx, "SECRET-official registry",
                                        sensitivity=Sensitivity.PROTECTED)
        entities.add_involvement(tx, act, InvolvementRole.SIGNED, person_id=hidden,
                                 sensitivity=Sensitivity.PROTECTED,
                                 support=[Support(world.objects[Sensitivity.PROTECTED].source)])
    monkeypatch.setattr(facts, "REGISTRY_SHOWN", 1)
    client = client_for(app, world, "analyst")
    pages = list(_walk(client, "/en/perpetrators?sort=-ledger_index"))
    seen = [i for page in pages for i in re.findall(r'<h2 id="p-(per_[0-9a-f]+)">', page)]
    assert seen[:3] == named[::-1]  # the last recorded first
    assert len(seen) == len(set(seen)) and hidden not in seen
    assert "SECRET-" not in "".join(pages)
