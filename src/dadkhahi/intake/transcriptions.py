"""Transcriptions: a person types a page's text beside its image, where OCR cannot read it.

Handwritten prison and court papers defeat Tesseract, so a page whose OCR confidence is
low (``intake.documents.LOW_CONFIDENCE``, recorded on ``document.extracted``) is *routed*
to transcription; a person may also *request* any page (``transcription.requested``),
and ask for two independent transcriptions (an exhibit a court will rely on).

Each transcription is a derivative item: the typed text (line ends made ``\\n``, trailing
blanks dropped, nothing else changed) stored as a blob with its own SHA-256, sealed under
its own file key when the original is protected, ``derived_from`` the original and
pointing to its hash, with a custody entry; ``transcription.recorded`` names the page,
both hashes and the transcriber by ledger pseudonym.

Independence is kept by what is shown (the service shows no other transcription of a
page until the required number is in) and checked here, under the write lock: one
person cannot give both of a page's independent transcriptions. When two differ, a
*resolution* (the text a reviewer settles on, naming the transcriptions it resolves) is
recorded the same way. Two that agree byte for byte need none: the derivative's hash
says they agree, so the state of every page is one SQL query, no blob is opened.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, case, func, literal, or_, select, union_all

from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.documents import LOW_CONFIDENCE, _source_sensitivity, _strictest, read_text
from dadkhahi.intake.evidence import (
    ContentErasedError,
    Receipt,
    add_item,
    item_content,
    store_bytes,
)
from dadkhahi.search.index import PageText, index_pages, partition_for
from dadkhahi.store import actors
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, utc_now

#: ``items.derivation`` of a transcription, and the media type of its blob.
DERIVATION = "transcription"
MEDIA_TYPE = "text/plain"
#: Longest text accepted for one page (a dense page is a few thousand characters).
MAX_CHARS = 100_000
#: Most independent transcriptions one page may ask for.
MAX_REQUIRED = 2


@dataclass(frozen=True)
class PageState:
    """Where one page stands: ``open`` (fewer transcriptions than required), ``differ``
    (the required number are in and they differ: a resolution is wanted) or ``done``."""

    item_id: str
    page: int
    required: int
    transcriptions: int
    state: str
    routed: str  # "low_confidence" or the request's reason


def clean_text(text: str) -> str:
    """The text as stored: NFC, ``\\n`` line ends, no trailing blanks; else unchanged."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [ln.rstrip() for ln in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise ValidationError("the transcription is empty")
    cleaned = "\n".join(lines) + "\n"
    if len(cleaned) > MAX_CHARS:
        raise ValidationError(f"a page's transcription is at most {MAX_CHARS:,} characters")
    return cleaned


def _routed(item_ids: Select[Any] | None) -> Any:
    """(item_id, page, required, reason) of every page routed or requested (a subquery)."""
    p, e, r = s.document_pages.c, s.extractions.c, s.transcription_requests.c
    low = (select(p.item_id, p.number.label("page"), literal(1).label("required"),
                  literal("low_confidence").label("reason"))
           .join(s.extractions, and_(e.text_item_id == p.text_item_id, e.state == "done"))
           .where(p.method == "ocr", p.confidence.is_(None) | (p.confidence < LOW_CONFIDENCE)))
    asked = select(r.item_id, r.page, r.required, r.reason)
    if item_ids is not None:
        low, asked = low.where(p.item_id.in_(item_ids)), asked.where(r.item_id.in_(item_ids))
    return union_all(low, asked).subquery()


#: The states of a routed page, as :func:`states_statement` works them out.
STATES = ("open", "differ", "done")


def states_statement(item_ids: Select[Any] | None = None) -> Any:
    """Every page routed to transcription (of the items ``item_ids`` selects) with its
    state, as a subquery (``item_id``, ``page``, ``required``, ``n``, ``state``,
    ``reason``): ``done`` once resolved or when the transcriptions required agree,
    ``open`` while fewer are in, ``differ`` when they disagree. Worked out in SQL, so a
    queue is filtered by state and paged there."""
    routed = _routed(item_ids)
    wanted = (select(routed.c.item_id, routed.c.page,
                     func.max(routed.c.required).label("required"),
                     func.min(routed.c.reason).label("reason"))
              .group_by(routed.c.item_id, routed.c.page).subquery())
    t = s.transcriptions.c
    typed = (select(t.item_id, t.page,
                    func.count().filter(t.kind == "transcription").label("n"),
                    func.count(t.sha256.distinct()).filter(t.kind == "transcription")
                    .label("distinct"),
                    func.count().filter(t.kind == "resolution").label("resolved"))
             .group_by(t.item_id, t.page).subquery())
    n = func.coalesce(typed.c.n, 0)
    state = case((or_(func.coalesce(typed.c.resolved, 0) > 0,
                      and_(n >= wanted.c.required, func.coalesce(typed.c.distinct, 0) <= 1)),
                  "done"), (n < wanted.c.required, "open"), else_="differ")
    return (select(wanted.c.item_id, wanted.c.page, wanted.c.required, n.label("n"),
                   state.label("state"), wanted.c.reason)
            .outerjoin(typed, and_(typed.c.item_id == wanted.c.item_id,
                                   typed.c.page == wanted.c.page))
            .subquery("page_states"))


