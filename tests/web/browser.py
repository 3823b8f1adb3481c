"""Chromium for the workspace's browser tests: Debian's build driven by Playwright.

Never ``playwright install``: it would download a browser. Chromium is told not to
reach the network on its own (updates, safe browsing, metrics): the pages must load
everything from the server under test, which the tests check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--metrics-recording-only",
    "--safebrowsing-disable-auto-update",
]
#: Desktop and phone widths of the screenshots.
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@dataclass
class Watch:
    """What a page did that it must not: other origins, CSP violations, script errors."""

    base: str
    elsewhere: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("request", lambda r: None if r.url.startswith((self.base, "data:"))
                else self.elsewhere.append(r.url))
        page.on("response", lambda r: self.console.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)
        page.on("console", lambda m: self.console.append(m.text)
                if (m.type == "error" and "Failed to load resource" not in m.text)
                or "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: self.console.append(str(e)))


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (closed on exit)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


#: JavaScript that lists interface text in Latin letters: text nodes outside user data
#: (dir="auto"), identifiers (dir="ltr") and anything marked as another language.
LATIN_TEXT = r"""() => {
  const found = [];
  const skip = (el) => el.closest(
    '[dir="auto"], [dir="ltr"], [lang]:not([lang="fa"]), script, style, noscript');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (/[A-Za-z]/.test(node.textContent) && !skip(node.parentElement)) {
      found.push(node.textContent.trim());
    }
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], img[alt]')) {
    for (const attr of ['placeholder', 'aria-label', 'title', 'alt']) {
      const value = el.getAttribute(attr);
      if (value && /[A-Za-z]/.test(value) && !skip(el)) found.push(`${attr}=${value}`);
    }
  }
  if (/[A-Za-z]/.test(document.title)) found.push(`title=${document.title}`);
  return found;
}"""

_SAFE_NAME = re.compile(r"[^a-z0-9_-]+")


def shot_name(name: str, lang: str, width: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{_SAFE_NAME.sub('-', name.lower())}.{lang}.{width}.png"
