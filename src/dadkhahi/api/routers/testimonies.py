"""Testimonies: record one, show it (as its source may be disclosed to you), consent per
recipient, segments marked direct or hearsay, translations beside them.

Everything identifying travels in JSON bodies, never in a URL: paths carry IDs only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from dadkhahi.access.reads import DEFAULT_PAGE, MAX_PAGE
from dadkhahi.api.deps import PrincipalDep, StoreDep, VersionDep
from dadkhahi.api.models import (
    ConsentIn,
    InterviewIn,
    Page,
    SegmentsIn,
    TestimonyIn,
    TranslationIn,
)
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.http.requests import etag
from dadkhahi.intake.testimonies import SegmentSpec, TestimonySpec
from dadkhahi.services import testimonies as service

router = APIRouter(prefix="/api", tags=["testimonies"])

_HIDDEN: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such testimony, or not disclosed to you"}}


@router.post("/testimonies", status_code=201, response_model=dict[str, Any])
def add_testimony(body: TestimonyIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Record a testimony (protected by default): answers its ID, its source's ID and the
    witness's random pseudonym."""
    return service.add_for(store, principal, TestimonySpec(**body.model_dump()))


@router.get("/testimonies", response_model=Page)
def list_testimonies(
    store: StoreDep, principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    sort: Annotated[str, Query(max_length=64, pattern="^-?[a-z_]+$")] = "-created_at",
    sensitivity: Sensitivity | None = None,
) -> Any:
    """The testimonies whose source may be disclosed to you (pseudonym, interview date
    and language, number of segments), newest first by default, of one sensitivity if
    asked (``sort``: -created_at, created_at, pseudonym, -pseudonym): one page as every
    list answers it (pass ``next_cursor`` back as ``cursor`` for the next; ``total`` is
    not counted)."""
    found = service.list_for(store, principal, limit=limit, cursor=cursor, sort=sort,
                             sensitivity=sensitivity)
    return {"data": found["testimonies"], "next_cursor": found["next_cursor"], "total": None}


@router.get("/testimonies/{object_id}", response_model=dict[str, Any], responses=_HIDDEN)
def show_testimony(object_id: str, response: Response, store: StoreDep,
                   principal: PrincipalDep) -> Any:
    """A testimony (by ID, source ID or pseudonym) with its consents and its segments and
    their translations, if its source may be disclosed to you; its ``version`` is also
    its ETag, for a change of its interview."""
    shown = service.show_for(store, principal, object_id)
    response.headers["ETag"] = etag(int(shown["version"]))
    return shown


@router.patch("/testimonies/{object_id}", response_model=dict[str, Any], responses={
    **_HIDDEN, 412: {"description": "Changed since you read it"},
    428: {"description": "If-Match missing"}})
def change_interview(object_id: str, body: InterviewIn, version: VersionDep,
                     response: Response, store: StoreDep, principal: PrincipalDep) -> Any:
    """Change the interview (date, place, interviewer, others present, interpreter,
    language, read back, materials shown, prior statements): only the fields sent, as one
    ledger event (none if nothing changes), sealed as the testimony is; send If-Match with
    the testimony's ETag. Answers the names of the fields changed and the new version."""
    fields = {name: getattr(body, name) for name in body.model_fields_set}
    done = service.interview_for(store, principal, object_id, fields, version)
    response.headers["ETag"] = etag(int(done["version"]))
    return done


@router.post("/testimonies/{object_id}/consents", response_model=dict[str, Any],
             responses=_HIDDEN)
def set_consent(object_id: str, body: ConsentIn, store: StoreDep,
                principal: PrincipalDep) -> Any:
    """Record the witness's consent (given or refused) for one recipient, or its
    withdrawal listing what had already been disclosed."""
    return service.consent_for(
        store, principal, object_id, body.recipient_kind, body.recipient, body.status,
        date=body.date, how=body.how, informed_defence=body.informed_defence,
        disclosed=body.disclosed)


@router.post("/testimonies/{object_id}/segments", response_model=dict[str, Any],
             responses=_HIDDEN)
def add_segments(object_id: str, body: SegmentsIn, store: StoreDep,
                 principal: PrincipalDep) -> Any:
    """Divide the testimony into segments after its last one, each marked direct or
    hearsay (all or nothing; the texts are kept exactly as given)."""
    return service.segments_for(store, principal, object_id,
                                [SegmentSpec(**seg.model_dump()) for seg in body.segments])


@router.post("/testimonies/{object_id}/segments/{segment_id}/translations",
             response_model=dict[str, Any], responses=_HIDDEN)
def add_translation(object_id: str, segment_id: str, body: TranslationIn, store: StoreDep,
                    principal: PrincipalDep) -> Any:
    """Keep a translation beside a segment (the segment's own text never changes)."""
    return service.translation_for(store, principal, object_id, segment_id, body.language,
                                   body.text, body.translator)
