"""Proof bundles refused with the whole message (cases mutants of ``ledger/proofs.py`` survived).

A third party checking a bundle offline learns from the message which check failed, so
each refusal is compared in full, not by a fragment.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from test_ledger_proofs import EVENTS, ORIGIN, SIGNER, TREE, VKEY, _bundle, _consistency, _note

from dadkhahi.ledger.checkpoint import NoteSigner
from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.merkle import consistency_proof, inclusion_proof
from dadkhahi.ledger.proofs import (
    make_bundle,
    make_consistency_bundle,
    verify_bundle,
    verify_consistency_bundle,
)

# Fixed, as SIGNER is: its ID names test cases, which every pytest-xdist worker must agree on.
OTHER_KEY = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64))))
NO_SIGNATURE = f"note has no signature by key {ORIGIN}+{SIGNER.key_id.hex()}"
HEX_LIST = "must be a list of 64-digit hex hashes"


def _exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def _without(bundle: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in bundle.items() if k != key}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "other/v1"},
         "format is 'other/v1', expected 'dadkhahi-inclusion-proof/v1'"),
        ({"checkpoint": 5}, "checkpoint is missing or not text"),
        ({"checkpoint": _note(30, OTHER_KEY)}, f"checkpoint: {NO_SIGNATURE}"),
        ({"index": -1}, "index must be a non-negative integer"),
        ({"index": True}, "index must be a non-negative integer"),
        ({"tree_size": "30"}, "tree_size must be a non-negative integer"),
        ({"tree_size": 31}, "tree_size 31 does not match the checkpoint's size 30"),
        ({"event": None}, "the bundle carries no event and none was given"),
        ({"event": 7}, "the bundle carries no event and none was given"),
        ({"leaf_hash": None}, "leaf_hash is missing or not text"),
        ({"leaf_hash": "zz" * 32}, "leaf_hash does not match the hash of the event"),
        ({"inclusion": "00" * 32}, f"inclusion {HEX_LIST}"),
        ({"inclusion": ["zz" * 32]}, f"inclusion {HEX_LIST}"),
        ({"inclusion": [32]}, f"inclusion {HEX_LIST}"),
        ({"inclusion": ["00" * 32] * 5},
         "inclusion proof for leaf 11 does not lead to the checkpoint's root"),
    ],
)
def test_inclusion_bundle_refusals_say_exactly_what_failed(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(VerificationError, match=_exactly(message)):
        verify_bundle({**_bundle(), **change}, VKEY)


def test_a_given_event_must_equal_the_carried_one() -> None:
    with pytest.raises(VerificationError,
                       match=_exactly("the event in the bundle differs from the event given")):
        verify_bundle(_bundle(), VKEY, event_bytes=EVENTS[12])
    with pytest.raises(VerificationError,
                       match=_exactly("the event in the bundle differs from the event given")):
        verify_bundle({**_bundle(), "event": 7}, VKEY, event_bytes=EVENTS[11])
    with pytest.raises(VerificationError, match=_exactly("a proof bundle must be a JSON object")):
        verify_bundle([], VKEY)  # type: ignore[arg-type]
    assert verify_bundle(_without(_bundle(), "event"), VKEY, event_bytes=EVENTS[11]).size == 30


def test_make_bundle_refusals_say_exactly_what_failed() -> None:
    proof = inclusion_proof(11, 30, TREE)
    with pytest.raises(LedgerInputError, match=_exactly("event bytes must be bytes")):
        make_bundle(11, EVENTS[11].decode(), proof, _note(30))  # type: ignore[arg-type]
    with pytest.raises(LedgerInputError,
                       match=_exactly("event bytes must be UTF-8 (canonical JSON)")):
        make_bundle(11, b"\xff", proof, _note(30))
    with pytest.raises(LedgerInputError, match=_exactly(
            "signed_checkpoint is not a signed checkpoint: "
            "malformed note: no blank line before the signatures")):
        make_bundle(11, EVENTS[11], proof, "not a note\n")
    with pytest.raises(LedgerInputError, match=_exactly(
            "the proof for leaf 11 does not lead to the root of the checkpoint of size 30")):
        make_bundle(11, EVENTS[12], proof, _note(30))


def test_make_consistency_bundle_refusals_say_exactly_what_failed() -> None:
    proof = consistency_proof(13, 37, TREE)
    bad = "malformed note: no blank line before the signatures"
    with pytest.raises(LedgerInputError,
                       match=_exactly(f"old_note is not a signed checkpoint: {bad}")):
        make_consistency_bundle("x\n", _note(37), proof)
    with pytest.raises(LedgerInputError,
                       match=_exactly(f"new_note is not a signed checkpoint: {bad}")):
        make_consistency_bundle(_note(13), "x\n", proof)
    with pytest.raises(LedgerInputError, match=_exactly(
            "the consistency proof does not link size 13 to size 37")):
        make_consistency_bundle(_note(13), _note(37), proof[:-1])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": None}, "format is None, expected 'dadkhahi-consistency-proof/v1'"),
        ({"old_checkpoint": None}, "old_checkpoint is missing or not text"),
        ({"new_checkpoint": None}, "new_checkpoint is missing or not text"),
        ({"old_checkpoint": _note(13, OTHER_KEY)}, f"old checkpoint: {NO_SIGNATURE}"),
        ({"new_checkpoint": _note(37, OTHER_KEY)}, f"new checkpoint: {NO_SIGNATURE}"),
        ({"old_size": 14}, "old_size/new_size do not match the checkpoints"),
        ({"new_size": 36}, "old_size/new_size do not match the checkpoints"),
        ({"new_size": -1}, "new_size must be a non-negative integer"),
        ({"consistency": None}, f"consistency {HEX_LIST}"),
        ({"consistency": ["11" * 32]},
         "consistency proof does not show size 37 extends size 13"),
    ],
)
def test_consistency_bundle_refusals_say_exactly_what_failed(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(VerificationError, match=_exactly(message)):
        verify_consistency_bundle({**_consistency(), **change}, VKEY)


def test_consistency_bundle_of_two_logs_is_refused_naming_both() -> None:
    # Our own key signing a checkpoint of another origin: only the origin check catches it.
    bundle = {**_consistency(), "new_checkpoint": _note(37, SIGNER, "other.example/log")}
    with pytest.raises(VerificationError, match=_exactly(
            f"checkpoints are of different logs: {ORIGIN!r}, 'other.example/log'")):
        verify_consistency_bundle(bundle, VKEY)
    with pytest.raises(LedgerInputError, match=_exactly(
            f"checkpoints are of different logs: {ORIGIN!r}, 'other.example/log'")):
        make_consistency_bundle(_note(13), bundle["new_checkpoint"],
                                consistency_proof(13, 37, TREE))
