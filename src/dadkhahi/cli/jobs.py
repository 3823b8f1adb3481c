"""``dadkhahi worker`` and ``dadkhahi jobs list|show|cancel``: long work in the background."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from dadkhahi.cli.common import console, fields_table, open_store
from dadkhahi.cli.refs import resolve_id

app = typer.Typer(help="Background jobs: what is queued, running and done.", no_args_is_help=True)


def worker(
    once: Annotated[bool, typer.Option("--once", help="Run the queued jobs, then stop")] = False,
    poll: Annotated[float, typer.Option(min=0.1, max=60.0,
                                        help="Seconds between looks at an empty queue")] = 1.0,
    nice: Annotated[int, typer.Option(min=0, max=19,
                                      help="How much to lower this process's priority")] = 10,
) -> None:
    """Run queued jobs (linkage, estimates, extraction, bundles…) one at a time, at low
    priority, until stopped (Ctrl-C or SIGTERM lets the job in hand finish)."""
    from dadkhahi.jobs.worker import lower_priority, run_forever, run_next

    store = open_store()
    lower_priority(nice)
    if once:
        ran = 0
        while (job := run_next(store)) is not None:
            ran += 1
            console.print(f"{job.id} {job.kind}: {job.state}", highlight=False)
        console.print(f"{ran} job(s) run")
        return
    console.print("worker started; Ctrl-C to stop", highlight=False)
    run_forever(store, poll=poll, on_job=lambda job: console.print(
        f"{job.id} {job.kind}: {job.state}", highlight=False))


@app.command("list")
def list_(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines output")] = False,
) -> None:
    """Jobs, newest first."""
    from dadkhahi.jobs.queue import list_jobs

    jobs = list_jobs(open_store(), limit=limit)
    if as_json:
        for job in jobs:
            typer.echo(json.dumps(job.to_json(), ensure_ascii=False))
        return
    table = Table("job", "kind", "state", "progress", "created")
    for job in jobs:
        total = f"/{job.progress_total}" if job.progress_total is not None else ""
        table.add_row(job.id, job.kind, str(job.state), f"{job.progress_done}{total}",
                      job.created_at)
    console.print(table)


@app.command("show")
def show(
    job_id: Annotated[str, typer.Argument(help="Job ID or unique prefix")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output (one document)")]
    = False,
) -> None:
    """One job: state, progress, result or error."""
    from dadkhahi.jobs.queue import get

    store = open_store()
    job = get(store, resolve_id(store, None, job_id, "job")).to_json()
    if as_json:
        typer.echo(json.dumps(job, ensure_ascii=False, indent=2))
        return
    console.print(fields_table(job))


@app.command("cancel")
def cancel(job_id: Annotated[str, typer.Argument(help="Job ID or unique prefix")]) -> None:
    """Cancel a queued job, or ask a running one to stop at its next progress report."""
    from dadkhahi.jobs.queue import request_cancel

    store = open_store()
    job = request_cancel(store, resolve_id(store, None, job_id, "job"))
    console.print(f"{job.id}: {job.state}"
                  + (" (stop requested)" if job.state == "running" else ""), highlight=False)


@app.command("verify-ledger")
def verify_ledger() -> None:
    """Queue a full ledger verification for the worker (prints the job ID)."""
    from dadkhahi.jobs.queue import enqueue

    typer.echo(enqueue(open_store(), "ledger.verify", {}).id)


def register(root: typer.Typer) -> None:
    """Add ``worker`` and ``jobs`` to the ``dadkhahi`` app."""
    root.command("worker")(worker)
    root.add_typer(app, name="jobs")
