"""Verifications of an item's capture time and place (issue 16).

A source claims when and where its files were made (``collected_at``, ``location``, as
given when it was registered). Someone who checks that claim (geolocation from landmarks,
chronolocation from shadows or weather, metadata against the witness's account) records
what they found as an ``item.capture_verified`` event: who (the ledger's pseudonym), when,
how (method), the capture time and/or place found, and whether it is consistent with the
claim (``domain.vocab.CaptureResult``: a judgement, never "proven"), with a note.

Only an original's capture is verified (a derivative was made later, from it). A protected
item's verification is sealed like the item's own fields (``domain.protected``: the time,
place, method and note), so a place that can point at a witness is in no clear column,
event field, URL or log line; it goes into a court bundle only where the item goes, by the
one disclosure rule (``access.disclosure``, table ``capture_verifications``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.vocab import CaptureResult, Sensitivity
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, utc_now

#: Longest text taken for a time, a place or a method; a note may be longer.
SHORT = 500
NOTE = 4000


def _text(value: str | None, name: str, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(f"the {name} is longer than {limit} characters")
    return value


def verify_capture(store: Store, actor: str, item_id: str, *, method: str,
                   result: CaptureResult | str, time: str | None = None,
                   place: str | None = None, note: str | None = None) -> dict[str, Any]:
    """Record a verification of an original item's capture time and/or place.

    ``time`` and ``place`` are what the verifier found (at least one); ``method`` says how;
    ``result`` whether that is consistent with the source's claim. The caller has checked
    the actor may see the item and judge it (``services.items.verify_capture_for``; the
    command line acts as the home's operator). Returns the verification as recorded (the
    values given, the event's index)."""
    try:
        found = CaptureResult(result)
    except ValueError:
        raise ValidationError(f"the result is one of {', '.join(CaptureResult)}, "
                              f"not {result!r}") from None
    shown_method = _text(method, "method", SHORT)
    if shown_method is None:
        raise ValidationError("say how the capture was verified (--method)")
    shown_time, shown_place = _text(time, "time", SHORT), _text(place, "place", SHORT)
    if shown_time is None and shown_place is None:
        raise ValidationError("give the capture time, the place or both (--time, --place)")
    shown_note = _text(note, "note", NOTE)
    with store.reading() as conn:
        item = conn.execute(select(s.items).where(s.items.c.id == item_id)).mappings().first()
    if item is None:
        raise NotFoundError(f"no item {item_id!r}")
    if item["derived_from"] is not None:
        raise ValidationError("a derivative was made from its original: verify the "
                              f"original's capture ({item['derived_from']})")
    verification_id, now = new_id("captureverification"), utc_now()
    with store.transaction(actor) as tx:
        data: dict[str, Any] = {
            "id": verification_id, "item_id": item["id"], "source_id": item["source_id"],
            "actor": tx.actor, "at": now, "method": shown_method, "result": str(found),
            "time": shown_time, "place": shown_place, "note": shown_note,
            "sensitivity": item["sensitivity"],
        }
        if item["sensitivity"] == str(Sensitivity.PROTECTED):
            data = tx.seal_protected("capture_verification", data, verification_id)
        index = tx.emit("item.capture_verified", data, time=now)
    return {"id": verification_id, "item_id": item["id"], "at": now, "method": shown_method,
            "result": str(found), "time": shown_time, "place": shown_place,
            "note": shown_note, "event": index}


def verifications_in(conn: Connection, item_ids: list[str]) -> list[dict[str, Any]]:
    """The verifications of these items as stored (sealed fields sealed), oldest first."""
    v = s.capture_verifications.c
    return [dict(r) for r in conn.execute(
        select(s.capture_verifications).where(v.item_id.in_(item_ids))
        .order_by(v.ledger_index)).mappings()]


__all__ = ["NOTE", "SHORT", "verifications_in", "verify_capture"]
