"""Marks on gaps (the lead's decision on issue 16): a lawyer marks an element without
enough support as investigating, unobtainable or accepted, with a note. A ledger event,
the note sealed with the case, never counted as support, shown beside the gap in the gap
report, and never in a court bundle (investigative work product). Every name SYNTHETIC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from dadkhahi.access import passwords
from dadkhahi.access.policy import ForbiddenError, Principal
from dadkhahi.access.users import add_user
from dadkhahi.cases import service
from dadkhahi.cases.bundle import write_bundle
from dadkhahi.cases.bundle_verify import verify
from dadkhahi.cases.case import load_case
from dadkhahi.cases.gaps import mark_gap
from dadkhahi.cases.matrix import element_rows, gap_report
from dadkhahi.demo.case import build_demo_case
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.vocab import GapStatus, PlaceKind, Role
from dadkhahi.facts.entities import create_place
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from database_files import database_files

NOTE = "SYNTHETICGAPNOTEQZ: the second guard's statement cannot be had; he died in 1991"
LATER = "SYNTHETICGAPLATERQZ: a cousin may know where the roster went"
PASSWORD = "SYNTHETIC correct horse battery staple"


@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Users are added here; their passwords' strength is not under test."""
    monkeypatch.setattr(passwords, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _user(store: Store, name: str, role: Role) -> Principal:
    return Principal(user_id=add_user(store, name, role, PASSWORD, "tester"), username=name,
                     role=role)


def test_a_marked_gap_is_reported_sealed_never_support_and_stays_home(
    store: Store, tmp_path: Path,
) -> None:
    lawyer = _user(store, "lawyer_case", Role.LAWYER)
    viewer = _user(store, "viewer_case", Role.VIEWER)
    outsider = _user(store, "lawyer_other", Role.LAWYER)
    with store.transaction("tester") as tx:
        evin = create_place(tx, "Evin Prison", PlaceKind.PRISON)
    demo = build_demo_case(store, "analyst", evin, members=("lawyer_case", "viewer_case"))
    with store.reading() as conn:
        before = element_rows(store, conn, load_case(store, conn, demo.case_id))
    gaps = service.case_gaps(store, lawyer, demo.case_id)
    assert len(gaps) == 8 and all(g["mark"] is None for g in gaps)
    target = gaps[2]  # Murder — suspect A — element 2: one voice only
    assert (target["element_id"], target["independent_sources"]) == ("2", 1)

    done = service.mark(store, lawyer, demo.case_id, target["charge_id"], "2",
                        GapStatus.UNOBTAINABLE, NOTE)
    assert done["status"] == "unobtainable"
    # The event: in the ledger, its note (and what it marks) sealed.
    with store.reading() as conn:
        bodies = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.type == "case.gap_marked")).scalars().all()
        after = element_rows(store, conn, load_case(store, conn, demo.case_id))
    assert len(bodies) == 1
    data = json.loads(bodies[0])["data"]
    assert data["id"] == done["id"] and data["case_id"] == demo.case_id
    assert "sealed" in data and "SYNTHETICGAPNOTEQZ" not in bodies[0].decode()
    assert "unobtainable" not in bodies[0].decode()

    # The report: the mark beside its gap, the others unmarked; never support.
    shown = service.case_gaps(store, lawyer, demo.case_id)
    assert [g["line"] for g in shown] == [g["line"] for g in gaps]
    marked = [g for g in shown if g["mark"] is not None]
    assert len(marked) == 1 and marked[0]["element_id"] == "2"
    assert marked[0]["charge_id"] == target["charge_id"]
    assert (marked[0]["mark"]["status"], marked[0]["mark"]["note"]) == ("unobtainable", NOTE)
    assert marked[0]["mark"]["marked_by"] == "lawyer_case"
    assert [(r.independent, r.status(2)) for r in after] == [
        (r.independent, r.status(2)) for r in before]
    # The latest mark stands.
    service.mark(store, lawyer, demo.case_id, target["charge_id"], "2",
                 GapStatus.INVESTIGATING, LATER)
    latest = [g["mark"] for g in service.case_gaps(store, lawyer, demo.case_id) if g["mark"]]
    assert [(m["status"], m["note"]) for m in latest] == [("investigating", LATER)]

    # Refusals: off the team (404), a viewer (may not review), an element the crime does
    # not have, no note; nothing written.
    size = store.size()
    with pytest.raises(NotFoundError):
        service.mark(store, outsider, demo.case_id, target["charge_id"], "2",
                     GapStatus.ACCEPTED, "SYNTHETIC")
    with pytest.raises(NotFoundError):  # a viewer sees public data only, team or not
        service.mark(store, viewer, demo.case_id, target["charge_id"], "2",
                     GapStatus.ACCEPTED, "SYNTHETIC")
    with pytest.raises(UserError, match="no element '9'"):
        mark_gap(store, "lawyer_case", demo.case_id, target["charge_id"], "9",
                 GapStatus.ACCEPTED, "SYNTHETIC")
    with pytest.raises(UserError, match="note"):
        mark_gap(store, "lawyer_case", demo.case_id, target["charge_id"], "2",
                 GapStatus.ACCEPTED, "  ")
    assert store.size() == size

    # The court bundle: every gap as before, no mark, status or note.
    bundle = write_bundle(store, "lawyer", demo.case_id, tmp_path / "bundle",
                          recipient="SYNTHETIC Court of Demo")
    assert verify(bundle.path, store.verifier_key()) == []
    matrix = json.loads((bundle.path / "data/matrix.json").read_text("utf-8"))
    assert matrix["gaps"] == gap_report(after, 2)
    everything = b"".join(p.read_bytes() for p in bundle.path.rglob("*") if p.is_file())
    for secret in (b"SYNTHETICGAPNOTEQZ", b"SYNTHETICGAPLATERQZ", b"unobtainable",
                   b"investigating", b"gap_marked", done["id"].encode()):
        assert secret not in everything, secret
    # The grep attack on the database's own files: the notes are sealed there too.
    files = database_files(store)
    assert b"SYNTHETICGAPNOTEQZ" not in files and b"SYNTHETICGAPLATERQZ" not in files


def test_only_review_roles_mark_gaps(store: Store) -> None:
    researcher = _user(store, "researcher_case", Role.RESEARCHER)
    with store.transaction("tester") as tx:
        evin = create_place(tx, "Evin Prison", PlaceKind.PRISON)
    demo = build_demo_case(store, "analyst", evin, members=("researcher_case",))
    gap = service.case_gaps(store, researcher, demo.case_id)[0]
    with pytest.raises(ForbiddenError):
        service.mark(store, researcher, demo.case_id, gap["charge_id"], gap["element_id"],
                     GapStatus.INVESTIGATING, "SYNTHETIC")
