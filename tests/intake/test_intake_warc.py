"""WARC files made by another tool: the WARC kept as it came, each response record's body a
derivative with the URL and capture time of its WARC headers in custody; a file that is
not a WARC, a truncated one, or one without responses is refused and changes nothing."""

from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy import select
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dadkhahi.domain.errors import UserError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.warc import import_warc
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

PAGE = b"<html><body><p>SYNTHETICWARCPAGEQX an invented report</p></body></html>"
STYLE = b"body { color: black }"


def _warc(path: Path, *, responses: bool = True) -> Path:
    """A WARC as another tool writes one: warcinfo, request and response records."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    writer.write_record(writer.create_warcinfo_record("other-tool.warc.gz",
                                                      {"software": "SYNTHETIC crawler 1.0"}))
    for url, body, kind, date in (
            ("https://news.example/SYNTHETIC/report", PAGE, "text/html; charset=utf-8",
             "2019-06-01T10:00:00Z"),
            ("https://news.example/SYNTHETIC/style.css", STYLE, "text/css",
             "2019-06-01T10:00:01Z")):
        if not responses:
            break
        http = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=http,
            warc_headers_dict={"WARC-Date": date}))
    path.write_bytes(buf.getvalue())
    return path


def _new_source() -> SourceSpec:
    return SourceSpec(title="SYNTHETIC web archive", sensitivity=Sensitivity.RESTRICTED)


def test_each_response_becomes_a_derivative_with_its_url_and_time(
    store: Store, tmp_path: Path,
) -> None:
    warc = _warc(tmp_path / "other.warc.gz")
    done = import_warc(store, warc, "tester", new_source=_new_source())
    assert [(url.rsplit("/", 1)[1], date) for _, url, date in done.responses] == [
        ("report", "2019-06-01T10:00:00Z"), ("style.css", "2019-06-01T10:00:01Z")]
    with store.reading() as conn:
        original = conn.execute(select(s.items).where(
            s.items.c.id == done.warc_item_id)).mappings().one()
        page_id = done.responses[0][0]
        page = conn.execute(select(s.items).where(s.items.c.id == page_id)).mappings().one()
        custody = conn.execute(select(s.custody).where(
            s.custody.c.item_id == page_id)).mappings().one()
    assert original["sha256"] == hashlib.sha256(warc.read_bytes()).hexdigest()
    assert page["sha256"] == hashlib.sha256(PAGE).hexdigest()
    assert page["derived_from"] == done.warc_item_id and page["derivation"] == "warc-response"
    assert page["media_type"] == "text/html"
    assert custody["from_party"] == "https://news.example/SYNTHETIC/report"
    assert "captured 2019-06-01T10:00:00Z" in custody["notes"]
    assert original["sha256"] in custody["notes"]
    # The same WARC again: held already, no second set of responses.
    again = import_warc(store, warc, "tester", source_id=done.source_id)
    assert again.duplicate and again.responses == []


@pytest.mark.parametrize("bad", ["not a warc", "truncated", "no responses", "empty"])
def test_a_bad_warc_is_refused_and_changes_nothing(
    store: Store, tmp_path: Path, bad: str,
) -> None:
    path = tmp_path / "bad.warc.gz"
    if bad == "not a warc":
        path.write_bytes(b"%PDF-1.7 SYNTHETIC this is no archive\n" * 20)
    elif bad == "truncated":
        whole = _warc(tmp_path / "whole.warc.gz").read_bytes()
        path.write_bytes(whole[: len(whole) - 40])
    elif bad == "no responses":
        _warc(path, responses=False)
    else:
        path.write_bytes(gzip.compress(b""))
    before = store.size()
    with pytest.raises(UserError, match="nothing was stored"):
        import_warc(store, path, "tester", new_source=_new_source())
    assert store.size() == before


def _record_ids(path: Path) -> dict[str, str]:
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as handle:
        return {str(r.rec_headers.get_header("WARC-Target-URI")):
                str(r.rec_headers.get_header("WARC-Record-ID"))
                for r in ArchiveIterator(handle) if r.rec_type == "response"}


@pytest.mark.parametrize("level", [Sensitivity.RESTRICTED, Sensitivity.PROTECTED])
def test_html_responses_are_extracted_naming_their_record_and_found_by_search(
    store: Store, tmp_path: Path, level: Sensitivity,
) -> None:
    from dadkhahi.intake.documents import extract_items, pending_items, read_text
    from dadkhahi.search.engine import search

    warc = _warc(tmp_path / "other.warc.gz")
    done = import_warc(store, warc, "tester", new_source=SourceSpec(
        title="SYNTHETIC web archive", sensitivity=level))
    (page_id, url, _), (style_id, _, _) = done.responses
    with store.reading() as conn:
        pending = pending_items(conn)
    assert page_id in pending and style_id not in pending  # the HTML only, not the CSS
    [outcome] = extract_items(store, [page_id], "tester")
    assert outcome.state == "done"
    with store.reading() as conn:
        text = read_text(store, conn, page_id)
        custody = store.keys.open_row(conn, dict(conn.execute(select(s.custody).where(
            s.custody.c.item_id == outcome.text_item_id)).mappings().one()))
        text_row = conn.execute(select(s.items).where(
            s.items.c.id == outcome.text_item_id)).mappings().one()
        events = [bytes(b).decode("utf-8", "replace")
                  for b in conn.execute(select(s.ledger_events.c.body)).scalars()]
    assert "SYNTHETICWARCPAGEQX" in text["pages"][0]["text"]
    record_id = _record_ids(warc)[url]
    assert text["provenance"] == {
        "warc_record_id": record_id, "target_uri": url, "captured_at": "2019-06-01T10:00:00Z",
        "http_status": "200",
        "warc_sha256": hashlib.sha256(warc.read_bytes()).hexdigest()}
    assert text_row["derived_from"] == page_id and text_row["derivation"] == "text"
    assert record_id in custody["notes"] and url in custody["notes"]
    [hit] = search(store, None, "SYNTHETICWARCPAGEQX").hits
    assert hit.item_id == page_id and hit.text_item_id == outcome.text_item_id
    if level is Sensitivity.PROTECTED:
        # The address and the record stay inside sealed payloads.
        assert text_row["sealed"] is not None
        assert not any("news.example" in e or record_id in e for e in events)
    else:
        assert any("news.example" in e for e in events)  # the check above can fail
