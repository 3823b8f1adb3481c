"""Job functions used only by the job tests (registered into the catalog by the tests)."""

from __future__ import annotations

import time
from typing import Any

from dadkhahi.jobs.worker import JobContext


def count(store: Any, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Counts to ``params['to']``, saving its place after each step; sleeps ``pause`` seconds
    per step so a test can kill the process mid-way. Starts again where a crash left it."""
    start = int((ctx.resume or {}).get("next", 0))
    to = int(params["to"])
    for step in range(start, to):
        ctx.save({"next": step + 1, "attempt": ctx.job.attempts})
        ctx.progress(step + 1, to, force=True)
        time.sleep(float(params.get("pause", 0)))
    return {"counted_from": start, "to": to}


def steps_as_they_start(store: Any, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Reports each of three steps as it starts (0, 1, 2 of 3), as the memorial build does,
    and never the end."""
    for step in range(3):
        ctx.progress(step, 3, force=True)
    return {}


def stop_myself(store: Any, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Asks for its own cancellation, then reports: the report must stop it."""
    from dadkhahi.jobs.queue import request_cancel

    request_cancel(store, ctx.job.id)
    ctx.progress(1, 2, force=True)
    return {"not": "reached"}


def explode(store: Any, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Fails with an error whose text must not reach the job row."""
    raise OSError("/home/witness-marker-Zq7/statement.txt: permission denied")
