"""Reads of pages and single objects: what they return, and what they cost PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, event, select

from dadkhahi.access import grants, passwords, reads, users
from dadkhahi.access.policy import Principal, Role
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.protected import REDACTED
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.sources import register_source
from dadkhahi.store import schema as s
from dadkhahi.store.sealed import KeyRing
from dadkhahi.store.store import Store


def _records(store: Store, level: Sensitivity, n: int) -> tuple[str, list[str]]:
    with store.transaction("setup") as tx:
        source = register_source(store, tx, SourceSpec(
            title=f"SYNTHETIC {level} list", kind=SourceKind.LIST, sensitivity=level))
        ids = []
        for i in range(n):
            ids.append(new_id("record"))
            data = {
                "id": ids[-1], "source_id": source, "item_id": None, "import_id": None,
                "row_number": i, "external_id": f"R{i}",
                "verbatim": {"name": f"SYNTHETIC witness {i}"},
                "normalized": {"name": f"synthetic witness {i}"}, "sensitivity": str(level),
            }
            if level is Sensitivity.PROTECTED:  # sealed, as intake.lists writes it
                secret = {k: data[k] for k in ("verbatim", "normalized", "external_id")}
                data.update(verbatim={}, normalized={}, external_id=REDACTED,
                            sealed=tx.seal(secret, ids[-1]))
            tx.emit("record.added", data)
    return source, sorted(ids)


def _investigator(store: Store, monkeypatch: pytest.MonkeyPatch) -> Principal:
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                             parallelism=1))
    user_id = users.add_user(store, "leila", Role.INVESTIGATOR, "SYNTHETIC passphrase 1",
                             "setup")
    return Principal(user_id=user_id, username="leila", role=Role.INVESTIGATOR)


def test_a_page_or_one_object_is_one_statement_without_a_transaction_on_postgresql(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: BEGIN and COMMIT were two of a page read's four round trips. A page (or
    one object) is read by one statement outside a transaction, sealed rows opened after
    it; a count with its page still shares their transaction."""
    leila = _investigator(store, monkeypatch)
    user_id = leila.user_id
    assert user_id is not None
    restricted, restricted_ids = _records(store, Sensitivity.RESTRICTED, 3)
    protected, protected_ids = _records(store, Sensitivity.PROTECTED, 3)
    grants.grant(store, protected, user_id, "setup")
    postgres = store.engine.dialect.name == "postgresql"
    statuses: list[str] = []

    def seen(conn: Any, *_: Any) -> None:
        if postgres:
            statuses.append(conn.connection.driver_connection.info.transaction_status.name)

    event.listen(store.engine, "after_cursor_execute", seen)
    records = reads.RESOURCES["records"]
    for source, ids in ((restricted, restricted_ids), (protected, protected_ids)):
        statuses.clear()
        page, pending = reads.read_page(store, leila, records, reads.PageQuery(
            filters={"source_id": source}, limit=2))
        first, _ = reads.read_object(store, leila, records, ids[0])
        assert [r["id"] for r in page.data] == ids[:2] and page.next_cursor
        assert first == page.data[0]
        assert statuses == (["IDLE"] * len(statuses) if postgres else [])
        counted, _ = reads.read_page(store, leila, records, reads.PageQuery(
            filters={"source_id": source}, limit=2, count=True))
        assert counted.data == page.data and counted.total == 3
    # Sealed, and opened for her after the statement that read it.
    assert first["verbatim"]["name"].startswith("SYNTHETIC witness ") and "sealed" not in first
    assert pending.objects == [("record", i) for i in protected_ids[:2]]
    assert not postgres or statuses[-2:] == ["INTRANS", "INTRANS"]


