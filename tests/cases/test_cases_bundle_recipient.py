"""Who receives a court bundle is the case team's business (issue 16: a leaked case can warn
a suspect; issue 11: no identifying value in an unsealed column).

The attack: export a bundle of a *public* exhibit, then look for the recipient as an
anonymous reader (the item's custody, the ledger's events, the ledger export) and in the
database's own files. The recipient is sealed in the transfer's custody row and event; the
case's team still reads it, the bundle discloses it to the court with a field proof, and
both verifiers check it. Every name is SYNTHETIC."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from dadkhahi.access import passwords, reads
from dadkhahi.access.policy import Principal
from dadkhahi.access.users import add_user
from dadkhahi.api import create_app
from dadkhahi.api.settings import ApiSettings
from dadkhahi.cases.bundle import BundleResult, write_bundle
from dadkhahi.cases.bundle_verify import verify
from dadkhahi.cases.case import Scope, add_charge, create_case, link_fact
from dadkhahi.domain.errors import NotFoundError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import (
    ActType,
    Credibility,
    Direction,
    InvolvementRole,
    Reliability,
    Role,
    Sensitivity,
)
from dadkhahi.facts.entities import Support, add_involvement, create_act, create_person
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.ledger.merkle import compute_root
from dadkhahi.offline import kit
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger
from database_files import database_files

RECIPIENT = "SYNTHETICRECIPIENTQZ Court of Testing"
MARKER = b"SYNTHETICRECIPIENTQZ"
PASSWORD = "SYNTHETIC correct horse battery staple"


@dataclass(frozen=True)
class Exported:
    item_id: str
    bundle: BundleResult
    lawyer: Principal
    outsider: Principal


def _export(store: Store, tmp_path: Path) -> Exported:
    report = tmp_path / "public-report.txt"
    report.write_text("SYNTHETIC public report naming an invented official.\n")
    added = add_evidence(store, [report], Receipt(actor="tester", how="SYNTHETIC download"),
                         new_source=SourceSpec(title="SYNTHETIC public report",
                                               sensitivity=Sensitivity.PUBLIC))
    item_id = added.added[0][1]
    assert added.source_id is not None
    with store.transaction("analyst") as tx:
        suspect = create_person(tx, "SYNTHETIC Official Qaf", synthetic=True)
        act = create_act(tx, ActType.EXECUTION, description="SYNTHETIC act")
        named = add_involvement(tx, act, InvolvementRole.SIGNED, person_id=suspect,
                                support=[Support(added.source_id, item_id=item_id)],
                                sensitivity=Sensitivity.PUBLIC)
    lawyer = add_user(store, "lawyer_case", Role.LAWYER, PASSWORD, "tester")
    outsider = add_user(store, "lawyer_other", Role.LAWYER, PASSWORD, "tester")
    case_id = _case(store, "SYNTHETIC case of a public exhibit", (suspect, act, named), lawyer)
    bundle = write_bundle(store, "lawyer", case_id, tmp_path / "bundle", recipient=RECIPIENT)
    assert bundle.exhibits == 1 and bundle.withheld == 0
    return Exported(item_id, bundle,
                    Principal(user_id=lawyer, username="lawyer_case", role=Role.LAWYER),
                    Principal(user_id=outsider, username="lawyer_other", role=Role.LAWYER))


def _case(store: Store, title: str, facts: tuple[str, str, str], member: str) -> str:
    """A case on (suspect, act, involvement naming him), the involvement linked to a charge."""
    suspect, act, named = facts
    case_id = create_case(store, "analyst", title, Scope((suspect,), (act,)), members=[member])
    charge = add_charge(store, "analyst", case_id, suspect, "national-murder", "murder",
                        "instigator")
    link_fact(store, "analyst", case_id, charge, "1", "involvement", named,
              reliability=Reliability.B, credibility=Credibility.PROBABLY_TRUE,
              how="SYNTHETIC: the report names him as signing",
              direction=Direction.INCRIMINATING)
    return case_id


def _script(folder: Path, key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-I", str(folder / "verify_bundle.py"), str(folder),
                           "--key", key], capture_output=True, text=True, env={}, check=False,
                          timeout=120)


def test_the_recipient_is_sealed_for_everyone_but_the_case_team(store: Store,
                                                                 tmp_path: Path) -> None:
    done = _export(store, tmp_path)
    client = TestClient(create_app(store.home, ApiSettings(), store=store),
                        raise_server_exceptions=False)
    custody = client.get(f"/api/items/{done.item_id}/custody")
    assert custody.status_code == 200, custody.text
    transfers = [c for c in custody.json() if c["action"] == "transferred"]
    assert len(transfers) == 1
    # The public still learns the exhibit went into a court bundle (the location), not to whom.
    assert transfers[0]["location"].startswith("bundle:")
    assert MARKER.decode() not in custody.text
    with store.reading() as conn:
        indices = conn.execute(select(s.custody.c.ledger_index).where(
            s.custody.c.item_id == done.item_id)).scalars().all()
    for index in indices:
        event = client.get(f"/api/ledger/events/{index}")
        assert event.status_code == 200, event.text
        assert MARKER.decode() not in event.text
    exported = client.get("/api/ledger/export")
    assert exported.status_code == 200 and MARKER.decode() not in exported.text
    # A team member off the case's team sees the sealed placeholder; the case's team the name.
    seen = {who.username: [c["how"] for c in reads.custody_of(store, who, done.item_id)
                           if c["action"] == "transferred"]
            for who in (done.outsider, done.lawyer)}
    assert MARKER.decode() not in json.dumps(seen["lawyer_other"])
    assert seen["lawyer_case"] and RECIPIENT in seen["lawyer_case"][0]
    assert MARKER not in database_files(store)


def test_the_bundle_discloses_the_recipient_and_both_verifiers_check_it(
    store: Store, tmp_path: Path,
) -> None:
    done = _export(store, tmp_path)
    folder, key = done.bundle.path, store.verifier_key()
    assert verify(folder, key) == []
    ran = _script(folder, key)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    lines = [json.loads(x) for p in sorted((folder / "data/custody").glob("*.jsonl"))
             for x in p.read_text().splitlines()]
    transfer = next(x for x in lines if '"transferred"' in x["event"])
    assert MARKER.decode() not in transfer["event"]  # the event verbatim: sealed
    assert RECIPIENT in transfer["disclosed"]["how"]  # disclosed beside it, proven

    # Another recipient written into the custody line: the proof does not agree.
    forged = tmp_path / "forged-line"
    shutil.copytree(folder, forged)
    path = next((forged / "data/custody").glob("*.jsonl"))
    path.write_text(path.read_text().replace("SYNTHETICRECIPIENTQZ", "SYNTHETICOTHERCOURT"))
    _fails(forged, key, "disclosed field how is not the one the selective proof")
    # … nor into the proof's disclosure: it no longer matches its commitment.
    forged = tmp_path / "forged-proof"
    shutil.copytree(folder, forged)
    proof = next(p for p in (forged / "data/proofs").glob("*.json")
                 if "SYNTHETICRECIPIENTQZ" in p.read_text())
    proof.write_text(proof.read_text().replace("SYNTHETICRECIPIENTQZ", "SYNTHETICOTHERCOURT"))
    _fails(forged, key, "field how: the disclosed value does not match its commitment")


def test_another_cases_bundle_does_not_disclose_the_recipient(store: Store,
                                                             tmp_path: Path) -> None:
    """The same exhibit in a second case's bundle: its chain of custody carries the first
    bundle's transfer, the recipient sealed and not disclosed (the second case's team may
    not read it, and its court has no business with it); one written in clear before
    8e1750f is withheld, its event not in the bundle. Fails before: disclosed, in clear."""
    done = _export(store, tmp_path)
    old = _old_transfer(store, done)
    assert done.outsider.user_id is not None
    with store.reading() as conn:
        suspect = conn.execute(select(s.persons.c.id)).scalar_one()
        act = conn.execute(select(s.acts.c.id)).scalar_one()
        named = conn.execute(select(s.involvements.c.id)).scalar_one()
    other = _case(store, "SYNTHETIC second case of the exhibit", (suspect, act, named),
                  done.outsider.user_id)
    second, lines = _second_bundle(store, other, tmp_path)
    assert len([x for x in lines if '"transferred"' in x.get("event", "")]) == 2
    assert [x["index"] for x in lines if "withheld" in x] == [old]
    assert verify(second.path, store.verifier_key()) == []
    ran = _script(second.path, store.verifier_key())
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_a_second_bundle_of_the_case_names_only_its_own_recipient(store: Store,
                                                                tmp_path: Path) -> None:
    """The same case bundled again for another court: the earlier transfers stay in its
    chain of custody (proven, "to a recipient sealed in the ledger"), their recipients not
    disclosed; one written in clear before 8e1750f is withheld. Each bundle names its own
    recipient only: a court (or the defence it discloses to) has no business learning
    which other court or prosecutor holds the case. Fails before: the first court's name
    was disclosed, proven, in the second bundle's custody lines and proofs."""
    done = _export(store, tmp_path)
    old = _old_transfer(store, done)
    with store.reading() as conn:
        case_id = conn.execute(select(s.cases.c.id)).scalar_one()
    second, lines = _second_bundle(store, case_id, tmp_path)
    transfers = [x for x in lines if '"transferred"' in x.get("event", "")]
    assert len(transfers) == 2
    assert [x["disclosed"]["how"] for x in transfers if "disclosed" in x] == [
        f"transferred to SYNTHETIC Second Court in court bundle {second.export_id} "
        "(exhibit 001)"]
    assert [x["index"] for x in lines if "withheld" in x] == [old]
    assert verify(second.path, store.verifier_key()) == []
    ran = _script(second.path, store.verifier_key())
    assert ran.returncode == 0, ran.stdout + ran.stderr
    # The first bundle still names its own recipient (it was written before, unchanged).
    assert MARKER in b"".join(p.read_bytes() for p in
                              (done.bundle.path / "data/custody").glob("*.jsonl"))


