"""Selective proofs from a real store: one record of a 1,000-row protected list import, and
one sealed custody field, proven to a checkpoint without the key or the other rows.
Every name is SYNTHETIC."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.lists import import_list
from dadkhahi.ledger.errors import VerificationError
from dadkhahi.ledger.events import leaf_bytes
from dadkhahi.ledger.merkle import leaf_hash
from dadkhahi.ledger.selective import verify_selective
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.selective import prove_fields, prove_rows
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

MARKER = re.compile(r"SYNTHETICMARKER\d{4}")


def _import(store: Store, tmp_path: Path, rows: int = 1000) -> tuple[int, str]:
    path = tmp_path / "synthetic-1000.csv"
    lines = ["n,name,father"] + [f"{i},SYNTHETICMARKER{i:04d},SYNTHETICFATHER{i:04d}"
                                 for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    report = import_list(store, path, source="SYNTHETIC protected list", actor="tester",
                         id_column="n", sensitivity=Sensitivity.PROTECTED)
    with store.reading() as conn:
        record_id = conn.execute(select(s.records.c.id).where(
            s.records.c.external_id.is_not(None), s.records.c.ledger_index == report.ledger_index)
            .order_by(s.records.c.id)).scalars().all()
    # Which record is row 417: the event's own order.
    with store.reading() as conn:
        body = json.loads(ledger_log.get_event(conn, report.ledger_index).body)
    assert len(record_id) == rows
    return report.ledger_index, str(body["data"]["records"][min(417, rows - 1)]["id"])


def test_one_record_of_a_protected_import_is_proven_alone(store: Store, tmp_path: Path) -> None:
    index, record_id = _import(store, tmp_path)
    note = store.checkpoint()
    with store.reading() as conn:
        stored = ledger_log.get_event(conn, index)
        assert stored.body.endswith(b',"v":2}')
        assert stored.leaf_hash == leaf_hash(leaf_bytes(stored.body))
        proof = prove_rows(conn, store.keys, index, [record_id], note)
    text = json.dumps(proof, ensure_ascii=False)
    assert set(MARKER.findall(text)) == {"SYNTHETICMARKER0417"}  # no other row's name leaves
    assert "SYNTHETICFATHER0416" not in text and len(proof["rows"]) == 1
    found = verify_selective(json.loads(text), store.verifier_key())
    verbatim = found["fields"][(417, "verbatim")]
    assert verbatim == {"n": "417", "name": "SYNTHETICMARKER0417",
                        "father": "SYNTHETICFATHER0417"}
    # The ledger still verifies end to end across old (v1) and new (batch) events.
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
    assert report.ok, report.findings

    # Tampering with the disclosed field or row fails, naming it.
    field = next(f for f in proof["fields"] if f["name"] == "verbatim")
    field["disclosure"] = field["disclosure"].replace("FATHER0417", "FATHER0416")
    with pytest.raises(VerificationError, match=r"^row 417: field verbatim: the disclosed value"):
        verify_selective(proof, store.verifier_key())
    with store.reading() as conn:
        proof = prove_rows(conn, store.keys, index, [record_id], note)
    other = record_id[:-1] + ("1" if record_id[-1] == "0" else "0")
    proof["rows"][0]["row"] = proof["rows"][0]["row"].replace(record_id, other)
    with pytest.raises(VerificationError, match=r"^row 417: its bytes and path do not lead"):
        verify_selective(proof, store.verifier_key())


def test_a_sealed_custody_field_is_proven_without_the_others(store: Store,
                                                              tmp_path: Path) -> None:
    index, _ = _import(store, tmp_path, rows=3)
    note = store.checkpoint()
    with store.reading() as conn:
        item_id = json.loads(ledger_log.get_event(conn, index).body)["data"]["item_id"]
        custody = conn.execute(select(s.custody.c.id, s.custody.c.ledger_index)
                               .where(s.custody.c.item_id == item_id)).one()
        proof = prove_fields(conn, store.keys, int(custody.ledger_index), str(custody.id),
                             ["how"], note)
    found = verify_selective(proof, store.verifier_key())
    assert found["fields"][(None, "how")] == "list import"
    assert [f["name"] for f in proof["fields"]] == ["how"]
    proof["fields"][0]["disclosure"] = proof["fields"][0]["disclosure"].replace("list", "fake")
    with pytest.raises(VerificationError, match=r"^the event: field how: the disclosed value"):
        verify_selective(proof, store.verifier_key())
