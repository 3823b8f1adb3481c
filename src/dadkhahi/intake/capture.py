"""A captured web page taken in as evidence: its files hashed and stored as items of one
source, with the URL and capture time in their custody entry, the WARC's responses as its
derivatives (as for an imported WARC, ``intake.warc``), and the text of the page and of
every HTML response extracted like any document's.

The capture itself (browser, WARC, screenshot) is :mod:`dadkhahi.documents.capture`; the
files pass through an owner-only temporary folder on their way into the store (the same
intake path as any file), and the folder is removed whatever happens.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from dadkhahi.documents.capture import Capture, capture, check_reachable
from dadkhahi.domain.errors import UserError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.documents import has_own_text
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.intake.warc import split_warc
from dadkhahi.store import schema as s
from dadkhahi.store.db import write_transaction
from dadkhahi.store.store import Store, utc_now

if TYPE_CHECKING:
    from dadkhahi.jobs.queue import Job

#: The job kind that captures a page (``dadkhahi.jobs.catalog``).
JOB_KIND = "documents.capture"
#: What a capture job's sealed parameters are bound to.
_SEALED_CONTEXT = "documents.capture job"


@dataclass(frozen=True)
class Captured:
    """The stored capture: its source, an item per file, and the capture's metadata."""

    source_id: str
    items: dict[str, str]  # file name -> item ID
    capture: Capture
    #: The items whose text is extracted next: the page as sent, then the WARC's HTML
    #: responses (the page's own among them: the same words found in both, the
    #: response's with its WARC record named).
    texts: list[str]


def capture_url(
    store: Store, url: str, actor: str, *, source_id: str | None = None,
    sensitivity: Sensitivity = Sensitivity.RESTRICTED, title: str | None = None,
) -> Captured:
    """Capture ``url`` and store its files (WARC, screenshot, HTML, rendered HTML, metadata)
    under a new source (or ``source_id``), and the WARC's responses as its derivatives.
    Extraction of the text (``texts``) is the caller's next step (``intake.documents``),
    as after any intake."""

    got = capture(url)
    hashes = ", ".join(f"{n} sha256:{m['sha256']}" for n, m in got.metadata()["files"].items()
                       if n != "capture.json")
    receipt = Receipt(actor=actor, from_party=got.final_url,
                      how="web capture (headless Chromium)",
                      notes=f"captured {got.url} at {got.captured_at}; {hashes}")
    spec = None if source_id else SourceSpec(
        title=title or f"Web capture of {got.url}", kind=SourceKind.ARTICLE,
        sensitivity=sensitivity)
    with tempfile.TemporaryDirectory(prefix="dadkhahi-capture-") as tmp:  # mode 700
        paths = []
        for name, body in sorted(got.files.items()):
            path = Path(tmp) / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(body)
            paths.append(path)
        report = add_evidence(store, paths, receipt, source_id=source_id, new_source=spec,
                              stop_on_error=True)
    assert report.source_id is not None
    items = {path.name: item for path, item in report.added}
    texts = [items[n] for n in ("page.html",) if n in items]
    if "capture.warc.gz" in items:
        made = split_warc(store, items["capture.warc.gz"], got.files["capture.warc.gz"],
                          actor, how="web capture (headless Chromium)")
        with store.reading() as conn:
            rows = conn.execute(select(s.items).where(
                s.items.c.id.in_([item for item, _, _ in made]))).mappings().all()
        own = {str(r["id"]) for r in rows if has_own_text(r)}
        texts += [item for item, _, _ in made if item in own]
    return Captured(report.source_id, items, got, texts)


def queue_capture(
    store: Store, url: str, actor: str, *, source_id: str | None = None,
    sensitivity: Sensitivity = Sensitivity.RESTRICTED, title: str | None = None,
    allow_private: bool = False, created_by: str | None = None,
) -> Job:
    """Queue a ``documents.capture`` job (run by ``dadkhahi worker``).

    The jobs table is not sealed and a URL can identify (a witness's page): the URL and
    title are sealed into the job's parameters under a data key of their own, the actor
    is its ledger pseudonym. The address is checked now and again when the job runs.
    """
    from dadkhahi.jobs.queue import actor_alias, enqueue

    check_reachable(url, allow_private=allow_private)
    alias = actor_alias(store, actor)
    with write_transaction(store.engine) as conn:
        sealed = store.keys.seal(conn, {"url": url.strip(), "title": title},
                                 _SEALED_CONTEXT, utc_now())
    return enqueue(store, JOB_KIND, {
        "sealed": sealed, "source_id": source_id, "sensitivity": str(sensitivity),
        "allow_private": allow_private, "actor": alias}, created_by=created_by or alias)


def capture_job(store: Store, ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The ``documents.capture`` job: capture the page, store its files, extract its text.

    The result names items and hashes, never the URL (the jobs table is not sealed).
    """
    from dadkhahi.intake.documents import extract_items, queue_mentions_after
    from dadkhahi.jobs.queue import actor_name

    with store.reading() as conn:
        opened = store.keys.unseal(conn, params["sealed"], _SEALED_CONTEXT)
    if opened is None:
        raise UserError("the capture's address was erased: ask for the capture again")
    actor = actor_name(store, str(params["actor"]))
    url = check_reachable(str(opened["url"]), allow_private=bool(params.get("allow_private")))
    ctx.progress(0, 2, note="capturing", force=True)
    # The job's error is not sealed: a CaptureError never quotes the address
    # (documents.capture.browser_reason).
    got = capture_url(store, url, actor, source_id=params.get("source_id"),
                      sensitivity=Sensitivity(params.get("sensitivity", "restricted")),
                      title=opened.get("title"))
    ctx.progress(1, 2, note="extracting text", force=True)
    outcomes = extract_items(store, got.texts, actor)
    ctx.progress(2, 2, note="done", force=True)
    files = got.capture.metadata()["files"]
    return {"source_id": got.source_id, "status": got.capture.status,
            "captured_at": got.capture.captured_at,
            "items": {name: {"item_id": item, "sha256": files[name]["sha256"]}
                      for name, item in sorted(got.items.items())},
            "text": [{"item_id": o.item_id, "state": o.state, "text_item_id": o.text_item_id}
                     for o in outcomes],
            "mentions_job": queue_mentions_after(store, ctx.job, outcomes)}
