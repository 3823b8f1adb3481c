"""A court bundle as a job (``case.bundle``), run by ``dadkhahi worker``.

A page queues the export and polls; the worker writes the bag (:func:`write_bundle`) into
the data directory, owner-only, as one tar archive a team member downloads
(``bundles/<job ID>/bundle-<job ID>.tar``, the folder 0700, the file 0600).

The ``jobs`` table is not sealed, so what could identify goes into the job's parameters
sealed under a data key of their own: the recipient (a court, a prosecutor's office: who
receives evidence of a case is itself sensitive) and the age recipient it is encrypted
to. In clear are the case's random ID, the scope and the actor's ledger pseudonym. The
job's progress notes, result and errors name neither: the result holds the export's ID
and counts; an error that could quote the recipient has it replaced.

A job that lost its worker is run again: when the first attempt had finished the bag
and saved its result (resume state), the archive is made from it, with no second export;
otherwise the partial folder is removed and the export runs from the start (nothing was
recorded before every file was copied).
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dadkhahi.cases.bundle import SCOPES, write_bundle
from dadkhahi.cases.encrypt import anonymous_tar_info, parse_recipient
from dadkhahi.domain.errors import UserError
from dadkhahi.store.db import write_transaction
from dadkhahi.store.store import Store, utc_now

if TYPE_CHECKING:
    from dadkhahi.jobs.queue import Job

#: The job kind that writes a court bundle (``dadkhahi.jobs.catalog``).
JOB_KIND = "case.bundle"
#: Where finished bundles wait for their download, under the data directory.
BUNDLES = "bundles"
#: What a bundle job's sealed parameters are bound to.
_SEALED_CONTEXT = "case.bundle job"


def bundle_folder(store: Store, job_id: str) -> Path:
    """The owner-only folder of one bundle job's output."""
    if not job_id.replace("_", "").isalnum():
        raise UserError("not a job ID")
    return store.home.path / BUNDLES / job_id


def bundle_archive(store: Store, job_id: str) -> Path:
    """The finished bundle of a job: one tar archive of the bag (or of the encrypted bag)."""
    return bundle_folder(store, job_id) / f"bundle-{job_id}.tar"


def queue_bundle(
    store: Store, actor: str, case_id: str, *, recipient: str, scope: str = "court",
    encrypt_to: str | None = None, created_by: str | None = None,
) -> Job:
    """Queue a ``case.bundle`` job; the recipient (and age recipient) sealed in its
    parameters. Checked now, before anything is queued: the scope, a recipient named, an
    age recipient that parses."""
    from dadkhahi.jobs.queue import actor_alias, enqueue

    if scope not in SCOPES:
        raise UserError(f"a bundle's scope is one of {', '.join(SCOPES)}")
    if not recipient.strip():
        raise UserError("name the recipient")
    if encrypt_to is not None and encrypt_to.strip():
        parse_recipient(encrypt_to)
    else:
        encrypt_to = None
    alias = actor_alias(store, actor)
    with write_transaction(store.engine) as conn:
        sealed = store.keys.seal(conn, {"recipient": recipient.strip(),
                                        "encrypt_to": encrypt_to}, _SEALED_CONTEXT, utc_now())
    return enqueue(store, JOB_KIND, {"case_id": case_id, "scope": scope, "sealed": sealed,
                                     "actor": alias}, created_by=created_by or alias)


def _archive(folder: Path, bag: Path, target: Path) -> None:
    """``target``: the bag (or the encrypted bag's folder) as an uncompressed tar, no owner
    names, written owner-only under a temporary name and renamed when complete."""
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w|") as tar:
        tar.add(bag, arcname=f"bundle-{folder.name}", filter=anonymous_tar_info)
    partial.rename(target)
    shutil.rmtree(bag)


def bundle_job(store: Store, ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The ``case.bundle`` job: write the bag, then the archive to download."""
    from dadkhahi.jobs.queue import actor_name

    with store.reading() as conn:
        opened = store.keys.unseal(conn, params["sealed"], _SEALED_CONTEXT)
    if opened is None:
        raise UserError("the bundle's recipient was erased: ask for the bundle again")
    recipient = str(opened["recipient"])
    folder = bundle_folder(store, ctx.job.id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    bag, target = folder / "bag", bundle_archive(store, ctx.job.id)
    saved = (ctx.resume or {}).get("result")
    if saved is not None and (target.is_file() or bag.is_dir()):
        # The bag was written (and its export recorded) by an earlier attempt.
        if not target.is_file():
            _archive(folder, bag, target)
        return {**saved, "archive_bytes": target.stat().st_size}
    shutil.rmtree(bag, ignore_errors=True)
    ctx.progress(0, None, "planning the bundle", force=True)
    try:
        result = write_bundle(
            store, actor_name(store, str(params["actor"])), str(params["case_id"]), bag,
            recipient=recipient, scope=str(params.get("scope", "court")),
            encrypt_to=opened.get("encrypt_to"),
            progress=lambda done, total, note: ctx.progress(done, total, note))
    except UserError as exc:
        # The job's error is not sealed: a message must not quote the recipient.
        raise UserError(str(exc).replace(recipient, "[the recipient]")) from None
    summary = {"export_id": result.export_id, "exhibits": result.exhibits,
               "withheld": result.withheld, "files": result.files, "bytes": result.bytes,
               "checkpoint_size": result.checkpoint_size,
               "encrypted": result.encrypted is not None}
    ctx.save({"result": summary})
    ctx.progress(result.files, result.files, "archiving", force=True)
    _archive(folder, bag, target)
    return {**summary, "archive_bytes": target.stat().st_size}


__all__ = ["BUNDLES", "JOB_KIND", "bundle_archive", "bundle_folder", "bundle_job",
           "queue_bundle"]
