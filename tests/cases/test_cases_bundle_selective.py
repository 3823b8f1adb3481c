"""Selective proofs in the court bundle: a fact resting on one row of a 1,000-row list is
proven by that row alone, a protected exhibit's sealed custody fields are disclosed and
proven, and tampering with either is caught by both verifiers, naming it.
Every name is SYNTHETIC."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from case_world import murder_case
from sqlalchemy import select

from dadkhahi.cases.bundle import BundleResult, write_bundle
from dadkhahi.cases.bundle_verify import verify
from dadkhahi.domain.vocab import (
    ActType,
    InvolvementRole,
    Sensitivity,
)
from dadkhahi.facts.entities import Support, add_involvement, create_act, create_person
from dadkhahi.intake import testimonies as tm
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.intake.lists import import_list
from dadkhahi.intake.testimonies import add_testimony, set_consent
from dadkhahi.store import schema as s
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store

MARKER = re.compile(rb"SYNTHETICMARKER\d{4}")


@dataclass(frozen=True)
class Selective:
    store: Store
    bundle: BundleResult
    import_index: int
    record_id: str


@pytest.fixture(scope="module")
def selective(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Selective]:
    mp = pytest.MonkeyPatch()
    mp.delenv(ENV_DATABASE_URL, raising=False)
    tmp = tmp_path_factory.mktemp("selective")
    store = Store.init(Home(tmp / "home"), "cases.test/selective", "tester")
    listed = tmp / "synthetic-list.csv"
    listed.write_text("n,name\n" + "".join(f"{i},SYNTHETICMARKER{i:04d}\n" for i in range(1000)))
    report = import_list(store, listed, source="SYNTHETIC list of 1,000", actor="tester",
                         id_column="n", sensitivity=Sensitivity.RESTRICTED)
    with store.reading() as conn:
        rec = conn.execute(select(s.records.c.id).where(
            s.records.c.external_id == "417", s.records.c.ledger_index == report.ledger_index)
        ).scalar_one()
    note = tmp / "statement.txt"
    note.write_text("SYNTHETIC protected statement.\n")
    # A witness who consented to this court: the protected exhibit, whose custody is
    # sealed, goes (the consent is part of the one disclosure rule the bundle asks).
    made = add_testimony(store, tm.TestimonySpec(title="SYNTHETIC statement"), "tester")
    set_consent(store, made["testimony_id"], "court", "SYNTHETIC Court of Selective",
                "given", "tester", how="SYNTHETIC signed form", date="2026-12-01",
                informed_defence=True)
    added = add_evidence(store, [note], Receipt(actor="tester",
                                                from_party="SYNTHETIC courier Dal",
                                                how="SYNTHETIC sealed envelope"),
                         source_id=made["source_id"])
    with store.transaction("analyst") as tx:
        suspect = create_person(tx, "SYNTHETIC Official Jim", synthetic=True)
        act = create_act(tx, ActType.EXECUTION, description="SYNTHETIC act")
        named = add_involvement(tx, act, InvolvementRole.SIGNED, person_id=suspect, support=[
            Support(report.source_id, record_id=str(rec), locator="row 417"),
            Support(made["source_id"], item_id=added.added[0][1], locator="line 1")])
    case_id = murder_case(store, "SYNTHETIC selective case", suspect, act, "1",
                          ("involvement", named), "row 417 names him as signing")
    bundle = write_bundle(store, "lawyer", case_id, tmp / "bundle",
                          recipient="SYNTHETIC Court of Selective")
    yield Selective(store, bundle, report.ledger_index, str(rec))
    store.engine.dispose()
    mp.undo()


def _script(folder: Path, key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-I", str(folder / "verify_bundle.py"), str(folder),
                           "--key", key], capture_output=True, text=True, env={}, check=False,
                          timeout=120)


def test_the_cited_row_is_proven_alone(selective: Selective) -> None:
    folder, key = selective.bundle.path, selective.store.verifier_key()
    assert verify(folder, key) == []
    done = _script(folder, key)
    assert done.returncode == 0, done.stdout + done.stderr
    proof = json.loads((folder / f"data/proofs/{selective.import_index}.json").read_text())
    assert proof["format"] == "dadkhahi-selective-proof/v1"
    assert [r["index"] for r in proof["rows"]] == [417]
    assert json.loads(proof["rows"][0]["row"])["id"] == selective.record_id
    # Outside the list file itself (an exhibit that may go whole), no other row's name is
    # anywhere in the bundle: not in the import's proof, the matrix, the custody.
    outside = b"".join(p.read_bytes() for p in folder.rglob("*")
                       if p.is_file() and "exhibits" not in p.parts)
    assert set(MARKER.findall(outside)) == {b"SYNTHETICMARKER0417"}


def test_sealed_custody_is_disclosed_and_proven(selective: Selective) -> None:
    folder = selective.bundle.path
    lines = [json.loads(line) for p in sorted((folder / "data/custody").glob("*.jsonl"))
             for line in p.read_text().splitlines()]
    # The protected exhibit's intake (every transfer to the court discloses its recipient).
    received = [line for line in lines
                if "from_party" in line.get("disclosed", {})]
    assert {"how": "SYNTHETIC sealed envelope", "from_party": "SYNTHETIC courier Dal"}.items() \
        <= received[0]["disclosed"].items()
    # In the event itself the fields stay sealed (the key never leaves).
    event = received[0]["event"]
    assert "SYNTHETIC courier Dal" not in event


def _copy(selective: Selective, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "copy"
    shutil.copytree(selective.bundle.path, target)
    return target


def _fails(folder: Path, key: str, expected: str) -> None:
    problems = verify(folder, key)
    assert any(expected in p for p in problems), problems
    done = _script(folder, key)
    assert done.returncode == 1 and expected in done.stdout, done.stdout


def test_a_tampered_row_is_caught_naming_it(selective: Selective, tmp_path: Path) -> None:
    folder = _copy(selective, tmp_path)
    rel = folder / f"data/proofs/{selective.import_index}.json"
    rel.write_text(rel.read_text().replace("SYNTHETICMARKER0417", "SYNTHETICMARKER0999"))
    _fails(folder, selective.store.verifier_key(),
           "row 417: its bytes and path do not lead to the event's rows root")


def test_a_tampered_custody_field_is_caught_naming_it(selective: Selective,
                                                      tmp_path: Path) -> None:
    folder = _copy(selective, tmp_path)
    custody = next(p for p in (folder / "data/custody").glob("*.jsonl")
                   if "SYNTHETIC courier Dal" in p.read_text())
    custody.write_text(custody.read_text().replace("SYNTHETIC courier Dal",
                                                   "SYNTHETIC courier Ha"))
    _fails(folder, selective.store.verifier_key(),
           "disclosed field from_party is not the one the selective proof")
    # And the disclosure inside the proof: its value no longer matches its commitment.
    folder = _copy(selective, tmp_path / "again")
    proof = next(p for p in (folder / "data/proofs").glob("*.json")
                 if "SYNTHETIC courier Dal" in p.read_text())
    proof.write_text(proof.read_text().replace("SYNTHETIC courier Dal", "SYNTHETIC courier Ha"))
    _fails(folder, selective.store.verifier_key(),
           "field from_party: the disclosed value does not match its commitment")
