"""Linkage: run the model (as a job), review uncertain pairs, record and apply decisions,
count.

Who may do what is decided in :mod:`dadkhahi.services.lists_linkage` and
:mod:`dadkhahi.services.jobs`: running needs the analyse permission; the review queue and
decisions need review or analyse; counts need analyse and cover only the list records the
caller can see.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from dadkhahi.api.deps import PrincipalDep, StoreDep
from dadkhahi.api.models import (
    DecisionIn,
    DecisionOut,
    JobOut,
    LinkRunIn,
    LinkRunOut,
    LinkStatsOut,
    ReviewPairOut,
)
from dadkhahi.domain.errors import NotFoundError
from dadkhahi.services import jobs
from dadkhahi.services import lists_linkage as svc

router = APIRouter(prefix="/api/linkage", tags=["linkage"])


@router.post("/runs", status_code=202, response_model=JobOut,
             responses={202: {"description": "Queued: poll the job's URL (also in the "
                                             "Location header)"}})
def run(store: StoreDep, principal: PrincipalDep, response: Response,
        body: LinkRunIn | None = None) -> Any:
    """Queue a run linking every imported list record into persons (human decisions
    always hold); answers at once with the job to poll (``GET /api/jobs/{id}``).

    The worker records it as one ``link.run`` ledger event, on DuckDB; its report
    (counts only) is the job's result. Spark runs for very large sets are left to the
    command line (``dadkhahi link run --backend spark``)."""
    body = body or LinkRunIn()
    job = jobs.enqueue_linkage(store, principal, body.backend, body.threshold, body.seed)
    response.headers["Location"] = job["url"]
    return job


@router.get("/review", response_model=list[ReviewPairOut])
def review(
    store: StoreDep, principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    """Undecided pairs of the last model run, most informative first.

    A pair appears only when you may see both of its records; protected records shown
    are written to the audit trail."""
    return svc.review_for(store, principal, limit)


@router.post("/decisions", status_code=201, response_model=DecisionOut,
             responses={404: {"description": "A record is missing or not visible to you"}})
def decide(body: DecisionIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Record that two records are (or are not) the same person (a ``link.decided``
    event); it takes effect on the next run or ``POST /api/linkage/apply``. ``unsure``
    puts nothing in force and sends the pair to another reviewer, as the review page's
    "not sure" does (the same service)."""
    return svc.decide_for(store, principal, body.record_a, body.record_b, body.decision,
                          body.note)


@router.post("/decisions/undo", status_code=201, response_model=DecisionOut,
             responses={404: {"description": "You have made no decision on a pair you may "
                                             "see"},
                        409: {"description": "Someone has decided the pair since"}})
def undo(store: StoreDep, principal: PrincipalDep) -> Any:
    """Undo your last decision, as the review page's "undo" does (the same service): a
    superseding decision returns the pair to what was in force before it (the earlier
    decision on the pair, else ``withdrawn``: back in the queue); the ledger keeps both.
    Refused when someone has decided the pair since."""
    undone = svc.undo_last_for(store, principal)
    if undone is None:
        raise NotFoundError("you have made no decision to undo")
    return undone


@router.post("/apply", status_code=201, response_model=LinkRunOut,
             responses={422: {"description": "No model run yet, or its pairs are not cached"}})
def apply(store: StoreDep, principal: PrincipalDep) -> Any:
    """Put every decision so far into effect now: re-cluster the last model run's pairs
    with them, without retraining (recorded as a ``link.run`` of kind ``decisions``)."""
    return svc.apply(store, principal)


@router.get("/stats", response_model=LinkStatsOut)
def stats(store: StoreDep, principal: PrincipalDep) -> Any:
    """Records, persons, per-list counts and list overlaps after the last run, counted
    over the list records you may see only."""
    return svc.stats_for(store, principal)
