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

A captured page's WARC (``intake.capture``) is split the same way, and every HTML response
of a WARC is then text-extracted like any document (``intake.documents``), its text
derivative carrying the record's ID, target URI and capture date
(:func:`response_provenance`).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, func, select

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
#: A response's custody note, written by :func:`add_responses` and read back by
#: :func:`response_provenance` (the URL is the custody entry's ``from_party``).
_NOTE = ("response record {record_id} captured {date}, HTTP {status}, "
         "from WARC sha256:{warc_sha256}")
_NOTE_PATTERN = re.compile(
    r"^response record (?P<record_id>.*) captured (?P<date>\S+), HTTP (?P<status>\S+), "
    r"from WARC sha256:(?P<warc_sha256>[0-9a-f]{64})$")


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


@dataclass(frozen=True)
class Provenance:
    """Where a response's text comes from: the WARC record and what it says it captured."""

    record_id: str
    target_uri: str
    captured_at: str
    http_status: str | None
    warc_sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"warc_record_id": self.record_id, "target_uri": self.target_uri,
                "captured_at": self.captured_at, "http_status": self.http_status,
                "warc_sha256": self.warc_sha256}


def read_warc(path: Path) -> list[Response]:
    """Every response record of a WARC (gzipped or not); a UserError if it is not one."""
    if path.stat().st_size > MAX_WARC_BYTES:
        raise UserError(f"{path.name}: a WARC over {MAX_WARC_BYTES:,} bytes is not "
                        "imported; nothing was stored")
    with path.open("rb") as handle:
        return _read_records(handle, path.name)


def _read_records(handle: IO[bytes], name: str) -> list[Response]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    found: list[Response] = []
    seen = 0
    try:
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
        raise UserError(f"{name} is not a readable WARC file "
                        f"({type(exc).__name__}); nothing was stored") from None
    if not seen:
        raise UserError(f"{name} holds no WARC records; nothing was stored")
    if not found:
        raise UserError(f"{name} holds no response records; nothing was stored")
    missing = [r.record_id or "?" for r in found if not r.url or not r.date]
    if missing:
        raise UserError(f"{name}: response record {missing[0]} has no WARC-Target-URI "
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
    made = add_responses(store, warc_item, responses, actor, how="WARC import")
    if made is None:  # the same WARC taken in before: its responses are there already
        return Imported(warc_item, report.source_id, [], duplicate=True)
    return Imported(warc_item, report.source_id, made)


def split_warc(store: Store, warc_item: str, data: bytes, actor: str, *, how: str
               ) -> list[tuple[str, str, str]]:
    """Each response of a WARC already stored as ``warc_item`` (its bytes ``data``, as a
    capture holds them) as a derivative; nothing if they were split before."""
    made = add_responses(store, warc_item, _read_records(io.BytesIO(data), "the WARC"),
                         actor, how=how)
    return made or []


def add_responses(
    store: Store, warc_item: str, responses: list[Response], actor: str, *, how: str,
) -> list[tuple[str, str, str]] | None:
    """Store each response as a derivative of the WARC item, in one transaction: a list
    of ``(item, url, date)``, or None when the WARC's responses are there already."""
    with store.reading() as conn:
        warc = conn.execute(select(s.items).where(s.items.c.id == warc_item)).mappings().one()
        done = conn.execute(select(func.count()).where(
            s.items.c.derived_from == warc_item, s.items.c.derivation == DERIVATION)
        ).scalar_one()
        level = Sensitivity(conn.execute(select(s.sources.c.sensitivity).where(
            s.sources.c.id == warc["source_id"])).scalar_one())
    if done:
        return None
    if Sensitivity(str(warc["sensitivity"])) is Sensitivity.PROTECTED:
        level = Sensitivity.PROTECTED
    made: list[tuple[str, str, str]] = []
    with store.transaction(actor) as tx:
        for response in responses:
            item_id, blob, key = store_bytes(store, response.payload, level)
            receipt = Receipt(
                actor=actor, from_party=response.url, how=how,
                notes=_NOTE.format(record_id=response.record_id, date=response.date,
                                   status=response.status or "?",
                                   warc_sha256=warc["sha256"]))
            add_item(store, tx, str(warc["source_id"]), level, response.url, blob, receipt,
                     derived_from=warc_item, derivation=DERIVATION, item_id=item_id,
                     file_key=key)
            made.append((item_id, response.url, response.date))
    return made


def response_provenance(store: Store, conn: Connection, item: dict[str, Any]
                        ) -> Provenance | None:
    """The WARC record a ``warc-response`` item came from, read from its custody entry
    (opened when sealed); None for another item, or one whose custody was erased."""
    if item.get("derivation") != DERIVATION:
        return None
    c = s.custody.c
    row = conn.execute(select(s.custody).where(c.item_id == item["id"])
                       .order_by(c.ledger_index).limit(1)).mappings().first()
    if row is None:
        return None
    entry = store.keys.open_row(conn, dict(row))
    found = _NOTE_PATTERN.match(str(entry.get("notes") or ""))
    if entry.get("erased") or found is None or not entry.get("from_party"):
        return None
    status = found["status"]
    return Provenance(record_id=found["record_id"], target_uri=str(entry["from_party"]),
                      captured_at=found["date"], http_status=None if status == "?" else status,
                      warc_sha256=found["warc_sha256"])
