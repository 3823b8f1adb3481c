"""Team members are not named to the world (issue 11 item 6), reproducing the attack.

Anyone who reads public events (or a copy of the ledger) learned each actor's username
from the events' ``actor`` and from custody, and every reader's username and address
from ``audit.read`` events kept for ever. New events carry a stable pseudonym; the name
behind it is sealed outside the ledger and can be forgotten.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from dadkhahi.access.audit import query_audit, record_reads
from dadkhahi.access.policy import Principal, Role
from dadkhahi.access.users import add_user
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.intake.lists import import_list
from dadkhahi.linkage.service import decide
from dadkhahi.linkage.store_io import load_records, open_decision
from dadkhahi.store import actors
from dadkhahi.store import schema as s
from dadkhahi.store.erase import erase_payload
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

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


def test_a_reviewer_is_a_pseudonym_keyed_on_the_account_not_the_name(
    tmp_path: Path,
) -> None:
    """A review decision's own ``actor`` named the reviewer in clear; a pseudonym keyed on
    the name followed the name, not the person. Now: the account's ID decides."""
    store = Store.init(Home(tmp_path / "home"), "actors.test/ledger", "founder")
    rows = "ID,Full name,City\nA1,SYNTHETIC Ali Karimi,Tehran\nA2,SYNTHETIC Ali Karimi,Qom\n"
    (tmp_path / "a.csv").write_text(rows, "utf-8")
    import_list(store, tmp_path / "a.csv", source="SYNTHETIC list", actor="founder",
                id_column="ID")
    a, b = sorted(load_records(store)["record_id"])
    alice = add_user(store, "mrkaliceq", Role.ANALYST, "SYNTHETIC correct horse battery",
                     "founder")
    decision = decide(store, "mrkaliceq", a, b, "same")
    with store.reading() as conn:
        row = conn.execute(select(s.link_decisions)).mappings().one()
        body = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.idx == row["ledger_index"])).scalar_one()
        shown = open_decision(store, conn, row)
        assert verify_ledger(conn, store.verifier_key()).ok
    alias = actors.user_pseudonym(store.keys, alice)
    assert b"mrkaliceq" not in body  # (the account's own user.added event names it)
    assert row["actor"] == alias != actors.pseudonym(store.keys, "mrkaliceq")
    assert shown["id"] == decision and shown["actor"] == "mrkaliceq"  # for the keys' holder

    # SYNTHETIC rename (no rename command yet, so a direct write a replay would not
    # reproduce: the ledger was verified above): the account keeps its pseudonym.
    with store.transaction("founder") as tx:
        tx.conn.execute(update(s.users).where(s.users.c.id == alice)
                        .values(username="mrkalice2q"))
    with store.transaction("mrkalice2q") as tx:
        assert tx.actor == alias
    # Another account later given the first name is someone else.
    other = add_user(store, "mrkaliceq", Role.ANALYST, "SYNTHETIC correct horse battery",
                     "founder")
    with store.transaction("mrkaliceq") as tx:
        assert tx.actor == actors.user_pseudonym(store.keys, other) != alias
    with store.reading() as conn:
        assert actors.name_of(conn, store.keys, alias) == "mrkalice2q"
    store.engine.dispose()
