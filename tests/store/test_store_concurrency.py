"""Writers racing on one ledger never interleave or lose an event."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

WRITERS = 4
TRANSACTIONS = 15


def test_parallel_writers(store: Store) -> None:
    errors: list[BaseException] = []

    def write(w: int) -> None:
        try:
            for t in range(TRANSACTIONS):
                with store.transaction(f"writer-{w}") as tx:
                    for k in range(3):
                        tx.emit("person.created", {"id": f"per_{w}_{t}_{k}",
                                                   "label": "SYNTHETIC", "sensitivity": "public",
                                                   "synthetic": 1})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    store.checkpoint()
    with store.reading() as conn:
        persons = conn.execute(select(func.count()).select_from(s.persons)).scalar_one()
        report = verify_ledger(conn, store.verifier_key())
        # Each transaction's three events are contiguous in the log.
        idx = dict(conn.execute(select(s.persons.c.id, s.persons.c.ledger_index)).all())
    assert persons == WRITERS * TRANSACTIONS * 3
    assert report.ok, report.findings
    assert report.size == 1 + WRITERS * TRANSACTIONS * 3
    for w in range(WRITERS):
        for t in range(TRANSACTIONS):
            first = idx[f"per_{w}_{t}_0"]
            assert [idx[f"per_{w}_{t}_{k}"] for k in range(3)] == [first, first + 1, first + 2]
