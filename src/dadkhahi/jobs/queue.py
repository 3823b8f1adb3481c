"""The job queue: long work (linkage, estimates, extraction, bundles, publication) as rows.

A request or a command *enqueues* a job and returns at once; a ``dadkhahi worker`` process
*claims* queued jobs one at a time, runs them at low priority and reports progress. The
queue lives in the store's database (``jobs``), not in the ledger: a job is how work gets
done, not evidence. What a job produces that matters (a linkage run, an estimate, a
bundle) is written to the ledger by the job's own service, exactly as when it runs inline.

Crash safety: a running job's worker touches ``heartbeat_at`` as it reports progress; a job
whose heartbeat is older than the lease is taken to be orphaned (its worker died) and is
queued again, with whatever resume state it saved, up to ``max_attempts``.

Parameters hold IDs and settings only, never an identifying value (a name, a file name):
the table is not sealed, so nothing a witness could be identified by may be put in it.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from dadkhahi.domain.errors import NotFoundError, UserError, ValidationError
from dadkhahi.domain.ids import new_id
from dadkhahi.store import actors
from dadkhahi.store import schema as s
from dadkhahi.store.db import is_sqlite, write_transaction
from dadkhahi.store.store import Store, utc_now

#: A running job whose worker has not reported for this long is queued again.
DEFAULT_LEASE = timedelta(minutes=2)
DEFAULT_PRIORITY = 100
#: Attempts before a job that keeps losing its worker is marked failed.
DEFAULT_MAX_ATTEMPTS = 3


class JobState(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})


@dataclass(frozen=True)
class Job:
    """One job as stored."""

    id: str
    kind: str
    params: dict[str, Any]
    state: JobState
    priority: int
    created_by: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    heartbeat_at: str | None
    worker: str | None
    attempts: int
    max_attempts: int
    progress_done: int
    progress_total: int | None
    progress_note: str | None
    cancel_requested: bool
    resume: dict[str, Any] | None
    result: dict[str, Any] | None
    error: str | None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def to_json(self) -> dict[str, Any]:
        """What a client may see of its job (the resume state is the worker's business)."""
        return {
            "id": self.id, "kind": self.kind, "params": self.params, "state": str(self.state),
            "created_at": self.created_at, "started_at": self.started_at,
            "finished_at": self.finished_at, "attempts": self.attempts,
            "progress": {"done": self.progress_done, "total": self.progress_total,
                         "note": self.progress_note},
            "cancel_requested": self.cancel_requested, "result": self.result,
            "error": self.error,
        }


def job_from(row: Mapping[str, Any]) -> Job:
    """A job from its row read as a mapping (a page of jobs read by the services)."""
    return _job(SimpleNamespace(**row))


def _job(row: Any) -> Job:
    return Job(
        id=row.id, kind=row.kind, params=dict(row.params or {}), state=JobState(row.state),
        priority=int(row.priority), created_by=row.created_by, created_at=row.created_at,
        started_at=row.started_at, finished_at=row.finished_at, heartbeat_at=row.heartbeat_at,
        worker=row.worker, attempts=int(row.attempts), max_attempts=int(row.max_attempts),
        progress_done=int(row.progress_done), progress_total=row.progress_total,
        progress_note=row.progress_note, cancel_requested=bool(row.cancel_requested),
        resume=row.resume, result=row.result, error=row.error,
    )


def _json_safe(params: dict[str, Any]) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads(json.dumps(params, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"job parameters must be plain JSON: {exc}") from None
    return loaded


def enqueue(
    store: Store, kind: str, params: dict[str, Any], *, created_by: str | None = None,
    priority: int = DEFAULT_PRIORITY, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """Queue a job of ``kind`` (a name from :mod:`dadkhahi.jobs.catalog`); returns it."""
    from dadkhahi.jobs.catalog import KINDS

    if kind not in KINDS:
        raise ValidationError(f"no job kind {kind!r} (known: {', '.join(sorted(KINDS))})")
    job_id = new_id("job")
    with write_transaction(store.engine) as conn:
        conn.execute(insert(s.jobs).values(
            id=job_id, kind=kind, params=_json_safe(params), state=str(JobState.QUEUED),
            priority=priority, created_by=created_by, created_at=utc_now(), attempts=0,
            max_attempts=max_attempts, progress_done=0, cancel_requested=0,
        ))
        return _get(conn, job_id)


def _get(conn: Connection, job_id: str) -> Job:
    row = conn.execute(select(s.jobs).where(s.jobs.c.id == job_id)).first()
    if row is None:
        raise NotFoundError(f"no job {job_id!r}")
    return _job(row)


def get(store: Store, job_id: str) -> Job:
    """One job (NotFoundError if there is none)."""
    with store.reading() as conn:
        return _get(conn, job_id)


def list_jobs(
    store: Store, *, created_by: str | None = None, states: frozenset[JobState] | None = None,
    limit: int = 100,
) -> list[Job]:
    """Jobs, newest first; only those created by ``created_by`` when given."""
    j = s.jobs.c
    stmt = select(s.jobs).order_by(j.created_at.desc(), j.id.desc()).limit(limit)
    if created_by is not None:
        stmt = stmt.where(j.created_by == created_by)
    if states is not None:
        stmt = stmt.where(j.state.in_([str(x) for x in states]))
    with store.reading() as conn:
        return [_job(r) for r in conn.execute(stmt)]


def request_cancel(store: Store, job_id: str) -> Job:
    """Cancel a queued job at once; ask a running one to stop at its next progress report."""
    j = s.jobs.c
    now = utc_now()
    with write_transaction(store.engine) as conn:
        job = _get(conn, job_id)
        if job.state is JobState.QUEUED:
            conn.execute(update(s.jobs).where(j.id == job_id).values(
                state=str(JobState.CANCELLED), cancel_requested=1, finished_at=now))
        elif job.state is JobState.RUNNING:
            conn.execute(update(s.jobs).where(j.id == job_id).values(cancel_requested=1))
        return _get(conn, job_id)


def actor_alias(store: Store, name: str) -> str:
    """The pseudonym a job's parameters carry for the ledger actor ``name``.

    The jobs table is not sealed: it holds the actor as the same stable pseudonym the
    ledger uses (its name sealed in ``actor_names``), and the job resolves it when it runs.
    """
    with write_transaction(store.engine) as conn:
        return actors.remember(conn, store.keys, name, utc_now())


def actor_name(store: Store, alias: str) -> str:
    """The actor a job acts as, from the pseudonym in its parameters."""
    with store.reading() as conn:
        name = actors.name_of(conn, store.keys, alias)
    if name is None:
        raise UserError("the name of the job's actor was erased: queue the work again")
    return name


def worker_name() -> str:
    """``host:pid`` of this process, as a job's ``worker``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def requeue_stale(store: Store, lease: timedelta = DEFAULT_LEASE) -> int:
    """Queue again (or fail, after ``max_attempts``) running jobs whose worker went silent."""
    j = s.jobs.c
    cutoff = _iso(datetime.now(UTC) - lease)
    stale = (j.state == str(JobState.RUNNING)) & (j.heartbeat_at < cutoff)
    with store.reading() as conn:
        # An idle worker asks every second: a read, not a write lock, when nothing is stale.
        if conn.execute(select(j.id).where(stale).limit(1)).first() is None:
            return 0
    with write_transaction(store.engine) as conn:
        failed = conn.execute(update(s.jobs).where(stale, j.attempts >= j.max_attempts).values(
            state=str(JobState.FAILED), finished_at=utc_now(),
            error="the worker stopped reporting too many times; giving up")).rowcount
        again = conn.execute(update(s.jobs).where(stale).values(
            state=str(JobState.QUEUED), worker=None,
            progress_note="queued again: its worker stopped reporting")).rowcount
    return int(failed) + int(again)


def claim(
    store: Store, kinds: frozenset[str] | None = None, job_id: str | None = None,
) -> Job | None:
    """Take the next queued job (lowest priority number, then oldest) for this worker.

    ``job_id``: take that job only (a command running the job it just queued), if it is
    still queued.
    """
    j = s.jobs.c
    pick = select(j.id).where(j.state == str(JobState.QUEUED)).order_by(
        j.priority, j.created_at, j.id).limit(1)
    if kinds is not None:
        pick = pick.where(j.kind.in_(sorted(kinds)))
    if job_id is not None:
        pick = pick.where(j.id == job_id)
    with store.reading() as conn:
        # An idle worker asks every second: a read, not a write lock, when none is queued.
        if conn.execute(pick).first() is None:
            return None
    with write_transaction(store.engine) as conn:
        if not is_sqlite(store.engine):
            # Several workers on PostgreSQL: each takes a different row, none waits.
            pick = pick.with_for_update(skip_locked=True)
        job_id = conn.execute(pick).scalar_one_or_none()
        if job_id is None:
            return None
        now = utc_now()
        conn.execute(update(s.jobs).where(j.id == job_id).values(
            state=str(JobState.RUNNING), worker=worker_name(), heartbeat_at=now,
            started_at=func.coalesce(j.started_at, now), attempts=j.attempts + 1))
        return _get(conn, job_id)


def report(
    store: Store, job_id: str, *, done: int | None = None, total: int | None = None,
    note: str | None = None, resume: dict[str, Any] | None = None,
) -> bool:
    """Record progress (and resume state) and the heartbeat; True if cancel was requested."""
    j = s.jobs.c
    values: dict[str, Any] = {"heartbeat_at": utc_now()}
    if done is not None:
        values["progress_done"] = done
    if total is not None:
        values["progress_total"] = total
    if note is not None:
        values["progress_note"] = note[:500]
    if resume is not None:
        values["resume"] = _json_safe(resume)
    with write_transaction(store.engine) as conn:
        conn.execute(update(s.jobs).where(j.id == job_id).values(**values))
        flag = conn.execute(select(j.cancel_requested).where(j.id == job_id)).scalar_one()
    return bool(flag)


def finish(
    store: Store, job_id: str, state: JobState, *, result: dict[str, Any] | None = None,
    error: str | None = None,
) -> Job:
    """Close a job as succeeded, failed or cancelled. A succeeded job's progress reads
    all done: a job may report each step as it starts (the memorial build's last report
    is 5 of 6) and reports are throttled, so its last report can fall short."""
    if state not in FINISHED:
        raise ValueError(f"{state} is not a final state")
    j = s.jobs.c
    values: dict[str, Any] = dict(
        state=str(state), finished_at=utc_now(), heartbeat_at=utc_now(),
        result=None if result is None else _json_safe(result),
        error=None if error is None else error[:2000])
    if state is JobState.SUCCEEDED:
        values["progress_done"] = func.coalesce(j.progress_total, j.progress_done)
    with write_transaction(store.engine) as conn:
        conn.execute(update(s.jobs).where(j.id == job_id).values(**values))
        return _get(conn, job_id)


__all__ = [
    "DEFAULT_LEASE",
    "FINISHED",
    "Job",
    "JobState",
    "actor_alias",
    "actor_name",
    "claim",
    "enqueue",
    "finish",
    "get",
    "list_jobs",
    "report",
    "request_cancel",
    "requeue_stale",
    "worker_name",
]
