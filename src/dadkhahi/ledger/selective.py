"""Selective proofs: prove one row of a batch event, or one sealed field, and nothing else.

Two commitments make it possible (both in new events; older events verify as before):

* **Rows.** A batch event (version 2, :mod:`dadkhahi.ledger.events`) keeps its rows in
  ``data.records``, but its leaf hash is taken over its committed form, where the rows are
  replaced by ``{"count": N, "root": hex}``: the RFC 9162 Merkle tree hash over each
  row's canonical bytes (the same leaf and node hashing as the log itself). A row is
  proven by its bytes and its inclusion path to that root, beside the inclusion proof of
  the committed event; the other rows stay home.
* **Sealed fields.** A sealed payload carries, in clear, ``commitments``: for each field,
  the SHA-256 of its *disclosure*, the canonical JSON array ``[salt, name, value]``
  (as SD-JWT does). The salt is derived from the payload's own data key
  (HMAC-SHA256, :func:`field_salt`), so it is kept sealed in the store, disclosed only
  with its field, and destroyed with the key: an erased value cannot be guessed and
  tested against its commitment.

A *selective proof* (format ``dadkhahi-selective-proof/v1``) is an inclusion bundle of
the committed event plus the disclosed rows (with paths) and fields (with salts). It is
checked by :func:`verify_selective` here and by ``offline.kit.check_selective`` in
every offline verifier: one implementation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dadkhahi.ledger.canonical import canonical_json
from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.events import BATCH_VERSION, ROWS_KEY
from dadkhahi.ledger.merkle import MemoryNodes, inclusion_proof, leaf_hash
from dadkhahi.offline import kit

SELECTIVE_FORMAT = kit.SELECTIVE_FORMAT
SALT_BYTES = 16
"""128-bit salts, as SD-JWT recommends."""


def field_salt(data_key: bytes, key_id: str, context: str, name: str) -> str:
    """The salt of field ``name`` of the payload sealed under ``data_key`` (base64).

    Derived, not stored: HMAC-SHA256 over the key's ID, the payload's context and the
    field's name, so it needs no column of its own and dies with the key.
    """
    message = f"dadkhahi field salt\n{key_id}\n{context}\n{name}".encode()
    digest = hmac.new(data_key, message, hashlib.sha256).digest()[:SALT_BYTES]
    return base64.b64encode(digest).decode("ascii")


#: Hex SHA-256 of a disclosure's text: the commitment (the kit's, so one definition).
digest = kit.disclosure_digest


def disclosure(salt: str, name: str, value: Any) -> str:
    """The disclosure text of one field: canonical JSON ``[salt, name, value]``."""
    return canonical_json([salt, name, value]).decode("utf-8")


def commitments(payload: Mapping[str, Any], salts: Mapping[str, str]) -> dict[str, str]:
    """``{name: hex SHA-256 of its disclosure}`` for every field of a sealed payload."""
    return {name: digest(disclosure(salts[name], name, value))
            for name, value in payload.items()}


class RowTree:
    """The rows of one stored batch event, their tree built once for many row proofs."""

    def __init__(self, event_body: bytes) -> None:
        parsed = json.loads(event_body)
        rows = parsed.get("data", {}).get(ROWS_KEY) if isinstance(parsed, dict) else None
        if parsed.get("v") != BATCH_VERSION or not isinstance(rows, list):
            raise LedgerInputError("not a batch event (version 2) with its rows")
        self.texts = [canonical_json(row).decode("utf-8") for row in rows]
        self.rows: list[dict[str, Any]] = rows
        self._tree = MemoryNodes()
        self._tree.append([leaf_hash(t.encode("utf-8")) for t in self.texts])

    def proof(self, index: int) -> dict[str, Any]:
        """``{"index", "row", "path"}``: one row's bytes and inclusion path to the root."""
        if not 0 <= index < len(self.texts):
            raise LedgerInputError(f"row {index} is not in a batch of {len(self.texts)} rows")
        path = inclusion_proof(index, len(self.texts), self._tree)
        return {"index": index, "row": self.texts[index], "path": [h.hex() for h in path]}


def make_selective(
    inclusion: Mapping[str, Any],
    rows: Iterable[Mapping[str, Any]] = (),
    fields: Iterable[tuple[int | None, str, str]] = (),
) -> dict[str, Any]:
    """A selective proof: an inclusion bundle of the committed event, rows and fields.

    ``rows``: :meth:`RowTree.proof` results; ``fields``: ``(row index or None for the
    event's own sealed payload, name, disclosure text)``. Refuses (LedgerInputError) a
    proof that would not verify, so a bad proof is caught where it is made.
    """
    proof = {"format": SELECTIVE_FORMAT, "inclusion": dict(inclusion), "rows": list(rows),
             "fields": [{"row": at, "name": name, "disclosure": text}
                        for at, name, text in fields]}
    try:
        kit.check_selective(str(inclusion.get("event")), proof)
    except kit.KitError as exc:
        raise LedgerInputError(f"the selective proof does not check: {exc}") from exc
    return proof


def verify_selective(proof: Mapping[str, Any], verifier_key: str) -> dict[str, Any]:
    """Check a selective proof offline; returns what it proves.

    ``{"index": event index, "event": committed event (parsed), "rows": {index: row},
    "fields": {(row, name): value}}``. Raises :class:`VerificationError` naming the
    first thing that failed (the checkpoint, the event's inclusion, a row, a field).
    """
    from dadkhahi.ledger.proofs import verify_bundle

    if not isinstance(proof, Mapping) or proof.get("format") != SELECTIVE_FORMAT:
        raise VerificationError(f"format is not {SELECTIVE_FORMAT!r}")
    inclusion = proof.get("inclusion")
    if not isinstance(inclusion, Mapping):
        raise VerificationError("the selective proof carries no inclusion bundle")
    verify_bundle(inclusion, verifier_key)
    event_text = str(inclusion.get("event"))
    try:
        found = kit.check_selective(event_text, proof)
    except kit.KitError as exc:
        raise VerificationError(str(exc)) from exc
    return {"index": inclusion.get("index"), "event": json.loads(event_text), **found}


def row_indices(rows: Sequence[Mapping[str, Any]], ids: Iterable[str]) -> list[int]:
    """Positions of the rows whose ``id`` is among ``ids``, in batch order."""
    wanted = set(ids)
    return [i for i, row in enumerate(rows) if row.get("id") in wanted]


__all__ = ["SALT_BYTES", "SELECTIVE_FORMAT", "RowTree", "commitments", "digest", "disclosure",
           "field_salt", "make_selective", "row_indices", "verify_selective"]
