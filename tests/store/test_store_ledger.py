"""The SQL-backed log: appends, roots, proofs, checkpoints, all-or-nothing writes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dadkhahi.ledger import merkle
from dadkhahi.ledger.checkpoint import Checkpoint, NoteVerifier, open_note
from dadkhahi.ledger.events import Event
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store


def _emit_people(store: Store, n: int, batch: int) -> None:
    for start in range(0, n, batch):
        with store.transaction("tester") as tx:
            for i in range(start, min(n, start + batch)):
                tx.emit("person.created", {"id": f"per_{i:06d}", "label": f"SYNTHETIC {i}",
                                           "sensitivity": "restricted", "synthetic": 1})


def test_root_matches_in_memory_tree(store: Store) -> None:
    _emit_people(store, 137, batch=10)
    with store.reading() as conn:
        size, _ = ledger_log.head(conn)
        bodies = [e.body for e in ledger_log.iter_events(conn)]
        stored_root = ledger_log.root(conn, size)
    assert size == 138  # the init event plus 137
    n, expected = merkle.compute_root(merkle.leaf_hash(b) for b in bodies)
    assert n == size
    assert stored_root == expected


def test_every_stored_event_is_canonical_and_projected(store: Store) -> None:
    _emit_people(store, 5, batch=5)
    with store.reading() as conn:
        for ev in ledger_log.iter_events(conn):
            assert Event.from_bytes(ev.body).to_bytes() == ev.body
        rows = conn.execute(select(s.persons.c.id, s.persons.c.ledger_index)).all()
    assert sorted(idx for _, idx in rows) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("index", [0, 1, 17, 40, 63])
def test_sql_inclusion_and_consistency_proofs_verify(store: Store, index: int) -> None:
    _emit_people(store, 63, batch=7)
    note = store.checkpoint()
    with store.reading() as conn:
        size, _ = ledger_log.head(conn)
        leaf = ledger_log.get_event(conn, index).leaf_hash
        proof = ledger_log.inclusion_proof(conn, index, size)
        root = ledger_log.root(conn, size)
        old_root = ledger_log.root(conn, index + 1)
        cons = ledger_log.consistency_proof(conn, index + 1, size)
    cp = Checkpoint.parse(open_note(note, NoteVerifier.from_key(store.verifier_key())))
    assert cp.root_hash == root and cp.size == size
    assert merkle.verify_inclusion(leaf, index, size, proof, root)
    assert not merkle.verify_inclusion(leaf, index, size, proof, old_root) or index + 1 == size
    assert merkle.verify_consistency(index + 1, size, old_root, root, cons)


def test_failed_transaction_leaves_no_trace(store: Store) -> None:
    before = store.size()
    with pytest.raises(RuntimeError), store.transaction("tester") as tx:
        tx.emit("person.created", {"id": "per_x", "label": "SYNTHETIC", "sensitivity": "public",
                                   "synthetic": 1})
        raise RuntimeError("crash in the middle of a write")
    assert store.size() == before
    with store.reading() as conn:
        assert conn.execute(select(func.count()).select_from(s.persons)).scalar_one() == 0
        assert ledger_log.count_events(conn) == before


def test_bad_event_is_refused_before_anything_is_written(store: Store) -> None:
    before = store.size()
    from dadkhahi.domain.errors import IntegrityError

    with pytest.raises(IntegrityError, match="label"), store.transaction("tester") as tx:
        tx.emit("person.created", {"id": "per_y", "sensitivity": "public"})
    with pytest.raises(IntegrityError, match="no projection"), store.transaction("t") as tx:
        tx.emit("no.such.event", {})
    assert store.size() == before


def test_large_batch_spans_several_flushes(store: Store) -> None:
    _emit_people(store, 12_001, batch=12_001)
    with store.reading() as conn:
        assert ledger_log.head(conn)[0] == 12_002
        assert conn.execute(select(func.count()).select_from(s.persons)).scalar_one() == 12_001
        assert ledger_log.count_events(conn) == 12_002


def test_checkpoint_is_reused_until_the_log_grows(store: Store) -> None:
    first = store.checkpoint()
    assert store.checkpoint() == first
    _emit_people(store, 1, batch=1)
    second = store.checkpoint()
    assert second != first
    with store.reading() as conn:
        assert ledger_log.checkpoint_at(conn, 2) == second
