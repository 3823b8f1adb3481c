"""Bytes a browser transfers for the workspace's pages, first load and later loads (issue 14).

    .venv/bin/python benchmarks/web/bench_first_load.py --keep DIR [--people 145000]

The store is ``bench_pages.py``'s (SYNTHETIC people; ``--keep DIR`` reuses the one that
script built there, or builds it). The server is ``dadkhahi serve``'s app
(``server.create_app``) under uvicorn on a local port; the browser is Debian's Chromium
driven by Playwright (never ``playwright install``), signed in as the benchmark's admin
by the page cookie. For each page, in Persian and English: a fresh browser context (an
empty cache) loads it and every request it makes (styles, scripts, fonts, images, the
map's outlines, charts), then a second visit in the same context loads it again. Bytes
are what went over the wire per Chromium's network events (``encodedDataLength``:
headers and bodies as sent, compressed if the server compressed them), summed over the
page's requests; a response served from the browser's cache transfers nothing. Prints
per page the requests and kilobytes of the first load, of the later load, and how many
of the later load's requests came from the cache. The issue's target: a first load
under 500 KB, later loads from the cache.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import PASSWORD, prepare, sample

from dadkhahi.access import sessions, users
from dadkhahi.api.settings import ApiSettings
from dadkhahi.server import create_app
from dadkhahi.web.security import PAGE_COOKIE

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
         "--disable-default-apps", "--disable-sync", "--no-first-run"]


def serve(app: Any) -> tuple[str, Any]:
    """The app under uvicorn on a free local port, in a thread; (base URL, server)."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start in 120 s")
        time.sleep(0.1)
    return f"http://127.0.0.1:{port}", server


class Wire:
    """Chromium's network events of one page: bytes per request, and cache hits."""

    def __init__(self, page: Any) -> None:
        self.bytes: dict[str, float] = {}
        self.cached: set[str] = set()
        self.failed: set[str] = set()
        self.urls: dict[str, str] = {}
        self.page = page
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent",
               lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.loadingFinished", lambda e: self.bytes.__setitem__(
            e["requestId"], float(e["encodedDataLength"])))
        cdp.on("Network.loadingFailed", lambda e: self.failed.add(e["requestId"]))
        cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        cdp.on("Network.responseReceived", lambda e: self.cached.add(e["requestId"])
               if e["response"].get("fromDiskCache") or e["response"].get("fromMemoryCache")
               else None)

    def reset(self) -> None:
        self.bytes.clear()
        self.cached.clear()
        self.failed.clear()
        self.urls.clear()

    def settle(self) -> None:
        """Wait until every request seen has finished (its events can trail the load on a
        loaded machine), at most 30 s."""
        for _ in range(600):
            if not set(self.urls) - set(self.bytes) - self.failed:
                return
            self.page.wait_for_timeout(50)
        raise SystemExit(f"requests unfinished after 30 s: {set(self.urls) - set(self.bytes)}")

    def show(self) -> None:
        """Each request's URL (the server's part), bytes and whether it was cached."""
        self.settle()
        for rid, url in self.urls.items():
            print(f"    {url.split('/', 3)[-1][:70]:<70} {self.bytes.get(rid, 0) / 1024:8.1f} KB"
                  f"{' (cache)' if rid in self.cached else ''}")

    def total(self) -> tuple[int, float, int]:
        """(requests, kilobytes transferred, requests answered from the cache)."""
        self.settle()
        if self.failed:
            raise SystemExit(f"requests failed: {[self.urls[r] for r in self.failed]}")
        return (len(self.urls), sum(self.bytes.values()) / 1024,
                len(self.cached & set(self.urls)))


def measure(base: str, token: str, pages: dict[str, str], detail: bool) -> None:
    from playwright.sync_api import sync_playwright

    print(f"{'page':<24} {'first: req':>10} {'KB':>8} {'later: req':>10} {'KB':>8} "
          f"{'cached':>6}")
    worst = 0.0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for name, path in pages.items():
                for lang in ("fa", "en"):
                    context = browser.new_context(viewport={"width": 1280, "height": 800})
                    context.add_cookies([{"name": PAGE_COOKIE, "value": token,
                                          "url": base}])
                    page = context.new_page()
                    wire = Wire(page)
                    answer = page.goto(f"{base}/{lang}{path}", wait_until="networkidle")
                    assert answer is not None, (name, lang)
                    assert answer.status == 200, (name, lang, answer.status)
                    first = wire.total()
                    if detail:
                        wire.show()
                    wire.reset()
                    page.goto(f"{base}/{lang}{path}", wait_until="networkidle")
                    later = wire.total()
                    if detail:
                        wire.show()
                    context.close()
                    worst = max(worst, first[1])
                    print(f"{name + ' (' + lang + ')':<24} {first[0]:>10} {first[1]:>8.1f} "
                          f"{later[0]:>10} {later[1]:>8.1f} {later[2]:>6}", flush=True)
        finally:
            browser.close()
    print(f"largest first load: {worst:.1f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, required=True,
                        help="bench_pages.py's store folder (built there if absent)")
    parser.add_argument("--people", type=int, default=145_000)
    parser.add_argument("--only", default="",
                        help="comma-separated words: the pages whose name holds one")
    parser.add_argument("--detail", action="store_true", help="print every request")
    args = parser.parse_args()
    store, df = prepare(args.keep, args.people)
    asked = sample(store, df, 1)
    admin = users.authenticate(store, "bench-admin", PASSWORD)
    assert admin is not None
    token = sessions.open_session(store, admin, "127.0.0.1")
    pages = {
        "dashboard": "/", "search": "/search", "person (typical)":
        f"/persons/{asked['persons'][0]}", "person (500 records)": f"/persons/{asked['big'][0]}",
        "review queue": "/review", "places (map)": "/places", "timeline": "/timeline",
        "estimates": "/estimates", "sources": "/sources", "list import": "/imports",
        "jobs": "/jobs", "admin: audit": "/admin/audit",
    }
    only = [w for w in args.only.split(",") if w]
    pages = {k: v for k, v in pages.items() if not only or any(w in k for w in only)}
    base, server = serve(create_app(store.home, ApiSettings(), store=store))
    print(f"server at {base}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} "
          "cores", flush=True)
    try:
        measure(base, token, pages, args.detail)
    finally:
        server.should_exit = True
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
