"""Linkage decisions in the court bundle: a fact about a person that linkage wrote rests on
the decisions that put its records with that person; the bundle proves each decision by
its row of the ``link.run`` batch event (nothing else of the run), lists it in
``matrix.json``, and both verifiers check the two agree: a tampered or withheld row fails.
SQLite and PostgreSQL; every name is SYNTHETIC."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from case_world import murder_case
from sqlalchemy import select

from dadkhahi.cases.bundle import write_bundle
from dadkhahi.cases.bundle_verify import verify
from dadkhahi.domain.vocab import ActType
from dadkhahi.facts.entities import create_act, create_person
from dadkhahi.intake.lists import import_list
from dadkhahi.linkage.service import run_linkage
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "linkage"))
from fake_linker import fake_linker

HEADER = ["ID", "Full name", "Father", "Date of execution", "Prison", "City"]


def _list(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([HEADER, *rows])
    return path


def _script(folder: Path, key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-I", str(folder / "verify_bundle.py"), str(folder),
                           "--key", key], capture_output=True, text=True, env={}, check=False,
                          timeout=120)


def _fails(folder: Path, key: str, expected: str) -> None:
    problems = verify(folder, key)
    assert any(expected in p for p in problems), problems
    done = _script(folder, key)
    assert done.returncode == 1 and expected in done.stdout, done.stdout


def test_a_linked_persons_fact_carries_the_proofs_of_its_link_decisions(
    store: Store, tmp_path: Path,
) -> None:
    for name, rows in (("x", [["X1", "Karimi, Ali", "Reza", "1367/05/12", "Evin", "Tehran"],
                              ["X2", "Moradi, Zahra", "Hassan", "1367/06/01", "Evin", "Tehran"]]),
                       ("y", [["Y1", "Ali Karimi", "Reza", "12 Mordad 1367", "Evin", "Tehran"],
                              ["Y2", "Javad Najafi", "Ahmad", "1988", "", "Rasht"]])):
        import_list(store, _list(tmp_path / f"{name}.csv", rows), source=f"SYNTHETIC {name}",
                    actor="tester", id_column="ID")
    with store.reading() as conn:
        ids = {str(e): str(r) for r, e in conn.execute(
            select(s.records.c.id, s.records.c.external_id))}
    run = run_linkage(store, "tester", linker=fake_linker(
        store, lambda _r: [[ids["X1"], ids["Y1"]]]))
    with store.reading() as conn:
        person = dict(conn.execute(select(s.person_records.c.record_id,
                                          s.person_records.c.person_id)).all())
        victim = person[ids["X1"]]
        claim = conn.execute(select(s.claims.c.id).where(
            s.claims.c.entity_id == victim, s.claims.c.property == "prison")).scalar_one()
    with store.transaction("analyst") as tx:
        suspect = create_person(tx, "SYNTHETIC Official Jim", synthetic=True)
        act = create_act(tx, ActType.EXECUTION, description="SYNTHETIC act")
    case_id = murder_case(store, "SYNTHETIC linkage case", suspect, act, "2", ("claim", claim),
                          "both lists put the victim in Evin")
    bundle = write_bundle(store, "lawyer", case_id, tmp_path / "bundle",
                          recipient="SYNTHETIC Court of Linkage")
    folder, key = bundle.path, store.verifier_key()
    assert verify(folder, key) == []
    done = _script(folder, key)
    assert done.returncode == 0, done.stdout + done.stderr

    matrix = json.loads((folder / "data/matrix.json").read_text("utf-8"))
    assert [(d["record"], d["person"], d["decision"], d["event"]) for d in matrix["linkage"]] \
        == sorted((ids[x], victim, "assign", run.ledger_index) for x in ("X1", "Y1"))
    proof_path = folder / f"data/proofs/{run.ledger_index}.json"
    proof = json.loads(proof_path.read_text("utf-8"))
    assert proof["format"] == "dadkhahi-selective-proof/v1"
    assert sorted(json.loads(r["row"])["id"] for r in proof["rows"]) == sorted(
        [ids["X1"], ids["Y1"]])
    # Nothing else of the run: the other records and their person stay home.
    run_text = proof_path.read_text("utf-8").replace(proof["inclusion"]["event"], "")
    for other in ("X2", "Y2"):
        assert ids[other] not in run_text and person[ids[other]] not in run_text

    # A tampered decision row (the record put with another person) fails offline.
    tampered = tmp_path / "tampered"
    shutil.copytree(folder, tampered)
    other_person = person[ids["Y2"]]
    text = (tampered / proof_path.relative_to(folder)).read_text("utf-8")
    row_at = next(r["index"] for r in proof["rows"]
                  if json.loads(r["row"])["id"] == ids["X1"])
    (tampered / proof_path.relative_to(folder)).write_text(
        text.replace(f'"assign\\":\\"{victim}', f'"assign\\":\\"{other_person}', 1), "utf-8")
    assert (tampered / proof_path.relative_to(folder)).read_text("utf-8") != text
    _fails(tampered, key, "its bytes and path do not lead to the event's rows root")

    # A decision the matrix relies on whose row was taken out of the proof fails too.
    withheld = tmp_path / "withheld"
    shutil.copytree(folder, withheld)
    kept = dict(proof, rows=[r for r in proof["rows"] if r["index"] != row_at])
    (withheld / proof_path.relative_to(folder)).write_text(json.dumps(kept), "utf-8")
    _fails(withheld, key, f"record {ids['X1']} with person {victim} is not what row {row_at}")
