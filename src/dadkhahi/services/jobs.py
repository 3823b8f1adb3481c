"""Long work on a user's behalf: enqueue it as a job, show it, cancel it.

Access rules:

* **Enqueueing** needs the permission the work needs (``analyse`` for a linkage run or an
  estimate of the store, ``publish`` for a memorial build), checked before the job is
  queued. A job's parameters hold
  settings and the ledger actor only, never an identifying value: the ``jobs`` table is
  not sealed, and a job's URL carries its random ID alone.
* **Seeing or cancelling a job**: its creator, or an admin. Anyone else is told there
  is no such job (404), never that it exists; a visitor who is not signed in must sign
  in first (401).
* A job's result holds IDs and counts (a run's report, an estimate), nothing a witness
  could be identified by; what the work wrote is read through its own routes.
* A linkage run links every list record, protected ones too, so its counts (records,
  persons, pairs…) and its progress notes ("linking 1,234 records") would count what a
  viewer may not see: they are shown only to a viewer who may see every record, and
  withheld from anyone else, who reads their own counts at ``/api/linkage/stats``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import not_, select

from dadkhahi.access.policy import (
    ForbiddenError,
    Permission,
    Principal,
    Role,
    params,
    require,
    visible,
)
from dadkhahi.access.reads import keyset_page
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.jobs import queue
from dadkhahi.jobs.queue import Job
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: Queue priority of work people start from a page or the API (lower runs first).
LINKAGE_PRIORITY = queue.DEFAULT_PRIORITY
ESTIMATE_PRIORITY = queue.DEFAULT_PRIORITY
#: Where each kind's result is read in full (besides the job's own ``result``).
RESULT_URLS = {"linkage.run": "/api/linkage/stats", "linkage.apply": "/api/linkage/stats"}
#: Strata an estimate of the store may be split by.
STRATA = ("province", "city", "prison", "period")
#: Kinds whose result and notes count every list record, seen or not by the viewer.
COUNTS_EVERY_RECORD = frozenset({"linkage.run", "linkage.apply", "estimate.store"})
#: What of a run's result goes to a viewer who may not see every record.
_UNCOUNTED = ("run_id", "kind", "ledger_index", "seconds")
_NUMBER = re.compile(r"\d[\d,.]*\s*")


def _signed_in(principal: Principal) -> None:
    if not principal.signed_in:
        raise ForbiddenError("sign in first")


def _sees_all(principal: Principal) -> bool:
    return principal.role is Role.ADMIN


def sees_every_record(store: Store, principal: Principal) -> bool:
    """Whether no list record is hidden from the principal (then a run's counts are
    theirs to see)."""
    r = s.records
    with store.reading() as conn:
        hidden = conn.execute(select(r.c.id).where(not_(visible(principal, r))).limit(1),
                              params(principal)).first()
    return hidden is None


def job_view(job: Job, counts: bool = True) -> dict[str, Any]:
    """A job as a client sees it: state, progress, result, and where to poll it.

    ``counts``: whether the viewer may see every record; if not, a linkage run's counts
    and the numbers in its progress note are withheld.
    """
    view = {**job.to_json(), "url": f"/api/jobs/{job.id}",
            "result_url": RESULT_URLS.get(job.kind) if job.state == "succeeded" else None}
    if counts or job.kind not in COUNTS_EVERY_RECORD:
        return view
    note = view["progress"]["note"]
    view["progress"] = {**view["progress"],
                        "note": None if note is None else _NUMBER.sub("", note)}
    if isinstance(job.result, dict):
        view["result"] = {**{k: job.result[k] for k in _UNCOUNTED if k in job.result},
                          "counts_withheld": True}
    return view


def _views(store: Store, principal: Principal, found: list[Job]) -> list[dict[str, Any]]:
    counted = [j for j in found if j.kind in COUNTS_EVERY_RECORD]
    counts = not counted or sees_every_record(store, principal)
    return [job_view(j, counts) for j in found]


def enqueue_linkage(
    store: Store, principal: Principal, backend: str, threshold: float | None,
    seed: int | None,
) -> dict[str, Any]:
    """Queue a linkage run over every list record (``analyse``)."""
    require(principal, Permission.ANALYSE)
    from dadkhahi.linkage.jobs import KIND, job_params

    job = queue.enqueue(store, KIND, job_params(store, principal.name, backend, threshold, seed),
                        created_by=principal.user_id, priority=LINKAGE_PRIORITY)
    return _views(store, principal, [job])[0]


def enqueue_apply(store: Store, principal: Principal) -> dict[str, Any]:
    """Queue the review decisions' taking effect without training again (``analyse``):
    ``linkage.service.apply_decisions`` in the worker, as ``POST /api/linkage/apply``
    runs it in the request."""
    require(principal, Permission.ANALYSE)
    from dadkhahi.jobs.queue import actor_alias
    from dadkhahi.linkage.jobs import APPLY_KIND

    job = queue.enqueue(store, APPLY_KIND, {"actor": actor_alias(store, principal.name)},
                        created_by=principal.user_id, priority=LINKAGE_PRIORITY)
    return _views(store, principal, [job])[0]


def enqueue_estimate(
    store: Store, principal: Principal, method: str, *, by: str | None, seed: int,
    level: float, iterations: int | None, chains: int | None, draws: int | None,
    linkage_uncertainty: bool | None = None,
) -> dict[str, Any]:
    """Queue an estimate of the store's linked lists, recorded when done (``analyse``).

    ``linkage_uncertainty`` None (not told) with no ``draws``: the job draws linkages
    when the last run has a recorded audit, else holds the linkage fixed and says so
    (:class:`~dadkhahi.analysis.estimates.WhenAudited`); ``draws`` alone asks for them.
    """
    from dadkhahi.analysis.estimates import DEFAULT_LINKAGE_DRAWS
    from dadkhahi.estimate.run import METHODS

    require(principal, Permission.ANALYSE)
    if method not in METHODS:
        raise ValidationError(f"method must be one of {', '.join(METHODS)}")
    if by is not None and by not in STRATA:
        raise ValidationError(f"by must be one of {', '.join(STRATA)}")
    if linkage_uncertainty is False and draws is not None:
        raise ValidationError("linkage_draws draws linkages: leave it out, or leave "
                              "linkage_uncertainty on")
    when_audited = linkage_uncertainty is None and draws is None
    if linkage_uncertainty is not False and draws is None:
        draws = DEFAULT_LINKAGE_DRAWS
    job = queue.enqueue(store, "estimate.store", {
        "actor": queue.actor_alias(store, principal.name), "method": method, "by": by,
        "seed": seed, "level": level, "iterations": iterations, "chains": chains,
        "draws": draws, "when_audited": when_audited,
    }, created_by=principal.user_id, priority=ESTIMATE_PRIORITY)
    return job_view(job)


def enqueue_publication(
    store: Store, principal: Principal, *, languages: tuple[str, ...] = ("fa", "en"),
    base_url: str | None = None, contact: str | None = None, book: bool = False,
) -> dict[str, Any]:
    """Queue a build of the public memorial into the home's memorial folder
    (``publish``: it discloses to everyone what the editorial gate releases)."""
    from dadkhahi.publish.jobs import queue_publish

    require(principal, Permission.PUBLISH)
    job = queue_publish(store, principal.name, languages=languages, base_url=base_url,
                        contact=contact, book=book, created_by=principal.user_id)
    return job_view(job)


def _visible_job(store: Store, principal: Principal, job_id: str) -> Job:
    _signed_in(principal)
    try:
        job = queue.get(store, job_id)
    except NotFoundError:
        job = None
    if job is None or not (_sees_all(principal) or job.created_by == principal.user_id):
        # The same answer whether it does not exist or is someone else's.
        raise NotFoundError(f"no job {job_id!r}")
    return job


def job_for(store: Store, principal: Principal, job_id: str) -> dict[str, Any]:
    """One job of the principal's (any job, for an admin)."""
    return _views(store, principal, [_visible_job(store, principal, job_id)])[0]