def page_state_of(row: Any) -> PageState:
    """A row of :func:`states_statement` as a :class:`PageState`."""
    return PageState(str(row["item_id"]), int(row["page"]), int(row["required"]),
                     int(row["n"]), str(row["state"]), str(row["reason"]))


def page_states(conn: Connection, *, item_ids: Select[Any] | None = None,
                item_id: str | None = None, include_done: bool = False,
                limit: int = 500, bind: dict[str, Any] | None = None) -> list[PageState]:
    """Pages routed to transcription (of the items ``item_ids`` selects, whose bound
    parameters are ``bind``), by item and page."""
    if item_id is not None:
        item_ids = select(literal(item_id))
    q = states_statement(item_ids)
    stmt = select(q).order_by(q.c.item_id, q.c.page).limit(limit)
    if not include_done:
        stmt = stmt.where(q.c.state != "done")
    return [page_state_of(r) for r in conn.execute(stmt, bind or {}).mappings()]


def page_state(conn: Connection, item_id: str, page: int) -> PageState:
    """One page's state; a page never routed nor requested is ``open`` with one wanted."""
    for found in page_states(conn, item_id=item_id, include_done=True):
        if found.page == page:
            return found
    n = conn.execute(select(func.count()).where(
        s.transcriptions.c.item_id == item_id, s.transcriptions.c.page == page)).scalar_one()
    return PageState(item_id, page, 1, int(n), "done" if n else "open", "none")


