"""The estimate of the store as a job: the worker runs :func:`estimate_store` and records it.

Parameters are settings only (method, strata, seed, level, LCMCR sweeps, drawn linkages)
and the pseudonym of the ledger actor who asked. An estimate writes one
``estimate.computed`` event at the end, so a retry after a crash runs it again from the
start with the same seed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dadkhahi.store.store import Store

if TYPE_CHECKING:
    from dadkhahi.jobs.worker import JobContext


def estimate_job(store: Store, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Estimate the store's linked lists and record it; the result is the estimate's JSON
    (counts, intervals, list IDs or titles that are not protected) and its ID."""
    from dadkhahi.analysis.estimates import (
        WhenAudited,
        _plain,
        estimate_store,
        record_estimate,
    )
    from dadkhahi.estimate import Options, to_json
    from dadkhahi.jobs.queue import actor_name
    from dadkhahi.linkage.draws import DrawSettings

    options = Options(seed=int(params["seed"]), level=float(params.get("level", 0.95)))
    if params.get("iterations") is not None:
        options = replace(options, iterations=int(params["iterations"]))
    if params.get("chains") is not None:
        options = replace(options, chains=int(params["chains"]))
    draws = params.get("draws")
    uncertainty: DrawSettings | WhenAudited | None = None
    if draws is not None:
        # A job queued before "when_audited" existed asked for its draws outright.
        uncertainty = (WhenAudited(int(draws)) if params.get("when_audited")
                       else DrawSettings(draws=int(draws)))

    def heard(label: str, done: int, at_most: int) -> None:
        ctx.progress(done, at_most, note=label)

    done = estimate_store(
        store, str(params["method"]), options, by=params.get("by"), language="en",
        uncertainty=uncertainty, progress=heard)
    estimate_id = record_estimate(store, actor_name(store, str(params["actor"])), done)
    out: dict[str, Any] = _plain(to_json(done.result))
    out["estimate_id"] = estimate_id
    return out
