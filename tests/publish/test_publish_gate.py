"""The editorial gate: approval, pending review, victims only, withdrawal as a tombstone."""

from __future__ import annotations

from pathlib import Path

import pytest
from world import build_world

from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.vocab import EntityKind, ListKind, Sensitivity
from dadkhahi.facts.entities import Support, add_claim
from dadkhahi.intake.list_description import DescriptionChange, describe_list
from dadkhahi.publish import gate
from dadkhahi.publish.build import build
from dadkhahi.publish.collect import named_persons
from dadkhahi.store import schema as s
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


def _store(tmp_path: Path) -> Store:
    return Store.init(Home(tmp_path / "home"), "test.dadkhahi.local/ledger", "tester")


def _evaluate(store: Store) -> gate.GateResult:
    with store.reading() as conn:
        return gate.evaluate(store, conn, named_persons(conn))


def test_unapproved_source_holds_its_persons_back(tmp_path: Path) -> None:
    store = _store(tmp_path)
    world = build_world(store, tmp_path, approve=False)
    result = _evaluate(store)
    assert result.published == []
    assert gate.NOT_APPROVED in result.held[world.persons["A-1"]]
    gate.approve(store, "tester", [world.sources["A"], world.sources["T"]])
    # List B is not approved yet: every person it names is still held back.
    assert _evaluate(store).published == []
    gate.approve(store, "tester", [world.sources["B"]])
    assert sorted(_evaluate(store).published) == sorted(
        {world.persons[k] for k in ("A-1", "A-2", "A-3")})
    report = build(store, "tester", tmp_path / "site")
    assert report.published == 3 and report.held == {}
    with pytest.raises(NotFoundError):
        gate.approve(store, "tester", ["src_nosuchsource"])
    with pytest.raises(UserError):
        gate.approve(store, "tester", [])


def test_pending_review_pair_holds_both_persons_back(tmp_path: Path) -> None:
    store = _store(tmp_path)
    world = build_world(store, tmp_path, review_pair=("A-2", "B-3"))
    result = _evaluate(store)
    assert gate.PENDING in result.held[world.persons["A-2"]]
    assert gate.PENDING in result.held[world.persons["B-3"]]
    assert result.published == [world.persons["A-1"]]
    report = build(store, "tester", tmp_path / "site")
    assert report.published == 1
    assert not (tmp_path / "site" / "en" / "victims" / f"{world.persons['A-2']}.html").exists()


def test_records_changed_after_approval_go_back_to_review(tmp_path: Path) -> None:
    store = _store(tmp_path)
    world = build_world(store, tmp_path)
    pid = world.persons["A-1"]
    with store.transaction("tester") as tx:
        # A later run moves a record to the person: its cluster changed since approval.
        record = tx.conn.execute(s.person_records.select().where(
            s.person_records.c.person_id == world.persons["A-2"])).mappings().first()
        assert record is not None
        tx.emit("link.run", _move_run(record["record_id"], pid))
    assert gate.CHANGED in _evaluate(store).held[pid]
    gate.approve(store, "tester", all_sources=True)
    assert pid in _evaluate(store).published


def _move_run(record_id: str, person_id: str) -> dict[str, object]:
    return {"id": "run_moved0000000000000", "kind": "decisions", "backend": None,
            "threshold_ppm": 900000, "started_at": "2026-01-01T00:00:00Z",
            "finished_at": "2026-01-01T00:00:01Z", "records": 1, "persons": 1, "pairs": 0,
            "decisions": 0, "stats_json": "{}", "model_json": None, "new_persons": [],
            "assign": [], "move": [[record_id, person_id]], "retire": [], "supports": {},
            "claims": [], "review": []}


def test_withdrawal_leaves_a_nameless_tombstone(tmp_path: Path) -> None:
    store = _store(tmp_path)
    world = build_world(store, tmp_path)
    pid = world.persons["A-1"]
    reason = "SealedReasonqz the family asked"
    gate.withdraw(store, "tester", pid, reason)
    out = tmp_path / "site"
    report = build(store, "tester", out)
    assert report.published == 2 and report.withdrawn == 1
    for code in ("fa", "en"):
        page = (out / code / "victims" / f"{pid}.html").read_text("utf-8")
        assert "Bahram" not in page and "بهرام" not in page
    # Nowhere else either: not in the lists, nor in the search index (whose name table
    # knows the given name "Bahram", so the family name is what is looked for).
    every = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert b"Nemouneh" not in every and "نمونه".encode() not in every
    assert b"SealedReasonqz" not in every
    with store.reading() as conn:
        events = b"".join(r[0] for r in conn.execute(s.ledger_events.select()
                                                     .with_only_columns(s.ledger_events.c.body)))
    assert b"SealedReasonqz" not in events  # the reason is sealed in the ledger too
    with pytest.raises(UserError):
        gate.withdraw(store, "tester", pid, "  ")


def test_only_victims_are_published(tmp_path: Path) -> None:
    store = _store(tmp_path)
    world = build_world(store, tmp_path)
    for name in ("A", "B"):
        describe_list(store, _list_of(store, world.sources[name]),
                      DescriptionChange(kind=ListKind.DETAINEES), "tester")
    gate.approve(store, "tester", all_sources=True)
    result = _evaluate(store)
    assert result.published == []
    assert result.held[world.persons["A-1"]] == [gate.NOT_VICTIM]
    # A public claim that they were executed makes a person a victim again.
    with store.transaction("tester") as tx:
        add_claim(tx, EntityKind.PERSON, world.persons["A-1"], gate.FATE, "executed",
                  [Support(world.sources["A"])], sensitivity=Sensitivity.PUBLIC)
    assert _evaluate(store).published == [world.persons["A-1"]]


def _list_of(store: Store, source_id: str) -> str:
    with store.reading() as conn:
        return str(conn.execute(s.lists.select().with_only_columns(s.lists.c.id)
                                .where(s.lists.c.source_id == source_id)).scalar_one())
