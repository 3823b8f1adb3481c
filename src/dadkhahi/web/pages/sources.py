"""Sources and evidence items: lists, registration, upload, preview, custody, proofs,
verifications of an item's capture time and place.

Reads go through :mod:`dadkhahi.access.reads` (visibility in SQL, protected objects
audited), changes through :mod:`dadkhahi.services` (the same functions as the API), and
an upload through the one streaming path both faces share
(:func:`dadkhahi.http.uploads.receive_item`), with this page's
form token checked before the first byte of the file is taken. Identifying values (a
title, a file name, who handed a file over) travel in form bodies, never in URLs.
"""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import reads
from dadkhahi.access.policy import Permission
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.http.downloads import item_download as download_response
from dadkhahi.http.errors import HttpError
from dadkhahi.http.models import CaptureVerificationIn, SourceIn
from dadkhahi.http.uploads import UploadFields, receive_item
from dadkhahi.intake.documents import has_own_text
from dadkhahi.services import items as item_service
from dadkhahi.services import ledger as ledger_service
from dadkhahi.services import objects as object_service
from dadkhahi.services.verification import ItemCheck, verify_item
from dadkhahi.store.store import Store
from dadkhahi.web.i18n import language
from dadkhahi.web.nav import N_, register
from dadkhahi.web.pages.common import LangDep, Listing, VisitorDep, page_router, permitted
from dadkhahi.web.pages.persons import SENSITIVITY
from dadkhahi.web.render import render
from dadkhahi.web.security import check_csrf, read_form, visitor

router = page_router()
register("/sources", N_("Sources"))

PAGE_SIZE = 25
SOURCE_KINDS = {
    "list": N_("list"), "testimony": N_("testimony"), "document": N_("document"),
    "article": N_("article"), "dataset": N_("dataset"), "photo": N_("photo"),
    "video": N_("video"), "audio": N_("audio"),
}
RELIABILITY = {
    "A": N_("A: completely reliable"), "B": N_("B: usually reliable"),
    "C": N_("C: fairly reliable"), "D": N_("D: not usually reliable"),
    "E": N_("E: unreliable"), "F": N_("F: reliability cannot be judged"),
}
CREDIBILITY = {
    "1": N_("1: confirmed by other sources"), "2": N_("2: probably true"),
    "3": N_("3: possibly true"), "4": N_("4: doubtful"), "5": N_("5: improbable"),
    "6": N_("6: truth cannot be judged"),
}
SOURCE_SORTS = {"-created_at": N_("newest first"), "created_at": N_("oldest first"),
                "title": N_("title")}
SOURCE_LIST = Listing(SOURCE_SORTS, "-created_at", {
    "kind": (N_("Kind"), SOURCE_KINDS), "sensitivity": (N_("Sensitivity"), SENSITIVITY)})
CUSTODY_ACTIONS = {"received": N_("received"), "derived": N_("derived"),
                   "erased": N_("erased"), "verified": N_("verified"),
                   "transferred": N_("transferred")}
DERIVATIONS = {"metadata_stripped": N_("copy without hidden metadata (location, camera)"),
               "text": N_("extracted text")}
#: Form fields of a source, in order, with labels (the select fields have their options).
SOURCE_FIELDS = (
    ("title", N_("Title")), ("collected_by", N_("Collected by")),
    ("collected_at", N_("Collected on")), ("method", N_("Method")),
    ("location", N_("Where it was collected")), ("language", N_("Language")),
    ("citation", N_("Citation")), ("notes", N_("Notes")),
)
#: What a verification of a capture found against the source's claim (``CaptureResult``).
CAPTURE_RESULTS = {"consistent": N_("consistent with the claim"),
                   "inconsistent": N_("inconsistent with the claim"),
                   "inconclusive": N_("inconclusive")}
#: The form's text fields of a capture verification (the API's names), with labels.
CAPTURE_FIELDS = (("time", N_("Capture time found")), ("place", N_("Capture place found")),
                  ("method", N_("How it was verified")), ("note", N_("Note")))
#: Upload fields (the API's names), with labels.
UPLOAD_FIELDS = (("name", N_("File name (optional)")),
                 ("from", N_("Handed over by")), ("how", N_("How it was obtained")))


def _choices() -> dict[str, Any]:
    return {"source_kinds": SOURCE_KINDS, "reliability": RELIABILITY,
            "credibility": CREDIBILITY, "sensitivity": SENSITIVITY,
            "source_fields": SOURCE_FIELDS, "upload_fields": UPLOAD_FIELDS}


