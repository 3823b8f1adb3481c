"""Capturing a web page as evidence: a WARC of what the browser received, a full-page
screenshot, the HTML, their hashes, and the page's main text (Berkeley Protocol
paras 153-155: hash at capture, with the URL and the time).

Headless Chromium (Debian's, at :data:`CHROMIUM`, driven by Playwright; never a
downloaded browser) loads the page; every response it receives (the page, its scripts,
styles and images) becomes a WARC ``response`` record with its request beside it
(``warcio``). The browser hands over bodies already decoded, so each record's
``Content-Encoding`` and ``Transfer-Encoding`` are dropped and ``Content-Length`` set to
the body kept (noted in the capture's metadata). The HTML is the main document's body as
the server sent it; the rendered DOM is kept too. The main text is trafilatura's.

Returns bytes only: storing them as items is the job of ``intake`` (``intake.capture``).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from dadkhahi.documents.model import ExtractionError

#: Debian's Chromium (never ``playwright install``).
CHROMIUM = "/usr/bin/chromium"
#: How long a page may take to load (milliseconds).
TIMEOUT_MS = 30_000
#: Bodies larger than this are left out of the WARC (noted), so one video cannot fill memory.
MAX_BODY = 64 * 1024 * 1024
_DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


class CaptureError(ExtractionError):
    """The page could not be captured (bad URL, unreachable, browser failure)."""


@dataclass
class Capture:
    """What one capture produced: files by name, and the metadata that describes them."""

    url: str
    final_url: str
    captured_at: str
    status: int | None
    files: dict[str, bytes] = field(default_factory=dict)
    text: str = ""
    notes: list[str] = field(default_factory=list)
    tools: dict[str, str] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """URL, time, tools, status and every file's SHA-256 and size (``capture.json``)."""
        return {
            "url": self.url, "final_url": self.final_url, "captured_at": self.captured_at,
            "status": self.status, "tools": dict(sorted(self.tools.items())),
            "notes": self.notes,
            "files": {name: {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
                      for name, body in sorted(self.files.items())},
        }


#: The network error Chromium names (``net::ERR_CONNECTION_REFUSED``), the one part of its
#: message that says why and never where.
_NET_ERROR = re.compile(r"net::ERR_[A-Z0-9_]+")


def browser_reason(exc: BaseException) -> str:
    """Why the browser failed, without its message: that quotes the address as the
    browser wrote it (escaped, its scheme lower-cased, a slash added), so no search for
    the address as asked can take it out, and the address can name a witness. The
    network error's code if there is one, else the error's type (a timeout)."""
    found = _NET_ERROR.search(str(exc))
    return found.group(0) if found else type(exc).__name__


def check_url(url: str) -> str:
    """Only http and https URLs with a host; a clear error otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CaptureError(f"not a web address to capture: give an http:// or https:// URL "
                           f"(got scheme {parts.scheme or 'none'!r})")
    return url.strip()


def check_reachable(url: str, *, allow_private: bool = False) -> str:
    """:func:`check_url`, and, unless ``allow_private``, refuse a host that resolves to a
    loopback, private, link-local or reserved address: a capture asked for over the API
    runs on the server, which must not be made to fetch its own network's services.
    (Redirects and the page's sub-resources are not checked: said in ARCHITECTURE.)"""
    import ipaddress
    import socket

    url = check_url(url)
    if allow_private:
        return url
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        raise CaptureError("the page's host name does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise CaptureError("the page's host is on a private or local network; the "
                               "server captures public addresses only")
    return url


def _warc(records: list[dict[str, Any]], url: str, captured_at: str, notes: list[str]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    info = writer.create_warcinfo_record("capture.warc.gz", {
        "software": "dadkhahi documents capture (Playwright, Chromium)",
        "format": "WARC File Format 1.1", "isPartOf": url,
        "description": "; ".join(notes) or "as received by the browser"})
    writer.write_record(info)
    for rec in records:
        headers = [(k, v) for k, v in rec["headers"] if k.lower() not in _DROPPED_HEADERS]
        headers.append(("Content-Length", str(len(rec["body"]))))
        status = StatusAndHeaders(f"{rec['status']} {rec['reason']}".strip(), headers,
                                  protocol="HTTP/1.1")
        stamp = {"WARC-Date": captured_at}
        response = writer.create_warc_record(rec["url"], "response",
                                             payload=io.BytesIO(rec["body"]),
                                             http_headers=status, warc_headers_dict=stamp)
        writer.write_record(response)
        request_line = StatusAndHeaders(f"{rec['method']} {rec['path']} HTTP/1.1",
                                        list(rec["request_headers"]), is_http_request=True)
        request = writer.create_warc_record(rec["url"], "request", payload=io.BytesIO(b""),
                                            http_headers=request_line,
                                            warc_headers_dict=stamp)
        writer.write_record(request)
    return out.getvalue()


def capture(url: str, *, timeout_ms: int = TIMEOUT_MS,
            executable: str = CHROMIUM) -> Capture:
    """Load ``url`` in headless Chromium and return the WARC, screenshot, HTML and text."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    target = check_url(url)
    captured_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    records: list[dict[str, Any]] = []
    notes: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            try:
                page = browser.new_page()
                seen: list[Any] = []
                page.on("response", lambda response: seen.append(response))
                main = page.goto(target, wait_until="networkidle", timeout=timeout_ms)
                screenshot = page.screenshot(full_page=True, type="png")
                rendered = page.content()
                final_url = page.url
                for response in seen:
                    try:
                        body = response.body()
                    except PlaywrightError:
                        notes.append(f"no body kept for {response.url} (redirect or failed)")
                        continue
                    if len(body) > MAX_BODY:
                        notes.append(f"{response.url}: {len(body):,} bytes, left out")
                        continue
                    request = response.request
                    parts = urlsplit(response.url)
                    records.append({
                        "url": response.url, "status": response.status,
                        "reason": response.status_text, "body": body,
                        "headers": [(h["name"], h["value"])
                                    for h in response.headers_array()],
                        "method": request.method,
                        "path": (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                        "request_headers": [(h["name"], h["value"])
                                            for h in request.headers_array()],
                    })
                version = browser.version
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise CaptureError(f"the page could not be captured: {browser_reason(exc)}") from None
    if main is None:
        raise CaptureError("the page could not be captured: the browser got no response")
    # The HTML as the server sent it (the main document's response), else the DOM.
    html = next((r["body"] for r in records if r["url"] == main.url),
                rendered.encode("utf-8"))
    notes.append("WARC bodies as decoded by the browser (Content-Encoding dropped)")
    result = Capture(url=target, final_url=final_url, captured_at=captured_at,
                     status=main.status, notes=notes)
    result.files = {
        "capture.warc.gz": _warc(records, target, captured_at, notes),
        "screenshot.png": screenshot,
        "page.html": html,
        "rendered.html": rendered.encode("utf-8"),
    }
    result.text = _main_text(html.decode("utf-8", errors="replace"))
    result.tools = {"chromium": version, **_versions()}
    result.files["capture.json"] = json.dumps(result.metadata(), indent=2,
                                              sort_keys=True).encode("utf-8")
    return result


def _main_text(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False) or ""


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("playwright", "warcio", "trafilatura")}
