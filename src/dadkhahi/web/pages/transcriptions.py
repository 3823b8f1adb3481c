"""Transcription pages: the queue, and a page's image beside the box its text is typed in.

Thin over ``services.transcriptions`` (the API's service): the same visibility, the same
blind view (no other person's text of a page until the required number are in), the same
audit. The text travels in a POST body; the page number in the query (a number, never a
name). The image is served sandboxed, not sniffed, not cached, like the item's picture.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access.policy import Permission
from dadkhahi.domain.errors import ValidationError
from dadkhahi.services import transcriptions as service
from dadkhahi.web.i18n import language
from dadkhahi.web.nav import N_, holding, register
from dadkhahi.web.pages import common
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router, permitted, signed_in
from dadkhahi.web.render import render
from dadkhahi.web.security import read_form, visitor

router = page_router()
register("/transcriptions", N_("Transcription"), holding(Permission.ADD_EVIDENCE,
                                                         Permission.REVIEW))

PageNumber = Annotated[int, Query(ge=1, le=100_000)]
#: The page's states, in words.
STATES = {"open": N_("waiting for a transcription"),
          "differ": N_("transcriptions differ: resolve them"), "done": N_("transcribed")}
#: Pages on one page of the queue, and its controls (unfinished pages when no state is
#: asked; by item and page, either way).
QUEUE_SHOWN = 50
QUEUE_LIST = common.Listing({"item_id": N_("by item and page"),
                      "-item_id": N_("by item and page, last first")}, "item_id",
                     {"state": (N_("State"), STATES)})


@router.get("/transcriptions")
async def queue(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """Pages of the items the visitor may see that wait for a person."""
    signed_in(request, current, lang)
    asked = QUEUE_LIST.asked(request)
    found, next_cursor = await run_in_threadpool(lambda: service.queue_page(
        request.app.state.store, current.principal, state=asked.filters.get("state"),
        descending=asked.sort.startswith("-"), cursor=asked.cursor, limit=QUEUE_SHOWN))
    return render(request, "transcriptions.html", {
        "pages": found, "states": STATES, "asked": asked, "listing": QUEUE_LIST,
        "page": {"next_cursor": next_cursor}}, current, lang)


@router.get("/items/{item_id}/transcribe")
async def transcribe_page(request: Request, lang: LangDep, current: VisitorDep, item_id: str,
                          page: PageNumber = 1, error: str | None = None) -> Response:
    """The page's image beside a box for its text (or the differences to resolve)."""
    signed_in(request, current, lang)
    view = await run_in_threadpool(service.page_for, request.app.state.store,
                                   current.principal, item_id, page)
    tr = language(lang).gettext
    return render(request, "transcribe.html", {
        "view": view, "item_id": item_id, "states": STATES,
        "error": tr("That text could not be recorded: {reason}").format(reason=error)
        if error else None,
    }, current, lang)


@router.get("/items/{item_id}/page-image")
async def page_image(request: Request, lang: LangDep, current: VisitorDep, item_id: str,
                     page: PageNumber = 1) -> Response:
    """The page as a PNG (a PDF page rendered; an image as it is)."""
    signed_in(request, current, lang)
    data, media = await run_in_threadpool(service.page_image, request.app.state.store,
                                          current.principal, item_id, page)
    return Response(data, media_type=media, headers={
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


@router.post("/items/{item_id}/transcribe")
async def transcribe(request: Request, lang: LangDep, item_id: str) -> Response:
    """Record the visitor's transcription of the page, or the resolution of two."""
    form = await read_form(request)
    current = await visitor(request)
    resolve = form.get("action") == "resolve"
    permitted(request, current, lang,
              Permission.REVIEW if resolve else Permission.ADD_EVIDENCE)
    try:
        page = int(form.get("page", ""))
    except ValueError:
        page = 0
    back = f"/{lang}/items/{item_id}/transcribe?page={max(page, 1)}"
    try:
        await run_in_threadpool(service.resolve_for if resolve else service.submit_for,
                                request.app.state.store, current.principal, item_id, page,
                                form.get("text", ""))
    except ValidationError as exc:
        # The reason is ours (page numbers and rules), never the text typed.
        return RedirectResponse(f"{back}&error={_reason(exc)}", status_code=303)
    return RedirectResponse(back, status_code=303)


def _reason(exc: ValidationError) -> str:
    from urllib.parse import quote

    return quote(str(exc)[:200])
