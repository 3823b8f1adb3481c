"""What the mutation run of ``access.reads`` found untested (issue 18).

From the module's contract (docs/ARCHITECTURE.md, "Every read of stored objects ...
goes through here"): a list shows only what the reader may see, pages through it
with a cursor the server hands out (text that goes into a URL's query string as it
is), refuses any other cursor in the same words, and writes every protected object
it hands out to the audit trail before the caller gets it.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from disclosure_world import LEVELS, Chain, build_chain
from sqlalchemy import select

from access_spec import sees
from dadkhahi.access import grants, passwords, reads, users
from dadkhahi.access.policy import Principal, Role
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.lists import import_list
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

World = tuple[Store, dict[Sensitivity, Chain], dict[tuple[str | None, bool], Principal]]


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(passwords, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    chains = {level: build_chain(store, level, tmp_path) for level in LEVELS}
    uid = {name: users.add_user(store, name, Role.RESEARCHER, "SYNTHETIC long passphrase",
                                "setup") for name in ("plain", "granted")}
    for scope in chains[LEVELS[2]].scopes():
        grants.grant(store, scope, uid["granted"], "setup")
    principals = {
        (None, False): Principal(),
        ("researcher", False): Principal(user_id=uid["plain"], username="plain",
                                         role=Role.RESEARCHER),
        ("researcher", True): Principal(user_id=uid["granted"], username="granted",
                                        role=Role.RESEARCHER),
    }
    return store, chains, principals


def _audited(store: Store, since: int) -> list[tuple[str | None, str, str]]:
    a = s.audit_reads.c
    with store.reading() as conn:
        return [(r.user_id, r.object_kind, r.object_id) for r in conn.execute(
            select(a.user_id, a.object_kind, a.object_id).where(a.ledger_index >= since)
            .order_by(a.ledger_index, a.seq))]


def _head(store: Store) -> int:
    with store.reading() as conn:
        return int(conn.execute(select(s.ledger_events.c.idx).order_by(
            s.ledger_events.c.idx.desc()).limit(1)).scalar_one()) + 1


def test_pages_of_one_walk_what_the_reader_sees_with_url_safe_cursors(world: World) -> None:
    store, chains, principals = world
    resource = reads.RESOURCES["sources"]
    for (role, granted), principal in principals.items():
        expected = {c.ids[k] for level, c in chains.items() for k in ("source", "list_source")
                    if sees(role, str(level), granted)}
        seen: list[str] = []
        cursor = None
        while True:
            page = reads.list_objects(store, principal, resource,
                                      reads.PageQuery(limit=1, cursor=cursor))
            seen.extend(row["id"] for row in page.data)
            if page.next_cursor is None:
                break
            # The cursor goes back in a query string as it is: no padding, no "+" or "/".
            assert re.fullmatch(r"[A-Za-z0-9_-]+", page.next_cursor), page.next_cursor
            cursor = page.next_cursor
        assert seen == sorted(seen)
        assert set(seen) == expected, (role, granted)


@pytest.mark.parametrize("cursor", [
    "!!not base64!!",
    base64.urlsafe_b64encode(json.dumps([1, 2, 3]).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps({"id": "x"}).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps([None, "x"]).encode()).decode(),
])
def test_a_cursor_not_handed_out_is_refused_in_the_same_words(
    store: Store, cursor: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        reads.list_objects(store, Principal(), reads.RESOURCES["sources"],
                           reads.PageQuery(cursor=cursor))
    assert str(refused.value) == "cursor is not one this server handed out"


def test_a_list_writes_its_protected_rows_to_the_audit_trail(world: World) -> None:
    store, chains, principals = world
    granted = principals[("researcher", True)]
    protected = {chains[LEVELS[2]].ids["source"], chains[LEVELS[2]].ids["list_source"]}
    start = _head(store)
    page = reads.list_objects(store, granted, reads.RESOURCES["sources"], reads.PageQuery())
    assert protected <= {row["id"] for row in page.data}
    assert sorted(_audited(store, start)) == sorted(
        (granted.user_id, "source", oid) for oid in protected)
    # A reader who sees no protected row leaves no audit entry.
    start = _head(store)
    reads.list_objects(store, principals[("researcher", False)], reads.RESOURCES["sources"],
                       reads.PageQuery())
    assert _audited(store, start) == []


def test_the_audit_trail_says_what_was_done_with_a_protected_object(world: World) -> None:
    store, chains, principals = world
    granted = principals[("researcher", True)]
    item = chains[LEVELS[2]].ids["item"]
    a = s.audit_reads.c

    def actions(since: int) -> list[str]:
        with store.reading() as conn:
            return list(conn.execute(select(a.action).where(
                a.ledger_index >= since, a.object_id == item)).scalars())

    start = _head(store)
    reads.get_object(store, granted, reads.RESOURCES["items"], item)
    assert actions(start) == ["read item"]
    start = _head(store)
    reads.item_for_download(store, granted, item)
    assert actions(start) == ["download item"]
    start = _head(store)
    reads.custody_of(store, granted, item)
    assert actions(start) == ["custody of item"]


def _event_index(store: Store, event_type: str, **data: str) -> int:
    e = s.ledger_events.c
    with store.reading() as conn:
        for idx, body in conn.execute(select(e.idx, e.body).where(e.type == event_type)):
            fields = json.loads(body)["data"]
            if all(fields.get(k) == v for k, v in data.items()):
                return int(idx)
    raise AssertionError(f"no {event_type} event with {data}")


def test_reading_a_protected_event_is_audited_as_an_event(world: World) -> None:
    store, chains, principals = world
    granted = principals[("researcher", True)]
    index = _event_index(store, "source.registered", id=chains[LEVELS[2]].ids["source"])
    start = _head(store)
    assert reads.read_event(store, granted, index).index == index
    assert _audited(store, start) == [(granted.user_id, "event", str(index))]


def test_an_event_is_as_protected_as_the_stricter_level_it_carries(
    store: Store, tmp_path: Path,
) -> None:
    # A re-import of a public list's file into a restricted source: the
    # list.duplicate_found event names both imports and carries the stricter
    # level (docs/ARCHITECTURE.md), so it stays with the team although the earlier
    # import that governs it is public.
    path = tmp_path / "SYNTHETIC.csv"
    path.write_text("ID,Full name\n1,Karimi Ali\n2,Moradi Zahra\n", "utf-8")
    first = import_list(store, path, actor="setup", id_column="ID", source=SourceSpec(
        title="public list SYNTHETIC", kind=SourceKind.LIST, sensitivity=Sensitivity.PUBLIC))
    again = import_list(store, path, actor="setup", id_column="ID", duplicate_ok=True,
                        source=SourceSpec(title="restricted copy SYNTHETIC",
                                          kind=SourceKind.LIST,
                                          sensitivity=Sensitivity.RESTRICTED))
    index = _event_index(store, "list.duplicate_found", import_id=again.import_id,
                         duplicate_of=first.import_id)
    team = Principal(user_id="usr_team", username="team", role=Role.RESEARCHER)
    assert reads.read_event(store, team, index).index == index
    for outsider in (Principal(), Principal(user_id="usr_v", username="v", role=Role.VIEWER)):
        with pytest.raises(NotFoundError):
            reads.read_event(store, outsider, index)
        line = next(x for x in reads.export_events(store, outsider) if x["index"] == index)
        assert line.get("withheld") is True and "event" not in line
    # The public import's own event stays public.
    public = _event_index(store, "records.imported", import_id=first.import_id)
    assert reads.read_event(store, Principal(), public).index == public


def test_an_export_gives_each_readable_event_with_its_type_and_audits_the_protected(
    world: World,
) -> None:
    store, chains, principals = world
    granted = principals[("researcher", True)]
    index = _event_index(store, "source.registered", id=chains[LEVELS[2]].ids["source"])
    start = _head(store)
    lines = list(reads.export_events(store, granted))
    shown = [x for x in lines if not x.get("withheld")]
    assert shown and all(x["type"] == json.loads(x["event"])["type"] for x in shown)
    assert index in {x["index"] for x in shown}
    a = s.audit_reads.c
    with store.reading() as conn:
        audited = {(r.action, r.object_kind, r.object_id) for r in conn.execute(
            select(a.action, a.object_kind, a.object_id).where(a.ledger_index >= start))}
    assert ("export events", "event", str(index)) in audited
    assert {action for action, _, _ in audited} == {"export events"}


def test_an_export_in_small_batches_still_gives_every_index_once(world: World) -> None:
    # Withheld events keep their place, so the export rebuilds the whole tree.
    store, _, principals = world
    for principal in principals.values():
        head = _head(store)
        indexes = [x["index"] for x in reads.export_events(store, principal, batch=2)]
        # (Audits of the export's own reads may join the log while it runs.)
        assert indexes == list(range(len(indexes))) and len(indexes) >= head >= 40


def test_a_filter_the_resource_does_not_have_is_refused_by_name(store: Store) -> None:
    with pytest.raises(ValidationError) as refused:
        reads.list_objects(store, Principal(), reads.RESOURCES["sources"],
                           reads.PageQuery(filters={"title": "x"}))
    assert str(refused.value) == "cannot filter sources by 'title'"
    with pytest.raises(ValidationError) as refused:
        reads.list_objects(store, Principal(), reads.RESOURCES["records"],
                           reads.PageQuery(q="Karimi"))
    assert str(refused.value) == "records cannot be searched"
    for limit in (0, reads.MAX_PAGE + 1):
        with pytest.raises(ValidationError) as refused:
            reads.list_objects(store, Principal(), reads.RESOURCES["sources"],
                               reads.PageQuery(limit=limit))
        assert str(refused.value) == f"limit must be between 1 and {reads.MAX_PAGE}"


def test_a_listed_claim_shows_what_it_rests_on(world: World) -> None:
    store, chains, principals = world
    page = reads.list_objects(store, principals[("researcher", True)],
                              reads.RESOURCES["claims"], reads.PageQuery())
    by_id = {c["id"]: c for c in page.data}
    for chain in chains.values():
        claim = by_id[chain.ids["claim"]]
        assert claim["support"] == [{"source_id": chain.ids["source"],
                                     "record_id": chain.ids["record"],
                                     "item_id": chain.ids["item"], "locator": None}]


def test_every_list_filters_by_sensitivity_and_sorts_by_id_and_ledger_order() -> None:
    # Whatever else a list offers, a reader may narrow it to one sensitivity and page it
    # by ID or by ledger order (the row's version), both NOT NULL as keyset cursors need.
    # `RESOURCES` is built once at import; a resource is built by `_r`, called here too so
    # that a change to it is seen where the module is already imported (benchmarks/mutation).
    built = [reads._r("acts", "act", s.acts, ("type",), ("type",), ("description",)),
             *reads.RESOURCES.values()]
    for resource in built:
        assert resource.filters[0] == "sensitivity"
        assert resource.sorts[:2] == ("id", "ledger_index")
        assert resource.table.name == resource.name  # the URL's plural is the table's name
    assert built[0] == reads.Resource("acts", "act", s.acts, ("sensitivity", "type"),
                                      ("id", "ledger_index", "type"), ("description",))


def test_which_pages_are_read_by_key() -> None:
    """A page goes to the reads by key (``Store.reading(by_key=True)``: on PostgreSQL the
    engine of generic plans, issue 11) when it is in ID order, either way, with no search
    and no count, narrowed by nothing or by exactly the columns an index holds before the
    ID: the records or files of one source. Any other page keeps plans chosen for the
    values bound. Checked without a database: on SQLite both go to the one engine."""
    records, items, acts = (reads.RESOURCES[name] for name in ("records", "items", "acts"))
    Q = reads.PageQuery
    for resource, query in [(records, Q()), (records, Q(sort="-id")),
                            (records, Q(filters={"source_id": "src_x"})),
                            (items, Q(filters={"source_id": "src_x"}, sort="-id")),
                            (acts, Q(limit=5, cursor="abc"))]:
        assert reads.by_key(resource, query), query
    for resource, query in [(records, Q(q="SYNTHETIC")), (records, Q(count=True)),
                            (records, Q(sort="ledger_index")), (records, Q(sort="-ledger_index")),
                            (records, Q(filters={"item_id": "itm_x"})),
                            (records, Q(filters={"source_id": "src_x", "item_id": "itm_x"})),
                            (records, Q(filters={"sensitivity": "public"})),
                            (acts, Q(filters={"place_id": "plc_x"}))]:
        assert not reads.by_key(resource, query), query
