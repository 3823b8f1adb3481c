"""Documents: extracted text, extraction jobs and full-text search (the query in the body)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dadkhahi.access import reads
from dadkhahi.access.audit import record_reads
from dadkhahi.access.policy import Permission, require
from dadkhahi.api.deps import PrincipalDep, StoreDep
from dadkhahi.api.models import SearchIn
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.documents import JOB_KIND, read_text
from dadkhahi.jobs.queue import enqueue
from dadkhahi.search.engine import search as run_search
from dadkhahi.store import schema as s

router = APIRouter(prefix="/api", tags=["documents"])


@router.get("/items/{object_id}/text", response_model=dict[str, Any],
            responses={404: {"description": "No such item, or not visible to you"}})
def item_text(object_id: str, store: StoreDep, principal: PrincipalDep) -> Any:
    """An item's extracted text, page by page (exact text, lines with boxes and OCR
    confidences), or the state of its extraction (pending, failed and why)."""
    with store.reading() as conn:
        item = reads.visible_row(conn, principal, s.items, object_id, "item")
        if item["derived_from"] is not None:
            raise ValidationError("this item is a derivative; ask for its original's text")
        found = read_text(store, conn, object_id)
    if item["sensitivity"] == str(Sensitivity.PROTECTED) and found.get("pages"):
        record_reads(store, principal, "text of", [("item", object_id)])
    return found


@router.post("/items/{object_id}/extract", status_code=202, response_model=dict[str, Any],
             responses={404: {"description": "No such item, or not visible to you"}})
def extract(object_id: str, store: StoreDep, principal: PrincipalDep) -> Any:
    """Queue the extraction of an item's text (again, if it failed); answers the job."""
    with store.reading() as conn:
        item = reads.visible_row(conn, principal, s.items, object_id, "item")
    require(principal, Permission.ADD_EVIDENCE)
    if item["derived_from"] is not None:
        raise ValidationError("this item is a derivative; extract its original")
    job = enqueue(store, JOB_KIND, {"item_ids": [object_id], "actor": principal.name},
                  created_by=principal.user_id)
    return job.to_json()


@router.post("/search", response_model=dict[str, Any])
def search(body: SearchIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Full-text search of every text you may see (Persian and English): each hit with its
    item, page and a snippet of the exact text with the matches' offsets. The query goes
    in the body, never in a URL (it may hold a name)."""
    return run_search(store, principal, body.q, limit=body.limit).to_json()