def test_a_page_of_sealed_rows_reads_its_data_keys_in_one_statement(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11 (stop 29): each sealed row's data key was a statement of its own (a page
    of 20 protected records: 21 statements, 50 protected sources: 51). A page's keys are
    now read in one statement, so a page costs the same statements whatever its size;
    each row is still opened with its own key, and a row whose key was destroyed reads
    as erased among the others."""
    leila = _investigator(store, monkeypatch)
    user_id = leila.user_id
    assert user_id is not None
    protected, ids = _records(store, Sensitivity.PROTECTED, 20)
    grants.grant(store, protected, user_id, "setup")
    with store.reading() as conn:
        sealed = conn.execute(select(s.records.c.sealed).where(s.records.c.id == ids[3])
                              ).scalar_one()
    with store.transaction("setup") as tx:
        KeyRing.destroy(tx.conn, sealed["key_id"])
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    records = reads.RESOURCES["records"]
    counts = {}
    event.listen(Engine, "before_cursor_execute", note)
    try:
        for limit in (1, 5, 20):
            sent.clear()
            page, pending = reads.read_page(store, leila, records, reads.PageQuery(
                filters={"source_id": protected}, limit=limit))
            counts[limit] = (len(sent), sum("data_keys" in x for x in sent))
            assert [r["id"] for r in page.data] == ids[:limit]
            assert pending.objects == [("record", i) for i in ids[:limit]]
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    assert counts[1] == counts[5] == counts[20] == (2, 1), counts
    shown = {r["id"]: r for r in page.data}
    assert shown[ids[3]].get("erased") is True and "sealed" not in shown[ids[3]]
    names = {r["verbatim"]["name"] for i, r in shown.items() if i != ids[3]}
    assert len(names) == 19 and all(n.startswith("SYNTHETIC witness ") for n in names)


def test_the_page_of_a_sources_records_runs_a_generic_plan_on_postgresql(store: Store) -> None:
    """Issue 11 (stop 26): PostgreSQL planned the page of a source's records anew at
    every run, a custom plan for the source bound (planning 1.7-6.9 ms against 0.5 ms of
    execution at 5,000 records). A read by key walks the same index whatever the values
    bound, so it runs the one plan PostgreSQL keeps for the statement psycopg prepares
    (after its 5th run on a connection): generic plans only, never a custom one."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    source, _ = _records(store, Sensitivity.RESTRICTED, 25)
    reader = Principal(user_id="usr_reader", username="reader", role=Role.INVESTIGATOR)
    served: list[Any] = []

    def note(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM records" in statement and "LIMIT" in statement:
            served.append(conn.connection.driver_connection)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        for _ in range(30):
            page, _ = reads.read_page(store, reader, reads.RESOURCES["records"],
                                      reads.PageQuery(filters={"source_id": source}, limit=20))
            assert len(page.data) == 20
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    generic = custom = 0
    for raw in {id(c): c for c in served}.values():  # each connection has its own cache
        for row in raw.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                               "WHERE statement LIKE '%FROM records%LIMIT%'"):
            generic, custom = generic + row[0], custom + row[1]
        raw.rollback()
    assert generic > 0 and custom == 0


def _sources_titled(store: Store, titles: list[tuple[str, Sensitivity]]) -> list[str]:
    with store.transaction("setup") as tx:
        return [register_source(store, tx, SourceSpec(title=title, kind=SourceKind.DOCUMENT,
                                                      sensitivity=level))
                for title, level in titles]


def test_a_cursor_carries_no_title_and_pages_sealed_rows_in_order(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack: a list sorted by title whose page ends on a protected source handed out
    a cursor holding that source's title in base64, in the next page's address (and the
    opened title, not the column's placeholder, so the next page was also wrong). A
    cursor is sealed now, and the pages walk the stored order to the end."""
    import base64
    import re

    leila = _investigator(store, monkeypatch)
    assert leila.user_id is not None
    made = _sources_titled(store, [("A SYNTHETIC public", Sensitivity.PUBLIC),
                                   ("SECRET-witness Zahra SYNTHETIC", Sensitivity.PROTECTED),
                                   ("B SYNTHETIC restricted name", Sensitivity.RESTRICTED),
                                   ("C SYNTHETIC public", Sensitivity.PUBLIC)])
    for source in made:
        grants.grant(store, source, leila.user_id, "setup")
    seen: list[str] = []
    cursor = None
    for _ in range(6):
        page, _ = reads.read_page(store, leila, reads.RESOURCES["sources"], reads.PageQuery(
            sort="title", limit=1, cursor=cursor))
        seen += [str(r["id"]) for r in page.data]
        cursor = page.next_cursor
        if cursor is None:
            break
        padded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        for secret in (b"SECRET", b"Zahra", b"restricted name", b"SYNTHETIC"):
            assert secret not in padded, cursor
        assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert sorted(seen) == sorted(made) and len(seen) == 4  # each once, none skipped
    # A cursor is bound to its list and order, and one not handed out is refused.
    first, _ = reads.read_page(store, leila, reads.RESOURCES["sources"], reads.PageQuery(
        sort="title", limit=1))
    assert first.next_cursor is not None
    with pytest.raises(ValidationError):
        reads.read_page(store, leila, reads.RESOURCES["sources"], reads.PageQuery(
            sort="-title", limit=1, cursor=first.next_cursor))
    old_style = base64.urlsafe_b64encode(b'["A", "src_x"]').decode().rstrip("=")
    with pytest.raises(ValidationError):
        reads.read_page(store, leila, reads.RESOURCES["sources"], reads.PageQuery(
            sort="title", limit=1, cursor=old_style))
