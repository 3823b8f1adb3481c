"""Cases for court: the caller's cases, a case's matrix and its gaps (team members only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from dadkhahi.api.deps import PrincipalDep, StoreDep
from dadkhahi.cases import service

router = APIRouter(prefix="/api/cases", tags=["cases"])

Threshold = Annotated[int, Query(ge=0, le=100,
                                 description="Independent sources an element needs")]


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
    """The gap report: every element with fewer independent sources than the threshold."""
    return await run_in_threadpool(service.case_gaps, store, principal, case_id, threshold)
