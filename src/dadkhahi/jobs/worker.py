"""The worker: claims jobs one at a time, at low priority, and runs them to the end.

``dadkhahi worker`` runs :func:`run_forever`; tests and ``--once`` use :func:`run_next`.
A job function receives the store, a :class:`JobContext` and its parameters, and returns
a small JSON result (IDs and counts). It reports progress through the context, which also
carries cancellation (checked at each report) and the resume state a crashed attempt saved.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from types import FrameType
from typing import Any

from dadkhahi.domain.errors import UserError
from dadkhahi.jobs import queue
from dadkhahi.jobs.catalog import resolve
from dadkhahi.jobs.queue import Job, JobState
from dadkhahi.store.store import Store

_log = logging.getLogger(__name__)

#: Progress is written at most this often (seconds); a cancel is noticed as quickly.
REPORT_INTERVAL = 1.0
#: A running job's heartbeat is written this often even while the job itself reports
#: nothing (a model training for minutes), so a live job is never taken for orphaned.
HEARTBEAT_INTERVAL = 15.0
#: Niceness a worker adds to itself, so the server answering people stays responsive.
DEFAULT_NICE = 10


class JobCancelledError(Exception):
    """Raised inside a job when someone asked for it to stop."""


class JobContext:
    """What a running job may do besides its work: report, notice a cancel, save state."""

    def __init__(self, store: Store, job: Job, clock: Callable[[], float] = time.monotonic,
                 on_progress: Callable[[int, int | None, str | None], None] | None = None):
        self._store = store
        self._on_progress = on_progress
        self.job = job
        self._clock = clock
        self._last = clock()
        self._done = job.progress_done
        self._total = job.progress_total
        #: Set by the heartbeat when someone asked the job to stop.
        self.cancel_seen = threading.Event()

    @property
    def resume(self) -> dict[str, Any] | None:
        """The state saved by an earlier attempt of this job (None on the first)."""
        return self.job.resume

    def progress(self, done: int, total: int | None = None, note: str | None = None,
                 *, force: bool = False) -> None:
        """Report progress (throttled); raises :class:`JobCancelledError` if asked to stop."""
        self._done, self._total = done, total if total is not None else self._total
        if self.cancel_seen.is_set():
            raise JobCancelledError(self.job.id)
        if self._on_progress is not None:
            self._on_progress(done, self._total, note)
        now = self._clock()
        if not force and now - self._last < REPORT_INTERVAL:
            return
        self._last = now
        if queue.report(self._store, self.job.id, done=done, total=self._total, note=note):
            raise JobCancelledError(self.job.id)

    def save(self, state: dict[str, Any]) -> None:
        """Persist resume state now (a retry after a crash starts from it)."""
        if queue.report(self._store, self.job.id, resume=state):
            raise JobCancelledError(self.job.id)


def _describe(exc: BaseException) -> str:
    # A UserError's message is written for people and never carries identifying values;
    # anything else could (a file name in an OSError, say): keep only its type.
    if isinstance(exc, UserError):
        return str(exc)
    return f"internal error ({type(exc).__name__}); see the worker's log"


def _heartbeat(store: Store, ctx: JobContext, stop: threading.Event, every: float) -> None:
    """Touch the job's heartbeat until ``stop``; note a cancel for the job's next report."""
    while not stop.wait(every):
        try:
            if queue.report(store, ctx.job.id):
                ctx.cancel_seen.set()
        except Exception:  # a missed beat is retried; the lease allows several
            _log.warning("job %s: heartbeat not written", ctx.job.id, exc_info=True)


def run_job(
    store: Store, job: Job,
    on_progress: Callable[[int, int | None, str | None], None] | None = None,
    heartbeat: float = HEARTBEAT_INTERVAL,
) -> Job:
    """Run one claimed job to a final state (``on_progress``: also tell this process),
    its heartbeat kept by a thread meanwhile."""
    ctx = JobContext(store, job, on_progress=on_progress)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(store, ctx, stop, heartbeat),
                            name=f"heartbeat-{job.id}", daemon=True)
    beat.start()
    try:
        function = resolve(job.kind)
        result = function(store, ctx, dict(job.params))
    except JobCancelledError:
        return queue.finish(store, job.id, JobState.CANCELLED)
    except UserError as exc:
        # Refused work (no records to link, a bad setting): one line, no stack.
        _log.warning("job %s (%s) failed: %s", job.id, job.kind, exc)
        return queue.finish(store, job.id, JobState.FAILED, error=_describe(exc))
    except Exception as exc:
        _log.exception("job %s (%s) failed", job.id, job.kind)
        return queue.finish(store, job.id, JobState.FAILED, error=_describe(exc))
    finally:
        stop.set()
        beat.join()
    return queue.finish(store, job.id, JobState.SUCCEEDED, result=result or {})


def run_now(
    store: Store, job_id: str,
    on_progress: Callable[[int, int | None, str | None], None] | None = None,
) -> Job:
    """Run a job this process just queued, here and now (a command waiting for its work).

    If a worker took it first, the job is returned as it stands (the worker finishes it).
    """
    job = queue.claim(store, job_id=job_id)
    if job is None:
        return queue.get(store, job_id)
    return run_job(store, job, on_progress)


def run_next(store: Store, lease: timedelta = queue.DEFAULT_LEASE) -> Job | None:
    """Re-queue orphaned jobs, then claim and run the next one; None if the queue is empty."""
    queue.requeue_stale(store, lease)
    job = queue.claim(store)
    return None if job is None else run_job(store, job)


def lower_priority(increment: int = DEFAULT_NICE) -> None:
    """Make this process yield the CPU to the server (and to people) first."""
    if increment > 0 and hasattr(os, "nice"):
        os.nice(increment)


def run_forever(
    store: Store, *, poll: float = 1.0, lease: timedelta = queue.DEFAULT_LEASE,
    stop: threading.Event | None = None, on_job: Callable[[Job], None] | None = None,
) -> None:
    """Run jobs until ``stop`` is set (or SIGTERM/SIGINT): one at a time, polling when idle.

    A signal lets the job in hand finish (or be cut short by the next crash recovery): the
    worker stops claiming new jobs and returns.
    """
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        def _stop(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    while not stop.is_set():
        job = run_next(store, lease)
        if job is None:
            stop.wait(poll)
        elif on_job is not None:
            on_job(job)


__all__ = [
    "DEFAULT_NICE",
    "JobCancelledError",
    "JobContext",
    "lower_priority",
    "run_forever",
    "run_job",
    "run_next",
    "run_now",
]