OLD_RECIPIENT = "SYNTHETICOLDCOURTQZ Prosecutor of Testing"
OLD_MARKER = "SYNTHETICOLDCOURTQZ"


def _second_bundle(store: Store, case_id: str,
                   tmp_path: Path) -> tuple[BundleResult, list[dict[str, Any]]]:
    """A bundle of ``case_id`` for a second court, checked to hold neither the first
    court's recipient nor the one written in clear before 8e1750f; its custody lines."""
    second = write_bundle(store, "lawyer", case_id, tmp_path / "second",
                          recipient="SYNTHETIC Second Court")
    files = [p for p in second.path.rglob("*") if p.is_file()]
    assert files and not [p for p in files if MARKER in p.read_bytes()
                          or OLD_MARKER.encode() in p.read_bytes()]
    lines = [json.loads(x) for p in (second.path / "data/custody").glob("*.jsonl")
             for x in p.read_text().splitlines()]
    return second, lines


def _old_transfer(store: Store, done: Exported) -> int:
    """A transfer as bundle.py wrote it before 8e1750f (c56b239): the recipient in clear in
    the custody event and row. Its ledger index."""
    with store.reading() as conn:
        e = s.case_exports.c
        export_id = conn.execute(select(e.id)).scalar_one()
        sha256 = conn.execute(select(s.items.c.sha256).where(
            s.items.c.id == done.item_id)).scalar_one()
    with store.transaction("lawyer") as tx:
        return tx.emit("custody.recorded", {
            "id": new_id("custody"), "item_id": done.item_id, "action": "transferred",
            "actor": tx.actor, "from_party": None,
            "how": f"transferred to {OLD_RECIPIENT} in court bundle {export_id} (exhibit 1)",
            "location": f"bundle:{export_id}", "sha256": sha256, "at": "2026-11-01T00:00:00Z",
            "notes": None})


