"""Random small worlds, checked through the API against the specification.

Hypothesis draws worlds of sources, items (some derivatives), records, people,
places, acts, involvements and claims at mixed sensitivities, whose parts depend
on parts of other sensitivities, and a team member with a random part of the
grants. What that member (and an anonymous visitor) may see is computed here, by
an oracle written from the documented rules (``access_spec``: what a role sees,
and "an object is shown only if everything it reveals is"), never from the code.
Through the API: lists show exactly that, counts count exactly that, search hits
are exactly the matching visible objects, and an invisible object answers the
same 404 as a missing one.
"""

from __future__ import annotations

import itertools
import random
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import access_spec
from dadkhahi.access import grants, sessions, users
from dadkhahi.access.policy import Principal, Role
from dadkhahi.api import create_app
from dadkhahi.api.settings import ApiSettings
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import (
    ActType,
    EntityKind,
    InvolvementRole,
    PlaceKind,
    Sensitivity,
    SourceKind,
)
from dadkhahi.facts import entities
from dadkhahi.facts.entities import Support
from dadkhahi.intake.evidence import Receipt, add_item
from dadkhahi.intake.records import add_record
from dadkhahi.intake.sources import register_source
from dadkhahi.store.store import Store

LEVELS = ("public", "restricted", "protected")
RANK = {lv: i for i, lv in enumerate(LEVELS)}
level = st.sampled_from(LEVELS)
#: Every searchable label carries this word, so a search for it must find exactly the
#: visible objects of a kind.
WORD = "SYNTHETICWORD"


@dataclass
class Obj:
    kind: str  # the API's resource name
    id: str
    level: str
    scope: tuple[str, ...]  # IDs whose grant opens it when protected
    needs: tuple[str, ...] = ()  # IDs of what it reveals


@dataclass
class Model:
    """Every object created so far, as the oracle sees it."""

    objects: dict[str, Obj] = field(default_factory=dict)

    def visible(self, oid: str, role: str | None, granted: set[str]) -> bool:
        o = self.objects[oid]
        own = access_spec.sees(role, o.level, any(s in granted for s in o.scope))
        return own and all(self.visible(n, role, granted) for n in o.needs)


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    # Every world mixes all three levels (a permutation, plus maybe one more), so each
    # example has objects depending on objects of other sensitivities.
    sources = [*draw(st.permutations(LEVELS)), *draw(st.lists(level, max_size=1))]
    n_sources = len(sources)
    pick = st.integers(0, n_sources - 1)
    items = [(draw(pick), draw(level)) for _ in range(draw(st.integers(1, 3)))]
    derivatives = [(draw(st.integers(0, len(items) - 1)), draw(level))
                   for _ in range(draw(st.integers(0, 2)))]
    records = [(draw(pick), draw(level), draw(st.booleans()))
               for _ in range(draw(st.integers(1, 3)))]
    persons = list(draw(st.permutations(LEVELS)))
    places = [draw(level) for _ in range(draw(st.integers(0, 2)))]
    acts = [(draw(level), draw(st.integers(-1, len(places) - 1)))
            for _ in range(draw(st.integers(1, 2)))]
    involvements = [(draw(st.integers(0, len(acts) - 1)),
                     draw(st.integers(0, len(persons) - 1)), draw(level))
                    for _ in range(draw(st.integers(1, 3)))]
    claims = [(draw(st.integers(0, len(persons) - 1)), draw(level),
               draw(st.lists(pick, min_size=1, max_size=2)),
               draw(st.booleans()))
              for _ in range(draw(st.integers(1, 3)))]
    return {"sources": sources, "items": items, "derivatives": derivatives,
            "records": records, "persons": persons, "places": places, "acts": acts,
            "involvements": involvements, "claims": claims,
            "role": draw(st.sampled_from(["researcher", "lawyer", "viewer", "admin"])),
            "grant_share": draw(st.floats(0, 1)), "grant_seed": draw(st.integers(0, 2**16))}


