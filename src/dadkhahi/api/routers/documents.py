"""Documents: extracted text, extraction jobs and full-text search (the query in the body)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dadkhahi.api.deps import PrincipalDep, SettingsDep, StoreDep
from dadkhahi.api.models import (
    AcceptIn,
    CaptureIn,
    RedactionIn,
    ReleaseIn,
    SearchIn,
    TranscriptionIn,
    TranscriptionRequestIn,
)
from dadkhahi.search.engine import Filters
from dadkhahi.search.engine import search as run_search
from dadkhahi.services import documents as documents_service
from dadkhahi.services import mentions as mentions_service
from dadkhahi.services import redactions as redactions_service
from dadkhahi.services import transcriptions as transcriptions_service

router = APIRouter(prefix="/api", tags=["documents"])


@router.get("/items/{object_id}/text", response_model=dict[str, Any],
            responses={404: {"description": "No such item, or not visible to you"}})
def item_text(object_id: str, store: StoreDep, principal: PrincipalDep) -> Any:
    """An item's extracted text, page by page (exact text, lines with boxes and OCR
    confidences), or the state of its extraction (pending, failed and why)."""
    return documents_service.text_for(store, principal, object_id)


@router.post("/items/{object_id}/extract", status_code=202, response_model=dict[str, Any],
             responses={404: {"description": "No such item, or not visible to you"}})
def extract(object_id: str, store: StoreDep, principal: PrincipalDep) -> Any:
    """Queue the extraction of an item's text (again, if it failed); answers the job."""
    return documents_service.extract_for(store, principal, object_id)


@router.post("/captures", status_code=202, response_model=dict[str, Any],
             responses={404: {"description": "The source named is not visible to you"}})
def capture(body: CaptureIn, store: StoreDep, principal: PrincipalDep,
            settings: SettingsDep) -> Any:
    """Queue the capture of a web page (a job for ``dadkhahi worker``): a WARC of every
    response, a full-page screenshot and the HTML, hashed at capture with the URL and
    time, stored as items, then the page's text extracted. Answers the job; the address
    is sealed in it. Loopback and private addresses are refused unless the server allows
    them (``DADKHAHI_CAPTURE_PRIVATE=1``)."""
    return documents_service.capture_for(
        store, principal, body.url, source_id=body.source_id, sensitivity=body.sensitivity,
        title=body.title, allow_private=settings.capture_private)


