"""Files on a user's behalf: where an upload may go, an item's preview (its text, its
picture), a verification of its capture time and place, and erasure of items and sources.

The same order as every change: the object must be visible (else "not found"), then the
role must allow it, then the work is done. A preview reads the bytes as a download does
(:func:`dadkhahi.access.reads.item_for_download`: visible, audited when protected).
"""

from __future__ import annotations

from typing import Any, Literal

from dadkhahi.access import reads
from dadkhahi.access.policy import Permission, Principal, require
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.capture_checks import verify_capture
from dadkhahi.intake.erasure import erase_item, erase_source
from dadkhahi.intake.evidence import ContentErasedError, item_content
from dadkhahi.intake.media import STRIPPABLE_IMAGES
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.versions import check_version

#: Media types shown in a page as pictures (an SVG may hold script: never shown).
PICTURES = STRIPPABLE_IMAGES - {"image/tiff", "image/heic"}
#: Text shown in a page (as text, escaped), and how much of it.
TEXT_TYPES = ("text/plain", "text/csv", "text/markdown", "application/json")
TEXT_PREVIEW_BYTES = 16 * 1024
#: PDFs larger than this are not rendered for a preview (the download stays).
PDF_PREVIEW_BYTES = 20 * 1024 * 1024


def upload_sensitivity(store: Store, principal: Principal, source_id: str) -> Sensitivity:
    """The sensitivity a file uploaded into a visible source takes (``add_evidence``).

    Checked before the file is read, so an invisible source or a missing permission is
    refused without taking the upload.
    """
    with store.reading() as conn:
        source = reads.visible_row(conn, principal, s.sources, source_id, "source")
    require(principal, Permission.ADD_EVIDENCE)
    return Sensitivity(source["sensitivity"])


def erase_item_for(
    store: Store, principal: Principal, item_id: str, reason: str, expected_version: int
) -> dict[str, Any]:
    """Erase a visible item's file and name by destroying its key (``erase``; If-Match)."""
    with store.reading() as conn:
        reads.visible_row(conn, principal, s.items, item_id, "item")
        check_version(conn, s.items, item_id, expected_version)
    require(principal, Permission.ERASE)
    index = erase_item(store, item_id, reason, principal.name)
    return {"item_id": item_id, "event": index}


def erase_source_for(
    store: Store, principal: Principal, source_id: str, reason: str, expected_version: int
) -> dict[str, Any]:
    """Erase a visible protected source and everything of it: its fields, items, lists,
    testimonies and the protected claims it supports (``erase``; If-Match)."""
    with store.reading() as conn:
        row = reads.visible_row(conn, principal, s.sources, source_id, "source")
        check_version(conn, s.sources, source_id, expected_version)
    require(principal, Permission.ERASE)
    if not row["sealed"]:
        raise ValidationError("this source holds no sealed fields to erase")
    index = erase_source(store, source_id, reason, principal.name)[0]
    return {"source_id": source_id, "event": index}


def verify_capture_for(
    store: Store, principal: Principal, item_id: str, *, method: str, result: str,
    time: str | None = None, place: str | None = None, note: str | None = None,
) -> dict[str, Any]:
    """Record a verification of a visible item's capture time and/or place (``review``:
    it judges a source's claim, as a review of a claim does), through
    :func:`dadkhahi.intake.capture_checks.verify_capture`."""
    with store.reading() as conn:
        reads.visible_row(conn, principal, s.items, item_id, "item")
    require(principal, Permission.REVIEW)
    return verify_capture(store, principal.name, item_id, method=method, result=result,
                          time=time, place=place, note=note)


def preview_of(item: dict[str, Any]) -> Literal["picture", "text"] | None:
    """How an item (a row as read) is previewed on its page: as a picture (an image, a
    PDF's first page), as text, or not at all (erased, or another kind)."""
    media = str(item["media_type"])
    if item.get("erased"):
        return None
    if media in PICTURES or (media == "application/pdf"
                             and int(item["size"]) <= PDF_PREVIEW_BYTES):
        return "picture"
    if media.startswith("text/") or media in TEXT_TYPES:
        return "text"
    return None


def text_preview(store: Store, principal: Principal, item_id: str) -> str | None:
    """The first :data:`TEXT_PREVIEW_BYTES` of a visible text item as text (audited as a
    download); None when its bytes are gone."""
    _, raw = reads.item_for_download(store, principal, item_id)
    taken = bytearray()
    try:
        with store.reading() as conn:
            for chunk in item_content(store, conn, raw):
                taken += chunk
                if len(taken) >= TEXT_PREVIEW_BYTES:
                    break
    except NotFoundError:
        return None
    return bytes(taken[:TEXT_PREVIEW_BYTES]).decode("utf-8", "replace")


def picture(store: Store, principal: Principal, item_id: str) -> tuple[bytes, str]:
    """(bytes, media type) shown as a visible item's picture: an image as stored (its
    copy without hidden metadata when there is one), or the first page of a PDF
    rendered as PNG. NotFoundError when there is none (another kind, a PDF too large,
    locked or unreadable, erased bytes)."""
    item, raw = reads.item_for_download(store, principal, item_id)
    media = str(item["media_type"])
    if media in PICTURES:
        copies = reads.read_page(store, principal, reads.RESOURCES["items"],
                                 reads.PageQuery(filters={"derived_from": item_id}, limit=5))
        stripped = [c for c in copies[0].data if c.get("derivation") == "metadata_stripped"]
        if stripped:
            copies[1].record(store, principal)
            item, raw = reads.item_for_download(store, principal, str(stripped[0]["id"]))
            media = str(item["media_type"])
    elif media != "application/pdf" or int(item["size"]) > PDF_PREVIEW_BYTES:
        raise NotFoundError("no picture of this item")
    try:
        with store.reading() as conn:
            data = b"".join(item_content(store, conn, raw))
    except ContentErasedError:
        raise NotFoundError("erased") from None
    if media in PICTURES:
        return data, media
    import pymupdf  # only for a PDF preview

    try:
        with pymupdf.open(stream=data, filetype="pdf") as doc:  # type: ignore[no-untyped-call]
            if doc.needs_pass or doc.page_count == 0:
                raise NotFoundError("no picture of this item")
            pixmap = doc[0].get_pixmap(dpi=72)
            return pixmap.tobytes("png"), "image/png"
    except (RuntimeError, ValueError):
        raise NotFoundError("no picture of this item") from None