def _build(store: Store, model: Model, w: dict[str, Any]) -> list[str]:
    """Create the drawn world; returns the IDs that can be granted."""
    new: list[Obj] = []
    with store.transaction("setup") as tx:
        src = [register_source(store, tx, SourceSpec(
            title=f"{WORD} source", kind=SourceKind.TESTIMONY, sensitivity=Sensitivity(lv)))
            for lv in w["sources"]]
        new += [Obj("sources", i, lv, (i,)) for i, lv in zip(src, w["sources"], strict=True)]
        items: list[str] = []
        for s_i, lv in w["items"]:
            blob = store.blobs.put_bytes(secrets.token_bytes(8))
            iid = add_item(store, tx, src[s_i], Sensitivity(lv), f"{WORD}.bin", blob,
                           Receipt(actor="setup"))
            items.append(iid)
            new.append(Obj("items", iid, lv, (src[s_i],), (src[s_i],)))
        for o_i, lv in w["derivatives"]:
            original = next(o for o in new if o.id == items[o_i])
            blob = store.blobs.put_bytes(secrets.token_bytes(8))
            iid = add_item(store, tx, original.scope[0], Sensitivity(lv), None, blob,
                           Receipt(actor="setup"), derived_from=original.id,
                           derivation="metadata_stripped")
            new.append(Obj("items", iid, lv, original.scope, (original.scope[0], original.id)))
        records: list[Obj] = []
        for s_i, lv, with_item in w["records"]:
            own = [i for i in items if next(o for o in new if o.id == i).scope[0] == src[s_i]]
            item = own[0] if with_item and own else None
            rid = add_record(tx, src[s_i], Sensitivity(w["sources"][s_i]), {"n": WORD},
                             item_id=item, sensitivity=Sensitivity(lv))
            # A record is never less protected than its source.
            lv = max(lv, w["sources"][s_i], key=RANK.__getitem__)
            records.append(Obj("records", rid, lv, (src[s_i],),
                               (src[s_i],) + ((item,) if item else ())))
        new += records
        persons = [entities.create_person(tx, f"{WORD} person", sensitivity=Sensitivity(lv),
                                          synthetic=True) for lv in w["persons"]]
        new += [Obj("persons", i, lv, (i,)) for i, lv in zip(persons, w["persons"], strict=True)]
        places = [entities.create_place(tx, f"{WORD} place", PlaceKind.PRISON,
                                        sensitivity=Sensitivity(lv)) for lv in w["places"]]
        new += [Obj("places", i, lv, (i,)) for i, lv in zip(places, w["places"], strict=True)]
        acts = []
        for lv, p_i in w["acts"]:
            place = places[p_i] if p_i >= 0 else None
            aid = entities.create_act(tx, ActType.EXECUTION, place_id=place,
                                      description=f"{WORD} act", sensitivity=Sensitivity(lv))
            acts.append(aid)
            new.append(Obj("acts", aid, lv, (aid,), (place,) if place else ()))
        for a_i, p_i, lv in w["involvements"]:
            vid = entities.add_involvement(tx, acts[a_i], InvolvementRole.VICTIM,
                                           person_id=persons[p_i], sensitivity=Sensitivity(lv))
            new.append(Obj("involvements", vid, lv, (vid, persons[p_i]),
                           (acts[a_i], persons[p_i])))
        for p_i, lv, s_is, with_record in w["claims"]:
            support = []
            needs: list[str] = [persons[p_i]]
            for s_i in dict.fromkeys(s_is):
                rec = next((r for r in records if r.scope[0] == src[s_i]), None)
                if with_record and rec is not None:
                    support.append(Support(src[s_i], record_id=rec.id))
                    needs += [src[s_i], rec.id]
                else:
                    support.append(Support(src[s_i]))
                    needs.append(src[s_i])
            cid = entities.add_claim(tx, EntityKind.PERSON, persons[p_i], "death_date", WORD,
                                     support, sensitivity=Sensitivity(lv))
            # The specification: a claim is never less protected than what supports it.
            levels = [lv, *(w["sources"][s_i] for s_i in s_is),
                      *(r.level for r in records if r.id in needs)]
            new.append(Obj("claims", cid, max(levels, key=RANK.__getitem__),
                           tuple(src[s_i] for s_i in s_is), tuple(needs)))
    for o in new:
        model.objects[o.id] = o
    return [*src, *persons, *places, *acts]


_counter = itertools.count()


def test_random_worlds_show_exactly_what_the_specification_allows(
    store: Store, fast_argon2: None, tmp_path: Path,
) -> None:
    model = Model()
    client = TestClient(create_app(store.home, ApiSettings(), store=store),
                        raise_server_exceptions=False)

    @settings(max_examples=6, suppress_health_check=list(HealthCheck), database=None,
              derandomize=True)
    @given(w=worlds())
    def check(w: dict[str, Any]) -> None:
        grantable = _build(store, model, w)
        name = f"member{next(_counter)}"
        role = w["role"]
        uid = users.add_user(store, name, Role(role), "SYNTHETIC long passphrase", "setup")
        rng = random.Random(w["grant_seed"])
        granted = {g for g in grantable if rng.random() < w["grant_share"]}
        for scope in sorted(granted):
            grants.grant(store, scope, uid, "setup")
        token = sessions.open_session(
            store, Principal(user_id=uid, username=name, role=Role(role)), "127.0.0.1")
        for who, headers, who_role in (
            ("member", {"Authorization": f"Bearer {token}"}, role),
            ("anonymous", {}, None),
        ):
            _check_reads(client, model, headers, who_role,
                         granted if who == "member" else set())

    check()


def _check_reads(client: TestClient, model: Model, headers: dict[str, str],
                 role: str | None, granted: set[str]) -> None:
    for kind in ("sources", "items", "records", "persons", "places", "acts", "involvements",
                 "claims"):
        ids = [o.id for o in model.objects.values() if o.kind == kind]
        expected = {i for i in ids if model.visible(i, role, granted)}
        r = client.get(f"/api/{kind}?limit=500&count=true", headers=headers)
        assert r.status_code == 200, r.text
        listed = {o["id"] for o in r.json()["data"]}
        assert listed == expected, (kind, role, listed ^ expected)
        assert r.json()["total"] == len(expected)
        if kind in ("sources", "persons", "places", "acts"):
            hits = client.post(f"/api/{kind}/find", json={
                "q": WORD.lower(), "limit": 500, "count": True}, headers=headers).json()
            # Every field of a protected object is sealed, so not searchable; every other
            # visible match must be found, and nothing invisible.
            found = {o["id"] for o in hits["data"]}
            assert found <= expected and hits["total"] == len(found)
            assert found >= {i for i in expected if model.objects[i].level != "protected"}
        missing = client.get(f"/api/{kind}/nothing_here", headers=headers)
        assert missing.status_code == 404
        for oid in sorted(set(ids) - expected)[:3]:
            hidden = client.get(f"/api/{kind}/{oid}", headers=headers)
            assert hidden.status_code == 404
            assert hidden.text == missing.text.replace("nothing_here", oid)
        for oid in sorted(expected)[:2]:
            assert client.get(f"/api/{kind}/{oid}", headers=headers).status_code == 200
