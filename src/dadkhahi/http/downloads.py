"""Downloads both faces serve the same way: an item's original bytes (the API's
``GET /api/items/{id}/content`` and the item page's download link) and the memorial's
last build as a zip (``GET /api/memorial/archive`` and the jobs page's link)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from starlette.responses import StreamingResponse

from dadkhahi.access import reads
from dadkhahi.access.policy import Principal
from dadkhahi.domain.safe_text import safe_display_name
from dadkhahi.http.requests import etag
from dadkhahi.intake.evidence import item_content
from dadkhahi.services.memorial import memorial_archive
from dadkhahi.store.store import Store


def disposition(name: str | None, fallback: str) -> str:
    """``Content-Disposition: attachment`` naming the file safely (ASCII and UTF-8)."""
    # Names stored before they were neutralised on the way in are neutralised here.
    shown = safe_display_name(name or "") or fallback
    ascii_name = shown.encode("ascii", "ignore").decode().replace('"', "") or fallback
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(shown)}"


def item_download(store: Store, principal: Principal, object_id: str) -> StreamingResponse:
    """Stream a visible item's original bytes, always as an attachment, never rendered
    (the read is audited by :func:`dadkhahi.access.reads.item_for_download`)."""
    item, raw = reads.item_for_download(store, principal, object_id)
    with store.reading() as conn:
        chunks = item_content(store, conn, raw)
    headers = {
        "Content-Disposition": disposition(item.get("original_name"), str(item["id"])),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Content-Length": str(item["size"]),
        "ETag": etag(int(item["version"])),
    }
    return StreamingResponse(chunks, media_type="application/octet-stream", headers=headers)


def memorial_download(store: Store, principal: Principal,
                      sequence: int | None = None) -> StreamingResponse:
    """Stream the memorial's last build as a zip (who may publish; audited), from the
    temporary file it was written to under the folder's lock, closed when sent."""
    archive = memorial_archive(store, principal, sequence)

    def chunks() -> Iterator[bytes]:
        with archive.file:
            while block := archive.file.read(1 << 20):
                yield block

    return StreamingResponse(chunks(), media_type="application/zip", headers={
        "Content-Disposition": disposition(archive.name, archive.name),
        "Content-Length": str(archive.size), "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store"})


__all__ = ["disposition", "item_download", "memorial_download"]
