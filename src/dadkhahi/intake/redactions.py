"""Redacted copies: a derivative of an item without what an audience may not see.

The original is never touched. The copy (``documents.redact``: PDF redactions applied and
the file scrubbed, an image rebuilt from painted-over pixels, a text with spans replaced)
is a derivative item (``derivation`` ``redacted``) with its own SHA-256, pointing to the
original, as protected as the original (sealed under its own file key when protected):
who made it is the custody entry's actor (a pseudonym in the ledger), why and how much
was removed its notes (sealed with the rest of a protected item's custody). The removed
words are never written anywhere: only how many areas and spans were removed.

A copy may then be *released* at a lower sensitivity than its original (the redaction
removed what made the original protected), only by an explicit decision recorded as an
``item.released`` event (previous and new sensitivity; the reason sealed under a data key
of its own). The one disclosure rule (``access.disclosure``) then judges the copy by its
own sensitivity, without its original, which stays withheld: a court bundle carries the
copy where the original may not go. The copy's file stays encrypted at rest as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from dadkhahi.documents.redact import Area, RedactionError, redact
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.documents import _source_sensitivity, _strictest
from dadkhahi.intake.evidence import Receipt, add_item, item_content, store_bytes
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, utc_now

#: ``items.derivation`` of a redacted copy.
DERIVATION = "redacted"
#: Files read into memory to be redacted are at most this large.
MAX_REDACT_BYTES = 256 * 1024 * 1024


def redact_item(store: Store, item_id: str, actor: str, *, reason: str,
                areas: Sequence[Area] = (), texts: Sequence[str] = ()) -> dict[str, Any]:
    """Make and store a redacted copy of an item; answers its ID, hashes and counts."""
    if not reason.strip():
        raise ValidationError("say why the copy is redacted (--reason)")
    with store.reading() as conn:
        row = conn.execute(select(s.items).where(s.items.c.id == item_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no item {item_id!r}")
        item = dict(row)
        if item["derivation"] == DERIVATION:
            raise ValidationError("this item is a redacted copy already; redact its original")
        if int(item["size"]) > MAX_REDACT_BYTES:
            raise ValidationError(f"files over {MAX_REDACT_BYTES:,} bytes are not redacted")
        data = b"".join(item_content(store, conn, item))
        level = _strictest(str(item["sensitivity"]),
                           _source_sensitivity(conn, str(item["source_id"])))
    done = redact(data, str(item["media_type"]), areas=areas, texts=texts)
    if done.areas == 0 and done.spans == 0:
        raise RedactionError("none of the words was found; nothing was stored")
    copy_id, blob, key = store_bytes(store, done.data, level)
    receipt = Receipt(actor=actor, how="redaction",
                      notes=f"redacted copy of sha256:{item['sha256']}: {done.areas} area(s) "
                            f"and {done.spans} span(s) of text removed; why: {reason.strip()}")
    with store.transaction(actor) as tx:
        add_item(store, tx, str(item["source_id"]), level, None, blob, receipt,
                 derived_from=item_id, derivation=DERIVATION, media_type=done.media_type,
                 item_id=copy_id, file_key=key)
    return {"item_id": item_id, "redacted_item_id": copy_id, "sha256": blob.sha256,
            "parent_sha256": item["sha256"], "media_type": done.media_type,
            "areas": done.areas, "spans": done.spans}


_ORDER = [Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.PROTECTED]


def release_copy(store: Store, copy_id: str, actor: str, *, sensitivity: Sensitivity,
                 reason: str) -> dict[str, Any]:
    """Release a redacted copy at a lower sensitivity (``item.released``); see the module's
    note. The caller has checked the actor's right to decide it (``services.redactions``)."""
    if not reason.strip():
        raise ValidationError("say why the copy may be less protected than its original "
                              "(--reason)")
    with store.reading() as conn:
        row = conn.execute(select(s.items).where(s.items.c.id == copy_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no item {copy_id!r}")
        if row["derivation"] != DERIVATION:
            raise ValidationError("only a redacted copy is released at a lower sensitivity; "
                                  "redact the item first")
        current = Sensitivity(str(row["sensitivity"]))
    if _ORDER.index(sensitivity) >= _ORDER.index(current):
        raise ValidationError(f"the copy is {current} already; a release lowers it "
                              f"(to {' or '.join(str(x) for x in _ORDER[:_ORDER.index(current)])})"
                              if current is not Sensitivity.PUBLIC
                              else "the copy is public already")
    release_id = new_id("release")
    with store.transaction(actor) as tx:
        index = tx.emit("item.released", {
            "id": release_id, "item_id": copy_id, "original_id": row["derived_from"],
            "sensitivity": str(sensitivity), "previous": str(current),
            # The reason may say what was removed: sealed, like a protected custody note.
            "sealed": tx.seal({"reason": reason.strip()}, release_id), "at": utc_now()})
    return {"id": release_id, "item_id": copy_id, "original_id": row["derived_from"],
            "sensitivity": str(sensitivity), "previous": str(current), "event": index}
