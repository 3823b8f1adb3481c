"""Transcription of pages on a user's behalf: the queue, the page beside its image, typing,
resolving (one service for the API, the pages and the command line).

The order of every service: the original must be visible (else "not found"), then the
role must allow the change (``add_evidence`` to transcribe or ask for a transcription,
``review`` to resolve two that differ). Reading a protected item's page, image or
transcriptions is audited. Independence: while a page still waits for transcriptions,
nobody is shown another person's text of it (only the OCR's and their own); once the
required number are in, whoever may see the item sees them all and, where they differ,
the differences to resolve. Once a page is settled, the transcription just recorded
feeds the mention finder as extracted text does: a ``mentions.find`` job is queued
(``mentions.jobs.queue_if_settled``) and the worker scans it; its proposals wait for
review like any other.
"""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from dadkhahi.access import reads
from dadkhahi.access.audit import record_reads
from dadkhahi.access.policy import Permission, Principal, params, require, visible
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake import transcriptions as tr
from dadkhahi.intake.evidence import item_content
from dadkhahi.mentions.jobs import queue_if_settled
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

_PROTECTED = str(Sensitivity.PROTECTED)


def _item(store: Store, principal: Principal, item_id: str) -> dict[str, Any]:
    with store.reading() as conn:
        item = reads.visible_row(conn, principal, s.items, item_id, "item")
    if item["derived_from"] is not None:
        raise ValidationError("this item is a derivative; transcribe its original")
    return item


def _audit(store: Store, principal: Principal, action: str, items: list[dict[str, Any]]
           ) -> None:
    record_reads(store, principal, action,
                 [("item", str(i["id"])) for i in items if i["sensitivity"] == _PROTECTED])


def queue_for(store: Store, principal: Principal, *, include_done: bool = False,
              limit: int = 200) -> dict[str, Any]:
    """Pages of the items the caller may see that wait for a transcription or a
    resolution (IDs and page numbers only: no text)."""
    seen = select(s.items.c.id).where(visible(principal, s.items))
    with store.reading() as conn:
        pages = tr.page_states(conn, item_ids=seen, bind=params(principal),
                               include_done=include_done, limit=limit)
        items = [dict(r) for r in conn.execute(select(s.items.c.id, s.items.c.sensitivity)
                 .where(s.items.c.id.in_({p.item_id for p in pages}))).mappings()]
    _audit(store, principal, "transcription queue", items)
    return {"pages": [vars(p) for p in pages]}


def queue_page(store: Store, principal: Principal, *, state: str | None = None,
               descending: bool = False, cursor: str | None = None, limit: int = 50,
               ) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the queue: pages of the items the caller may see routed to
    transcription, of one ``state`` (every unfinished one by default), by item and page
    (``descending``: last first), filtered and paged in SQL; and the next page's cursor
    (IDs and page numbers only: no text)."""
    if state is not None and state not in tr.STATES:
        raise ValidationError(f"state is one of {', '.join(tr.STATES)}")
    q = tr.states_statement(select(s.items.c.id).where(visible(principal, s.items)))
    stmt = select(q).where(q.c.state == state if state else q.c.state != "done")
    with store.reading() as conn:
        rows, next_cursor = reads.keyset_page(store, conn, stmt, q.c.item_id, q.c.page,
                                              descending=descending, cursor=cursor,
                                              limit=limit, bound=params(principal))
        items = [dict(r) for r in conn.execute(select(s.items.c.id, s.items.c.sensitivity)
                 .where(s.items.c.id.in_({str(r["item_id"]) for r in rows}))).mappings()]
    _audit(store, principal, "transcription queue", items)
    return [vars(tr.page_state_of(r)) for r in rows], next_cursor


def page_for(store: Store, principal: Principal, item_id: str, page: int) -> dict[str, Any]:
    """A page to transcribe: its state, the OCR's text, the caller's own transcription, and
    (once the required number are in) every transcription and their differences."""
    item = _item(store, principal, item_id)
    answer = tr.page_view(store, item_id, page, principal.name)
    _audit(store, principal, "transcription page", [item])
    return answer | {"image": _has_image(str(item["media_type"]), page)}


def _has_image(media: str, page: int) -> bool:
    """Whether a page of a file of this type can be shown as an image."""
    from dadkhahi.documents.extract import IMAGES

    return media == "application/pdf" or (media in IMAGES and page == 1)


def page_image(store: Store, principal: Principal, item_id: str, page: int
               ) -> tuple[bytes, str]:
    """The page as a PNG to show beside the text (a PDF's page rendered; an image as it
    is, turned into PNG so a TIFF scan shows in any browser). Audited as a download."""
    from PIL import Image

    from dadkhahi.documents.images import open_whole
    from dadkhahi.documents.model import ExtractionError
    from dadkhahi.documents.pdf import render_page

    _item(store, principal, item_id)
    item, raw = reads.item_for_download(store, principal, item_id)
    media = str(item["media_type"])
    if not _has_image(media, page):
        raise NotFoundError(f"no image of page {page}")
    with store.reading() as conn:
        data = b"".join(item_content(store, conn, raw))
    try:
        if media == "application/pdf":
            return render_page(data, page), "image/png"
        with open_whole(data) as img:
            out = io.BytesIO()
            img.convert("RGB").save(out, format="PNG")
            return out.getvalue(), "image/png"
    except (ExtractionError, OSError, Image.DecompressionBombError):
        raise NotFoundError(f"no image of page {page}") from None


def submit_for(store: Store, principal: Principal, item_id: str, page: int, text: str
               ) -> dict[str, Any]:
    """Record the caller's transcription of a page (``add_evidence``)."""
    _item(store, principal, item_id)
    require(principal, Permission.ADD_EVIDENCE)
    return _proposed(store, tr.record(store, item_id, page, text, principal.name),
                     principal)


def resolve_for(store: Store, principal: Principal, item_id: str, page: int, text: str
                ) -> dict[str, Any]:
    """Record the text settled on where a page's transcriptions differ (``review``)."""
    _item(store, principal, item_id)
    require(principal, Permission.REVIEW)
    return _proposed(store, tr.record(store, item_id, page, text, principal.name,
                                      resolution=True), principal)


def _proposed(store: Store, recorded: dict[str, Any], principal: Principal
              ) -> dict[str, Any]:
    """The recorded transcription, and (when it settled its page) the ``mentions.find``
    job queued to scan its text, the caller's like any job they queue (``/api/jobs/{id}``);
    the proposals are read at ``/api/proposals`` once it ran."""
    job = queue_if_settled(store, recorded, principal.name, created_by=principal.user_id)
    return recorded | {"mentions": None if job is None else {"job": job.to_json()}}


def request_for(store: Store, principal: Principal, item_id: str, pages: list[int],
                required: int = 1) -> dict[str, Any]:
    """Ask for pages of a visible original to be transcribed (``add_evidence``);
    ``required`` 2 asks for two independent transcriptions (an exhibit)."""
    _item(store, principal, item_id)
    require(principal, Permission.ADD_EVIDENCE)
    return tr.request(store, item_id, pages, principal.name, required=required,
                      reason="exhibit" if required > 1 else "requested")
