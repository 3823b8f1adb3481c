"""Self-contained proof bundles: JSON a third party can check offline with only our public key.

An inclusion bundle carries the event, its position, the audit path and the signed
checkpoint it leads to; a consistency bundle carries two signed checkpoints and the proof
that the later tree extends the earlier one. Verification needs nothing from our systems:
the verifier key, this module (or any RFC 9162 + signed-note implementation) and the bundle.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from dadkhahi.ledger.checkpoint import (
    Checkpoint,
    NoteVerifier,
    open_checkpoint,
    unverified_note_text,
)
from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.events import leaf_bytes
from dadkhahi.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from dadkhahi.ledger.redaction import redaction_of

INCLUSION_FORMAT = "dadkhahi-inclusion-proof/v1"
CONSISTENCY_FORMAT = "dadkhahi-consistency-proof/v1"

_HEX_HASH = re.compile(r"[0-9a-fA-F]{64}")


@functools.lru_cache(maxsize=8)
def _parsed_checkpoint(note: str) -> Checkpoint:
    # A bundle proves thousands of events to one checkpoint: parse its note once (the
    # parse checks every character; a parsed Checkpoint is immutable).
    return Checkpoint.parse(unverified_note_text(note))


def _unverified_checkpoint(note: str, what: str) -> Checkpoint:
    try:
        return _parsed_checkpoint(note)
    except VerificationError as exc:
        raise LedgerInputError(f"{what} is not a signed checkpoint: {exc}") from exc


def _hex_list(proof: Sequence[bytes]) -> list[str]:
    return [item.hex() for item in proof]


def _hashes(value: object, what: str) -> list[bytes]:
    if not isinstance(value, list) or not all(
        isinstance(item, str) and _HEX_HASH.fullmatch(item) for item in value
    ):
        raise VerificationError(f"{what} must be a list of 64-digit hex hashes")
    return [bytes.fromhex(item) for item in value]


def _count(bundle: Mapping[str, Any], key: str) -> int:
    value = bundle.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise VerificationError(f"{key} must be a non-negative integer")
    return value


def _text(bundle: Mapping[str, Any], key: str) -> str:
    value = bundle.get(key)
    if not isinstance(value, str):
        raise VerificationError(f"{key} is missing or not text")
    return value


def _check_format(bundle: object, expected: str) -> Mapping[str, Any]:
    if not isinstance(bundle, Mapping):
        raise VerificationError("a proof bundle must be a JSON object")
    if bundle.get("format") != expected:
        raise VerificationError(f"format is {bundle.get('format')!r}, expected {expected!r}")
    return bundle


def _open(note: str, verifier: NoteVerifier, what: str) -> Checkpoint:
    try:
        return open_checkpoint(note, verifier)
    except VerificationError as exc:
        raise VerificationError(f"{what}: {exc}") from exc


def make_bundle(
    index: int, event_bytes: bytes, proof: list[bytes], signed_checkpoint: str,
    leaf: bytes | None = None,
) -> dict[str, Any]:
    """An inclusion bundle for the event at ``index`` under ``signed_checkpoint``.

    A batch event (version 2) goes in its committed form: its rows replaced by their
    Merkle root, so the bundle proves the event without disclosing any row (prove
    rows one by one with :mod:`dadkhahi.ledger.selective`). A redacted event
    (``ledger.redaction``) goes as stored, with ``leaf`` (its stored leaf hash, which its
    body no longer hashes to) and ``"redacted"`` (its marker): the bundle then proves
    that leaf, not the body. Refuses
    (:class:`LedgerInputError`) to build a bundle whose proof does not lead to the
    checkpoint's root, so a bad bundle is caught here rather than by its recipient.
    """
    if not isinstance(event_bytes, bytes):
        raise LedgerInputError("event bytes must be bytes")
    marker = redaction_of(event_bytes)
    if marker is not None and leaf is None:
        raise LedgerInputError(f"event {index} is redacted: its stored leaf hash is needed")
    event_bytes = event_bytes if marker is not None else leaf_bytes(event_bytes)
    try:
        event_text = event_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LedgerInputError("event bytes must be UTF-8 (canonical JSON)") from exc
    checkpoint = _unverified_checkpoint(signed_checkpoint, "signed_checkpoint")
    if marker is None:
        leaf = leaf_hash(event_bytes)
    assert leaf is not None
    if not verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root_hash):
        raise LedgerInputError(
            f"the proof for leaf {index} does not lead to the root of the checkpoint "
            f"of size {checkpoint.size}"
        )
    bundle: dict[str, Any] = {
        "format": INCLUSION_FORMAT,
        "index": index,
        "tree_size": checkpoint.size,
        "leaf_hash": leaf.hex(),
        "inclusion": _hex_list(proof),
        "checkpoint": signed_checkpoint,
        "event": event_text,
    }
    if marker is not None:
        bundle["redacted"] = marker
    return bundle


def verify_bundle(
    bundle: Mapping[str, Any], verifier_key: str, event_bytes: bytes | None = None,
    *, allow_redacted: bool = False,
) -> Checkpoint:
    """Check an inclusion bundle offline and return the checkpoint it is proven against.

    Checks, in order: the format, the checkpoint signature (by ``verifier_key``), that
    ``tree_size`` matches the checkpoint, that the event (``event_bytes`` if given, which
    must then equal the bundle's copy) hashes to ``leaf_hash``, and that the inclusion proof
    leads from that leaf to the checkpoint's root. A redacted event (its body carries the
    ``redacted`` marker, ``ledger.redaction``) does not hash to its leaf: it is refused
    unless ``allow_redacted``, and then only its leaf hash is proven, not its body.
    Raises :class:`VerificationError` naming the first check that failed, or
    :class:`LedgerInputError` if ``verifier_key`` itself is malformed.
    """
    bundle = _check_format(bundle, INCLUSION_FORMAT)
    verifier = NoteVerifier.from_key(verifier_key)
    checkpoint = _open(_text(bundle, "checkpoint"), verifier, "checkpoint")
    index = _count(bundle, "index")
    size = _count(bundle, "tree_size")
    if size != checkpoint.size:
        raise VerificationError(
            f"tree_size {size} does not match the checkpoint's size {checkpoint.size}"
        )
    carried = bundle.get("event")
    if event_bytes is not None:
        try:
            event_bytes = leaf_bytes(event_bytes)
        except (ValueError, LedgerInputError) as exc:
            raise VerificationError(f"the event given is not a ledger event: {exc}") from exc
    if event_bytes is None:
        if not isinstance(carried, str):
            raise VerificationError("the bundle carries no event and none was given")
        event_bytes = carried.encode("utf-8")
    elif carried is not None and (
        not isinstance(carried, str) or carried.encode("utf-8") != event_bytes
    ):
        raise VerificationError("the event in the bundle differs from the event given")
    stated = _text(bundle, "leaf_hash")
    if not _HEX_HASH.fullmatch(stated):
        raise VerificationError("leaf_hash does not match the hash of the event")
    if redaction_of(event_bytes) is not None:
        if not allow_redacted:
            raise VerificationError(
                f"event {index} is redacted: only its leaf hash can be proven, not its body")
        leaf = bytes.fromhex(stated)
    else:
        leaf = leaf_hash(event_bytes)
        if bytes.fromhex(stated) != leaf:
            raise VerificationError("leaf_hash does not match the hash of the event")
    proof = _hashes(bundle.get("inclusion"), "inclusion")
    if not verify_inclusion(leaf, index, size, proof, checkpoint.root_hash):
        raise VerificationError(
            f"inclusion proof for leaf {index} does not lead to the checkpoint's root"
        )
    return checkpoint


def make_consistency_bundle(old_note: str, new_note: str, proof: list[bytes]) -> dict[str, Any]:
    """A consistency bundle proving the ``new_note`` tree extends the ``old_note`` tree.

    Refuses (:class:`LedgerInputError`) checkpoints of different origins or a proof that
    does not verify between their roots.
    """
    old = _unverified_checkpoint(old_note, "old_note")
    new = _unverified_checkpoint(new_note, "new_note")
    if old.origin != new.origin:
        raise LedgerInputError(f"checkpoints are of different logs: {old.origin!r}, {new.origin!r}")
    if not verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof):
        raise LedgerInputError(
            f"the consistency proof does not link size {old.size} to size {new.size}"
        )
    return {
        "format": CONSISTENCY_FORMAT,
        "old_size": old.size,
        "new_size": new.size,
        "consistency": _hex_list(proof),
        "old_checkpoint": old_note,
        "new_checkpoint": new_note,
    }


def verify_consistency_bundle(
    bundle: Mapping[str, Any], verifier_key: str
) -> tuple[Checkpoint, Checkpoint]:
    """Check a consistency bundle offline; return the (old, new) checkpoints it links.

    Both checkpoints must be signed by ``verifier_key``, share an origin and match the
    stated sizes, and the proof must verify between their roots (RFC 9162 §2.1.4.2).
    Raises :class:`VerificationError` naming what failed.
    """
    bundle = _check_format(bundle, CONSISTENCY_FORMAT)
    verifier = NoteVerifier.from_key(verifier_key)
    old = _open(_text(bundle, "old_checkpoint"), verifier, "old checkpoint")
    new = _open(_text(bundle, "new_checkpoint"), verifier, "new checkpoint")
    if old.origin != new.origin:
        raise VerificationError(
            f"checkpoints are of different logs: {old.origin!r}, {new.origin!r}"
        )
    if _count(bundle, "old_size") != old.size or _count(bundle, "new_size") != new.size:
        raise VerificationError("old_size/new_size do not match the checkpoints")
    proof = _hashes(bundle.get("consistency"), "consistency")
    if not verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof):
        raise VerificationError(
            f"consistency proof does not show size {new.size} extends size {old.size}"
        )
    return old, new