def jobs_for(store: Store, principal: Principal, limit: int = 100) -> list[dict[str, Any]]:
    """The principal's jobs, newest first (every job, for an admin)."""
    _signed_in(principal)
    if not 1 <= limit <= 1000:
        raise ValidationError("limit must be between 1 and 1000")
    mine = None if _sees_all(principal) else principal.user_id
    return _views(store, principal, queue.list_jobs(store, created_by=mine, limit=limit))


#: What the list of jobs may be sorted by (``-`` first: descending).
JOB_SORTS = ("-created_at", "created_at")


def jobs_page(
    store: Store, principal: Principal, *, state: str | None = None,
    kind: str | None = None, sort: str = "-created_at", cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the principal's jobs (every job, for an admin) of one ``state`` and
    ``kind`` when given, newest first by default (the ID breaking ties), paged in SQL;
    and the next page's cursor."""
    _signed_in(principal)
    if sort not in JOB_SORTS:
        raise ValidationError(f"sort by one of {', '.join(JOB_SORTS)}")
    j = s.jobs.c
    stmt = select(s.jobs)
    if not _sees_all(principal):
        stmt = stmt.where(j.created_by == principal.user_id)
    if state is not None:
        stmt = stmt.where(j.state == state)
    if kind is not None:
        stmt = stmt.where(j.kind == kind)
    with store.reading() as conn:
        rows, next_cursor = keyset_page(store, conn, stmt, j.created_at, j.id,
                                        descending=sort.startswith("-"), cursor=cursor,
                                        limit=limit)
    return _views(store, principal, [queue.job_from(r) for r in rows]), next_cursor


def cancel_for(store: Store, principal: Principal, job_id: str) -> dict[str, Any]:
    """Cancel a queued job of the principal's, or ask a running one to stop."""
    _visible_job(store, principal, job_id)
    return _views(store, principal, [queue.request_cancel(store, job_id)])[0]
