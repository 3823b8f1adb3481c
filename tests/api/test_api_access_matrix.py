"""The access-control matrix: every route × every principal × every sensitivity.

Routes come from ``app.routes``; each must be classified in ``RULES`` below, so a new
route fails ``test_every_route_is_classified`` until someone decides who may use it.
For every cell the test checks the status (protected and restricted objects are
404 to whoever may not see them, never 403), that no response carries data or IDs
of objects the principal may not see, and that every protected object returned was
written to the audit trail. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from api_world import (
    _LIST_NAMES,
    LEVELS,
    PASSWORD,
    PRINCIPALS,
    World,
    add_file,
    build_world,
    list_csv,
)
from sqlalchemy import select

import access_spec
from dadkhahi.access import factors, grants, sessions, users
from dadkhahi.access.policy import Permission, Principal, Role
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import InvolvementRole, Sensitivity
from dadkhahi.facts import entities
from dadkhahi.facts.entities import Support
from dadkhahi.intake.sources import register_source
from dadkhahi.jobs import queue
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

P = Sensitivity.PUBLIC


@dataclass(frozen=True)
class Call:
    url: str
    json: Any = None
    content: bytes | None = None
    data: dict[str, Any] | None = None  # multipart fields, sent before the file
    files: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    target: str | None = None  # the object read or changed (for the audit check)


Maker = Callable[[World, Sensitivity, str], Call]


@dataclass(frozen=True)
class Rule:
    """How a route is governed.

    kind: ``open`` (anyone, 200), ``list`` (anyone, filtered), ``read`` (404 unless
    visible), ``create``/``change`` (404 unless the objects named are visible, then the
    permission), ``permission`` (the permission only), ``self`` (anyone signed in, on
    their own account), ``own`` (a job: its creator, the analyst, and admins; 404 to
    anyone else signed in), ``queuer`` (a case's court bundle: whoever queued it, lawyer_g,
    and admins on the case's team; 404 to anyone else), ``login``, ``logout``.
    """

    kind: str
    make: Maker
    permission: Permission | None = None
    ok: int = 200
    refs: bool = True  # create: does the body name existing objects of the level?
    per_level: bool = True
    level: Sensitivity = Sensitivity.PUBLIC  # the one level when not per_level


def _analysts_job(world: World) -> str:
    """A job the analyst queued (not run: no worker runs in this test)."""
    return queue.enqueue(world.store, "linkage.run",
                         {"actor": queue.actor_alias(world.store, "analyst")},
                         created_by=world.user_ids["analyst"]).id


def _version(world: World, table: s.Table, object_id: str) -> dict[str, str]:
    with world.store.reading() as conn:
        v = conn.execute(select(table.c.ledger_index).where(table.c.id == object_id)).scalar_one()
    return {"If-Match": f'"{v}"'}


def _event_of(world: World, table: s.Table, object_id: str) -> int:
    with world.store.reading() as conn:
        events = conn.execute(
            select(s.ledger_events.c.idx, s.ledger_events.c.body)
            .where(s.ledger_events.c.type == "source.registered")).all()
    for idx, body in events:
        if json.loads(body)["data"]["id"] == object_id:
            return int(idx)
    raise AssertionError(object_id)


def _fresh_protected_item(world: World, level: Sensitivity) -> str:
    source = world.objects[level].source
    return add_file(world.store, source, world.store.home.path.parent / "fresh",
                    f"erasable {secrets.token_hex(8)}", "erasable.txt")


def _fresh_involvement(world: World, level: Sensitivity) -> str:
    objects = world.objects[level]
    with world.store.transaction("setup") as tx:
        return entities.add_involvement(tx, objects.act, InvolvementRole.WITNESS,
                                        person_id=objects.person, sensitivity=level,
                                        support=[Support(objects.source)])


def _fresh_source(world: World, level: Sensitivity) -> str:
    with world.store.transaction("setup") as tx:
        sid = register_source(world.store, tx, SourceSpec(
            title="erasable SYNTHETIC source", sensitivity=level))
    for name, granted in world.granted.items():
        if granted and name != "anonymous":
            grants.grant(world.store, sid, world.user_ids[name], "setup")
    return sid


_CASES: dict[str, str] = {}


def _case_call(world: World, suffix: str) -> Call:
    """A sealed case whose team is every principal holding grants in the world."""
    from dadkhahi.cases.case import Scope, create_case

    key = str(world.store.home.path)
    if key not in _CASES:
        team = [world.user_ids[n] for n, g in world.granted.items() if g and n != "anonymous"]
        _CASES[key] = create_case(world.store, "setup", "SYNTHETIC matrix case",
                                        Scope(), members=team)
    case_id = _CASES[key]
    return Call(f"/api/cases/{case_id}{suffix}", target=case_id)


_CHARGED: dict[str, tuple[str, str]] = {}


def _charged_case(world: World) -> tuple[str, str]:
    """A sealed case over the protected person and act, team as above, with one charge."""
    from dadkhahi.cases.case import Scope, add_charge, create_case

    key = str(world.store.home.path)
    if key not in _CHARGED:
        team = [world.user_ids[n] for n, g in world.granted.items() if g and n != "anonymous"]
        protected = world.objects[Sensitivity.PROTECTED]
        case_id = create_case(world.store, "setup", "SYNTHETIC charged case",
                              Scope((protected.person,), (protected.act,)), members=team)
        _CHARGED[key] = (case_id, add_charge(world.store, "setup", case_id, protected.person,
                                             "national-murder", "murder", "instigator"))
    return _CHARGED[key]


_BUNDLES: dict[str, str] = {}


def _bundle_call(world: World) -> Call:
    """Queue a court bundle of the matrix case (the recipient in the body; never run)."""
    call = _case_call(world, "/bundles")
    return Call(call.url, json={"recipient": "SYNTHETIC Court of the Matrix"},
                target=call.target)


def _bundle_download_call(world: World) -> Call:
    """A finished court bundle of the matrix case, queued by lawyer_g and run here."""
    from dadkhahi.cases import service as cases
    from dadkhahi.jobs.worker import run_now

    call = _case_call(world, "/bundles")
    key = str(world.store.home.path)
    if key not in _BUNDLES:
        lawyer = Principal(user_id=world.user_ids["lawyer_g"], username="lawyer_g",
                           role=Role.LAWYER)
        queued = cases.request_bundle(world.store, lawyer, str(call.target),
                                      "SYNTHETIC Court of the Matrix")
        assert run_now(world.store, queued["id"]).state == "succeeded"
        _BUNDLES[key] = queued["id"]
    return Call(f"{call.url}/{_BUNDLES[key]}", target=call.target)


_BUILT: set[str] = set()


def _memorial_call(world: World) -> Call:
    """The memorial's last build as a zip (built once, as the command line builds it)."""
    from dadkhahi.publish.build import build
    from dadkhahi.publish.jobs import memorial_folder

    key = str(world.store.home.path)
    if key not in _BUILT:
        build(world.store, "setup", memorial_folder(world.store))
        _BUILT.add(key)
    return Call("/api/memorial/archive")


def _charge_call(world: World) -> Call:
    case_id, _ = _charged_case(world)
    return Call(f"/api/cases/{case_id}/charges", json={
        "suspect_id": world.objects[Sensitivity.PROTECTED].person,
        "framework_id": "national-murder", "crime_id": "murder", "mode_id": "perpetrator"})


def _link_call(world: World) -> Call:
    case_id, charge_id = _charged_case(world)
    return Call(f"/api/cases/{case_id}/links", json={
        "charge_id": charge_id, "element_id": "1", "fact_kind": "act",
        "fact_id": world.objects[Sensitivity.PROTECTED].act, "reliability": "C",
        "credibility": "3", "how": "SYNTHETIC: the act is the killing"})


def _gap_call(world: World) -> Call:
    case_id, charge_id = _charged_case(world)
    return Call(f"/api/cases/{case_id}/gaps", json={
        "charge_id": charge_id, "element_id": "2", "status": "investigating",
        "note": "SYNTHETIC matrix: a witness is being sought"})


def _extracted_item(world: World, level: Sensitivity) -> str:
    """The level's item with its text extracted (once; extraction skips a done item)."""
    from dadkhahi.intake.documents import extract_items

    item = _o(world, level).item
    extract_items(world.store, [item], "setup")
    return item


def _fresh_proposal(world: World, level: Sensitivity) -> str:
    """A pending proposed claim on the level's item, about the level's place."""
    from dadkhahi.domain.ids import new_id

    o = _o(world, level)
    pid = new_id("proposal")
    row: dict[str, Any] = {
        "id": pid, "seq": 0, "property": "victim_count", "entity_kind": "place",
        "entity_id": o.place, "value": {"count": 12}, "locator": "page 1, characters 0-9",
        "sensitivity": str(level)}
    with world.store.transaction("setup") as tx:
        if level is Sensitivity.PROTECTED:
            row = tx.seal_protected("proposal", row, pid)
        tx.emit("mentions.found", {
            "id": new_id("mentionrun"), "item_id": o.item, "text_item_id": o.item,
            "source_id": o.source, "sensitivity": str(level), "at": "2026-01-01T00:00:00Z",
            "mentions": [], "proposals": [row]})
    return pid


def _fresh_copy(world: World, level: Sensitivity) -> str:
    """A new redacted copy of the level's item (as protected as the item)."""
    from dadkhahi.intake.redactions import redact_item

    return str(redact_item(world.store, _o(world, level).item, "setup",
                           reason="SYNTHETIC matrix", texts=["SYNTHETIC"])["redacted_item_id"])


_PAGES = iter(range(2, 1_000_000))


def _fresh_page(world: World, level: Sensitivity, differing: bool = False) -> str:
    """A page of the level's item no one has transcribed (or, ``differing``, one whose two
    independent transcriptions differ); answers its URL prefix."""
    from dadkhahi.intake import transcriptions

    item, page = _o(world, level).item, next(_PAGES)
    if differing:
        transcriptions.request(world.store, item, [page], "setup", required=2)
        transcriptions.record(world.store, item, page, "SYNTHETIC one", "setup-a")
        transcriptions.record(world.store, item, page, "SYNTHETIC two", "setup-b")
    return f"/api/items/{item}/pages/{page}"


_TESTIMONIES: dict[tuple[str, str], tuple[str, str]] = {}


def _testimony(world: World, level: Sensitivity) -> tuple[str, str]:
    """(testimony, segment) at this level, granted like the level's source (made once)."""
    from dadkhahi.intake.testimonies import (
        SegmentSpec,
        TestimonySpec,
        add_segments,
        add_testimony,
    )

    key = (str(world.store.home.path), str(level))
    if key not in _TESTIMONIES:
        made = add_testimony(world.store, TestimonySpec(
            title="SYNTHETIC matrix interview", sensitivity=level), "setup")
        for name, granted in world.granted.items():
            if granted and name != "anonymous":
                grants.grant(world.store, made["source_id"], world.user_ids[name], "setup")
        [segment] = add_segments(world.store, made["testimony_id"],
                                 [SegmentSpec("SYNTHETIC passage", "direct")], "setup")
        _TESTIMONIES[key] = (made["testimony_id"], segment)
    return _TESTIMONIES[key]


def _own_decision(world: World, who: str) -> Call:
    """A decision by ``who`` (when their role may decide) on the public pair, then the
    call undoing it."""
    from dadkhahi.services.lists_linkage import decide_for

    role = world.roles[who]
    if role is not None and access_spec.may(role, str(Permission.REVIEW)):
        pub = world.objects[Sensitivity.PUBLIC]
        decide_for(world.store, Principal(user_id=world.user_ids[who], username=who,
                                          role=role),
                   pub.list_record, pub.list_record_b, "same", "SYNTHETIC to undo")
    return Call("/api/linkage/decisions/undo")


def _throwaway_user(world: World) -> str:
    return users.add_user(world.store, f"tmp-{secrets.token_hex(4)}", Role.RESEARCHER,
                          PASSWORD, "setup")


def _revoke_call(world: World, level: Sensitivity, who: str) -> Call:
    uid = _throwaway_user(world)
    scope = world.objects[level].source
    grants.grant(world.store, scope, uid, "setup")
    with world.store.reading() as conn:
        g = s.access_grants.c
        v = conn.execute(select(g.ledger_index).where(g.user_id == uid)).scalar_one()
    return Call(f"/api/grants/{scope}/{uid}", headers={"If-Match": f'"{v}"'})


def _spare_session(world: World, who: str) -> str:
    if who == "anonymous":
        return "ses_none"
    token = sessions.open_session(world.store, Principal(
        user_id=world.user_ids[who], username=who, role=world.roles[who]), "127.0.0.1")
    with world.store.reading() as conn:
        found = sessions.lookup(conn, token)
    assert found is not None
    return str(found.principal.session_id)


def _spare_factor(world: World, who: str) -> str:
    if who == "anonymous":
        return "fct_none"
    principal = Principal(user_id=world.user_ids[who], username=who, role=world.roles[who])
    factors.new_recovery_codes(world.store, principal)
    with world.store.reading() as conn:
        return str(factors.list_factors(conn, world.user_ids[who])[-1]["id"])


def _webauthn_call(world: World, who: str) -> Call:
    # A challenge first, so the empty credential is judged on its own (422).
    world.client.post("/api/auth/factors/webauthn/options", headers=world.headers(who))
    return Call("/api/auth/factors/webauthn", json={"credential": {}})


def _logout_call(world: World, level: Sensitivity, who: str) -> Call:
    if who == "anonymous":
        return Call("/api/auth/logout")
    role = world.roles[who]
    token = sessions.open_session(world.store, Principal(
        user_id=world.user_ids[who], username=who, role=role), "127.0.0.1")
    return Call("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})


def _o(world: World, level: Sensitivity) -> Any:
    return world.objects[level]


def _get(path: str, attr: str) -> Maker:
    return lambda w, lv, who: Call(path.format(getattr(_o(w, lv), attr)),
                                   target=getattr(_o(w, lv), attr))


def _list(name: str) -> Maker:
    return lambda w, lv, who: Call(f"/api/{name}?limit=500")


def _const(url: str, body: Any = None) -> Maker:
    return lambda w, lv, who: Call(url, json=body)


OBJECT_ATTR = {"sources": "source", "items": "item", "records": "record",
               "persons": "person", "organizations": "organization", "places": "place",
               "acts": "act", "involvements": "involvement", "claims": "claim"}
#: The kinds a search's words find (``access.reads.Resource.search``).
SEARCHED = ("sources", "items", "persons", "organizations", "places", "acts")
EST = {"lists": ["A", "B"], "patterns": [[1, 0], [0, 1], [1, 1]], "counts": [60, 50, 20],
       "method": "lp"}

RULES: dict[tuple[str, str], Rule] = {
    # Documentation and public ledger material.
    ("GET", "/openapi.json"): Rule("open", _const("/openapi.json"), per_level=False),
    ("GET", "/docs"): Rule("open", _const("/docs"), per_level=False),
    ("GET", "/api/status"): Rule("open", _const("/api/status"), per_level=False),
    ("GET", "/api/auth/me"): Rule("open", _const("/api/auth/me"), per_level=False),
    ("GET", "/api/ledger/checkpoint"): Rule("open", _const("/api/ledger/checkpoint"),
                                            per_level=False),
    ("GET", "/api/ledger/key"): Rule("open", _const("/api/ledger/key"), per_level=False),
    ("GET", "/api/ledger/consistency"): Rule("open", _const("/api/ledger/consistency?old=1"),
                                             per_level=False),
    ("GET", "/api/ledger/export"): Rule("open", _const("/api/ledger/export"), per_level=False),
    ("POST", "/api/auth/login"): Rule(
        "login", lambda w, lv, who: Call("/api/auth/login", json={
            "username": who if who != "anonymous" else "nobody", "password": PASSWORD}),
        per_level=False),
    ("POST", "/api/auth/logout"): Rule("logout", _logout_call, ok=204, per_level=False),
    # Objects.
    **{("GET", f"/api/{n}"): Rule("list", _list(n)) for n in OBJECT_ATTR},
    **{("POST", f"/api/{n}/find"): Rule("list", _const(f"/api/{n}/find", {
        "q": "SYNTHETIC", "limit": 500})) for n in SEARCHED},
    ("POST", "/api/records/find"): Rule("list", _const("/api/records/find", {
        "filters": {"external_id": "R1"}, "limit": 500})),
    **{("GET", f"/api/{n}/{{object_id}}"): Rule("read", _get(f"/api/{n}/{{}}", a))
       for n, a in OBJECT_ATTR.items()},
    ("GET", "/api/items/{object_id}/content"): Rule(
        "read", _get("/api/items/{}/content", "item")),
    ("GET", "/api/items/{object_id}/custody"): Rule(
        "read", _get("/api/items/{}/custody", "item")),
    ("GET", "/api/ledger/events/{index}"): Rule(
        "read", lambda w, lv, who: Call(
            f"/api/ledger/events/{_event_of(w, s.sources, _o(w, lv).source)}")),
    ("GET", "/api/ledger/events/{index}/proof"): Rule(
        "read", lambda w, lv, who: Call(
            f"/api/ledger/events/{_event_of(w, s.sources, _o(w, lv).source)}/proof")),
    ("POST", "/api/sources"): Rule(
        "create", lambda w, lv, who: Call("/api/sources", json={
            "title": "SYNTHETIC matrix source", "sensitivity": lv}),
        Permission.ADD_EVIDENCE, 201, refs=False),
    ("POST", "/api/sources/{source_id}/items"): Rule(
        "create", lambda w, lv, who: Call(
            f"/api/sources/{_o(w, lv).source}/items", data={"name": "m.txt"},
            files={"file": ("m.txt", f"matrix upload {secrets.token_hex(8)}".encode())}),
        Permission.ADD_EVIDENCE, 201),
    ("POST", "/api/records"): Rule(
        "create", lambda w, lv, who: Call("/api/records", json={
            "source_id": _o(w, lv).source, "verbatim": {"name": "SYNTHETIC matrix"}}),
        Permission.ADD_EVIDENCE, 201),
    ("POST", "/api/persons"): Rule(
        "create", lambda w, lv, who: Call("/api/persons", json={
            "label": "SYNTHETIC matrix person", "sensitivity": lv, "synthetic": True}),
        Permission.ADD_FACTS, 201, refs=False),
    ("POST", "/api/organizations"): Rule(
        "create", lambda w, lv, who: Call("/api/organizations", json={
            "name": "SYNTHETIC matrix org", "sensitivity": lv}),
        Permission.ADD_FACTS, 201, refs=False),
    ("POST", "/api/places"): Rule(
        "create", lambda w, lv, who: Call("/api/places", json={
            "name": "SYNTHETIC ward", "kind": "other", "parent_id": _o(w, lv).place,
            "sensitivity": lv}),
        Permission.ADD_FACTS, 201),
    ("POST", "/api/acts"): Rule(
        "create", lambda w, lv, who: Call("/api/acts", json={
            "type": "torture", "place_id": _o(w, lv).place, "sensitivity": lv,
            "date": {"earliest": "1988-07-23", "latest": "1988-08-22", "text": "Mordad 1367"},
            "support": {"source_id": _o(w, lv).source}}),
        Permission.ADD_FACTS, 201),
    ("POST", "/api/involvements"): Rule(
        "create", lambda w, lv, who: Call("/api/involvements", json={
            "act_id": _o(w, lv).act, "person_id": _o(w, lv).person, "role": "witness",
            "sensitivity": lv}),
        Permission.ADD_FACTS, 201),
    ("POST", "/api/claims"): Rule(
        "create", lambda w, lv, who: Call("/api/claims", json={
            "entity_kind": "person", "entity_id": _o(w, lv).person, "property": "birth_year",
            "value": 1960, "support": [{"source_id": _o(w, lv).source}], "sensitivity": lv}),
        Permission.ADD_FACTS, 201),
    # An act corrected as a source tells it (a description of each caller's own, so each
    # call changes something), with the act's version.
    ("PATCH", "/api/acts/{object_id}"): Rule(
        "change", lambda w, lv, who: Call(
            f"/api/acts/{_o(w, lv).act}", json={
                "type": "execution", "place_id": _o(w, lv).place,
                "description": f"SYNTHETIC corrected by {who}",
                "support": {"source_id": _o(w, lv).source}},
            headers=_version(w, s.acts, _o(w, lv).act), target=_o(w, lv).act),
        Permission.ADD_FACTS),
    # A fresh involvement of the level for each call (a withdrawn one is gone).
    ("DELETE", "/api/involvements/{object_id}"): Rule(
        "change", lambda w, lv, who: Call(f"/api/involvements/{_fresh_involvement(w, lv)}"),
        Permission.ADD_FACTS, 204),
    ("PATCH", "/api/claims/{object_id}"): Rule(
        "change", lambda w, lv, who: Call(
            f"/api/claims/{_o(w, lv).claim}", json={"status": "disputed"},
            headers=_version(w, s.claims, _o(w, lv).claim), target=_o(w, lv).claim),
        Permission.REVIEW),
    ("PATCH", "/api/places/{object_id}"): Rule(
        "change", lambda w, lv, who: Call(
            f"/api/places/{_o(w, lv).place}", json={"status": "destroyed"},
            headers=_version(w, s.places, _o(w, lv).place), target=_o(w, lv).place),
        Permission.REVIEW),
    # A verification of an item's capture time and place: seen as far as its item is;
    # recording one judges the source's claim (review).
    ("GET", "/api/items/{object_id}/capture-verifications"): Rule(
        "read", _get("/api/items/{}/capture-verifications", "item")),
    ("POST", "/api/items/{object_id}/capture-verifications"): Rule(
        "change", lambda w, lv, who: Call(
            f"/api/items/{_o(w, lv).item}/capture-verifications", json={
                "method": "SYNTHETIC matrix", "result": "inconclusive",
                "place": "SYNTHETIC place"}),
        Permission.REVIEW, 201),
    ("POST", "/api/items/{object_id}/erase"): Rule(
        "change", lambda w, lv, who: (lambda i: Call(
            f"/api/items/{i}/erase", json={"reason": "SYNTHETIC request"},
            headers=_version(w, s.items, i)))(_fresh_protected_item(w, lv)),
        Permission.ERASE),
    ("POST", "/api/sources/{object_id}/erase"): Rule(
        "change", lambda w, lv, who: (lambda i: Call(
            f"/api/sources/{i}/erase", json={"reason": "SYNTHETIC request"},
            headers=_version(w, s.sources, i)))(_fresh_source(w, lv)),
        Permission.ERASE),
    # The one person search: anyone, filtered; the name in the body (never the URL).
    ("POST", "/api/persons/search"): Rule(
        "list", lambda w, lv, who: Call("/api/persons/search", json={
            "name": _LIST_NAMES[lv][0]})),
    # Documents: extracted text, extraction jobs, full-text search (query in the body).
    ("GET", "/api/items/{object_id}/text"): Rule("read", _get("/api/items/{}/text", "item")),
    ("POST", "/api/items/{object_id}/extract"): Rule(
        "change", lambda w, lv, who: Call(f"/api/items/{_o(w, lv).item}/extract"),
        Permission.ADD_EVIDENCE, 202),
    # Mentions and proposed claims: seen as far as their item is.
    ("POST", "/api/items/{object_id}/mentions"): Rule(
        "change", lambda w, lv, who: Call(f"/api/items/{_extracted_item(w, lv)}/mentions",
                                          target=_o(w, lv).item),
        Permission.ADD_FACTS),
    ("GET", "/api/items/{object_id}/mentions"): Rule(
        "read", _get("/api/items/{}/mentions", "item")),
    ("GET", "/api/proposals"): Rule("list", _const("/api/proposals?status=pending"),
                                    per_level=False),
    ("POST", "/api/proposals/{object_id}/accept"): Rule(
        "change", lambda w, lv, who: Call(f"/api/proposals/{_fresh_proposal(w, lv)}/accept",
                                          json={}),
        Permission.ADD_FACTS),
    ("POST", "/api/proposals/{object_id}/reject"): Rule(
        "change", lambda w, lv, who: Call(f"/api/proposals/{_fresh_proposal(w, lv)}/reject"),
        Permission.REVIEW),
    # A web capture, queued as a job into the level's source (never run here; the address
    # is a global IP literal, so the check passes without a DNS lookup).
    ("POST", "/api/captures"): Rule(
        "create", lambda w, lv, who: Call("/api/captures", json={
            "url": "http://203.0.114.1/SYNTHETIC", "source_id": _o(w, lv).source}),
        Permission.ADD_EVIDENCE, 202),
    ("POST", "/api/items/{object_id}/redactions"): Rule(
        "change", lambda w, lv, who: Call(f"/api/items/{_o(w, lv).item}/redactions", json={
            "reason": "SYNTHETIC matrix", "texts": ["SYNTHETIC"]}),
        Permission.ADD_EVIDENCE, 201),
    # Releasing a redacted copy at a lower sensitivity is a disclosure decision: the copy
    # and its original visible (404 otherwise), then the grant permission.
    ("POST", "/api/items/{object_id}/release"): Rule(
        "change", lambda w, lv, who: (lambda c: Call(f"/api/items/{c}/release", json={
            "sensitivity": "restricted", "reason": "SYNTHETIC matrix"}, target=c))(
            _fresh_copy(w, lv)),
        Permission.GRANT, per_level=False, level=Sensitivity.PROTECTED),
    # Transcriptions: seen as far as their item is; typing adds evidence, resolving reviews.
    ("GET", "/api/transcriptions"): Rule("list", _const("/api/transcriptions?include_done=1"),
                                         per_level=False),
    ("GET", "/api/items/{object_id}/pages/{page}/transcription"): Rule(
        "read", _get("/api/items/{}/pages/1/transcription", "item")),
    ("POST", "/api/items/{object_id}/pages/{page}/transcriptions"): Rule(
        "change", lambda w, lv, who: Call(f"{_fresh_page(w, lv)}/transcriptions",
                                          json={"text": "SYNTHETIC typed"},
                                          target=_o(w, lv).item),
        Permission.ADD_EVIDENCE, 201),
    ("POST", "/api/items/{object_id}/pages/{page}/resolution"): Rule(
        "change", lambda w, lv, who: Call(f"{_fresh_page(w, lv, differing=True)}/resolution",
                                          json={"text": "SYNTHETIC one"},
                                          target=_o(w, lv).item),
        Permission.REVIEW, 201),
    ("POST", "/api/items/{object_id}/transcription-requests"): Rule(
        "change", lambda w, lv, who: Call(f"/api/items/{_o(w, lv).item}/transcription-requests",
                                          json={"pages": [1], "required": 2}),
        Permission.ADD_EVIDENCE, 201),
    # Testimonies: shown as their source may be disclosed; changes add evidence.
    ("POST", "/api/testimonies"): Rule(
        "create", lambda w, lv, who: Call("/api/testimonies", json={
            "title": "SYNTHETIC matrix interview", "sensitivity": lv}),
        Permission.ADD_EVIDENCE, 201, refs=False),
    ("GET", "/api/testimonies"): Rule("list", _const("/api/testimonies"), per_level=False),
    ("GET", "/api/testimonies/{object_id}"): Rule(
        "read", lambda w, lv, who: Call(f"/api/testimonies/{_testimony(w, lv)[0]}",
                                        target=_testimony(w, lv)[0])),
    ("PATCH", "/api/testimonies/{object_id}"): Rule(
        "change", lambda w, lv, who: Call(
            f"/api/testimonies/{_testimony(w, lv)[0]}",
            json={"interviewer": f"SYNTHETIC matrix interviewer {who}"},
            headers=_version(w, s.testimonies, _testimony(w, lv)[0]),
            target=_testimony(w, lv)[0]),
        Permission.ADD_EVIDENCE),
    ("POST", "/api/testimonies/{object_id}/consents"): Rule(
        "change", lambda w, lv, who: Call(
            f"/api/testimonies/{_testimony(w, lv)[0]}/consents",
            json={"recipient_kind": "public", "status": "refused"}),
        Permission.ADD_EVIDENCE),
    ("POST", "/api/testimonies/{object_id}/segments"): Rule(
        "change", lambda w, lv, who: Call(
            f"/api/testimonies/{_testimony(w, lv)[0]}/segments",
            json={"segments": [{"text": "SYNTHETIC passage", "knowledge": "hearsay"}]}),
        Permission.ADD_EVIDENCE),
    ("POST", "/api/testimonies/{object_id}/segments/{segment_id}/translations"): Rule(
        "change", lambda w, lv, who: Call(
            f"/api/testimonies/{_testimony(w, lv)[0]}/segments/{_testimony(w, lv)[1]}"
            "/translations", json={"language": "en", "text": "SYNTHETIC translation"}),
        Permission.ADD_EVIDENCE),
    ("POST", "/api/search"): Rule(
        "list", _const("/api/search", {"q": "file synthetic", "limit": 100}), per_level=False),
    # Lists and linkage.
    ("GET", "/api/lists"): Rule("list", _const("/api/lists"), per_level=False),
    ("POST", "/api/lists"): Rule(
        "create", lambda w, lv, who: Call(
            "/api/lists", data={"source": _o(w, lv).list_source, "id_column": "ID",
                                "name": "matrix.csv"},
            files={"file": ("matrix.csv", list_csv([[
                f"M-{secrets.token_hex(6)}", "Rostami, Saeed", "Ahmad", "1367/06/01",
                "Rasht", "matrix SYNTHETIC"]]))}),
        Permission.ADD_EVIDENCE, 201),
    ("PATCH", "/api/lists/{list_id}/description"): Rule(
        "change", lambda w, lv, who: Call(
            f"/api/lists/{_o(w, lv).list_id}/description",
            json={"kind": "detainees", "provinces": ["Tehran"]},
            headers=_version(w, s.lists, _o(w, lv).list_id), target=_o(w, lv).list_id),
        Permission.ADD_EVIDENCE),
    ("POST", "/api/linkage/decisions"): Rule(
        "create", lambda w, lv, who: Call("/api/linkage/decisions", json={
            "record_a": _o(w, lv).list_record, "record_b": _o(w, lv).list_record_b,
            "decision": "different", "note": "SYNTHETIC matrix"}),
        Permission.REVIEW, 201),
    # Undo: the caller's own last decision (one made for them just before, so that there
    # is one and nobody has decided that pair since).
    ("POST", "/api/linkage/decisions/undo"): Rule(
        "permission", lambda w, lv, who: _own_decision(w, who), Permission.REVIEW, 201,
        per_level=False),
    ("GET", "/api/linkage/review"): Rule(
        "permission", _const("/api/linkage/review?limit=500"), Permission.REVIEW,
        per_level=False),
    ("GET", "/api/linkage/stats"): Rule(
        "permission", _const("/api/linkage/stats"), Permission.ANALYSE, per_level=False),
    ("POST", "/api/linkage/apply"): Rule(
        "permission", _const("/api/linkage/apply"), Permission.ANALYSE, 201, per_level=False),
    ("POST", "/api/linkage/runs"): Rule(
        "permission", _const("/api/linkage/runs", {}), Permission.ANALYSE, 202,
        per_level=False),
    ("POST", "/api/estimates/runs"): Rule(
        "permission", _const("/api/estimates/runs", {"method": "lp"}), Permission.ANALYSE,
        202, per_level=False),
    ("POST", "/api/memorial/builds"): Rule(
        "permission", _const("/api/memorial/builds", {}), Permission.PUBLISH, 202,
        per_level=False),
    ("GET", "/api/memorial/archive"): Rule(
        "permission", lambda w, lv, who: _memorial_call(w), Permission.PUBLISH,
        per_level=False),
    # Jobs: one's own (an admin's: every job); another's is "not found".
    ("GET", "/api/jobs"): Rule("self", _const("/api/jobs"), per_level=False),
    ("GET", "/api/jobs/{job_id}"): Rule(
        "own", lambda w, lv, who: Call(f"/api/jobs/{_analysts_job(w)}"), per_level=False),
    ("POST", "/api/jobs/{job_id}/cancel"): Rule(
        "own", lambda w, lv, who: Call(f"/api/jobs/{_analysts_job(w)}/cancel"),
        per_level=False),
    # Cases (issue 16): a case is a grant scope; only its team (holders of a grant on it,
    # here every principal with grants) reads it, and viewers see public data only.
    ("GET", "/api/cases"): Rule("list", _const("/api/cases"), per_level=False),
    ("GET", "/api/cases/{case_id}"): Rule("read", lambda w, lv, who: _case_call(w, ""),
                                          per_level=False, level=Sensitivity.PROTECTED),
    ("GET", "/api/cases/{case_id}/gaps"): Rule(
        "read", lambda w, lv, who: _case_call(w, "/gaps"), per_level=False,
        level=Sensitivity.PROTECTED),
    # Opening a case names suspects, acts and places (404 unless visible); charging and
    # linking need the case's team (404 otherwise) and the fact linked visible; all three
    # are review work.
    ("POST", "/api/cases"): Rule(
        "create", lambda w, lv, who: Call("/api/cases", json={
            "title": "SYNTHETIC api case", "suspects": [_o(w, lv).person]}),
        Permission.REVIEW, ok=201),
    ("POST", "/api/cases/{case_id}/charges"): Rule(
        "create", lambda w, lv, who: _charge_call(w), Permission.REVIEW, ok=201,
        per_level=False, level=Sensitivity.PROTECTED),
    ("POST", "/api/cases/{case_id}/links"): Rule(
        "create", lambda w, lv, who: _link_call(w), Permission.REVIEW, ok=201,
        per_level=False, level=Sensitivity.PROTECTED),
    # Marking a gap is review work on the case's team.
    ("POST", "/api/cases/{case_id}/gaps"): Rule(
        "create", lambda w, lv, who: _gap_call(w), Permission.REVIEW, ok=201,
        per_level=False, level=Sensitivity.PROTECTED),
    # The court bundle: queued by a team member who may review (the recipient in the JSON
    # body), listed for the team (each their own; an admin every one), downloaded by
    # whoever queued it or an admin on the team, 404 to anyone else.
    ("POST", "/api/cases/{case_id}/bundles"): Rule(
        "create", lambda w, lv, who: _bundle_call(w), Permission.REVIEW, ok=202,
        per_level=False, level=Sensitivity.PROTECTED),
    ("GET", "/api/cases/{case_id}/bundles"): Rule(
        "read", lambda w, lv, who: _case_call(w, "/bundles"), per_level=False,
        level=Sensitivity.PROTECTED),
    ("GET", "/api/cases/{case_id}/bundles/{job_id}"): Rule(
        "queuer", lambda w, lv, who: _bundle_download_call(w), per_level=False,
        level=Sensitivity.PROTECTED),
    # Administration and analysis: the permission alone decides.
    ("POST", "/api/ledger/checkpoint"): Rule(
        "permission", _const("/api/ledger/checkpoint"), Permission.SIGN, per_level=False),
    ("POST", "/api/estimates"): Rule(
        "permission", _const("/api/estimates", EST), Permission.ANALYSE, per_level=False),
    ("GET", "/api/users"): Rule("permission", _const("/api/users"), Permission.MANAGE_USERS,
                                per_level=False),
    ("POST", "/api/users"): Rule(
        "permission", lambda w, lv, who: Call("/api/users", json={
            "username": f"new-{secrets.token_hex(4)}", "role": "viewer",
            "password": PASSWORD}),
        Permission.MANAGE_USERS, 201, per_level=False),
    ("GET", "/api/users/{user_id}"): Rule(
        "permission", lambda w, lv, who: Call(f"/api/users/{w.user_ids['researcher']}"),
        Permission.MANAGE_USERS, per_level=False),
    ("PATCH", "/api/users/{user_id}"): Rule(
        "permission", lambda w, lv, who: (lambda u: Call(
            f"/api/users/{u}", json={"role": "analyst"},
            headers=_version(w, s.users, u)))(_throwaway_user(w)),
        Permission.MANAGE_USERS, per_level=False),
    ("GET", "/api/grants"): Rule("permission", _const("/api/grants"), Permission.GRANT,
                                 per_level=False),
    ("POST", "/api/grants"): Rule(
        "permission", lambda w, lv, who: Call("/api/grants", json={
            "scope_id": _o(w, lv).source, "user": _throwaway_user(w)}),
        Permission.GRANT, 201),
    ("DELETE", "/api/grants/{scope_id}/{user}"): Rule(
        "permission", _revoke_call, Permission.GRANT, 204),
    ("GET", "/api/audit"): Rule("permission", _const("/api/audit"), Permission.AUDIT,
                                per_level=False),
    ("GET", "/api/audit/sign-ins"): Rule("permission", _const("/api/audit/sign-ins"),
                                         Permission.AUDIT, per_level=False),
    ("PUT", "/api/settings/second-factor"): Rule(
        "permission", _const("/api/settings/second-factor", {"require": "none"}),
        Permission.MANAGE_USERS, per_level=False),
    # One's own account: anyone signed in, for themselves only.
    ("POST", "/api/auth/second-factor"): Rule(
        "self", _const("/api/auth/second-factor", {"totp": "000000"}), ok=409,
        per_level=False),
    ("POST", "/api/auth/second-factor/options"): Rule(
        "self", _const("/api/auth/second-factor/options"), ok=409, per_level=False),
    ("POST", "/api/auth/password"): Rule(
        "self", _const("/api/auth/password", {"current_password": PASSWORD,
                                              "new_password": PASSWORD}), ok=204,
        per_level=False),
    ("GET", "/api/auth/sessions"): Rule("self", _const("/api/auth/sessions"), per_level=False),
    ("DELETE", "/api/auth/sessions/{session_id}"): Rule(
        "self", lambda w, lv, who: Call(f"/api/auth/sessions/{_spare_session(w, who)}"),
        ok=204, per_level=False),
    ("POST", "/api/auth/sessions/end-others"): Rule(
        "self", _const("/api/auth/sessions/end-others"), per_level=False),
    ("GET", "/api/auth/factors"): Rule("self", _const("/api/auth/factors"), per_level=False),
    ("DELETE", "/api/auth/factors/{factor_id}"): Rule(
        "self", lambda w, lv, who: Call(f"/api/auth/factors/{_spare_factor(w, who)}"),
        ok=204, per_level=False),
    ("POST", "/api/auth/factors/totp/new"): Rule(
        "self", _const("/api/auth/factors/totp/new"), per_level=False),
    ("POST", "/api/auth/factors/totp"): Rule(
        "self", _const("/api/auth/factors/totp", {"secret": "A" * 32, "code": "000000"}),
        ok=422, per_level=False),
    ("POST", "/api/auth/factors/webauthn/options"): Rule(
        "self", _const("/api/auth/factors/webauthn/options"), per_level=False),
    ("POST", "/api/auth/factors/webauthn"): Rule(
        "self", lambda w, lv, who: _webauthn_call(w, who), ok=422, per_level=False),
    ("POST", "/api/auth/factors/recovery-codes"): Rule(
        "self", _const("/api/auth/factors/recovery-codes"), ok=201, per_level=False),
}

#: Routes whose answers legitimately name objects the caller cannot see (by ID only).
ID_EXEMPT = {("GET", "/api/audit"), ("GET", "/api/grants"), ("GET", "/api/ledger/export"),
             ("POST", "/api/grants"), ("DELETE", "/api/grants/{scope_id}/{user}")}


def app_routes(world_app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route, including those of included routers.

    FastAPI >= 0.160 keeps included routers as nested route objects; walk them.
    """
    found: set[tuple[str, str]] = set()

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes, prefix + getattr(route.include_context, "prefix", ""))
                continue
            for method in getattr(route, "methods", None) or ():
                if method != "HEAD":
                    found.add((method, prefix + route.path))

    walk(world_app.routes, "")
    return found


def expected(rule: Rule, world: World, level: Sensitivity, who: str) -> int:
    role = world.roles[who]
    # From the specification written from the documentation, never from the code's table.
    allowed = rule.permission is not None and access_spec.may(role, str(rule.permission))
    denied = 401 if role is None else 403
    if rule.kind in ("open", "list", "logout"):
        return rule.ok
    if rule.kind == "self":
        return 401 if role is None else rule.ok
    if rule.kind == "own":  # the job is the analyst's
        return 401 if role is None else 200 if who == "analyst" or role is Role.ADMIN \
            else 404
    if rule.kind == "queuer":  # lawyer_g's bundle, on a case every granted principal is on
        return 200 if world.can_see(who, level) and (
            who == "lawyer_g" or role is Role.ADMIN) else 404
    if rule.kind == "login":
        return 401 if role is None else 200
    if rule.kind == "read":
        return 200 if world.can_see(who, level) else 404
    if rule.kind == "permission":
        return rule.ok if allowed else denied
    if rule.kind == "create" and not rule.refs:
        return rule.ok if allowed else denied
    if not world.can_see(who, level):
        return 404
    if not allowed:
        return denied
    if rule.kind == "change" and rule.permission is Permission.ERASE and level is not \
            Sensitivity.PROTECTED:
        return 422  # only protected objects hold sealed data to erase
    return rule.ok


def _audited(world: World, who: str, since: int) -> set[str]:
    with world.store.reading() as conn:
        a = s.audit_reads.c
        rows = conn.execute(select(a.object_id).where(
            a.ledger_index >= since, a.user_id == world.user_ids.get(who))).scalars()
        return set(rows)


def _returned_protected(body: Any) -> list[str]:
    objs = body.get("data") if isinstance(body, dict) and "data" in body else body
    objs = objs if isinstance(objs, list) else [objs]
    return [o["id"] for o in objs if isinstance(o, dict) and o.get("sensitivity") == "protected"]


@pytest.fixture
def world(store: Store, tmp_path: Path, fast_argon2: None) -> World:
    return build_world(store, tmp_path)


def test_every_route_is_classified(world: World) -> None:
    routes = app_routes(world.client.app)
    assert routes - set(RULES) == set(), "classify these routes in RULES"
    assert set(RULES) - routes == set(), "RULES names routes that no longer exist"


def test_access_matrix(world: World) -> None:
    failures: list[str] = []
    cells = 0
    routes = app_routes(world.client.app)
    for key in sorted(routes):
        method, path = key
        rule = RULES[key]
        for who in PRINCIPALS:
            for level in (LEVELS if rule.per_level else (rule.level,)):
                call = rule.make(world, level, who)
                start = world.store.size()
                headers = {**world.headers(who), **call.headers}
                response = world.client.request(method, call.url, json=call.json,
                                                content=call.content, data=call.data,
                                                files=call.files, headers=headers)
                world.client.cookies.clear()
                cells += 1
                want = expected(rule, world, level, who)
                where = f"{method} {path} as {who} on {level}"
                if response.status_code != want:
                    failures.append(f"{where}: {response.status_code} != {want} "
                                    f"{response.text[:200]}")
                    continue
                text = response.text
                for mark in world.hidden_markers(who):
                    if mark in text:
                        failures.append(f"{where}: leaked {mark!r}")
                if key not in ID_EXEMPT:
                    # An ID the caller sent may come back in an error; that reveals nothing.
                    sent = call.url + json.dumps(call.json) + json.dumps(call.data)
                    leaked = [i for i in world.hidden_ids(who) if i in text and i not in sent]
                    if leaked:
                        failures.append(f"{where}: leaked IDs {leaked}")
                if response.status_code >= 300 or who == "anonymous":
                    continue
                if response.headers.get("content-type", "").startswith("application/json"):
                    body = response.json()
                    wanted = set(_returned_protected(body)) if isinstance(body, dict | list) \
                        else set()
                else:
                    wanted = set()
                if rule.kind in ("read", "queuer") and level is Sensitivity.PROTECTED \
                        and call.target:
                    wanted.add(call.target)
                missing = wanted - _audited(world, who, start)
                if missing:
                    failures.append(f"{where}: protected read not audited: {missing}")
    assert not failures, f"{len(failures)} of {cells} cells failed:\n" + "\n".join(failures)
    assert cells > 500


def test_lists_show_exactly_what_each_principal_may_see(world: World) -> None:
    for name, attr in OBJECT_ATTR.items():
        for who in PRINCIPALS:
            body = world.client.get(f"/api/{name}?limit=500&count=true",
                                    headers=world.headers(who)).json()
            ids = {o["id"] for o in body["data"]}
            for level in LEVELS:
                oid = getattr(world.objects[level], attr)
                assert (oid in ids) == world.can_see(who, level), (name, who, level)
            assert body["total"] == len(ids)


def test_export_withholds_events_the_principal_may_not_see(world: World) -> None:
    for who in PRINCIPALS:
        lines = [json.loads(x) for x in world.client.get(
            "/api/ledger/export", headers=world.headers(who)).text.splitlines()]
        assert [x["index"] for x in lines] == list(range(len(lines)))
        assert any(x.get("withheld") for x in lines) == (world.roles[who] is not Role.ADMIN
                                                         or not world.granted[who])
        shown = " ".join(x.get("event", "") for x in lines)
        for oid in world.hidden_ids(who):
            if world.roles[who] is not Role.ADMIN:
                assert oid not in shown, (who, oid)
        # Admins see user, grant and audit events, but never the events of hidden objects.
        for x in lines:
            if "event" in x and x["type"] == "source.registered":
                data = json.loads(x["event"])["data"]
                assert data["id"] not in world.hidden_ids(who), (who, data["id"])
