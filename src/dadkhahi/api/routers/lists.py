"""List imports: a CSV or XLSX victim list streamed in, all or nothing; what was imported.

Who may do what is decided in :mod:`dadkhahi.services.lists_linkage`.
"""

from __future__ import annotations

import codecs
import shutil
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.api.deps import PrincipalDep, SettingsDep, StoreDep, VersionDep
from dadkhahi.api.errors import ErrorBody
from dadkhahi.api.models import (
    ListDescriptionIn,
    ListImportCreated,
    ListImportOut,
    ListOut,
    ListUploadIn,
)
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.safe_text import safe_name
from dadkhahi.http.requests import etag
from dadkhahi.http.uploads import (
    FormReader,
    field_names,
    form_schema,
    read_fields,
    refuse_oversized,
)
from dadkhahi.intake.evidence import Receipt
from dadkhahi.intake.list_columns import parse_mapping
from dadkhahi.services import lists_linkage as svc
from dadkhahi.services.uploads import private_folder, receive_file

router = APIRouter(prefix="/api", tags=["lists"])

#: Upload fields that say what a list is (a new version keeps its list's).
_DESCRIPTION_FIELDS = frozenset({"list_kind", "province", "period", "derived_from",
                                 "compiled_by"})


@router.get("/lists", response_model=list[ListImportOut])
def show_imports(store: StoreDep, principal: PrincipalDep) -> Any:
    """Every list import you may see, oldest first, with record and linked-person counts.

    An import is shown when its records would be: public ones to everyone, restricted
    ones to team members, protected ones only with a grant on their source.
    """
    return svc.imports_for(store, principal)


@router.patch(
    "/lists/{list_id}/description", response_model=ListOut,
    responses={404: {"description": "No such list, or not visible to you"},
               412: {"description": "Changed since you read it"},
               428: {"description": "If-Match missing"}},
)
def describe_list(list_id: str, body: ListDescriptionIn, version: VersionDep,
                  response: Response, store: StoreDep, principal: PrincipalDep) -> Any:
    """Change what a list lists (kind), covers (provinces, period) or came from
    (provenance), as one ledger event; send If-Match with the list's ETag (its
    ``list.version``). Needs the add-evidence permission."""
    fields = {name: getattr(body, name) for name in body.model_fields_set}
    view = svc.describe_for(store, principal, list_id, fields, version)
    response.headers["ETag"] = etag(int(view["version"]))
    return view


def _check_encoding(encoding: str | None) -> None:
    if encoding is None:
        return
    try:
        codecs.lookup(encoding)
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        raise ValidationError(f"encoding {encoding!r} is not one this server knows") from None


@router.post(
    "/lists", status_code=201, response_model=ListImportCreated,
    openapi_extra=form_schema(ListUploadIn, "The list: CSV (UTF-8, UTF-16 or Windows-1256) "
                                            "or XLSX"),
    responses={404: {"description": "The source or list named is not visible to you"},
               409: {"model": ErrorBody, "description": "This file was imported before"},
               413: {"description": "Larger than the server's upload limit"},
               415: {"description": "Not multipart/form-data"},
               422: {"description": "The file was refused: `details` lists each problem "
                                    "as `line N, field F: what`; nothing was stored"}},
)
async def import_upload(
    request: Request,
    store: StoreDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> Any:
    """Stream a victim list into a source, as multipart/form-data: the fields (`source`,
    `id_column`, `map`…) first, then the file as the part named `file`. Identifying values
    (a protected source's title, the file's name, who handed it over) go in the body, never
    in the URL. Every row is validated before anything is written: one bad row refuses the
    file (422, each problem named by line and field) and nothing is stored. The file is
    kept as an item and each row becomes a record, in one ledger event. Needs the
    add-evidence permission. With `new_version_of` (a list's ID, in the body) the file
    becomes that list's next version: `changes` says what it added, removed and
    changed, and what became of review decisions."""
    limit = settings.max_upload_bytes
    refuse_oversized(request, limit)
    form = FormReader(request, field_names(ListUploadIn))
    fields = await form.fields()
    meta = read_fields(ListUploadIn, fields)
    mapping = parse_mapping(meta.map)
    _check_encoding(meta.encoding)
    # Checked before the file is read: an invisible source or list, or a missing
    # permission, is refused without taking the upload.
    if meta.new_version_of is not None:
        if meta.source is not None:
            raise ValidationError("source: a new version stays with its list's source; "
                                  "give source or new_version_of, not both")
        if meta.model_fields_set & _DESCRIPTION_FIELDS:
            raise ValidationError("a new version keeps its list's description: change it "
                                  "with PATCH /api/lists/{list_id}/description")
        target = await run_in_threadpool(
            svc.version_target, store, principal, meta.new_version_of, meta.sensitivity)
        description = None
    else:
        if meta.source is None:
            raise ValidationError("source: give a source ID or title (or new_version_of)")
        target = await run_in_threadpool(
            svc.import_target, store, principal, meta.source, meta.sensitivity,
            meta.reliability, meta.credibility)
        description = await run_in_threadpool(
            svc.description_for, store, principal, meta.list_kind, meta.province,
            meta.period, meta.derived_from, meta.compiled_by)
    # The list is read from a file: keep it in a private folder under the data
    # directory only for the length of the import.
    folder = private_folder(store.home, "list-")
    try:
        path = folder / (safe_name(meta.name or fields.filename) or "list")
        await receive_file(form.file_chunks(), path, limit)
        receipt = Receipt(actor=principal.name, from_party=meta.from_party,
                          how=meta.how or "HTTP list upload")
        return await run_in_threadpool(
            svc.import_upload, store, principal, path, target, id_column=meta.id_column,
            mapping=mapping, sensitivity=meta.sensitivity, encoding=meta.encoding,
            sheet=meta.sheet, receipt=receipt, description=description,
            multiline_cells=meta.multiline_cells)
    finally:
        await run_in_threadpool(shutil.rmtree, folder, True)

