"""Job functions that belong to no other service package (the ledger's own checks)."""

from __future__ import annotations

from typing import Any

from dadkhahi.jobs.worker import JobContext
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger


def verify_ledger_job(store: Store, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Verify the whole ledger (hashes, tree, checkpoints, replay); the result says how it went.

    The dashboard's "last verified" is the newest succeeded job of this kind.
    """
    checked = 0

    def advance(_stage: str, n: int) -> None:
        nonlocal checked
        checked += n
        ctx.progress(checked, note="verifying")

    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key(), advance)
    return {"ok": report.ok, "size": report.size, "root_hash": report.root_hash.hex(),
            "checkpoints": report.checkpoints, "rows_compared": report.rows_compared,
            "findings": len(report.findings), "first_bad_event": report.first_bad_event()}
