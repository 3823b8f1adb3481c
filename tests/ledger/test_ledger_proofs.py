"""Offline proof bundles over a synthetic ledger (all event contents are test data)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dadkhahi.ledger.checkpoint import Checkpoint, NoteSigner
from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.events import Event
from dadkhahi.ledger.merkle import (
    MemoryNodes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
)
from dadkhahi.ledger.proofs import (
    make_bundle,
    make_consistency_bundle,
    verify_bundle,
    verify_consistency_bundle,
)

ORIGIN = "dadkhahi.example/test-ledger"
# A fixed key, not a generated one: the key's ID is part of messages that name test cases
# (test_ledger_proofs_mutants), and pytest-xdist's workers must collect the same names.
SIGNER = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
VKEY = SIGNER.verifier_key()
EVENTS = [
    Event(
        "record.added",
        {"synthetic": True, "n": i, "name": f"Synthetic Person {i}"},
        "tester",
        f"2024-05-01T12:{i // 60:02d}:{i % 60:02d}Z",
    ).to_bytes()
    for i in range(37)
]
TREE = MemoryNodes()
TREE.append([leaf_hash(e) for e in EVENTS])


def _note(size: int, signer: NoteSigner = SIGNER, origin: str = ORIGIN) -> str:
    return signer.sign(Checkpoint(origin, size, root(size, TREE)).body())


def _bundle(index: int = 11, size: int = 30) -> dict[str, Any]:
    return make_bundle(index, EVENTS[index], inclusion_proof(index, size, TREE), _note(size))


def test_bundle_verifies_after_a_json_round_trip() -> None:
    bundle = json.loads(json.dumps(_bundle()))
    assert bundle["format"] == "dadkhahi-inclusion-proof/v1"
    assert bundle["event"].encode() == EVENTS[11]
    checkpoint = verify_bundle(bundle, VKEY)
    assert (checkpoint.origin, checkpoint.size) == (ORIGIN, 30)
    assert verify_bundle(bundle, VKEY, event_bytes=EVENTS[11]) == checkpoint
    without_event = {k: v for k, v in bundle.items() if k != "event"}
    assert verify_bundle(without_event, VKEY, event_bytes=EVENTS[11]) == checkpoint


def test_every_single_index_and_size_verifies() -> None:
    for size in (1, 2, 7, 36, 37):
        for index in range(size):
            assert verify_bundle(_bundle(index, size), VKEY).size == size


def _tampered(change: dict[str, Any], drop: str | None = None) -> dict[str, Any]:
    bundle = {**_bundle(), **change}
    if drop:
        del bundle[drop]
    return bundle


@pytest.mark.parametrize(
    ("bundle", "message"),
    [
        (_tampered({"format": "other/v1"}), "format"),
        (_tampered({"checkpoint": _note(30).replace("\n30\n", "\n31\n")}), "checkpoint"),
        (_tampered({"checkpoint": _note(30, NoteSigner.generate(ORIGIN))}), "no signature"),
        (_tampered({"tree_size": 31}), "tree_size 31 does not match"),
        (_tampered({"index": 12}), "inclusion proof for leaf 12"),
        (_tampered({"index": True}), "index"),
        (_tampered({"leaf_hash": leaf_hash(EVENTS[12]).hex()}), "leaf_hash"),
        (_tampered({"event": EVENTS[12].decode()}), "leaf_hash"),
        (_tampered({}, drop="event"), "no event"),
        (_tampered({"inclusion": ["00" * 32] * 5}), "inclusion proof"),
        (_tampered({"inclusion": "not a list"}), "inclusion"),
        (_tampered({"inclusion": [h.hex() for h in inclusion_proof(11, 30, TREE)][:-1]}), "root"),
    ],
)
def test_tampered_bundles_name_what_failed(bundle: dict[str, Any], message: str) -> None:
    with pytest.raises(VerificationError, match=message):
        verify_bundle(bundle, VKEY)


def test_bundle_checks_the_given_event_and_the_key() -> None:
    with pytest.raises(VerificationError, match="differs"):
        verify_bundle(_bundle(), VKEY, event_bytes=EVENTS[12])
    with pytest.raises(VerificationError, match="no signature"):
        verify_bundle(_bundle(), NoteSigner.generate(ORIGIN).verifier_key())
    with pytest.raises(VerificationError, match="a proof bundle must be"):
        verify_bundle([], VKEY)  # type: ignore[arg-type]


def test_make_bundle_refuses_a_proof_that_does_not_verify() -> None:
    with pytest.raises(LedgerInputError, match="does not lead"):
        make_bundle(11, EVENTS[12], inclusion_proof(11, 30, TREE), _note(30))
    with pytest.raises(LedgerInputError, match="does not lead"):
        make_bundle(11, EVENTS[11], inclusion_proof(11, 29, TREE), _note(30))
    with pytest.raises(LedgerInputError, match="not a signed checkpoint"):
        make_bundle(11, EVENTS[11], inclusion_proof(11, 30, TREE), "not a note")


def _consistency(old: int = 13, new: int = 37) -> dict[str, Any]:
    return make_consistency_bundle(_note(old), _note(new), consistency_proof(old, new, TREE))


def test_consistency_bundle_round_trip() -> None:
    for old, new in [(1, 37), (13, 37), (16, 37), (20, 20), (36, 37)]:
        bundle = json.loads(json.dumps(_consistency(old, new)))
        first, second = verify_consistency_bundle(bundle, VKEY)
        assert (first.size, second.size) == (old, new)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "dadkhahi-inclusion-proof/v1"}, "format"),
        ({"old_size": 14}, "do not match"),
        ({"consistency": ["11" * 32]}, "does not show"),
        ({"new_checkpoint": _note(36)}, "do not match"),
        ({"old_checkpoint": _note(13, NoteSigner.generate(ORIGIN))}, "old checkpoint"),
        ({"old_checkpoint": _note(37), "new_checkpoint": _note(13)}, "do not match"),
    ],
)
def test_tampered_consistency_bundles_fail(change: dict[str, Any], message: str) -> None:
    with pytest.raises(VerificationError, match=message):
        verify_consistency_bundle({**_consistency(), **change}, VKEY)


def test_consistency_bundle_refuses_forked_or_foreign_logs() -> None:
    other = NoteSigner.generate("other.example/log")
    with pytest.raises(LedgerInputError, match="different logs"):
        make_consistency_bundle(
            _note(13), _note(37, other, "other.example/log"), consistency_proof(13, 37, TREE)
        )
    forked = SIGNER.sign(Checkpoint(ORIGIN, 37, leaf_hash(b"a forked history")).body())
    with pytest.raises(LedgerInputError, match="does not link"):
        make_consistency_bundle(_note(13), forked, consistency_proof(13, 37, TREE))
    bundle = {**_consistency(), "new_checkpoint": forked}
    with pytest.raises(VerificationError, match="does not show"):
        verify_consistency_bundle(bundle, VKEY)
