"""``POST /api/persons/search`` offers what the search page offers (issue 14): the same
filters (list, province, prison, date of death in either calendar, sex, affiliation) and
search-as-you-type, through the one ``services.person_search``; what each caller may see
is unchanged. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from api_world import World

from dadkhahi.access.policy import Principal
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.search.persons import MatchedRecord, PersonHit, PersonSearch
from dadkhahi.services import person_search
from dadkhahi.store.store import Store


def _search(world: World, who: str, **body: Any) -> Any:
    return world.client.post("/api/persons/search", json=body, headers=world.headers(who))


def _records(answer: Any) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {r["record_id"] for h in answer.json()["hits"] for r in h["records"]}


def test_the_api_narrows_by_the_page_s_filters(shared_world: World) -> None:
    world = shared_world
    public = world.objects[Sensitivity.PUBLIC]
    other = world.objects[Sensitivity.RESTRICTED].list_source
    assert public.list_record in _records(_search(world, "researcher", name="Karimi"))
    assert public.list_record in _records(_search(
        world, "researcher", name="Karimi", list=public.list_source))
    assert public.list_record not in _records(_search(
        world, "researcher", name="Karimi", list=other))
    # Died 1367/05/12 (3 August 1988): dates in either calendar and any digits.
    assert public.list_record in _records(_search(
        world, "researcher", name="Karimi", date_from="1367/05/01", date_to="1988-08-31"))
    assert public.list_record not in _records(_search(
        world, "researcher", name="Karimi", date_from="۱۳۶۷/۰۶/۰۱"))
    # The page's date of death filter, its mistake named by field.
    bad = _search(world, "researcher", name="Karimi", date_from="yesterday-ish")
    assert bad.status_code == 422 and "date_from" in bad.text
    assert _search(world, "researcher", name="Karimi", sex="x").status_code == 422


def test_suggestions_never_offer_a_protected_hit_and_take_no_filters(
        shared_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world = shared_world
    public = world.objects[Sensitivity.PUBLIC]
    assert public.list_record in _records(_search(world, "investigator_g", name="Ali Karimi",
                                                  suggest=True, limit=3))
    assert _records(_search(world, "investigator_g", name="K", suggest=True)) == set()
    refused = _search(world, "investigator_g", name="Karimi", suggest=True, sex="m")
    assert refused.status_code == 422 and "sex" in refused.text
    # A hit whose person is protected (a public record linked to a protected person):
    # answered to an explicit search of the grant holder, never offered as they type.
    protected = world.objects[Sensitivity.PROTECTED].person
    record = MatchedRecord(public.list_record, public.list_source, None, "x", 1.0, ())
    hits = (PersonHit(protected, "x", 1.0, (), (record,)),
            PersonHit(public.person, "y", 1.0, (), (record,)))

    def found(store: Store, principal: Principal, name: str, **_: Any) -> PersonSearch:
        return PersonSearch(name, hits, candidates=2, keys=("karimi",))

    monkeypatch.setattr(person_search, "search_persons", found)
    explicit = _search(world, "investigator_g", name="Karimi").json()
    assert [h["person_id"] for h in explicit["hits"]] == [protected, public.person]
    typed = _search(world, "investigator_g", name="Karimi", suggest=True).json()
    assert [h["person_id"] for h in typed["hits"]] == [public.person]
    assert typed["candidates"] == 1  # not the search's count, which took in the other


def test_what_each_caller_may_see_is_unchanged(shared_world: World) -> None:
    world = shared_world
    restricted = world.objects[Sensitivity.RESTRICTED]
    for suggest in (False, True):
        assert restricted.list_record not in _records(_search(
            world, "anonymous", name="Zahra Moradi", suggest=suggest))
        assert restricted.list_record in _records(_search(
            world, "researcher", name="Zahra Moradi", suggest=suggest))
    # A filter on a list the caller may not see finds nothing of it.
    assert _records(_search(world, "anonymous", name="Zahra Moradi",
                            list=restricted.list_source)) == set()
