"""Files: streaming upload into a source, streaming download, custody, erasure."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import reads
from dadkhahi.access.policy import Principal
from dadkhahi.api.deps import PrincipalDep, SettingsDep, StoreDep, VersionDep, etag
from dadkhahi.api.models import EraseIn, ItemUploadIn
from dadkhahi.api.settings import ApiSettings
from dadkhahi.api.uploads import (
    FormReader,
    UploadFields,
    field_names,
    form_schema,
    read_fields,
    refuse_oversized,
)
from dadkhahi.domain.safe_text import safe_display_name
from dadkhahi.intake.evidence import Receipt, begin_blob, item_content, take_in
from dadkhahi.services import items
from dadkhahi.store.store import Store

router = APIRouter(prefix="/api", tags=["items"])

#: Bytes gathered before a write is handed to a worker thread.
_WRITE_BATCH = 1024 * 1024
#: Fields a caller's ``check`` reads besides the upload's own (a page's form token).
CHECKED_FIELDS = frozenset({"csrf"})


def safe_name(raw: str | None) -> str | None:
    """A file name fit to keep as metadata: last path part, no control, bidi-override or
    invisible characters.

    Blobs are stored by hash, never by name, so a name cannot reach the file
    system; this only keeps what is shown later from being misleading.
    """
    if raw is None:
        return None
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = safe_display_name(name).strip().lstrip(".").strip()
    return name[:255] or None


@router.post(
    "/sources/{source_id}/items", status_code=201, response_model=dict[str, Any],
    openapi_extra=form_schema(ItemUploadIn, "The file's bytes"),
    responses={404: {"description": "No such source, or not visible to you"},
               413: {"description": "Larger than the server's upload limit"},
               415: {"description": "Not multipart/form-data"}},
)
async def upload(
    source_id: str,
    request: Request,
    store: StoreDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> Any:
    """Stream a file into a source, as multipart/form-data: the fields (`name`, `from`,
    `how`) first, then the file as the part named `file`. Identifying values go in the
    body, never in the URL. The file is hashed, typed from its content, and, for a
    protected source, encrypted before it touches the disk. Identical content already in
    the source is not stored twice (200 with the existing item)."""
    item, duplicate = await receive_item(request, store, principal, settings, source_id)
    if duplicate:
        return JSONResponse(item, status_code=200)
    return item


async def receive_item(
    request: Request, store: Store, principal: Principal, settings: ApiSettings,
    source_id: str, check: Callable[[UploadFields], None] | None = None,
) -> tuple[dict[str, Any], bool]:
    """Take one streamed upload into a source: (the item as shown, whether it was a
    duplicate). ``check`` sees the fields before the first byte of the file is read (the
    pages check their form token there); the API and the pages share this one path."""
    allowed = field_names(ItemUploadIn) | (CHECKED_FIELDS if check else frozenset())
    form = FormReader(request, allowed)
    fields = None
    if check is not None:
        # A page's form token comes first: a forged form learns nothing, not even whether
        # the source exists (the fields are small; no byte of the file is read yet).
        fields = await form.fields()
        check(fields)
    sensitivity = await run_in_threadpool(items.upload_sensitivity, store, principal,
                                          source_id)
    limit = settings.max_upload_bytes
    refuse_oversized(request, limit)
    if fields is None:
        fields = await form.fields()
    meta = read_fields(ItemUploadIn, fields)
    pending = begin_blob(store, sensitivity, limit)
    buffer = bytearray()
    try:
        async for chunk in form.file_chunks():
            buffer += chunk
            if len(buffer) >= _WRITE_BATCH:
                await run_in_threadpool(pending.incoming.write, bytes(buffer))
                buffer.clear()
        if buffer:
            await run_in_threadpool(pending.incoming.write, bytes(buffer))
        blob = await run_in_threadpool(pending.incoming.finish)
    except BaseException:
        pending.incoming.abort()
        raise
    receipt = Receipt(actor=principal.name, from_party=meta.from_party,
                      how=meta.how or "HTTP upload")
    taken = await run_in_threadpool(
        take_in, store, source_id, sensitivity, safe_name(meta.name or fields.filename), blob,
        receipt, item_id=pending.item_id, file_key=pending.file_key)
    item = await run_in_threadpool(
        reads.get_object, store, principal, reads.RESOURCES["items"], taken.item_id)
    return item, taken.duplicate


def _disposition(name: str | None, fallback: str) -> str:
    # Names stored before they were neutralised on the way in are neutralised here.
    shown = safe_display_name(name or "") or fallback
    ascii_name = shown.encode("ascii", "ignore").decode().replace('"', "") or fallback
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(shown)}"


@router.get("/items/{object_id}/content", response_class=StreamingResponse,
            responses={200: {"content": {"application/octet-stream": {}}},
                       404: {"description": "No such item, or not visible to you"},
                       410: {"description": "The file was erased"}})
def download(object_id: str, store: StoreDep, principal: PrincipalDep) -> StreamingResponse:
    """Stream an item's original bytes (always as an attachment, never rendered)."""
    item, raw = reads.item_for_download(store, principal, object_id)
    with store.reading() as conn:
        chunks = item_content(store, conn, raw)
    headers = {
        "Content-Disposition": _disposition(item.get("original_name"), str(item["id"])),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Content-Length": str(item["size"]),
        "ETag": etag(int(item["version"])),
    }
    return StreamingResponse(chunks, media_type="application/octet-stream", headers=headers)


@router.get("/items/{object_id}/custody", response_model=list[dict[str, Any]],
            responses={404: {"description": "No such item, or not visible to you"}})
def custody(object_id: str, store: StoreDep, principal: PrincipalDep) -> Any:
    """An item's chain of custody, oldest first."""
    return reads.custody_of(store, principal, object_id)


@router.post("/items/{object_id}/erase", response_model=dict[str, Any],
             responses={404: {"description": "No such item, or not visible to you"},
                        412: {"description": "Changed since you read it"}})
def erase(object_id: str, body: EraseIn, version: VersionDep, store: StoreDep,
          principal: PrincipalDep) -> Any:
    """Erase a protected item's file and name by destroying its key; hashes and proofs stay."""
    return items.erase_item_for(store, principal, object_id, body.reason, version)


@router.post("/sources/{object_id}/erase", response_model=dict[str, Any], tags=["sources"],
             responses={404: {"description": "No such source, or not visible to you"},
                        412: {"description": "Changed since you read it"}})
def erase_source(object_id: str, body: EraseIn, version: VersionDep, store: StoreDep,
                 principal: PrincipalDep) -> Any:
    """Erase a protected source's identifying fields by destroying their key."""
    return items.erase_source_for(store, principal, object_id, body.reason, version)
