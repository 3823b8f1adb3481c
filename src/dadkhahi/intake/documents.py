"""Documents: the text of stored files as derivative items, extracted by a job.

The original is taken in first (``intake.evidence``: hashed, stored, in custody), so a
file whose text cannot be read is still kept. Extraction then runs as the job kind
``documents.extract``: for each item it reads the stored bytes (decrypting a protected
item in memory, never to disk), extracts every page's text (``dadkhahi.documents``),
and in one transaction

* stores the pages (text, per-line boxes, OCR confidences, tools) as a JSON blob, a new
  item ``derived_from`` the original (derivation ``text``): its own SHA-256 and custody
  entry, sealed with its own file key when the original's source or item is protected,
  never less protected than the original;
* emits ``document.extracted`` (the original's and the text's hashes, tools and versions,
  pages with method, language and confidence) into ``extractions`` and ``document_pages``;
* writes the full-text index rows (``dadkhahi.search.index``).

A WARC's HTML responses (derivatives ``warc-response``, ``intake.warc``) are documents of
their own: each is extracted like an original, and its text derivative (JSON and custody)
names the WARC record's ID, target URI and capture date.

A failure (encrypted, damaged or empty PDF, unreadable image, zip bomb, file too large)
emits ``document.extraction_failed`` with the reason and the next item goes on. A job that
dies half-way is queued again by the worker's lease; items already extracted are skipped,
so it resumes where it stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, func, select

from dadkhahi.documents.extract import DOCX, HTML, IMAGES, ODT, TEXT
from dadkhahi.documents.model import Extraction, ExtractionError
from dadkhahi.documents.ocr import DEFAULT_LANGUAGES
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import (
    ContentErasedError,
    Receipt,
    add_item,
    item_content,
    resolve_item,
    store_bytes,
)
from dadkhahi.intake.warc import DERIVATION as WARC_RESPONSE
from dadkhahi.intake.warc import Provenance, response_provenance
from dadkhahi.search.index import PageText, index_pages, partition_for
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, utc_now

if TYPE_CHECKING:
    from dadkhahi.jobs.queue import Job

#: The job kind that extracts text (``dadkhahi.jobs.catalog``).
JOB_KIND = "documents.extract"
#: Media type of a text derivative: the extraction as JSON (pages, lines, boxes, tools).
TEXT_MEDIA_TYPE = "application/vnd.dadkhahi.text+json"
#: Files whose text is looked for.
EXTRACTABLE = frozenset({"application/pdf", DOCX, ODT, "application/zip"}) | IMAGES | TEXT | HTML
#: Larger originals are not extracted (they are read into memory to be decrypted and parsed).
MAX_EXTRACT_BYTES = 512 * 1024 * 1024
#: OCR pages under this mean word confidence are listed for a person to transcribe.
LOW_CONFIDENCE = 60.0
#: Tesseract languages for a source's language code (default: Persian and English).
OCR_LANGUAGES = {"fa": ("fas", "eng"), "en": ("eng",), "ar": ("fas", "eng")}


@dataclass(frozen=True)
class Outcome:
    """What happened to one item: ``done``, ``failed`` or ``skipped`` (already done)."""

    item_id: str
    state: str
    text_item_id: str | None = None
    pages: int = 0
    error: str | None = None


Progress = Callable[[int, int, str], None]


def has_own_text(item: Any) -> bool:
    """Whether an item's text is its own: an original, or a WARC's HTML response (a web
    page of the archive). Other derivatives' text is their original's."""
    return item["derived_from"] is None or (
        item["derivation"] == WARC_RESPONSE and item["media_type"] in HTML)


def _latest(conn: Connection, item_id: str) -> dict[str, Any] | None:
    e = s.extractions.c
    row = conn.execute(select(s.extractions).where(e.item_id == item_id)
                       .order_by(e.ledger_index.desc()).limit(1)).mappings().first()
    return None if row is None else dict(row)


def pending_items(conn: Connection, *, retry_failed: bool = True) -> list[str]:
    """Originals of an extractable type with no extraction yet (and failed ones, if asked)."""
    i, e = s.items.c, s.extractions.c
    done = select(e.item_id).where(e.state == "done")
    stmt = select(i.id).where(
        (i.derived_from.is_(None) & i.media_type.in_(sorted(EXTRACTABLE)))
        | ((i.derivation == WARC_RESPONSE) & i.media_type.in_(sorted(HTML))),
        i.id.not_in(done))
    if not retry_failed:
        stmt = stmt.where(i.id.not_in(select(e.item_id)))
    return [str(r) for r in conn.execute(stmt.order_by(i.ledger_index)).scalars()]


def _source_sensitivity(conn: Connection, source_id: str) -> str:
    return str(conn.execute(select(s.sources.c.sensitivity)
                            .where(s.sources.c.id == source_id)).scalar_one())


def _strictest(*levels: str) -> Sensitivity:
    order = [Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.PROTECTED]
    return max((Sensitivity(x) for x in levels), key=order.index)


def _fail(store: Store, actor: str, item_id: str, error: str) -> Outcome:
    with store.transaction(actor) as tx:
        tx.emit("document.extraction_failed", {
            "id": new_id("extraction"), "item_id": item_id, "error": error[:1000],
            "at": utc_now()})
    return Outcome(item_id, "failed", error=error)


def _read(store: Store, item: dict[str, Any]) -> bytes:
    if int(item["size"]) > MAX_EXTRACT_BYTES:
        raise ExtractionError(f"the file is {int(item['size']):,} bytes; files over "
                              f"{MAX_EXTRACT_BYTES:,} bytes are kept but not read for text")
    try:
        with store.reading() as conn:
            return b"".join(item_content(store, conn, item))
    except ContentErasedError:
        raise ExtractionError("the file was erased") from None
    except NotFoundError:
        raise ExtractionError("the file is missing from the blob store") from None


def extract_item(
    store: Store, item_id: str, actor: str, *, languages: Sequence[str] | None = None,
    ocr: bool = True,
) -> Outcome:
    """Extract one original's text into a derivative (or record why not)."""
    from dadkhahi.documents.extract import extract

    with store.reading() as conn:
        found = conn.execute(select(s.items).where(s.items.c.id == item_id)).mappings().first()
        if found is None:
            raise NotFoundError(f"no item {item_id!r}")
        item = dict(found)
        if not has_own_text(item):
            raise ValidationError(f"item {item_id} is a derivative; extract its original")
        latest = _latest(conn, item_id)
        if latest is not None and latest["state"] == "done":
            return Outcome(item_id, "skipped", latest["text_item_id"])
        source_level = _source_sensitivity(conn, str(item["source_id"]))
        provenance = response_provenance(store, conn, item)
    try:
        data = _read(store, item)
        result = extract(data, str(item["media_type"]), ocr=ocr,
                         languages=tuple(languages) if languages else DEFAULT_LANGUAGES)
    except ExtractionError as exc:
        return _fail(store, actor, item_id, str(exc))
    except Exception as exc:  # a library's own crash on a hostile file: record, go on
        return _fail(store, actor, item_id,
                     f"the file could not be read for text ({type(exc).__name__})")
    level = _strictest(str(item["sensitivity"]), source_level)
    return _store_text(store, actor, item, level, source_level, result, provenance)


