"""What ``verify_ledger`` reports, to the word: cases mutants of ``store/verify.py`` survived.

The tampering tests elsewhere check which kind of finding comes first; these pin every
finding (check, message, event) and the report's other fields, so a verifier that finds
the right problem but says the wrong thing, or stops too early, fails here. SQLite only:
the verifier's logic is the same on both backends and test_store_verify runs it on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, delete, insert, update
from test_store_verify import _populate  # events 0-20, persons per_000..per_019, checkpoints 1, 21

from dadkhahi.ledger import merkle
from dadkhahi.ledger.checkpoint import Checkpoint, NoteSigner
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store
from dadkhahi.store.verify import VerifyReport, verify_ledger

ORIGIN = "test.dadkhahi.local/ledger"
Change = Callable[[Connection], object]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    opened = Store.init(Home(tmp_path / "home"), ORIGIN, "tester")
    yield opened
    opened.engine.dispose()


def _verify_after(store: Store, *changes: Change) -> VerifyReport:
    with store.engine.begin() as conn:
        for change in changes:
            change(conn)
    with store.reading() as conn:
        return verify_ledger(conn, store.verifier_key())


def _findings(report: VerifyReport) -> list[tuple[str, str, int | None]]:
    return [(f.check, f.message, f.event) for f in report.findings]


def _person(**values: object) -> Change:
    row = {"label": "ghost", "sensitivity": "public", "synthetic": 0, **values}
    return lambda c: c.execute(insert(s.persons).values(**row))


def _resign(store: Store, stored_size: int, size: int, root_hash: bytes | None = None) -> Change:
    """Store at ``stored_size`` a checkpoint properly signed with the ledger's own key."""

    def change(conn: Connection) -> None:
        body = Checkpoint(ORIGIN, size, root_hash or ledger_log.root(conn, size)).body()
        c = s.ledger_checkpoints.c
        conn.execute(delete(s.ledger_checkpoints).where(c.size == stored_size))
        conn.execute(insert(s.ledger_checkpoints).values(
            size=stored_size, root_hash=b"\0" * 32, note=store.signer.sign(body),
            created_at="2026-01-01T00:00:00Z"))

    return change


TABLE_CASES: dict[str, tuple[Change, list[tuple[str, str, int | None]]]] = {
    "edited row": (
        lambda c: c.execute(update(s.persons).where(s.persons.c.id == "per_007")
                            .values(label="someone else", synthetic=0)),
        [("tables", "persons ('per_007',): label, synthetic differ from the ledger", 8)],
    ),
    "deleted row": (
        lambda c: c.execute(delete(s.persons).where(s.persons.c.id == "per_011")),
        [("tables", "persons ('per_011',): row missing (written by event 12)", 12)],
    ),
    "row inserted between two": (
        _person(id="per_000a", ledger_index=3),
        [("tables", "persons ('per_000a',): row not produced by any event", 3)],
    ),
    "row inserted after the last": (
        _person(id="per_999", ledger_index=4),
        [("tables", "persons ('per_999',): row not produced by any event", 4)],
    ),
}


@pytest.mark.parametrize("case", sorted(TABLE_CASES))
def test_table_findings_name_the_row_the_columns_and_the_event(store: Store, case: str) -> None:
    _populate(store)
    change, expected = TABLE_CASES[case]
    report = _verify_after(store, change)
    assert _findings(report) == expected


def test_a_broken_tree_does_not_hide_an_edited_row(store: Store) -> None:
    _populate(store)
    n = s.ledger_nodes.c
    report = _verify_after(
        store,
        lambda c: c.execute(update(s.ledger_nodes).where((n.level == 2) & (n.idx == 1))
                            .values(hash=b"\0" * 32)),
        TABLE_CASES["edited row"][0],
    )
    assert [(f.check, f.event) for f in report.findings] == [("tree", 4), ("tables", 8)]
    assert report.findings[0].message == "stored tree node (2, 1) is wrong or missing"


