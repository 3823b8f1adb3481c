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
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
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
    case_id = create_case(store, "analyst", "SYNTHETIC case of a public exhibit",
                          Scope((suspect,), (act,)), members=[lawyer])
    charge = add_charge(store, "analyst", case_id, suspect, "national-murder", "murder",
                        "instigator")
    link_fact(store, "analyst", case_id, charge, "1", "involvement", named,
              reliability=Reliability.B, credibility=Credibility.PROBABLY_TRUE,
              how="SYNTHETIC: the report names him as signing",
              direction=Direction.INCRIMINATING)
    bundle = write_bundle(store, "lawyer", case_id, tmp_path / "bundle", recipient=RECIPIENT)
    assert bundle.exhibits == 1 and bundle.withheld == 0
    return Exported(item_id, bundle,
                    Principal(user_id=lawyer, username="lawyer_case", role=Role.LAWYER),
                    Principal(user_id=outsider, username="lawyer_other", role=Role.LAWYER))


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
