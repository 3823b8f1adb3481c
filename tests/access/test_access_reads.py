"""Reads of pages and single objects: what they return, and what they cost PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event

from dadkhahi.access import grants, passwords, reads, users
from dadkhahi.access.policy import Principal, Role
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.sources import register_source
from dadkhahi.store.store import Store


def _records(store: Store, level: Sensitivity, n: int) -> tuple[str, list[str]]:
    with store.transaction("setup") as tx:
        source = register_source(store, tx, SourceSpec(
            title=f"SYNTHETIC {level} list", kind=SourceKind.LIST, sensitivity=level))
        ids = []
        for i in range(n):
            ids.append(new_id("record"))
            tx.emit("record.added", {
                "id": ids[-1], "source_id": source, "item_id": None, "import_id": None,
                "row_number": i, "external_id": f"R{i}",
                "verbatim": {"name": f"SYNTHETIC witness {i}"},
                "normalized": {"name": f"synthetic witness {i}"}, "sensitivity": str(level),
            })
    return source, sorted(ids)


def test_a_page_or_one_object_is_one_statement_without_a_transaction_on_postgresql(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: BEGIN and COMMIT were two of a page read's four round trips. A page (or
    one object) is read by one statement outside a transaction, sealed rows opened after
    it; a count with its page still shares their transaction."""
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                             parallelism=1))
    user_id = users.add_user(store, "leila", Role.INVESTIGATOR, "SYNTHETIC passphrase 1",
                             "setup")
    leila = Principal(user_id=user_id, username="leila", role=Role.INVESTIGATOR)
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
