"""Cases for court: the caller's cases, a case's matrix and its gaps (team members only);
opening a case, charging a suspect, linking a fact to an element and marking a gap; the
court bundle, queued as the case page queues it (the ``case.bundle`` job, the recipient
in the JSON body, never in an address) and downloaded by whoever queued it
(``cases.service``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from dadkhahi.api.deps import PrincipalDep, StoreDep
from dadkhahi.cases import service
from dadkhahi.cases.case import Scope
from dadkhahi.domain.vocab import Credibility, Direction, GapStatus, Reliability
from dadkhahi.http.downloads import disposition
from dadkhahi.http.models import LONG, SHORT, StrictIn

router = APIRouter(prefix="/api/cases", tags=["cases"])

Threshold = Annotated[int, Query(ge=0, le=100,
                                 description="Independent sources an element needs")]


_ID = Field(min_length=1, max_length=64)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such case, or you are not on its team"}}


class CaseIn(StrictIn):
    title: str = Field(min_length=1, max_length=SHORT)
    suspects: list[str] = Field(default_factory=list, max_length=200)
    acts: list[str] = Field(default_factory=list, max_length=1000)
    places: list[str] = Field(default_factory=list, max_length=1000)
    period_from: str | None = Field(None, max_length=32)
    period_to: str | None = Field(None, max_length=32)


class ChargeIn(StrictIn):
    suspect_id: str = _ID
    framework_id: str = _ID
    crime_id: str = _ID
    mode_id: str = _ID


class LinkIn(StrictIn):
    charge_id: str = _ID
    element_id: str = _ID
    fact_kind: str = _ID
    fact_id: str = _ID
    reliability: Reliability
    credibility: Credibility
    how: str = Field(min_length=1, max_length=LONG)
    direction: Direction = Direction.INCRIMINATING


class GapMarkIn(StrictIn):
    charge_id: str = _ID
    element_id: str = _ID
    status: GapStatus
    note: str = Field(min_length=1, max_length=LONG)


class BundleIn(StrictIn):
    """Who receives the bundle (sealed in the job and in custody), and optionally the age
    recipient (or SSH public key) it is encrypted to."""

    recipient: str = Field(min_length=1, max_length=SHORT)
    encrypt_to: str | None = Field(None, max_length=LONG)


@router.post("", status_code=201, response_model=dict[str, Any], responses=_NOT_FOUND)
def open_case(body: CaseIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Open a case (sealed) over suspects, acts and places you can see; you are its team."""
    return service.open_case(store, principal, body.title, Scope(
        tuple(body.suspects), tuple(body.acts), tuple(body.places), body.period_from,
        body.period_to))


@router.post("/{case_id}/charges", status_code=201, response_model=dict[str, Any],
             responses=_NOT_FOUND)
def charge(case_id: str, body: ChargeIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Charge a suspect of the case: a framework's crime under a mode of liability."""
    return service.charge(store, principal, case_id, body.suspect_id, body.framework_id,
                          body.crime_id, body.mode_id)


@router.post("/{case_id}/links", status_code=201, response_model=dict[str, Any],
             responses=_NOT_FOUND)
def link(case_id: str, body: LinkIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Link a fact (act, involvement, claim) to one element of one of the case's charges."""
    return service.link(store, principal, case_id, body.charge_id, body.element_id,
                        body.fact_kind, body.fact_id, reliability=body.reliability,
                        credibility=body.credibility, how=body.how, direction=body.direction)


@router.post("/{case_id}/gaps", status_code=201, response_model=dict[str, Any],
             responses=_NOT_FOUND)
def mark_gap(case_id: str, body: GapMarkIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Mark a gap (an element of a charge without enough support): investigating,
    unobtainable or accepted, with a note, sealed with the case. Never counted as support;
    shown beside the gap in the gap report, never in a court bundle."""
    return service.mark(store, principal, case_id, body.charge_id, body.element_id,
                        body.status, body.note)


@router.get("", response_model=list[dict[str, Any]])
async def list_cases(store: StoreDep, principal: PrincipalDep) -> Any:
    """The cases whose team you are on (sealed titles opened for you)."""
    return await run_in_threadpool(service.my_cases, store, principal)


@router.get("/{case_id}", response_model=dict[str, Any],
            responses={404: {"description": "No such case, or you are not on its team"}})
async def get_case(case_id: str, store: StoreDep, principal: PrincipalDep,
                   threshold: Threshold = 2) -> Any:
    """A case: scope, charges and the evidence matrix ("supported by N independent sources")."""
    return await run_in_threadpool(service.case_matrix, store, principal, case_id, threshold)


@router.get("/{case_id}/gaps", response_model=list[dict[str, Any]],
            responses={404: {"description": "No such case, or you are not on its team"}})
async def get_gaps(case_id: str, store: StoreDep, principal: PrincipalDep,
                   threshold: Threshold = 2) -> Any:
    """The gap report: every element with fewer independent sources than the threshold
    or linked to a fact withdrawn since, with the team's mark on it (status and note) or
    null."""
    return await run_in_threadpool(service.case_gaps, store, principal, case_id, threshold)


@router.post("/{case_id}/bundles", status_code=202, response_model=dict[str, Any],
             responses=_NOT_FOUND)
def request_bundle(case_id: str, body: BundleIn, store: StoreDep,
                   principal: PrincipalDep) -> Any:
    """Queue the court bundle of a case (the worker writes it; follow it here or at
    ``/api/jobs/{id}``). The recipient goes in this body only: it is sealed in the job's
    parameters and in each exhibit's custody."""
    return service.request_bundle(store, principal, case_id, body.recipient, body.encrypt_to)


@router.get("/{case_id}/bundles", response_model=list[dict[str, Any]], responses=_NOT_FOUND)
def list_bundles(case_id: str, store: StoreDep, principal: PrincipalDep) -> Any:
    """The case's court bundles you asked for (an admin on the team: every one), newest
    first, with their progress; the recipient is never shown."""
    return service.case_bundles(store, principal, case_id)


@router.get("/{case_id}/bundles/{job_id}", response_class=FileResponse,
            responses={200: {"content": {"application/x-tar": {}}},
                       404: {"description": "No such finished bundle of yours, or you are "
                                            "not on the case's team"}})
def download_bundle(case_id: str, job_id: str, store: StoreDep,
                    principal: PrincipalDep) -> FileResponse:
    """A finished court bundle (a tar of the bag, or of the age-encrypted bag), for whoever
    queued it (or an admin on the team); the download is audited before it starts."""
    path = service.bundle_download(store, principal, case_id, job_id)
    return FileResponse(path, media_type="application/x-tar", headers={
        "Content-Disposition": disposition(path.name, "bundle.tar"),
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})