def _store_text(
    store: Store, actor: str, item: dict[str, Any], level: Sensitivity, source_level: str,
    result: Extraction, provenance: Provenance | None = None,
) -> Outcome:
    content = result.to_json()
    notes = ""
    if provenance is not None:
        # Inside the text's own (sealed when protected) JSON and its custody entry: a
        # URL can name a witness's page, and neither goes into an event in clear.
        content["provenance"] = provenance.to_json()
        notes = (f"; WARC response record {provenance.record_id}, "
                 f"{provenance.target_uri}, captured {provenance.captured_at}")
    body = json.dumps(content, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")
    text_id, blob, key = store_bytes(store, body, level)
    tools = "; ".join(f"{k} {v}" for k, v in sorted(result.tools.items())) or "built-in reader"
    receipt = Receipt(actor=actor, notes=f"text extracted by {tools} "
                                         f"from sha256:{item['sha256']}{notes}")
    source_id, partition = str(item["source_id"]), partition_for(
        str(level), source_level, str(item["source_id"]))
    token_key = (store.keys.subkey(f"search-tokens {source_id}")
                 if level is Sensitivity.PROTECTED else None)
    pages = [{"number": p.number, "method": p.method, "language": p.language,
              "confidence": None if p.confidence is None else round(p.confidence, 2),
              "chars": len(p.text)} for p in result.pages]
    with store.transaction(actor) as tx:
        add_item(store, tx, source_id, level, None, blob, receipt, derived_from=str(item["id"]),
                 derivation="text", media_type=TEXT_MEDIA_TYPE, item_id=text_id, file_key=key)
        tx.emit("document.extracted", {
            "id": new_id("extraction"), "item_id": item["id"], "text_item_id": text_id,
            "sha256": blob.sha256, "parent_sha256": item["sha256"],
            "tools": dict(sorted(result.tools.items())), "page_count": len(result.pages),
            "languages": sorted({p.language for p in result.pages if p.language}),
            "low_confidence": result.low_confidence_pages(LOW_CONFIDENCE),
            "notes": list(result.notes), "pages": pages, "at": utc_now(),
        })
        tx.flush()  # the derivative's row first: the index rows point to it
        index_pages(tx.conn, item_id=str(item["id"]), text_item_id=text_id,
                    source_id=source_id, partition=partition, token_key=token_key,
                    pages=[PageText(p.number, p.text) for p in result.pages])
    return Outcome(str(item["id"]), "done", text_id, len(result.pages))


def extract_items(
    store: Store, item_ids: Sequence[str], actor: str, *,
    languages: Sequence[str] | None = None, ocr: bool = True,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Extract several items, one transaction each; a failure never stops the rest."""
    outcomes: list[Outcome] = []
    for n, item_id in enumerate(item_ids):
        if progress:
            progress(n, len(item_ids), item_id)
        outcomes.append(extract_item(store, item_id, actor, languages=languages, ocr=ocr))
    if progress:
        progress(len(item_ids), len(item_ids), "")
    if any(o.state == "done" for o in outcomes):
        store.checkpoint()
    return outcomes


def queue_extraction(
    store: Store, params: dict[str, Any], actor: str, *, created_by: str | None = None,
) -> Job:
    """Queue a ``documents.extract`` job acting as ``actor``.

    The jobs table is not sealed, so it holds the actor's ledger pseudonym, never the
    name (a team member's name is identifying); the job resolves it when it runs.
    """
    from dadkhahi.jobs.queue import actor_alias, enqueue

    alias = actor_alias(store, actor)
    return enqueue(store, JOB_KIND, {**params, "actor": alias},
                   created_by=created_by or alias)


def extract_job(store: Store, ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The ``documents.extract`` job: the named items, or every pending one.

    Params: ``item_ids`` (optional), ``retry_failed`` (default true), ``languages``
    (Tesseract codes), ``ocr`` (default true), ``actor``. Resumable: items done by an
    earlier attempt are skipped.
    """
    from dadkhahi.jobs.queue import actor_name

    actor = actor_name(store, str(params["actor"])) if params.get("actor") else "worker"
    ids = params.get("item_ids")
    if ids is None:
        with store.reading() as conn:
            ids = pending_items(conn, retry_failed=bool(params.get("retry_failed", True)))

    def report(done: int, total: int, _item: str) -> None:
        ctx.progress(done, total, note="extracting text", force=done == total)

    outcomes = extract_items(store, [str(x) for x in ids], actor,
                             languages=params.get("languages"), ocr=bool(params.get("ocr", True)),
                             progress=report)
    counts = {state: sum(o.state == state for o in outcomes)
              for state in ("done", "failed", "skipped")}
    return {**counts, "mentions_job": queue_mentions_after(store, ctx.job, outcomes),
            "items": [{"item_id": o.item_id, "state": o.state, "text_item_id": o.text_item_id,
                       "pages": o.pages, "error": o.error} for o in outcomes]}


def queue_mentions_after(store: Store, job: Job, outcomes: Sequence[Outcome]) -> str | None:
    """Queue the ``mentions.find`` job over the texts a job extracted, acting as that
    job's actor for the same creator; its ID (None when no text is there to read).

    Items already extracted (``skipped``) are queued too: an attempt that died after
    extracting them never queued their mentions, and the finder leaves a text it has
    scanned alone, so nothing is proposed twice. Queued by kind name, not by importing
    the finder (``mentions`` reads the texts of this package).
    """
    from dadkhahi.jobs.catalog import MENTIONS_FIND
    from dadkhahi.jobs.queue import enqueue

    ready = [o.item_id for o in outcomes if o.state in ("done", "skipped")]
    if not ready:
        return None
    return enqueue(store, MENTIONS_FIND, {
        "item_ids": ready, "transcription_ids": [], "actor": job.params.get("actor")},
        created_by=job.created_by).id


def extraction_state(conn: Connection, item_id: str) -> dict[str, Any]:
    """The latest extraction of an item: ``pending``, ``done`` or ``failed`` and details."""
    latest = _latest(conn, item_id)
    if latest is None:
        return {"item_id": item_id, "state": "pending"}
    keep = ("state", "text_item_id", "tools", "page_count", "languages", "low_confidence",
            "notes", "error", "at")
    return {"item_id": item_id, **{k: latest[k] for k in keep}}


def read_text(store: Store, conn: Connection, item_id: str) -> dict[str, Any]:
    """The latest extracted text of an item: its state and, when done, every page.

    Each page has ``number``, ``text`` (exactly as extracted), ``method``, ``language``,
    ``confidence`` and ``lines`` (text, box, confidence, words). Decrypts a sealed text
    in memory; the caller decides who may see it.
    """
    state = extraction_state(conn, item_id)
    if state["state"] != "done":
        return state
    text_row = conn.execute(select(s.items).where(
        s.items.c.id == state["text_item_id"])).mappings().one()
    try:
        body = b"".join(item_content(store, conn, dict(text_row)))
    except ContentErasedError:
        return {**state, "state": "erased"}
    return {**state, **json.loads(body)}


def text_of(store: Store, item_ref: str) -> dict[str, Any]:
    """:func:`read_text` for an item given by ID, ID prefix or SHA-256 prefix (the CLI's)."""
    with store.reading() as conn:
        item = resolve_item(conn, item_ref)
        if not has_own_text(item):
            item = resolve_item(conn, str(item["derived_from"]))
        return read_text(store, conn, str(item["id"]))


def derivatives_of(conn: Connection, item_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Text derivatives of these items (for erasure)."""
    i = s.items.c
    return [dict(r) for r in conn.execute(select(s.items).where(
        and_(i.derived_from.in_(list(item_ids)), i.derivation == "text"))).mappings()]


def extraction_counts(conn: Connection) -> dict[str, int]:
    """How many originals are done, failed (latest attempt) and pending."""
    e = s.extractions.c
    latest = select(e.item_id, func.max(e.ledger_index).label("ix")).group_by(e.item_id)
    sub = latest.subquery()
    rows = conn.execute(select(e.state, func.count()).join(
        sub, and_(sub.c.item_id == e.item_id, sub.c.ix == e.ledger_index)).group_by(e.state))
    counts = {str(k): int(v) for k, v in rows}
    counts["pending"] = len(pending_items(conn, retry_failed=False))
    return counts
