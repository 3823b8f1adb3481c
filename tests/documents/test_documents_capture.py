"""Web capture against a local server the test starts: a WARC holding every response the
browser received (page, stylesheet, image), a full-page screenshot, the HTML as sent, the
main text, and every file's SHA-256 with the URL and time; stored as items with the URL in
their custody; bad addresses refused clearly."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from dadkhahi.documents.capture import CaptureError, capture, check_url
from dadkhahi.intake.capture import capture_url
from dadkhahi.intake.documents import extract_items, read_text
from dadkhahi.store import schema as s
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store

# A SYNTHETIC article (invented body, invented names).
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>SYNTHETIC report</title>
<link rel="stylesheet" href="style.css"></head><body><nav>Menu Home About</nav>
<article><h1>SYNTHETIC report on a prison</h1>
<p>SYNTHETICMAINTEXTQX The committee said that thirty invented prisoners were moved in the
summer. This paragraph is long enough for the main-text extractor to keep it as the body
of the article, and not as boilerplate around it.</p>
<p>A second paragraph adds more invented detail so that the article has a body.</p>
<img src="pixel.png" alt="SYNTHETIC"></article><footer>Footer links</footer></body></html>
"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text(PAGE, "utf-8")
    (root / "style.css").write_text("body { margin: 0; min-height: 1400px }", "utf-8")
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 0, 0)).save(buf, "PNG")
    (root / "pixel.png").write_bytes(buf.getvalue())

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_is_captured_whole_and_hashed(site: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    got = capture(site)
    records = {}
    for rec in ArchiveIterator(io.BytesIO(got.files["capture.warc.gz"])):
        if rec.rec_type == "response":
            records[rec.rec_headers.get_header("WARC-Target-URI")] = rec.content_stream().read()
    base = site.rsplit("/", 1)[0]
    assert set(records) >= {site, f"{base}/style.css", f"{base}/pixel.png"}
    assert records[site] == PAGE.encode("utf-8") == got.files["page.html"]
    assert Image.open(io.BytesIO(got.files["screenshot.png"])).height >= 1400  # full page
    assert "SYNTHETICMAINTEXTQX" in got.text and "Footer links" not in got.text
    meta = json.loads(got.files["capture.json"])
    assert meta["url"] == site and meta["status"] == 200 and meta["captured_at"].endswith("Z")
    for name in ("capture.warc.gz", "screenshot.png", "page.html", "rendered.html"):
        assert meta["files"][name]["sha256"] == hashlib.sha256(got.files[name]).hexdigest()
    assert meta["tools"]["chromium"]

    # Stored as evidence: each file an item with its hash, the URL in custody.
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    store = Store.init(Home(tmp_path / "home"), "test.dadkhahi.local/ledger", "t")
    try:
        stored = capture_url(store, site, "t")
        html_item = stored.items["page.html"]
        # The page as sent, and the WARC's one HTML response (the CSS and PNG are not).
        assert stored.texts[0] == html_item and len(stored.texts) == 2
        done, from_warc = extract_items(store, stored.texts, "t")
        with store.reading() as conn:
            items = {r["id"]: r for r in conn.execute(select(s.items)).mappings()}
            custody = conn.execute(select(s.custody.c.notes, s.custody.c.from_party).where(
                s.custody.c.item_id == html_item)).one()
            text = read_text(store, conn, html_item)
            response = read_text(store, conn, stored.texts[1])
        assert set(stored.items) == {"capture.warc.gz", "screenshot.png", "page.html",
                                     "rendered.html", "capture.json"}
        for name, item in stored.items.items():
            assert items[item]["sha256"] == hashlib.sha256(
                stored.capture.files[name]).hexdigest()
        assert site in custody.notes and custody.from_party == site
        assert done.state == "done" and "SYNTHETICMAINTEXTQX" in text["pages"][0]["text"]
        assert from_warc.state == "done" and "SYNTHETICMAINTEXTQX" in response["pages"][0]["text"]
        assert response["provenance"]["target_uri"] == site
        assert response["provenance"]["captured_at"] == stored.capture.captured_at
        assert items[stored.texts[1]]["derived_from"] == stored.items["capture.warc.gz"]
    finally:
        store.engine.dispose()


def test_bad_addresses_are_refused_clearly() -> None:
    with pytest.raises(CaptureError, match="http:// or https://"):
        check_url("file:///etc/passwd")
    with pytest.raises(CaptureError, match="http:// or https://"):
        check_url("javascript:alert(1)")
    with pytest.raises(CaptureError, match="could not be captured"):
        capture("http://127.0.0.1:9/nothing-listens-here", timeout_ms=5000)


def test_a_capture_runs_as_a_job_with_its_address_sealed(
    site: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dadkhahi.intake.capture import queue_capture
    from dadkhahi.jobs.worker import run_now

    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    store = Store.init(Home(tmp_path / "home"), "test.dadkhahi.local/ledger", "t")
    try:
        # Over the API the server fetches only public addresses unless allowed.
        with pytest.raises(CaptureError, match="private or local network"):
            queue_capture(store, site, "t")
        job = queue_capture(store, site, "t", allow_private=True)
        done = run_now(store, job.id)
        assert done.state == "succeeded", done.error
        result = done.result or {}
        with store.reading() as conn:
            row = conn.execute(select(s.jobs).where(s.jobs.c.id == job.id)).mappings().one()
            stored = {r["id"]: r["sha256"] for r in conn.execute(select(s.items)).mappings()}
        # The jobs table is not sealed: the address is nowhere in it.
        assert "127.0.0.1" not in json.dumps(dict(row), default=str)
        page = result["items"]["page.html"]
        assert stored[page["item_id"]] == page["sha256"]
        assert [t["state"] for t in result["text"]] == ["done", "done"]
        with store.reading() as conn:
            assert "SYNTHETICMAINTEXTQX" in read_text(store, conn, page["item_id"])[
                "pages"][0]["text"]
        # The page's texts go on to the mention finder, a job of their own.
        found = run_now(store, str(result["mentions_job"]))
        assert found.state == "succeeded" and found.result is not None, found.error
        assert found.params["item_ids"] == [t["item_id"] for t in result["text"]]
        assert found.result["found"] == 2 and found.result["proposals"] >= 1, found.result
    finally:
        store.engine.dispose()


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/Qzvx witness",  # sent as Qzvx%20witness
                                 "HTTP://127.0.0.1:9/Qzvxwitness"])  # sent as http://
def test_a_failed_capture_never_quotes_its_address(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The address is sealed in the job's parameters, but the browser's message quotes it
    as the browser wrote it (escaped, its scheme lower-cased), which the job's error (a
    clear column, shown over the API, logged by the worker) once kept (attack35)."""
    from dadkhahi.intake.capture import queue_capture
    from dadkhahi.jobs.worker import run_now

    with pytest.raises(CaptureError) as refused:
        capture(url, timeout_ms=5000)
    assert "qzvx" not in str(refused.value).lower()
    assert "could not be captured" in str(refused.value)
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    store = Store.init(Home(tmp_path / "home"), "test.dadkhahi.local/ledger", "t")
    try:
        job = queue_capture(store, url, "t", allow_private=True)
        with caplog.at_level("DEBUG"):
            done = run_now(store, job.id)
        assert done.state == "failed" and "could not be captured" in (done.error or "")
        with store.reading() as conn:
            row = conn.execute(select(s.jobs).where(s.jobs.c.id == job.id)).mappings().one()
        assert "qzvx" not in json.dumps(dict(row), default=str).lower()
        assert "qzvx" not in caplog.text.lower()
    finally:
        store.engine.dispose()
