"""What linkage writes about protected records is sealed (issue 11), reproducing the attack.

The attacker holds a copy of the home (or only the ledger's events, never erased) and
greps it for what a protected list said. SYNTHETIC lists: one open, one protected whose
every value is a unique marker. After a run (the stand-in linker), a review decision with a note,
a run applying it and a new version of the protected list (which carries the decision
over), no marker may be found, in any case, in any table, any ledger event body, the
database files or anything else in the home; nor may a stratum of the capture
histories (which an estimate writes into its event) be named after one. The holder of
the keys still reads the note.
"""

from __future__ import annotations

import csv
from pathlib import Path

from fake_linker import fake_linker
from sqlalchemy import select, text

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.lists import import_list
from dadkhahi.linkage.service import apply_decisions, decide, run_linkage
from dadkhahi.linkage.store_io import load_records, open_decision
from dadkhahi.linkage.views import capture_histories, previous_decision
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

HEADER = ["ID", "Full name", "Father", "Date of execution", "Prison", "City"]
OPEN = [["O1", "Karimi, Ali", "Reza", "1367/05/12", "Evin", "Tehran"],
        ["O2", "Moradi, Zahra", "Hassan", "1367/06/01", "Evin", "Tehran"],
        ["O3", "Najafi, Javad", "Ahmad", "1367/06/02", "Gohardasht", "Rasht"]]


def _marker(n: int) -> str:
    return f"Qzvxmrk{'bcdfghjklmnp'[n]}"


# Protected rows: names, father's names, prisons, cities and ids are all markers.
SECRET = [["Qzvxidb1", f"Karimi, {_marker(0)}", _marker(1), "1367/05/12", _marker(2),
           _marker(3)],
          ["Qzvxidb2", f"{_marker(4)}, {_marker(5)}", _marker(6), "1367/06/01", _marker(7),
           _marker(8)],
          # Nobody else's: a person only this protected record knows.
          ["Qzvxidb4", "Rezaei, Hassan", "", "1367/06/03", _marker(10), _marker(11)]]
NOTE = f"SYNTHETIC: same as {_marker(9)}, his cousin says"
MARKERS = [_marker(n) for n in range(12)] + ["Qzvxidb"]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([HEADER, *rows])
    return path


def _haystack(store: Store) -> bytes:
    """Everything a copier of the home (or of the database) gets, lower-cased."""
    tables = [t for t in s.metadata.sorted_tables if t.name != "data_keys"]
    with store.reading() as conn:
        dump = "\n".join(repr(tuple(row)) for t in tables for row in conn.execute(select(t)))
        bodies = b"\n".join(r.body for r in conn.execute(select(s.ledger_events.c.body)))
    found = [dump.encode(), bodies]
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        store.engine.dispose()
    found += [p.read_bytes() for p in sorted(store.home.path.rglob("*")) if p.is_file()]
    return b"\n".join(found).lower()


def test_nothing_linkage_writes_holds_a_protected_value_in_clear(
    store: Store, tmp_path: Path
) -> None:
    import_list(store, _csv(tmp_path / "open.csv", OPEN), source="SYNTHETIC open",
                actor="tester", id_column="ID")
    secret = import_list(store, _csv(tmp_path / "secret.csv", SECRET),
                         source="SYNTHETIC witness list", actor="tester", id_column="ID",
                         sensitivity=Sensitivity.PROTECTED)
    recs = load_records(store)
    ids = dict(zip(recs["external_id"], recs["record_id"], strict=True))
    run_linkage(store, "tester", linker=fake_linker(
        store, lambda _r: [[ids["O1"], ids["Qzvxidb1"]]]))
    decision = decide(store, "reviewer", ids["O2"], ids["Qzvxidb2"], "same", note=NOTE)
    apply_decisions(store, "reviewer")
    # A new version of the protected list carries the decision over (sealed anew).
    version = [*SECRET, ["Qzvxidb3", "Ali Rezaei", "", "1988", "Evin", "Qom"]]
    import_list(store, _csv(tmp_path / "secret2.csv", version),
                actor="tester", id_column="ID", new_version_of=secret.list_id)
    strata = capture_histories(store, by="all")

    with store.reading() as conn:
        d = s.link_decisions.c
        rows = conn.execute(select(s.link_decisions).order_by(d.ledger_index)).mappings().all()
        opened = [open_decision(store, conn, r) for r in rows]
        shown = previous_decision(store, conn, decision)
        assert verify_ledger(conn, store.verifier_key()).ok
    assert [r["note"] for r in rows] == ["[protected]", "[protected]"]  # the copy too
    assert [o["note"] for o in opened] == [NOTE, NOTE] and rows[1]["carried_from"] == decision
    assert shown is not None and shown["note"] == NOTE
    labels = {str(v) for col in ("city", "prison", "province") for v in strata[col]}
    assert {"Tehran", "Evin"} <= labels and any(lab.startswith("[protected ") for lab in labels)
    assert [lab for lab in labels if "qzvx" in lab.lower()] == []

    haystack = _haystack(store)
    assert [m for m in MARKERS if m.lower().encode() in haystack] == []