def test_a_recipient_written_in_clear_before_is_withheld_from_all_but_the_case_team(
    store: Store, tmp_path: Path,
) -> None:
    """The ledger keeps such a recipient for ever; the server no longer hands it out.

    Fails before the fix: the anonymous custody, event and export reads returned it."""
    done = _export(store, tmp_path)
    index = _old_transfer(store, done)
    client = TestClient(create_app(store.home, ApiSettings(), store=store),
                        raise_server_exceptions=False)
    custody = client.get(f"/api/items/{done.item_id}/custody")
    assert custody.status_code == 200, custody.text
    assert OLD_MARKER not in custody.text
    # The public still learns the exhibit went into that bundle, not to whom.
    old = [c for c in custody.json() if c["ledger_index"] == index]
    assert old[0]["how"].endswith("(exhibit 1) to a recipient sealed in the ledger"), old
    assert client.get(f"/api/ledger/events/{index}").status_code == 404
    assert client.get(f"/api/ledger/events/{index}/proof").status_code == 404
    exported = client.get("/api/ledger/export")
    assert exported.status_code == 200 and OLD_MARKER not in exported.text
    lines = [json.loads(x) for x in exported.text.splitlines()]
    assert lines[index] == {"index": index, "leaf_hash": lines[index]["leaf_hash"],
                            "withheld": True}
    # The export still verifies offline: shown events hash to their leaves, and the leaves
    # (withheld ones by their hash alone) to the root of the signed checkpoint.
    note = client.get("/api/ledger/checkpoint").text
    checkpoint = kit.open_checkpoint(note, kit.Verifier(client.get("/api/ledger/key").text))
    assert all(kit.leaf_hash(x["event"].encode()).hex() == x["leaf_hash"]
               for x in lines if "event" in x)
    assert compute_root(bytes.fromhex(x["leaf_hash"]) for x in lines[:checkpoint.size]) == (
        checkpoint.size, checkpoint.root_hash)
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok  # what `ledger verify` runs
    # A team member off the case's team: the placeholder, no event, a withheld line.
    outsider = done.outsider
    assert OLD_MARKER not in json.dumps(reads.custody_of(store, outsider, done.item_id))
    with pytest.raises(NotFoundError):
        reads.read_event(store, outsider, index)
    assert OLD_MARKER not in json.dumps(list(reads.export_events(store, outsider)))
    # The case's team reads it everywhere, each read audited as a read of the case.
    lawyer = done.lawyer
    assert OLD_RECIPIENT in json.dumps(reads.custody_of(store, lawyer, done.item_id))
    assert OLD_RECIPIENT in reads.read_event(store, lawyer, index).body.decode()
    assert OLD_RECIPIENT in json.dumps(list(reads.export_events(store, lawyer)))
    with store.reading() as conn:
        audited = [json.loads(e.body)["data"] for e in ledger_log.iter_events(conn, index + 1)]
    assert {(a["action"], a["objects"][0]["kind"]) for a in audited
            if a.get("user_id") == lawyer.user_id} >= {
        ("cases.custody", "case"), ("read event", "case"), ("export events", "case")}


def _fails(folder: Path, key: str, expected: str) -> None:
    problems = verify(folder, key)
    assert any(expected in p for p in problems), problems
    ran = _script(folder, key)
    assert ran.returncode == 1 and expected in ran.stdout, ran.stdout



@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Users are added here; their passwords' strength is not under test."""
    monkeypatch.setattr(passwords, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
