"""Selective proofs over a synthetic in-memory ledger: one row of a 1,000-row batch, one
sealed field, and nothing else disclosed (every name here is SYNTHETIC)."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest

from dadkhahi.ledger.checkpoint import Checkpoint, NoteSigner
from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.events import Event, encode_batch, leaf_bytes
from dadkhahi.ledger.merkle import MemoryNodes, inclusion_proof, leaf_hash, root
from dadkhahi.ledger.proofs import make_bundle, verify_bundle
from dadkhahi.ledger.selective import (
    RowTree,
    commitments,
    disclosure,
    field_salt,
    make_selective,
    verify_selective,
)
from dadkhahi.offline import kit

ORIGIN = "dadkhahi.example/selective"
SIGNER = NoteSigner.generate(ORIGIN)
VKEY = SIGNER.verifier_key()
T = "2024-05-01T12:00:00Z"
KEY = os.urandom(32)
MARKER = re.compile(r"SYNTHETIC-MARKER-\d{4}")


def _row(i: int) -> dict[str, Any]:
    secret = {"name": f"SYNTHETIC-MARKER-{i:04d}", "father": f"SYNTHETIC-FATHER-{i:04d}"}
    salts = {n: field_salt(KEY, "key_x", f"rec_{i}", n) for n in secret}
    # The ciphertext is beside the point here: a row carries its commitments in clear.
    return {"id": f"rec_{i}", "cells": [str(i)], "sealed": {"commitments": commitments(
        secret, salts)}, "_secret": secret}


ROWS = [_row(i) for i in range(1000)]
STORED_ROWS = [{k: v for k, v in r.items() if k != "_secret"} for r in ROWS]
BATCH = Event("records.imported", {"header": ["n"], "records": STORED_ROWS}, "tester", T,
              batch=True).to_bytes()
EVENTS = [Event("t", {"n": i}, "tester", T).to_bytes() for i in range(5)]
EVENTS.insert(3, BATCH)
TREE = MemoryNodes()
TREE.append([leaf_hash(leaf_bytes(e)) for e in EVENTS])
NOTE = SIGNER.sign(Checkpoint(ORIGIN, len(EVENTS), root(len(EVENTS), TREE)).body())


def _proof(row: int = 417, fields: tuple[str, ...] = ("name",)) -> dict[str, Any]:
    inclusion = make_bundle(3, BATCH, inclusion_proof(3, len(EVENTS), TREE), NOTE)
    secret = ROWS[row]["_secret"]
    disclosed = [(row, n, disclosure(field_salt(KEY, "key_x", f"rec_{row}", n), n, secret[n]))
                 for n in fields]
    return json.loads(json.dumps(make_selective(inclusion, [RowTree(BATCH).proof(row)],
                                                disclosed)))


def test_one_row_of_a_thousand_is_proven_and_no_other_row_is_disclosed() -> None:
    proof = _proof()
    text = json.dumps(proof, ensure_ascii=False)
    assert MARKER.findall(text) == ["SYNTHETIC-MARKER-0417"]
    assert "SYNTHETIC-FATHER" not in text  # a field of the row that was not disclosed
    assert "rec_416" not in text and "rec_418" not in text
    found = verify_selective(proof, VKEY)
    assert found["index"] == 3
    assert found["rows"][417]["id"] == "rec_417"
    assert found["fields"][(417, "name")] == "SYNTHETIC-MARKER-0417"
    assert found["event"]["data"]["records"]["count"] == 1000


def test_the_batch_event_itself_is_proven_in_its_committed_form() -> None:
    bundle = make_bundle(3, BATCH, inclusion_proof(3, len(EVENTS), TREE), NOTE)
    assert not MARKER.search(bundle["event"])
    assert verify_bundle(bundle, VKEY, event_bytes=BATCH).size == len(EVENTS)
    committed = Event.from_bytes(bundle["event"].encode())
    assert committed.leaf_bytes() == bundle["event"].encode()  # idempotent
    assert Event.from_bytes(BATCH).to_bytes() == BATCH  # the stored form round-trips too


def test_old_events_are_hashed_as_stored() -> None:
    assert leaf_bytes(EVENTS[0]) == EVENTS[0]
    assert verify_bundle(make_bundle(1, EVENTS[1], inclusion_proof(1, 6, TREE), NOTE), VKEY)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda p: p["rows"][0].update(row=p["rows"][0]["row"].replace("417", "416")),
         "row 417: its bytes and path do not lead to the event's rows root"),
        (lambda p: p["rows"][0].update(index=416),
         "row 416: its bytes and path do not lead to the event's rows root"),
        (lambda p: p["fields"][0].update(
            disclosure=p["fields"][0]["disclosure"].replace("0417", "0418")),
         "row 417: field name: the disclosed value does not match its commitment"),
        (lambda p: p["fields"][0].update(name="father"),
         "row 417: field father: the disclosure is of field 'name'"),
        (lambda p: p["fields"][0].update(row=416),
         "field name: row 416 is not among the proven rows"),
        (lambda p: p["inclusion"].update(event=p["inclusion"]["event"].replace(
            '"count":1000', '"count":999')), "leaf_hash does not match the hash of the event"),
    ],
)
def test_tampering_with_a_disclosed_row_or_field_fails_naming_it(tamper: Any,
                                                                  message: str) -> None:
    proof = _proof()
    tamper(proof)
    with pytest.raises(VerificationError, match=f"^{re.escape(message)}$"):
        verify_selective(proof, VKEY)


def test_a_proof_that_would_not_verify_is_not_made() -> None:
    inclusion = make_bundle(3, BATCH, inclusion_proof(3, len(EVENTS), TREE), NOTE)
    with pytest.raises(LedgerInputError, match="field name: the disclosed value does not"):
        make_selective(inclusion, [RowTree(BATCH).proof(5)],
                       [(5, "name", disclosure("AAAAAAAAAAAAAAAAAAAAAA==", "name", "guess"))])


def test_a_salt_keeps_a_guess_from_being_tested() -> None:
    # Without the salt, hashing the candidate value cannot reproduce the commitment.
    committed = STORED_ROWS[7]["sealed"]["commitments"]["name"]
    assert kit.disclosure_digest(json.dumps(["", "name", "SYNTHETIC-MARKER-0007"])) != committed
    assert field_salt(KEY, "key_x", "rec_7", "name") != field_salt(KEY, "key_x", "rec_8", "name")


def test_the_writer_commits_rows_in_hand_as_a_reader_does_from_bytes() -> None:
    # Floats that JCS writes as integers, Persian text, nesting, tuples: the committed
    # form made from the rows in hand equals the one parsed back from the stored bytes.
    rows = [{"id": "r1", "x": 2.0, "y": -1e300, "name": "غلامرضا\u200cحسینی",
             "deep": {"list": (1, 2.5, None, True)}}, {"id": "r2", "big": 2.0**53}]
    body, leaf = encode_batch("records.imported", {"records": rows, "k": "v"}, "a", T)
    assert leaf == leaf_bytes(body)


def test_a_batch_needs_its_rows() -> None:
    with pytest.raises(LedgerInputError, match=r"needs data\.records"):
        Event("records.imported", {"records": "x"}, "tester", T, batch=True)
