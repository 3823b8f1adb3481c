"""The search page: the one person search across scripts, filters, why, search-as-you-type."""

from __future__ import annotations

from api_world import World
from fastapi import FastAPI
from web_world import client_for, csrf_of

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.search.persons import MatchedRecord, PersonHit
from dadkhahi.services.person_search import unprotected
from dadkhahi.web.pages.search import reason_parts


def _search(client, lang: str = "en", **fields: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(f"/{lang}/search").text)
    return client.post(f"/{lang}/search", data={"csrf": token, **fields})


def test_a_name_typed_in_persian_finds_the_latin_record_and_says_why(app: FastAPI,
                                                                    world: World) -> None:
    client = client_for(app, world, "researcher")
    form = client.get("/fa/search")
    assert form.status_code == 200 and 'method="post"' in form.text
    found = _search(client, "fa", name="علی کریمی")
    assert found.status_code == 200
    assert "Karimi, Ali" in found.text  # the public list's record, typed in Latin
    assert "نام یکسان" in found.text  # why it matched, in Persian
    assert "/fa/persons/" in found.text
    # The same in English, with the Latin spelling the other way round.
    english = _search(client, "en", name="Ali Karimi")
    assert "same name:" in english.text and "Karimi, Ali" in english.text


def test_visitors_find_public_records_only(app: FastAPI, world: World) -> None:
    anonymous = client_for(app, world, "anonymous")
    assert "Moradi, Zahra" not in _search(anonymous, name="Zahra Moradi").text  # restricted
    assert "Moradi, Zahra" in _search(client_for(app, world, "researcher"),
                                      name="Zahra Moradi").text


def test_filters_narrow_the_hits(app: FastAPI, world: World) -> None:
    client = client_for(app, world, "researcher")
    public_list = world.objects[Sensitivity.PUBLIC].list_source
    other_list = world.objects[Sensitivity.RESTRICTED].list_source
    assert "Karimi, Ali" in _search(client, name="Karimi", list=public_list).text
    assert "Karimi, Ali" not in _search(client, name="Karimi", list=other_list).text
    # Died 1367/05/12 (3 August 1988): dates in either calendar and digits.
    assert "Karimi, Ali" in _search(client, name="Karimi", date_from="1367/05/01",
                                    date_to="1988-08-31").text
    assert "Karimi, Ali" not in _search(client, name="Karimi", date_from="۱۳۶۷/۰۶/۰۱").text
    bad = _search(client, name="Karimi", date_from="yesterday-ish")
    assert bad.status_code == 422 and 'id="f-date_from-error"' in bad.text
    empty = _search(client, name="")
    assert empty.status_code == 422 and 'id="f-name-error"' in empty.text


def test_search_as_you_type_is_a_post_fragment_without_protected_hits(
        app: FastAPI, world: World) -> None:
    client = client_for(app, world, "investigator_g")
    token = csrf_of(client.get("/en/search").text)
    fragment = client.post("/en/search/suggest", data={"csrf": token, "name": "Ali Karimi"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Karimi" in fragment.text and "Why it matched" not in fragment.text
    assert client.post("/en/search/suggest", data={"name": "Karim"}).status_code == 403
    # A hit whose person is protected is dropped from suggestions.
    protected = world.objects[Sensitivity.PROTECTED]
    public = world.objects[Sensitivity.PUBLIC]
    record = MatchedRecord(public.list_record, public.list_source, None, "x", 1.0, ())
    hits = (PersonHit(protected.person, "x", 1.0, (), (record,)),
            PersonHit(public.person, "y", 1.0, (), (record,)))
    kept = unprotected(world.store, hits)
    assert [h.person_id for h in kept] == [public.person]


def test_reasons_are_translated_with_their_keys_kept() -> None:
    assert reason_parts("same name: hossein") == ("same name: {key}", "hossein")
    assert reason_parts("something new") == ("{key}", "something new")
