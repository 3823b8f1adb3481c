"""WARC files made by other tools (Webrecorder, wget, Browsertrix, our own capture), taken
in as evidence: the WARC as it came is the original item, and each ``response`` record's
payload a derivative item with the URL and capture time its WARC headers give.

The whole file is read and checked with ``warcio`` before anything is stored, so a file
that is not a WARC, a truncated one or one with no response in it gets a clear error and
changes nothing. Then the WARC is taken in like any file (hashed, stored, custody), and
the responses follow in one transaction: each payload (as the record holds it, HTTP
headers removed, transfer and content encodings undone by ``warcio``) is a blob with its
own SHA-256, ``derived_from`` the WARC, sealed under its own file key when the source is
protected; its custody entry names the URL (``from_party``), and the record's ID, date
and HTTP status (sealed with the rest of a protected item's custody).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from dadkhahi.domain.errors import UserError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import Receipt, add_evidence, add_item, store_bytes
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: ``items.derivation`` of a response taken out of a WARC.
DERIVATION = "warc-response"
#: A WARC larger than this is refused (every payload is held in memory while checked).
MAX_WARC_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Response:
    """One ``response`` record: where and when it was captured, and what came back."""

    url: str
    date: str
    record_id: str
    status: str | None
    media_type: str | None
    payload: bytes


@dataclass(frozen=True)
class Imported:
    """The WARC's item, its source, and an item per response (``(item, url, date)``)."""

    warc_item_id: str
    source_id: str
    responses: list[tuple[str, str, str]]
    duplicate: bool = False


def read_warc(path: Path) -> list[Response]:
    """Every response record of a WARC (gzipped or not); a UserError if it is not one."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    if path.stat().st_size > MAX_WARC_BYTES:
        raise UserError(f"{path.name}: a WARC over {MAX_WARC_BYTES:,} bytes is not "
                        "imported; nothing was stored")
    found: list[Response] = []
    seen = 0
    try:
        with path.open("rb") as handle:
            # Digests a record carries are checked (a mismatch raises); a record cut short
            # (a truncated file) leaves its declared length unread, checked below.
            for record in ArchiveIterator(handle, check_digests="raise"):
                seen += 1
                if record.rec_type != "response":
                    continue
                headers = record.rec_headers
                http = record.http_headers
                found.append(Response(
                    url=str(headers.get_header("WARC-Target-URI") or ""),
                    date=str(headers.get_header("WARC-Date") or ""),
                    record_id=str(headers.get_header("WARC-Record-ID") or ""),
                    status=None if http is None else http.get_statuscode(),
                    media_type=None if http is None else http.get_header("Content-Type"),
                    payload=record.content_stream().read()))
                if getattr(record.raw_stream, "limit", 0):
                    raise EOFError("a record is shorter than its Content-Length")
    except (ArchiveLoadFailed, OSError, EOFError, ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path.name} is not a readable WARC file "
                        f"({type(exc).__name__}); nothing was stored") from None
    if not seen:
        raise UserError(f"{path.name} holds no WARC records; nothing was stored")
    if not found:
        raise UserError(f"{path.name} holds no response records; nothing was stored")
    missing = [r.record_id or "?" for r in found if not r.url or not r.date]
    if missing:
        raise UserError(f"{path.name}: response record {missing[0]} has no WARC-Target-URI "
                        "or WARC-Date; nothing was stored")
    return found


def import_warc(
    store: Store, path: Path, actor: str, *, source_id: str | None = None,
    new_source: SourceSpec | None = None,
) -> Imported:
    """Take in a WARC and a derivative per response record (see the module's note)."""
    responses = read_warc(path)
    report = add_evidence(store, [path], Receipt(actor=actor, how="WARC import"),
                          source_id=source_id, new_source=new_source, stop_on_error=True)
    if not report.added and not report.duplicates:
        raise UserError(f"{path.name} could not be stored: "
                        f"{report.stopped or '; '.join(r for _, r in report.skipped)}")
    warc_item = (report.added or report.duplicates)[0][1]
    assert report.source_id is not None
    with store.reading() as conn:
        warc = conn.execute(select(s.items).where(s.items.c.id == warc_item)).mappings().one()
        done = conn.execute(select(func.count()).where(
            s.items.c.derived_from == warc_item, s.items.c.derivation == DERIVATION)
        ).scalar_one()
        level = Sensitivity(conn.execute(select(s.sources.c.sensitivity).where(
            s.sources.c.id == warc["source_id"])).scalar_one())
    if done:  # the same WARC taken in before: its responses are there already
        return Imported(warc_item, report.source_id, [], duplicate=True)
    if Sensitivity(str(warc["sensitivity"])) is Sensitivity.PROTECTED:
        level = Sensitivity.PROTECTED
    made: list[tuple[str, str, str]] = []
    with store.transaction(actor) as tx:
        for response in responses:
            item_id, blob, key = store_bytes(store, response.payload, level)
            receipt = Receipt(
                actor=actor, from_party=response.url, how="WARC import",
                notes=f"response record {response.record_id} captured {response.date}, "
                      f"HTTP {response.status or '?'}, from WARC sha256:{warc['sha256']}")
            add_item(store, tx, str(warc["source_id"]), level, response.url, blob, receipt,
                     derived_from=warc_item, derivation=DERIVATION, item_id=item_id,
                     file_key=key)
            made.append((item_id, response.url, response.date))
    return Imported(warc_item, report.source_id, made)
