"""`verify_ledger` catches every change made behind the ledger's back and names the event."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, delete, insert, select, update

from dadkhahi.ledger.checkpoint import NoteSigner
from dadkhahi.ledger.errors import VerificationError
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger


def _populate(store: Store) -> None:
    with store.transaction("tester") as tx:
        for i in range(20):
            tx.emit("person.created", {"id": f"per_{i:03d}", "label": f"SYNTHETIC {i}",
                                       "sensitivity": "restricted", "synthetic": 1})
    store.checkpoint()


def _tamper(store: Store, change: Callable[[Connection], object]) -> None:
    with store.engine.begin() as conn:
        change(conn)


def test_untouched_ledger_verifies(store: Store) -> None:
    _populate(store)
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
    assert report.ok, report.findings
    assert report.size == 21
    assert report.rows_compared == 20
    assert report.checkpoints == 2


CASES: dict[str, tuple[Callable[[Connection], object], int | None, str]] = {
    "edited row": (
        lambda c: c.execute(update(s.persons).where(s.persons.c.id == "per_007")
                            .values(label="someone else")),
        8, "tables",
    ),
    "deleted row": (
        lambda c: c.execute(delete(s.persons).where(s.persons.c.id == "per_011")), 12, "tables",
    ),
    "inserted row": (
        lambda c: c.execute(insert(s.persons).values(id="per_999", label="ghost",
                                                     sensitivity="public", synthetic=0,
                                                     ledger_index=3)),
        3, "tables",
    ),
    "edited event body": (
        lambda c: c.execute(update(s.ledger_events).where(s.ledger_events.c.idx == 5)
                            .values(body=b'{"forged":true}')),
        5, "events",
    ),
    "deleted event": (
        lambda c: c.execute(delete(s.ledger_events).where(s.ledger_events.c.idx == 9)), 9,
        "events",
    ),
    "edited tree node": (
        lambda c: c.execute(update(s.ledger_nodes).where(
            (s.ledger_nodes.c.level == 2) & (s.ledger_nodes.c.idx == 1)).values(hash=b"\0" * 32)),
        4, "tree",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tampering_is_found_and_named(store: Store, case: str) -> None:
    _populate(store)
    change, first_bad, check = CASES[case]
    _tamper(store, change)
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
    assert not report.ok
    assert report.first_bad_event() == first_bad
    assert check in {f.check for f in report.findings}


def test_rewritten_history_breaks_the_signed_checkpoint(store: Store) -> None:
    """Rewriting an event *and* recomputing all hashes still fails: checkpoints are signed."""
    from dadkhahi.ledger import merkle
    from dadkhahi.ledger.events import Event
    from dadkhahi.store import ledger_log

    _populate(store)
    with store.engine.begin() as conn:
        body = ledger_log.get_event(conn, 4).body
        ev = Event.from_bytes(body)
        forged = Event(type=ev.type, data={**ev.data, "label": "rewritten"}, actor=ev.actor,
                       time=ev.time).to_bytes()
        bodies = [e.body for e in ledger_log.iter_events(conn)]
        bodies[4] = forged
        conn.execute(delete(s.ledger_nodes))
        conn.execute(delete(s.ledger_events))
        conn.execute(update(s.ledger_head).values(size=0))
        ledger_log.append(conn, 0, bodies, [Event.from_bytes(b).type for b in bodies])
        conn.execute(update(s.persons).where(s.persons.c.id == "per_003")
                     .values(label="rewritten"))
        assert merkle.leaf_hash(forged) == ledger_log.get_event(conn, 4).leaf_hash
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
    assert not report.ok
    assert {f.check for f in report.findings} == {"checkpoint"}


def test_checkpoint_signed_by_another_key_is_rejected(store: Store) -> None:
    _populate(store)
    intruder = NoteSigner.generate("test.dadkhahi.local/ledger")
    with store.engine.begin() as conn:
        size, root_hash = conn.execute(
            select(s.ledger_checkpoints.c.size, s.ledger_checkpoints.c.root_hash)
            .order_by(s.ledger_checkpoints.c.size.desc())).first()  # type: ignore[misc]
        from dadkhahi.ledger.checkpoint import Checkpoint

        note = intruder.sign(Checkpoint("test.dadkhahi.local/ledger", size, root_hash).body())
        conn.execute(update(s.ledger_checkpoints).where(s.ledger_checkpoints.c.size == size)
                     .values(note=note))
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
    assert [f.check for f in report.findings] == ["checkpoint"]


def _cut_back(size: int) -> Callable[[Connection], object]:
    """Cut the log back to its first ``size`` events as a whole: the events, the tree
    nodes over the rest, the rows those events wrote and the head, all consistent."""

    def change(conn: Connection) -> None:
        conn.execute(delete(s.ledger_events).where(s.ledger_events.c.idx >= size))
        n = s.ledger_nodes.c
        for level, idx in conn.execute(select(n.level, n.idx)).all():
            if (idx + 1) << level > size:  # the node covers an event past the cut
                conn.execute(delete(s.ledger_nodes).where((n.level == level) & (n.idx == idx)))
        for table in reversed(s.PROJECTED):
            conn.execute(delete(table).where(table.c.ledger_index >= size))
        conn.execute(update(s.ledger_head).values(size=size))

    return change


def test_a_log_cut_back_whole_is_caught_by_its_signed_checkpoint(store: Store) -> None:
    """Truncation: every table agrees with the shorter log, so only the checkpoint signed
    at 21 events can tell, and the report names the first event that is gone."""
    _populate(store)  # events 0-20; checkpoints at 1 and 21
    _tamper(store, _cut_back(15))
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
    assert [(f.check, f.message, f.event) for f in report.findings] == [
        ("checkpoint", "checkpoint 21 is beyond the log's end", 15)]
    assert (report.size, report.rows_compared, report.checkpoints) == (15, 14, 2)
    assert report.first_bad_event() == 15



def test_no_checkpoint_is_signed_over_a_log_cut_back_behind_a_signed_one(store: Store) -> None:
    """Written on after the cut, the store signed checkpoints at 16, 17, ... of a history
    that its own checkpoint at 21 contradicts (event 15 is another event), and at 21 handed
    the old note out again: two histories under one key. Now every write and every
    checkpoint refuses, and nothing is written."""
    _populate(store)
    _tamper(store, _cut_back(15))

    def refusal(size: int) -> str:
        return re.escape(
            f"the log holds {size} events but its checkpoint at 21 events is signed: it was "
            "cut back; no checkpoint is signed over it (see `dadkhahi ledger verify`)")

    with pytest.raises(VerificationError, match=refusal(16)), \
            store.transaction("tester") as tx:  # refused as it signs, with its event in
        tx.emit("person.created", {"id": "per_100", "label": "SYNTHETIC after the cut",
                                   "sensitivity": "restricted", "synthetic": 1})
    with pytest.raises(VerificationError, match=refusal(15)):
        store.checkpoint()
    assert store.size() == 15
    with store.reading() as conn:
        signed = conn.execute(select(s.ledger_checkpoints.c.size)
                              .order_by(s.ledger_checkpoints.c.size)).scalars().all()
    assert signed == [1, 21]
