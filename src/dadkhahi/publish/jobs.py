"""A memorial build as a job (``memorial.publish``), run by ``dadkhahi worker``.

A page or the API queues the build and polls it, as for linkage, estimates and court
bundles; the worker runs :func:`~dadkhahi.publish.build.build` into the home's own
memorial folder (``memorial/`` in the data directory: a page cannot name a folder on the
server), each build updating the one before, which is what a mirror then copies.

The parameters are settings only (languages, the public address, the corrections
contact, whether to lay out the book) and the ledger pseudonym of the actor who asked.
The result holds the build's sequence, its manifest's SHA-256 and counts of what is
public by definition (victims published, withdrawn, files); not how many persons the
editorial gate held back, which counts records the asker may not see
(``dadkhahi publish held`` lists them for the team). A build is written whole or not at
all and recorded once at its end (a build of the same content is not recorded again),
so a job whose worker died is simply run again. While another build of the home runs
(a second worker's, or ``dadkhahi publish``'s), a queued build waits for it to end.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dadkhahi.store.store import Store

if TYPE_CHECKING:
    from dadkhahi.jobs.queue import Job
    from dadkhahi.jobs.worker import JobContext

#: The job kind (a name in :mod:`dadkhahi.jobs.catalog`).
KIND = "memorial.publish"
#: The home's memorial folder, under the data directory.
MEMORIAL = "memorial"
#: A queued build's progress note while another build runs (:mod:`dadkhahi.publish.lock`).
WAITING = "waiting for another build of the memorial to end"


def memorial_folder(store: Store) -> Path:
    """Where a queued build writes the memorial (the previous build, updated)."""
    return store.home.path / MEMORIAL


def queue_publish(
    store: Store, actor: str, *, languages: tuple[str, ...] = ("fa", "en"),
    base_url: str | None = None, contact: str | None = None, book: bool = False,
    created_by: str | None = None,
) -> Job:
    """Queue a build of the memorial (the languages checked now, before it is queued)."""
    from dadkhahi.domain.errors import ValidationError
    from dadkhahi.jobs.queue import actor_alias, enqueue

    if not languages or any(code not in ("fa", "en") for code in languages) or \
            len(set(languages)) != len(languages):
        raise ValidationError("languages are fa and en, each once")
    alias = actor_alias(store, actor)
    return enqueue(store, KIND, {
        "actor": alias, "languages": list(languages), "base_url": base_url,
        "contact": contact, "book": book,
    }, created_by=created_by or alias)


def publish_job(store: Store, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """The ``memorial.publish`` job: build the memorial; its sequence and counts."""
    from dadkhahi.jobs.queue import actor_name
    from dadkhahi.publish.build import STEPS, build
    from dadkhahi.publish.site import Options

    def heard(done: int, total: int, note: str) -> None:
        ctx.progress(done, total, note, force=True)

    def waiting() -> None:
        # Nobody is there to queue it again: it waits its turn (and can be cancelled).
        ctx.progress(0, len(STEPS), WAITING)

    options = Options(languages=tuple(params.get("languages") or ("fa", "en")),
                      base_url=params.get("base_url"), contact=params.get("contact"),
                      book=bool(params.get("book")))
    report = build(store, actor_name(store, str(params["actor"])), memorial_folder(store),
                   options, progress=heard, waiting=waiting)
    return {"sequence": report.sequence, "recorded": report.recorded,
            "published": report.published, "withdrawn": report.withdrawn,
            "files": report.files, "written": report.written, "removed": report.removed,
            "manifest_sha256": report.manifest_sha256}


__all__ = ["KIND", "MEMORIAL", "WAITING", "memorial_folder", "publish_job", "queue_publish"]