@router.post("/search", response_model=dict[str, Any])
def search(body: SearchIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Full-text search of every text you may see (Persian and English), testimonies'
    transcripts and translations included: each hit with its item and page, or its
    ``passage`` (testimony, segment, translation, time code in seconds, language), and a
    snippet of the exact text with the matches' offsets. The query goes in the body,
    never in a URL (it may hold a name). ``sources`` and ``kind`` narrow the search before
    anything is ranked."""
    filters = Filters(tuple(body.sources), body.kind)
    return run_search(store, principal, body.q, limit=body.limit, filters=filters).to_json()


# --- mentions and proposed claims (dadkhahi.mentions, through services.mentions) ---

_HIDDEN: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such object, or not visible to you"}}


@router.post("/items/{object_id}/mentions", response_model=dict[str, Any], responses=_HIDDEN)
def find_mentions(object_id: str, store: StoreDep, principal: PrincipalDep,
                  again: bool = False) -> Any:
    """Find the persons, places, dates and counts an item's text names and propose claims
    from them for review (an item scanned before is answered as it is unless ``again``)."""
    return mentions_service.find_for(store, principal, object_id, again=again)


@router.get("/items/{object_id}/mentions", response_model=dict[str, Any], responses=_HIDDEN)
def item_mentions(object_id: str, store: StoreDep, principal: PrincipalDep) -> Any:
    """The mentions found in an item's text, each with its page and character span."""
    return mentions_service.mentions_for(store, principal, object_id)


@router.get("/proposals", response_model=dict[str, Any])
def proposals(store: StoreDep, principal: PrincipalDep, item: str | None = None,
              status: str | None = "pending") -> Any:
    """Claims proposed from the texts you may see (pending by default), oldest first."""
    return mentions_service.proposals_for(store, principal, item_id=item, status=status)


@router.post("/proposals/{object_id}/accept", response_model=dict[str, Any],
             responses=_HIDDEN)
def accept_proposal(object_id: str, body: AcceptIn, store: StoreDep,
                    principal: PrincipalDep) -> Any:
    """Accept a proposed claim: the claim is added, supported by the document at the
    sentence's place in it (``entity`` names the subject when the proposal has none;
    ``attributed_to`` links the party the text attributes the statement to, a person or
    an organisation)."""
    return mentions_service.accept_for(store, principal, object_id, body.entity,
                                       body.attributed_to)


@router.post("/proposals/{object_id}/reject", response_model=dict[str, Any],
             responses=_HIDDEN)
def reject_proposal(object_id: str, store: StoreDep, principal: PrincipalDep) -> Any:
    """Reject a proposed claim (it stays, marked rejected; no claim is made)."""
    return mentions_service.reject_for(store, principal, object_id)


# --- transcription of pages OCR cannot read (through services.transcriptions) ---


@router.get("/transcriptions", response_model=dict[str, Any])
def transcription_queue(store: StoreDep, principal: PrincipalDep,
                        include_done: bool = False) -> Any:
    """Pages of the items you may see that wait for a transcription (routed by a low OCR
    confidence, or requested) or for a resolution of two that differ: IDs and pages."""
    return transcriptions_service.queue_for(store, principal, include_done=include_done)


@router.get("/items/{object_id}/pages/{page}/transcription", response_model=dict[str, Any],
            responses=_HIDDEN)
def transcription_page(object_id: str, page: int, store: StoreDep,
                       principal: PrincipalDep) -> Any:
    """A page to transcribe: its state, the OCR's text, your own transcription, and, once
    the required number are in, every transcription and their differences."""
    return transcriptions_service.page_for(store, principal, object_id, page)


@router.post("/items/{object_id}/pages/{page}/transcriptions", response_model=dict[str, Any],
             status_code=201, responses=_HIDDEN)
def transcribe(object_id: str, page: int, body: TranscriptionIn, store: StoreDep,
               principal: PrincipalDep) -> Any:
    """Record your transcription of a page: a derivative of the original in custody and
    the ledger (a second independent one must come from someone else)."""
    return transcriptions_service.submit_for(store, principal, object_id, page, body.text)


@router.post("/items/{object_id}/pages/{page}/resolution", response_model=dict[str, Any],
             status_code=201, responses=_HIDDEN)
def resolve_transcription(object_id: str, page: int, body: TranscriptionIn, store: StoreDep,
                          principal: PrincipalDep) -> Any:
    """Record the text settled on where a page's independent transcriptions differ."""
    return transcriptions_service.resolve_for(store, principal, object_id, page, body.text)


@router.post("/items/{object_id}/transcription-requests", response_model=dict[str, Any],
             status_code=201, responses=_HIDDEN)
def request_transcription(object_id: str, body: TranscriptionRequestIn, store: StoreDep,
                          principal: PrincipalDep) -> Any:
    """Ask for pages of an item to be transcribed (``required`` 2: two independent ones)."""
    return transcriptions_service.request_for(store, principal, object_id, body.pages,
                                              body.required)


@router.post("/items/{object_id}/redactions", response_model=dict[str, Any], status_code=201,
             responses=_HIDDEN)
def redact(object_id: str, body: RedactionIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Make a redacted copy of an item for an audience that may not see the whole: every
    occurrence of ``texts`` and every area removed from the file itself (a PDF's metadata,
    annotations, attachments and hidden text scrubbed too); the original untouched. The
    copy is a derivative in custody (who, why, how much); answers its ID and hashes."""
    from dadkhahi.documents.redact import Area

    return redactions_service.redact_for(
        store, principal, object_id, reason=body.reason, texts=body.texts,
        areas=[Area(a.page, a.box) for a in body.areas])


@router.post("/items/{object_id}/release", response_model=dict[str, Any],
             responses=_HIDDEN)
def release(object_id: str, body: ReleaseIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Release a redacted copy at a lower sensitivity than its original (the redaction
    removed what made it protected): a decision of a holder of the grant permission who
    may see the copy and its original, recorded as an ``item.released`` event. Bundles
    then carry the copy where the original may not go."""
    return redactions_service.release_for(store, principal, object_id,
                                          sensitivity=body.sensitivity, reason=body.reason)
