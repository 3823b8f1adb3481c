""""Verify now" for one evidence item: its bytes against its hash, its event against the log.

Both checks are the ones a recipient of the item and its proof would run offline: the
SHA-256 of the stored bytes (decrypted in memory for a protected item) must equal the
hash recorded when it was taken in, and the inclusion proof of the item's ledger event
must lead to the root of the latest signed checkpoint under the ledger's verifier key
(signed by the last change; checking signs nothing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from dadkhahi.access import reads
from dadkhahi.access.policy import Principal
from dadkhahi.domain.errors import ConflictError, NotFoundError
from dadkhahi.intake.evidence import ContentErasedError, item_content
from dadkhahi.ledger.errors import VerificationError
from dadkhahi.ledger.proofs import verify_bundle
from dadkhahi.services.ledger import inclusion_bundle
from dadkhahi.store.store import Store


@dataclass(frozen=True)
class ItemCheck:
    """What "verify now" found for one item."""

    item_id: str
    #: None when the bytes were erased (nothing left to hash); False when they differ or
    #: are missing.
    hash_matches: bool | None
    computed_sha256: str | None
    event_index: int
    #: Size of the signed checkpoint the event was proven against (None if the proof failed).
    checkpoint_size: int | None
    proof_problem: str | None

    @property
    def passed(self) -> bool:
        return self.hash_matches is not False and self.checkpoint_size is not None


def verify_item(store: Store, principal: Principal, item_id: str) -> ItemCheck:
    """Re-hash a visible item's bytes and check its event's inclusion proof (audited as a
    download: the bytes are read)."""
    item, raw = reads.item_for_download(store, principal, item_id)
    digest = hashlib.sha256()
    computed: str | None = None
    matches: bool | None
    try:
        with store.reading() as conn:
            for chunk in item_content(store, conn, raw):
                digest.update(chunk)
        computed = digest.hexdigest()
        matches = computed == item["sha256"]
    except ContentErasedError:
        matches = None  # erased on purpose: the hash and the proof remain
    except NotFoundError:
        matches = False  # the bytes are missing from the blob store
    index = int(item["ledger_index"])
    size: int | None
    problem = None
    try:
        bundle = inclusion_bundle(store, principal, index)
        size = verify_bundle(bundle, store.verifier_key()).size
    except (VerificationError, ConflictError) as exc:
        size, problem = None, str(exc)
    return ItemCheck(str(item["id"]), matches, computed, index, size, problem)
