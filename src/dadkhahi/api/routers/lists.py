"""List imports: a CSV or XLSX victim list streamed in, all or nothing; what was imported.

Who may do what is decided in :mod:`dadkhahi.api.lists_linkage`.
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from dadkhahi.api import lists_linkage as svc
from dadkhahi.api.deps import PrincipalDep, SettingsDep, StoreDep
from dadkhahi.api.errors import ApiError, ErrorBody
from dadkhahi.api.models import ListImportCreated, ListImportOut
from dadkhahi.api.routers.items import safe_name
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.vocab import Credibility, Reliability, Sensitivity
from dadkhahi.intake.evidence import Receipt
from dadkhahi.intake.list_columns import parse_mapping

router = APIRouter(prefix="/api", tags=["lists"])

#: Bytes gathered before a write is handed to a worker thread.
_WRITE_BATCH = 1024 * 1024


@router.get("/lists", response_model=list[ListImportOut])
def show_imports(store: StoreDep, principal: PrincipalDep) -> Any:
    """Every list import you may see, oldest first, with record and linked-person counts.

    An import is shown when its records would be: public ones to everyone, restricted
    ones to team members, protected ones only with a grant on their source.
    """
    return svc.imports_for(store, principal)


def _check_encoding(encoding: str | None) -> None:
    if encoding is None:
        return
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValidationError(f"encoding {encoding!r} is not one this server knows") from None


@router.post(
    "/lists", status_code=201, response_model=ListImportCreated,
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
    responses={404: {"description": "The source named is not visible to you"},
               409: {"model": ErrorBody, "description": "This file was imported before"},
               413: {"description": "Larger than the server's upload limit"},
               422: {"description": "The file was refused: `details` lists each problem "
                                    "as `line N, field F: what`; nothing was stored"}},
)
async def import_upload(
    request: Request,
    store: StoreDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    source: Annotated[str, Query(min_length=1, max_length=500, description=(
        "An existing source's ID or exact title; if none matches, a new source of kind "
        "`list` with this title is registered"))],
    id_column: Annotated[str | None, Query(max_length=500, description=(
        "Column holding the list's own record ids (must be unique)"))] = None,
    map_: Annotated[list[str] | None, Query(alias="map", max_length=50, description=(
        "FIELD=COLUMN, repeatable (full_name, given_name, family_name, father_name, sex, "
        "birth_year, age, city, province, prison, death_date, burial_place, affiliation, "
        "notes)"))] = None,
    sensitivity: Annotated[Sensitivity | None, Query(description=(
        "Of the records (default: the source's; restricted for a new source)"))] = None,
    name: Annotated[str | None, Query(max_length=1024, description="Original file name")]
    = None,
    encoding: Annotated[str | None, Query(max_length=40, description=(
        "Text encoding of a CSV (default: detected)"))] = None,
    sheet: Annotated[str | None, Query(max_length=200, description=(
        "XLSX sheet (default: the first)"))] = None,
    reliability: Annotated[Reliability, Query(description="New source: Admiralty A-F")]
    = Reliability.F,
    credibility: Annotated[Credibility, Query(description="New source: Admiralty 1-6")]
    = Credibility.CANNOT_JUDGE,
    from_party: Annotated[str | None, Query(alias="from", max_length=500)] = None,
    how: Annotated[str | None, Query(max_length=500)] = None,
) -> Any:
    """Stream a victim list (raw body: CSV in UTF-8, UTF-16 or Windows-1256, or XLSX) into
    a source. Every row is validated before anything is written: one bad row refuses the
    file (422, each problem named by line and field) and nothing is stored. The file is
    kept as an item and each row becomes a record, in one ledger event. Needs the
    add-evidence permission."""
    mapping = parse_mapping(map_ or [])
    _check_encoding(encoding)
    target = await run_in_threadpool(
        svc.import_target, store, principal, source, sensitivity, reliability, credibility)
    limit = settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"file is larger than the limit of {limit:,} bytes")
    # The list is read from a file: keep it in a private folder under the data
    # directory only for the length of the import.
    uploads = store.home.path / "uploads"
    uploads.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=uploads, prefix="list-"))
    try:
        path = folder / (safe_name(name) or "list")
        await _receive(request, path, limit)
        receipt = Receipt(actor=principal.name, from_party=from_party,
                          how=how or "HTTP list upload")
        return await run_in_threadpool(
            svc.import_upload, store, principal, path, target, id_column=id_column,
            mapping=mapping, sensitivity=sensitivity, encoding=encoding, sheet=sheet,
            receipt=receipt)
    finally:
        await run_in_threadpool(shutil.rmtree, folder, True)


async def _receive(request: Request, path: Path, limit: int) -> None:
    """Write the request body to ``path``, refusing (413) more than ``limit`` bytes."""
    size = 0
    buffer = bytearray()
    with open(path, "wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, f"file is larger than the limit of {limit:,} bytes")
            buffer += chunk
            if len(buffer) >= _WRITE_BATCH:
                await run_in_threadpool(out.write, bytes(buffer))
                buffer.clear()
        if buffer:
            await run_in_threadpool(out.write, bytes(buffer))