async def _read_page(request: Request, resource: str, query: reads.PageQuery
                     ) -> reads.Page:
    current = await visitor(request)
    store: Store = request.app.state.store
    page, pending = await run_in_threadpool(reads.read_page, store, current.principal,
                                            reads.RESOURCES[resource], query)
    if pending.objects:
        await run_in_threadpool(pending.record, store, current.principal)
    return page


async def _read_one(request: Request, resource: str, object_id: str) -> dict[str, Any]:
    current = await visitor(request)
    store: Store = request.app.state.store
    obj, pending = await run_in_threadpool(reads.read_object, store, current.principal,
                                           reads.RESOURCES[resource], object_id)
    if pending.objects:
        await run_in_threadpool(pending.record, store, current.principal)
    return obj


@router.get("/sources")
async def sources(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The sources the visitor may see, filtered by kind and sensitivity, sorted, paged."""
    return await _sources_page(request, lang)


async def _sources_page(request: Request, lang: str, errors: dict[str, str] | None = None,
                        entered: dict[str, str] | None = None, status: int = 200
                        ) -> Response:
    current = await visitor(request)
    asked = SOURCE_LIST.asked(request)
    page = await _read_page(request, "sources", reads.PageQuery(
        filters=asked.filters, sort=asked.sort, limit=PAGE_SIZE, cursor=asked.cursor,
        count=True))
    return render(request, "sources.html", {
        "page": page, "asked": asked, "listing": SOURCE_LIST,
        "can_add": current.principal.can(Permission.ADD_EVIDENCE),
        "errors": errors or {}, "entered": entered or {}, **_choices(),
    }, current, lang, status)


def _field_errors(exc: PydanticValidationError, tr: Any) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "form"
        if error["type"] in ("string_too_short", "missing"):
            errors[name] = tr("This field is required.")
        elif error["type"] == "string_too_long":
            errors[name] = tr("This is too long.")
        else:
            errors[name] = tr("Choose one of the values offered.")
    return errors


@router.post("/sources")
async def add_source(request: Request, lang: LangDep) -> Response:
    """Register a source (a protected one has its identifying fields sealed and is granted
    to its creator): the API's service, a ledger event with the signed-in user as actor."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ADD_EVIDENCE)
    tr = language(lang).gettext
    values = {k: v for k, v in form.items() if v}
    try:
        body = SourceIn.model_validate(values)
    except PydanticValidationError as exc:
        return await _sources_page(request, lang, _field_errors(exc, tr), form, 422)
    try:
        made = await run_in_threadpool(object_service.create_source, request.app.state.store,
                                       current.principal, SourceSpec(**body.model_dump()))
    except ValidationError:
        return await _sources_page(request, lang, {"sensitivity": tr(
            "You would not be able to see this source: check its sensitivity.")}, form, 422)
    return RedirectResponse(f"/{lang}/sources/{made['id']}", status_code=303)


@router.get("/sources/{source_id}")
async def source(request: Request, lang: LangDep, current: VisitorDep,
                 source_id: str) -> Response:
    """One source: what it is, how far it is trusted, its items; an upload form."""
    return await _source_page(request, lang, source_id)


async def _source_page(request: Request, lang: str, source_id: str,
                       errors: dict[str, str] | None = None, status: int = 200) -> Response:
    current = await visitor(request)
    found = await _read_one(request, "sources", source_id)
    cursor = request.query_params.get("cursor") or None
    items = await _read_page(request, "items", reads.PageQuery(
        filters={"source_id": source_id}, sort="-received_at", limit=PAGE_SIZE,
        cursor=cursor, count=True))
    return render(request, "source.html", {
        "source": found, "items": items,
        "can_upload": current.principal.can(Permission.ADD_EVIDENCE),
        "errors": errors or {}, **_choices(),
    }, current, lang, status)


@router.post("/sources/{source_id}/items")
async def upload(request: Request, lang: LangDep, source_id: str) -> Response:
    """Stream a file into the source (multipart: the form token and the fields first, then
    the file), through the upload path the API shares; then show the new item."""
    current = await visitor(request)
    tr = language(lang).gettext

    def check(fields: UploadFields) -> None:
        check_csrf(request, current, fields.one("csrf"))

    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        check_csrf(request, current, None)  # no form to carry a token: the header's or 403
    try:
        item, _ = await receive_item(request, request.app.state.store, current.principal,
                                     request.app.state.settings, source_id, check)
    except HttpError as exc:
        if exc.status in (413, 415):
            raise
        return await _source_page(request, lang, source_id, {"file": tr(
            "Choose a file to upload, and fill in the fields before it.")}, 422)
    return RedirectResponse(f"/{lang}/items/{item['id']}", status_code=303)


async def _custody(request: Request, item_id: str) -> list[dict[str, Any]]:
    current = await visitor(request)
    return await run_in_threadpool(reads.custody_of, request.app.state.store,
                                   current.principal, item_id)


async def _item_page(request: Request, lang: str, item_id: str,
                     check: ItemCheck | None = None, errors: dict[str, str] | None = None,
                     entered: dict[str, str] | None = None, status: int = 200) -> Response:
    current = await visitor(request)
    store: Store = request.app.state.store
    item = await _read_one(request, "items", item_id)
    derived = (await _read_page(request, "items", reads.PageQuery(
        filters={"derived_from": item_id}, limit=20))).data
    chain = await _custody(request, item_id)
    captures = await run_in_threadpool(reads.capture_verifications_of, store,
                                       current.principal, item_id)
    src = None
    with contextlib.suppress(NotFoundError):  # an item may be visible, its source not
        src = await _read_one(request, "sources", str(item["source_id"]))
    preview = item_service.preview_of(item)
    text = None
    if preview == "text":
        text = await run_in_threadpool(item_service.text_preview, store, current.principal,
                                       item_id)
    return render(request, "item.html", {
        "item": item, "source": src, "derived": derived, "custody": chain,
        "preview": preview, "text": text, "check": check, "own_text": has_own_text(item),
        "custody_actions": CUSTODY_ACTIONS, "derivations": DERIVATIONS,
        "sensitivity": SENSITIVITY, "captures": captures, "capture_results": CAPTURE_RESULTS,
        "capture_fields": CAPTURE_FIELDS, "errors": errors or {}, "entered": entered or {},
        "can_verify": current.principal.can(Permission.REVIEW)
        and item["derived_from"] is None and not item.get("erased"),
    }, current, lang, status)


@router.get("/items/{item_id}")
async def item_page(request: Request, lang: LangDep, current: VisitorDep,
                    item_id: str) -> Response:
    """One evidence item: hash, preview, chain of custody, proof, "verify now"."""
    return await _item_page(request, lang, item_id)


@router.post("/items/{item_id}/capture-verifications")
async def verify_capture(request: Request, lang: LangDep, item_id: str) -> Response:
    """Record a verification of the item's capture time and/or place (the API's service;
    the values travel in the form's body, sealed with a protected item's fields)."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.REVIEW)
    entered = {k: v for k, v in form.items() if k != "csrf"}
    try:
        body = CaptureVerificationIn.model_validate(
            {k: v for k, v in entered.items() if v.strip()})
        await run_in_threadpool(lambda: item_service.verify_capture_for(
            request.app.state.store, current.principal, item_id, **body.model_dump()))
    except (PydanticValidationError, ValidationError):
        tr = language(lang).gettext
        return await _item_page(request, lang, item_id, errors={"capture": tr(
            "Give the capture time found, the place or both, say how it was verified and "
            "choose a result.")}, entered=entered, status=422)
    return RedirectResponse(f"/{lang}/items/{item_id}#capture-heading", status_code=303)


@router.get("/items/{item_id}/picture")
async def picture(request: Request, lang: LangDep, current: VisitorDep,
                  item_id: str) -> Response:
    """The item as a picture for its page (images; a PDF's first page), never as a page
    that could run script: sandboxed, not sniffed, not cached."""
    data, media = await run_in_threadpool(item_service.picture, request.app.state.store,
                                          current.principal, item_id)
    return Response(data, media_type=media, headers={
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


@router.get("/items/{item_id}/download")
async def item_download(request: Request, lang: LangDep, current: VisitorDep,
                        item_id: str) -> Response:
    """The original bytes as an attachment: the API's download, with the page session."""
    return await run_in_threadpool(download_response, request.app.state.store,
                                   current.principal, item_id)


@router.get("/items/{item_id}/proof")
async def proof(request: Request, lang: LangDep, current: VisitorDep,
                item_id: str) -> Response:
    """The inclusion proof of the item's ledger event with a signed checkpoint, as a file
    ``dadkhahi ledger verify-proof`` (or any RFC 9162 verifier) checks offline."""
    store: Store = request.app.state.store
    item = await _read_one(request, "items", item_id)
    bundle = await run_in_threadpool(ledger_service.inclusion_bundle, store,
                                     current.principal, int(item["ledger_index"]))
    return JSONResponse(bundle, headers={
        "Content-Disposition": f'attachment; filename="{item["id"]}.proof.json"',
        "Cache-Control": "no-store"})


@router.post("/items/{item_id}/verify")
async def verify_now(request: Request, lang: LangDep, item_id: str) -> Response:
    """Re-hash the item's bytes and check its event's proof against the latest checkpoint."""
    await read_form(request)
    current = await visitor(request)
    found = await run_in_threadpool(verify_item, request.app.state.store, current.principal,
                                    item_id)
    return await _item_page(request, lang, item_id, found)

