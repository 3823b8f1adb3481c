"""Documents on a user's behalf: an item's extracted text, its extraction, web captures.

The same order as every change: the object must be visible (else "not found", never
"forbidden"), then the role must allow the change. Reading the text of a protected item
is reading the item: audited when there is text to show. A derivative has no text of
its own to ask for (its original's text is the one kept), so asking for it is refused;
a WARC's HTML response is the exception, a web page of its own
(``intake.documents.has_own_text``).
The API's routes and the workspace's pages call these; the command line acts as the
operator and calls :mod:`dadkhahi.intake.documents` directly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select

from dadkhahi.access import reads
from dadkhahi.access.audit import record_reads
from dadkhahi.access.policy import Permission, Principal, params, require, visible
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.documents import has_own_text, queue_extraction, read_text
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store


def text_for(store: Store, principal: Principal, item_id: str) -> dict[str, Any]:
    """A visible original's extracted text, page by page (exact text, lines with boxes and
    OCR confidences), or the state of its extraction (pending, failed and why)."""
    with store.reading() as conn:
        item = reads.visible_row(conn, principal, s.items, item_id, "item")
        if not has_own_text(item):
            raise ValidationError("this item is a derivative; ask for its original's text")
        found = read_text(store, conn, item_id)
    if item["sensitivity"] == str(Sensitivity.PROTECTED) and found.get("pages"):
        record_reads(store, principal, "text of", [("item", item_id)])
    return found


def extract_for(store: Store, principal: Principal, item_id: str) -> dict[str, Any]:
    """Queue the extraction of a visible original's text (``add_evidence``); the job."""
    with store.reading() as conn:
        item = reads.visible_row(conn, principal, s.items, item_id, "item")
    require(principal, Permission.ADD_EVIDENCE)
    if not has_own_text(item):
        raise ValidationError("this item is a derivative; extract its original")
    job = queue_extraction(store, {"item_ids": [item_id]}, principal.name,
                           created_by=principal.user_id)
    return job.to_json()


def capture_for(store: Store, principal: Principal, url: str, *, source_id: str | None,
                sensitivity: Sensitivity, title: str | None,
                allow_private: bool) -> dict[str, Any]:
    """Queue the capture of a web page (``add_evidence``; the source named, if any, must
    be visible); the job, the address sealed in it."""
    # Imported here: capture pulls in the WARC writer, which text reads never need.
    from dadkhahi.intake.capture import queue_capture

    if source_id is not None:
        with store.reading() as conn:
            reads.visible_row(conn, principal, s.sources, source_id, "source")
    require(principal, Permission.ADD_EVIDENCE)
    job = queue_capture(store, url, principal.name, source_id=source_id,
                        sensitivity=sensitivity, title=title, allow_private=allow_private,
                        created_by=principal.user_id)
    return job.to_json()


#: Sources offered at once as filters of the document search.
SEARCH_SOURCES = 200


def search_sources(store: Store, principal: Principal) -> list[dict[str, Any]]:
    """The sources the caller may see that hold text to search (an extracted or typed
    text, or a testimony's passages), by title then ID: what the search page offers to
    narrow a search to. The one visibility rule decides, so a protected source is never
    listed to anyone without its grant; listing a protected one's title is audited.
    IDs, titles, kinds and sensitivities only."""
    src, i, t = s.sources.c, s.items.c, s.testimonies.c
    has_text = (exists(select(i.id).where(i.source_id == src.id,
                                          i.derivation.in_(("text", "transcription"))))
                | exists(select(t.id).where(t.source_id == src.id)))
    stmt = (select(src.id, src.sealed, src.title, src.kind, src.sensitivity)
            .where(visible(principal, s.sources), has_text)
            .order_by(src.created_at, src.id).limit(SEARCH_SOURCES))
    with store.reading() as conn:
        rows = store.keys.open_rows(conn, [dict(r) for r in conn.execute(
            stmt, params(principal)).mappings()])
    record_reads(store, principal, "search sources",
                 [("source", str(r["id"])) for r in rows
                  if r["sensitivity"] == str(Sensitivity.PROTECTED)])
    return sorted(({k: r.get(k) for k in ("id", "title", "kind", "sensitivity")}
                   for r in rows if not r.get("erased")),
                  key=lambda r: (str(r["title"]), str(r["id"])))

