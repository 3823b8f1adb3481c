"""Files: streaming upload into a source, streaming download, custody, verifications of
capture time and place, erasure."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from dadkhahi.access import reads
from dadkhahi.api.deps import PrincipalDep, SettingsDep, StoreDep, VersionDep
from dadkhahi.api.models import EraseIn
from dadkhahi.domain.safe_text import safe_name as safe_name  # still importable from here
from dadkhahi.http.downloads import item_download
from dadkhahi.http.models import CaptureVerificationIn, ItemUploadIn
from dadkhahi.http.uploads import form_schema, receive_item
from dadkhahi.services import items

router = APIRouter(prefix="/api", tags=["items"])


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


@router.get("/items/{object_id}/content", response_class=StreamingResponse,
            responses={200: {"content": {"application/octet-stream": {}}},
                       404: {"description": "No such item, or not visible to you"},
                       410: {"description": "The file was erased"}})
def download(object_id: str, store: StoreDep, principal: PrincipalDep) -> StreamingResponse:
    """Stream an item's original bytes (always as an attachment, never rendered)."""
    return item_download(store, principal, object_id)


@router.get("/items/{object_id}/custody", response_model=list[dict[str, Any]],
            responses={404: {"description": "No such item, or not visible to you"}})
def custody(object_id: str, store: StoreDep, principal: PrincipalDep) -> Any:
    """An item's chain of custody, oldest first."""
    return reads.custody_of(store, principal, object_id)


@router.get("/items/{object_id}/capture-verifications", response_model=list[dict[str, Any]],
            responses={404: {"description": "No such item, or not visible to you"}})
def capture_verifications(object_id: str, store: StoreDep, principal: PrincipalDep) -> Any:
    """The verifications of an item's capture time and place, oldest first."""
    return reads.capture_verifications_of(store, principal, object_id)


@router.post("/items/{object_id}/capture-verifications", status_code=201,
             response_model=dict[str, Any],
             responses={404: {"description": "No such item, or not visible to you"},
                        422: {"description": "Neither a time nor a place, or a derivative"}})
def verify_capture(object_id: str, body: CaptureVerificationIn, store: StoreDep,
                   principal: PrincipalDep) -> Any:
    """Record a verification of an original item's capture time and/or place: who (you),
    how, what was found and whether it is consistent with the source's claim. A
    protected item's time, place, method and note are sealed; court bundles carry the
    verification beside the claim where the item goes."""
    return items.verify_capture_for(store, principal, object_id, **body.model_dump())


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