def _original(conn: Connection, item_id: str) -> dict[str, Any]:
    row = conn.execute(select(s.items).where(s.items.c.id == item_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no item {item_id!r}")
    if row["derived_from"] is not None:
        raise ValidationError(f"item {item_id} is a derivative; transcribe its original")
    return dict(row)


def request(store: Store, item_id: str, pages: list[int], actor: str, *, required: int = 1,
            reason: str = "requested") -> dict[str, Any]:
    """Ask for ``pages`` of an original to be transcribed (``required`` independent ones)."""
    if not 1 <= required <= MAX_REQUIRED:
        raise ValidationError(f"a page may ask for 1 to {MAX_REQUIRED} transcriptions")
    if not pages or any(p < 1 for p in pages):
        raise ValidationError("name the pages to transcribe (1 is the first)")
    with store.reading() as conn:
        _original(conn, item_id)
    event_id = new_id("transcription")
    with store.transaction(actor) as tx:
        tx.emit("transcription.requested", {
            "id": event_id, "item_id": item_id, "pages": sorted(set(pages)),
            "required": required, "reason": reason[:40], "at": utc_now()})
    return {"id": event_id, "item_id": item_id, "pages": sorted(set(pages)),
            "required": required}


def record(store: Store, item_id: str, page: int, text: str, actor: str, *,
           resolution: bool = False) -> dict[str, Any]:
    """Record one transcription (or, with ``resolution``, the resolution) of a page.

    Refused: a second transcription of a page by the same person, more transcriptions than
    the page asks for, a resolution of a page whose transcriptions do not differ.
    """
    if page < 1:
        raise ValidationError("pages are numbered from 1")
    body = clean_text(text).encode("utf-8")
    with store.reading() as conn:
        item = _original(conn, item_id)
        source_level = _source_sensitivity(conn, str(item["source_id"]))
        level = _strictest(str(item["sensitivity"]), source_level)
    text_id, blob, key = store_bytes(store, body, level)
    kind = "resolution" if resolution else "transcription"
    with store.transaction(actor) as tx:
        # Checked under the write lock: two people cannot both take the last place.
        state = page_state(tx.conn, item_id, page)
        earlier = tx.conn.execute(select(s.transcriptions.c.id, s.transcriptions.c.transcriber)
                                  .where(s.transcriptions.c.item_id == item_id,
                                         s.transcriptions.c.page == page,
                                         s.transcriptions.c.kind == "transcription")).all()
        if resolution and state.state != "differ":
            raise ValidationError("only a page whose independent transcriptions differ "
                                  "is resolved")
        if not resolution:
            if state.transcriptions >= state.required:
                raise ValidationError(f"page {page} already has its {state.required} "
                                      "transcription(s)")
            if state.required > 1 and tx.actor in {str(r.transcriber) for r in earlier}:
                raise ValidationError("you have transcribed this page already; the other "
                                      "independent transcription must be someone else's")
        receipt = Receipt(actor=actor, notes=f"{kind} of page {page} "
                                             f"of sha256:{item['sha256']}")
        add_item(store, tx, str(item["source_id"]), level, None, blob, receipt,
                 derived_from=item_id, derivation=DERIVATION, media_type=MEDIA_TYPE,
                 item_id=text_id, file_key=key)
        done = {"id": new_id("transcription"), "item_id": item_id, "page": page,
                "text_item_id": text_id, "kind": kind, "transcriber": tx.actor,
                "sha256": blob.sha256, "parent_sha256": item["sha256"],
                "resolves": [str(r.id) for r in earlier] if resolution else None,
                "at": utc_now()}
        tx.emit("transcription.recorded", done)
        tx.flush()  # the derivative's row first: the index rows point to it
        # What a person typed is searchable like extracted text, under the same partition
        # (a protected source's words as keyed hashes), page by page.
        source_id = str(item["source_id"])
        index_pages(tx.conn, item_id=item_id, text_item_id=text_id, source_id=source_id,
                    partition=partition_for(str(item["sensitivity"]), source_level, source_id),
                    token_key=(store.keys.subkey(f"search-tokens {source_id}")
                               if level is Sensitivity.PROTECTED else None),
                    pages=[PageText(page, body.decode("utf-8"))])
    return {k: v for k, v in done.items() if k != "transcriber"}


def transcriptions_of(store: Store, conn: Connection, item_id: str, page: int
                      ) -> list[dict[str, Any]]:
    """Every transcription of a page, oldest first, each with its ``text`` (unsealed in
    memory; None once erased). The caller decides who may see it."""
    t = s.transcriptions.c
    rows = conn.execute(select(s.transcriptions).where(t.item_id == item_id, t.page == page)
                        .order_by(t.ledger_index)).mappings().all()
    items = {str(r["id"]): dict(r) for r in conn.execute(select(s.items).where(
        s.items.c.id.in_([r["text_item_id"] for r in rows]))).mappings()}
    out = []
    for row in rows:
        try:
            text: str | None = b"".join(item_content(
                store, conn, items[str(row["text_item_id"])])).decode("utf-8")
        except ContentErasedError:
            text = None
        out.append({k: row[k] for k in ("id", "page", "text_item_id", "kind", "transcriber",
                                        "sha256", "parent_sha256", "resolves", "at")}
                   | {"text": text})
    return out


def page_view(store: Store, item_id: str, page: int, viewer: str) -> dict[str, Any]:
    """What ``viewer`` (an actor's name) is shown of a page to transcribe: its state, the
    OCR's text, their own transcription, and, only once the required number are in (so
    each transcriber types blind to the others), every transcription and where the first
    two differ. The caller has checked that the viewer may see the item."""
    with store.reading() as conn:
        _original(conn, item_id)
        state = page_state(conn, item_id, page)
        me = actors.pseudonym_in(conn, store.keys, viewer)
        typed = transcriptions_of(store, conn, item_id, page)
        extracted = read_text(store, conn, item_id)
    ocr = next((p for p in extracted.get("pages", []) if p["number"] == page), None)
    shown = typed if state.state != "open" else [t for t in typed if t["transcriber"] == me]
    answer: dict[str, Any] = {
        **vars(state), "yours": any(t["transcriber"] == me for t in typed),
        "ocr": None if ocr is None else {"text": ocr["text"], "method": ocr["method"],
                                         "confidence": ocr["confidence"]},
        "texts": shown, "differences": None,
    }
    firsts = [t for t in typed if t["kind"] == "transcription" and t["text"] is not None]
    if state.state == "differ" and len(firsts) >= 2:
        answer["differences"] = differences(firsts[0]["text"], firsts[1]["text"])
    return answer


def differences(first: str, second: str) -> list[dict[str, Any]]:
    """Word-level differences between two transcriptions: each changed run as
    ``{"op", "first", "second"}`` with the words on each side (``equal`` runs included,
    so the page can be shown whole)."""
    a, b = first.split(), second.split()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return [{"op": op, "first": " ".join(a[i1:i2]), "second": " ".join(b[j1:j2])}
            for op, i1, i2, j1, j2 in matcher.get_opcodes()]
