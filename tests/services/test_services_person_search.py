"""The person search as the pages use it (issue 14): every picker checks the object its
form is about first, then offers linked persons only, none protected as you type; the
filters narrow by records read under the visibility rule. On SQLite and PostgreSQL (the
page tests run on SQLite only)."""

from __future__ import annotations

import pytest
from api_world import World

from dadkhahi.access.policy import Principal
from dadkhahi.domain.errors import NotFoundError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.search.persons import MatchedRecord, PersonHit
from dadkhahi.services import person_search


def _as(world: World, name: str) -> Principal:
    return Principal(user_id=world.user_ids[name], username=name, role=world.roles[name])


def _records(hits: list[PersonHit]) -> set[str]:
    return {r.record_id for h in hits for r in h.records}


def test_pickers_check_their_object_then_offer_linked_unprotected_persons(
        world: World) -> None:
    public, protected = world.objects[Sensitivity.PUBLIC], world.objects[Sensitivity.PROTECTED]
    granted, plain = _as(world, "investigator_g"), _as(world, "researcher")
    # The act or item the form is about must be visible: "not found" before any search.
    for about, object_id in (("act", protected.act), ("item", protected.item)):
        with pytest.raises(NotFoundError):
            person_search.person_picks(world.store, plain, about, object_id, "Karimi",
                                       explicit=True)
    found = person_search.person_picks(world.store, plain, "act", public.act, "Ali Karimi",
                                       explicit=False)
    assert public.list_record in _records(found) and all(h.person_id for h in found)
    # As you type, a hit whose person or record is protected is dropped, whoever types.
    record = MatchedRecord(public.list_record, public.list_source, None, "x", 1.0, ())
    secret_record = MatchedRecord(protected.list_record, protected.list_source, None, "x",
                                  1.0, ())
    hits = (PersonHit(protected.person, "x", 1.0, (), (record,)),
            PersonHit(public.person, "y", 1.0, (), (secret_record,)),
            PersonHit(public.person, "z", 1.0, (), (record,)))
    assert [h.label for h in person_search.unprotected(world.store, hits)] == ["z"]
    # Too short, or no letters: nothing, and no error.
    assert person_search.person_picks(world.store, granted, "act", public.act, "K",
                                       explicit=True) == []
    assert person_search.suggestions(world.store, granted, "1234", limit=5).hits == ()


def test_filters_narrow_by_records_the_visitor_may_see(world: World) -> None:
    public, protected = world.objects[Sensitivity.PUBLIC], world.objects[Sensitivity.PROTECTED]
    researcher = _as(world, "researcher")
    hits = person_search.suggestions(world.store, researcher, "Ali Karimi", limit=5).hits
    assert public.list_record in _records(list(hits))
    kept = person_search.filtered(world.store, researcher, hits,
                                  {"list": public.list_source}, (None, None))
    assert public.list_record in _records(kept)
    # A protected record meets a filter only for one who may see it.
    secret = (PersonHit(None, "s", 1.0, (), (MatchedRecord(
        protected.list_record, protected.list_source, None, "x", 1.0, ()),)),)
    asked = {"list": protected.list_source}
    assert person_search.filtered(world.store, researcher, secret, asked, (None, None)) == []
    assert person_search.filtered(world.store, _as(world, "investigator_g"), secret, asked,
                                  (None, None)) == list(secret)
    assert person_search.filtered(world.store, researcher, hits, {}, (None, None)) == list(hits)
