"""Linkage as a job: the worker runs :func:`~dadkhahi.linkage.service.run_linkage`.

The job's parameters are settings only (backend, threshold, seed) and the pseudonym of
the ledger actor who asked (:func:`dadkhahi.jobs.queue.actor_alias`), never a name or a
record's value. A run is all or nothing (its ``link.run`` event and
the persons are written in one transaction at the end), so a retry after a crash simply
runs again from the start: with the same seed and lists it finds the same persons.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from dadkhahi.store.store import Store

if TYPE_CHECKING:
    from dadkhahi.jobs.worker import JobContext


#: The job kind (a name in :mod:`dadkhahi.jobs.catalog`).
KIND = "linkage.run"
#: Re-clustering the last model run's pairs with every decision so far (no training).
APPLY_KIND = "linkage.apply"


def job_params(
    store: Store, actor: str, backend: str, threshold: float | None, seed: int | None
) -> dict[str, Any]:
    """A linkage job's parameters: the actor's pseudonym and the run's settings."""
    from dadkhahi.jobs.queue import actor_alias

    return {"actor": actor_alias(store, actor), "backend": backend, "threshold": threshold,
            "seed": seed}


def run_linkage_job(store: Store, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Link every list record (``params``: actor, backend, threshold, seed); the run's report."""
    from dadkhahi.jobs.queue import actor_name
    from dadkhahi.linkage.service import run_linkage

    steps = 0

    def say(message: str) -> None:
        nonlocal steps
        steps += 1
        # Phases are few and name counts only; each is a chance to notice a cancel.
        ctx.progress(steps, None, note=message, force=True)

    threshold = params.get("threshold")
    seed = params.get("seed")
    report = run_linkage(
        store, actor_name(store, str(params["actor"])),
        backend=str(params.get("backend", "duckdb")),
        threshold=None if threshold is None else float(threshold),
        seed=None if seed is None else int(seed), progress=say)
    return dataclasses.asdict(report)


def run_apply_job(store: Store, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Apply every review decision so far (``params``: actor): the last model run's
    cached pairs re-clustered, recorded as a ``link.run`` of kind ``decisions`` (all or
    nothing, as a run: a retry applies them again)."""
    from dadkhahi.jobs.queue import actor_name
    from dadkhahi.linkage.service import apply_decisions

    steps = 0

    def say(message: str) -> None:
        nonlocal steps
        steps += 1
        ctx.progress(steps, None, note=message, force=True)

    report = apply_decisions(store, actor_name(store, str(params["actor"])), progress=say)
    return dataclasses.asdict(report)
