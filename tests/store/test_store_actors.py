"""Team members are not named to the world (issue 11 item 6), reproducing the attack.

Anyone who reads public events (or a copy of the ledger) learned each actor's username
from the events' ``actor`` and from custody, and every reader's username and address
from ``audit.read`` events kept for ever. New events carry a stable pseudonym; the name
behind it is sealed outside the ledger and can be forgotten.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dadkhahi.access.audit import query_audit, record_reads
from dadkhahi.access.policy import Principal
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.store import actors
from dadkhahi.store import schema as s
from dadkhahi.store.erase import erase_payload
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

NAMES = ["MRKFOUNDERQ", "MRKCLERKQ", "MRKREADERQ", "203.0.113.77"]


def test_events_custody_and_audit_name_no_one(tmp_path: Path) -> None:
    store = Store.init(Home(tmp_path / "home"), "actors.test/ledger", "MRKFOUNDERQ")
    doc = tmp_path / "public.txt"
    doc.write_text("SYNTHETIC public notice\n")
    public = SourceSpec(title="SYNTHETIC notice", sensitivity=Sensitivity.PUBLIC)
    item = add_evidence(store, [doc], Receipt(actor="MRKCLERKQ"), new_source=public).added[0][1]
    reader = Principal(user_id="user_r", username="MRKREADERQ", ip="203.0.113.77")
    record_reads(store, reader, "read item", [("item", item)])
    record_reads(store, reader, "read item", [("item", item)])
    with store.reading() as conn:
        bodies = b"\n".join(r.body for r in conn.execute(select(s.ledger_events.c.body)))
        custody = conn.execute(select(s.custody)).mappings().one()
        audit = query_audit(conn, user="user_r")
        by_pseudonym = query_audit(conn, user=audit[0]["actor"])
    assert [n for n in NAMES if n.encode() in bodies] == []
    clerk = actors.pseudonym(store.keys, "MRKCLERKQ")
    assert custody["actor"] == clerk and clerk.startswith("actor_")
    assert b'"actor":"' + clerk.encode() + b'"' in bodies  # the event's actor too
    assert len(audit) == 2 and audit == by_pseudonym
    assert {a["actor"] for a in audit} == {actors.pseudonym(store.keys, "MRKREADERQ")}
    assert all(a["username"] is None and a["ip"] is None and a["ip_hash"] for a in audit)
    assert audit[0]["ip_hash"] == audit[1]["ip_hash"]  # the same address, comparable
    store.engine.dispose()
    raw = b"".join(p.read_bytes() for p in store.home.path.glob("dadkhahi.sqlite*"))
    assert [n for n in NAMES if n.encode() in raw] == []

    # The name is disclosed only on purpose, and can be forgotten.
    with store.reading() as conn:
        assert actors.name_of(conn, store.keys, clerk) == "MRKCLERKQ"
        key_id = actors.forget(conn, clerk)
    assert key_id is not None
    erase_payload(store, key_id, "SYNTHETIC clerk left the team", "MRKFOUNDERQ")
    with store.reading() as conn:
        assert actors.name_of(conn, store.keys, clerk) is None
        assert actors.name_of(conn, store.keys, "someone before pseudonyms") == (
            "someone before pseudonyms")
    store.engine.dispose()