def test_extra_nodes_are_reported_at_the_lowest_level_only(store: Store) -> None:
    _populate(store)
    report = _verify_after(store, lambda c: c.execute(insert(s.ledger_nodes).values([
        {"level": 1, "idx": 10, "hash": b"\1" * 32},
        {"level": 2, "idx": 5, "hash": b"\1" * 32},
    ])))
    assert _findings(report) == [("tree", "level 1 holds 1 nodes too many", None)]


def test_checkpoints_by_another_key_are_each_reported_without_an_event(store: Store) -> None:
    _populate(store)
    intruder = NoteSigner.generate(ORIGIN)
    label = f"{ORIGIN}+{store.signer.key_id.hex()}"

    def forge(conn: Connection) -> None:
        for size in (1, 21):
            body = Checkpoint(ORIGIN, size, ledger_log.root(conn, size)).body()
            conn.execute(update(s.ledger_checkpoints)
                         .where(s.ledger_checkpoints.c.size == size)
                         .values(note=intruder.sign(body)))

    report = _verify_after(store, forge)
    assert _findings(report) == [
        ("checkpoint", f"checkpoint {size}: note has no signature by key {label}", None)
        for size in (1, 21)
    ]
    assert report.checkpoints == 2
    assert report.first_bad_event() is None


def test_a_checkpoint_that_disagrees_points_at_the_end_of_its_range(store: Store) -> None:
    _populate(store)
    report = _verify_after(store, _resign(store, 21, 21, b"\7" * 32))
    assert _findings(report) == [
        ("checkpoint", "signed checkpoint at size 21 disagrees with the stored events", 20)
    ]
    assert report.first_bad_event() == 20


def test_a_disagreeing_checkpoint_of_the_empty_log_names_no_event(store: Store) -> None:
    _populate(store)
    report = _verify_after(store, _resign(store, 0, 0, b"\7" * 32))
    assert _findings(report) == [
        ("checkpoint", "signed checkpoint at size 0 disagrees with the stored events", None)
    ]
    assert report.checkpoints == 3


def test_report_carries_size_root_and_counts(store: Store) -> None:
    _populate(store)
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
        expected_root = merkle.compute_root(e.leaf_hash for e in ledger_log.iter_events(conn))
    assert report.ok and report.findings == []
    assert (report.size, report.root_hash) == expected_root
    assert report.root_hash != merkle.EMPTY_ROOT
    assert (report.checkpoints, report.rows_compared) == (2, 20)
    assert report.first_bad_event() is None


def test_an_edited_event_body_fails_its_leaf_and_its_replay(store: Store) -> None:
    _populate(store)
    report = _verify_after(store, lambda c: c.execute(
        update(s.ledger_events).where(s.ledger_events.c.idx == 5)
        .values(body=b'{"forged":true}')))
    assert _findings(report) == [
        ("events", "event 5: body does not match its leaf hash", 5),
        ("replay", "event 5: KeyError('type')", 5),
        ("tree", "stored tree node (0, 5) is wrong or missing", 5),
        ("checkpoint", "signed checkpoint at size 21 disagrees with the stored events", 20),
    ]
    assert report.rows_compared == 0  # a replay that failed is not compared row by row


@pytest.mark.parametrize(("head", "stored"), [(15, 21), (25, 21)])
def test_a_head_that_disagrees_with_the_stored_events(store: Store, head: int,
                                                      stored: int) -> None:
    _populate(store)
    report = _verify_after(store, lambda c: c.execute(update(s.ledger_head).values(size=head)))
    assert _findings(report) == [
        ("events", f"the head says {head} events but {stored} are stored", min(head, stored))
    ]


@pytest.mark.parametrize(("origin", "size"), [("another.example/log", 21), (ORIGIN, 20)])
def test_a_checkpoint_naming_another_origin_or_size(store: Store, origin: str, size: int) -> None:
    _populate(store)

    def change(conn: Connection) -> None:
        body = Checkpoint(origin, size, ledger_log.root(conn, size)).body()
        conn.execute(update(s.ledger_checkpoints).where(s.ledger_checkpoints.c.size == 21)
                     .values(note=store.signer.sign(body)))

    report = _verify_after(store, change)
    assert _findings(report) == [("checkpoint", f"checkpoint 21 names {origin} size {size}", None)]
