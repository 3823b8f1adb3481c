"""The ``mentions.find`` job: mentions found and claims proposed once a text is ready.

The finder (:mod:`dadkhahi.mentions.finder`) runs through the one job mechanism when a
text becomes readable: the ``documents.extract`` job (text layers and OCR alike) and the
``documents.capture`` job (a web page's text) queue it for the items whose text they
hold, and a transcription that settles its page queues it for that transcription
(``services.transcriptions``, ``dadkhahi documents transcribe``). A worker runs it in the
background; the command line runs it at once after its extraction, as it runs the
extraction.

Idempotent: a text whose mentions were found before is not scanned again (the finder's
own rule, checked again inside the write's transaction, under the ledger's lock, so two
workers running the same item write one run), so a job run twice, resumed after its
worker died, or queued again by a second extraction of the same items proposes nothing
twice. Cancelling stops it between texts; what it wrote stays (each text is one event).

Parameters hold IDs only (items, transcriptions) and the actor's ledger pseudonym; the
result holds IDs and counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.jobs.catalog import MENTIONS_FIND
from dadkhahi.store.store import Store

if TYPE_CHECKING:
    from dadkhahi.jobs.queue import Job
    from dadkhahi.jobs.worker import JobContext

#: The job kind (``dadkhahi.jobs.catalog``).
JOB_KIND = MENTIONS_FIND


def queue_mentions(
    store: Store, *, actor: str, item_ids: Sequence[str] = (),
    transcription_ids: Sequence[str] = (), created_by: str | None = None,
) -> Job:
    """Queue a ``mentions.find`` job over these items' extracted texts and these
    transcriptions, acting as ``actor`` (a name: held in the job as its pseudonym)."""
    from dadkhahi.jobs.queue import actor_alias, enqueue

    alias = actor_alias(store, actor)
    return enqueue(store, JOB_KIND, {"item_ids": list(item_ids),
                                     "transcription_ids": list(transcription_ids),
                                     "actor": alias}, created_by=created_by or alias)


def queue_if_settled(
    store: Store, recorded: dict[str, Any], actor: str, *, created_by: str | None = None,
) -> Job | None:
    """After a transcription is recorded (``intake.transcriptions.record``'s answer):
    queue the job that scans it when it settled its page (its one transcription, two
    that agree, or a resolution); None while the page still waits (a second transcriber
    typing blind must not meet the first one's words among the proposals)."""
    from dadkhahi.intake.transcriptions import page_state

    with store.reading() as conn:
        state = page_state(conn, str(recorded["item_id"]), int(recorded["page"]))
    if state.state != "done":
        return None
    return queue_mentions(store, actor=actor, transcription_ids=[str(recorded["id"])],
                          created_by=created_by)


def find_job(store: Store, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """The ``mentions.find`` job: each item's extracted text, then each transcription.

    Params: ``item_ids``, ``transcription_ids`` (a transcription whose page is not
    settled is left alone: it is scanned when the page settles), ``actor`` (pseudonym).
    An item with no text to read (its extraction failed, or it was erased since) is
    counted and the next goes on.
    """
    from dadkhahi.jobs.queue import actor_name
    from dadkhahi.mentions.finder import find_mentions, propose_from_transcription

    actor = actor_name(store, str(params["actor"])) if params.get("actor") else "worker"
    items = [str(x) for x in params.get("item_ids") or []]
    typed = [str(x) for x in params.get("transcription_ids") or []]
    total = len(items) + len(typed)
    rows: list[dict[str, Any]] = []
    for n, ref in enumerate([*items, *typed]):
        # Reported before each text (each is a write of its own, so the report costs
        # little beside it): a cancel stops the job before the next text.
        ctx.progress(n, total, note="finding mentions", force=True)
        try:
            run = (find_mentions(store, ref, actor) if n < len(items)
                   else propose_from_transcription(store, ref, actor))
        except (ValidationError, NotFoundError):
            # No text (failed, erased) or no such object any more: its ID says which.
            rows.append({"ref": ref, "state": "no text"})
            continue
        if run is None:
            rows.append({"ref": ref, "state": "not settled"})
        else:
            rows.append({"ref": ref, "state": "existing" if run.existing else "found",
                         **run.to_json()})
    ctx.progress(total, total, note="finding mentions", force=True)
    counts = {state: sum(r["state"] == state for r in rows)
              for state in ("found", "existing", "no text", "not settled")}
    new = [r for r in rows if r["state"] == "found"]
    return {**counts, "mentions": sum(r["mentions"] for r in new),
            "proposals": sum(r["proposals"] for r in new), "runs": rows}


__all__ = ["JOB_KIND", "find_job", "queue_if_settled", "queue_mentions"]
