"""The tamper-evident ledger core: canonical events, the RFC 9162 tree, checkpoints, proofs.

Pure code with no storage: the store implements :class:`NodeReader` and calls these
functions inside its transactions. Depends on ``dadkhahi.domain`` only.
"""

from __future__ import annotations

from dadkhahi.ledger.canonical import canonical_json
from dadkhahi.ledger.checkpoint import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    key_id,
    open_checkpoint,
    open_note,
    unverified_note_text,
)
from dadkhahi.ledger.errors import LedgerInputError, MissingNodeError, VerificationError
from dadkhahi.ledger.events import Event, utc_now
from dadkhahi.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MemoryNodes,
    Node,
    NodeKey,
    NodeReader,
    compute_root,
    consistency_proof,
    frontier_keys,
    inclusion_proof,
    leaf_hash,
    node_hash,
    nodes_for_append,
    root,
    verify_consistency,
    verify_inclusion,
)
from dadkhahi.ledger.proofs import (
    CONSISTENCY_FORMAT,
    INCLUSION_FORMAT,
    make_bundle,
    make_consistency_bundle,
    verify_bundle,
    verify_consistency_bundle,
)
from dadkhahi.ledger.sealing import new_data_key, seal, unseal, unwrap_key, wrap_key

__all__ = [
    "CONSISTENCY_FORMAT",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "INCLUSION_FORMAT",
    "Checkpoint",
    "Event",
    "LedgerInputError",
    "MemoryNodes",
    "MissingNodeError",
    "Node",
    "NodeKey",
    "NodeReader",
    "NoteSigner",
    "NoteVerifier",
    "VerificationError",
    "canonical_json",
    "compute_root",
    "consistency_proof",
    "frontier_keys",
    "inclusion_proof",
    "key_id",
    "leaf_hash",
    "make_bundle",
    "make_consistency_bundle",
    "new_data_key",
    "node_hash",
    "nodes_for_append",
    "open_checkpoint",
    "open_note",
    "root",
    "seal",
    "unseal",
    "unverified_note_text",
    "unwrap_key",
    "utc_now",
    "verify_bundle",
    "verify_consistency",
    "verify_consistency_bundle",
    "verify_inclusion",
    "wrap_key",
]
