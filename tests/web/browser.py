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

from api_world import PASSWORD

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
#: Who the page walks sign in as.
WHO = "admin_g"


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

#: JavaScript that names the tables wider than their box at desktop width (their first
#: words): a table there must fit its column, not hide columns behind a scroll bar.
CUT_OFF = r"""() => [...document.querySelectorAll('.table-wrap')]
  .filter((box) => box.scrollWidth > box.clientWidth + 1)
  .map((box) => box.textContent.trim().slice(0, 40))"""

_SAFE_NAME = re.compile(r"[^a-z0-9_-]+")


def sign_in(page: Any, base: str, lang: str, who: str = WHO) -> None:
    """Sign in through the form with the keyboard only."""
    page.goto(f"{base}/{lang}/sign-in")
    page.keyboard.press("Tab")  # the skip link
    page.locator("#username").focus()
    page.keyboard.type(who)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/{lang}/")


def axe_problems(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']}"
            for v in result.response["violations"] if v["impact"] in ("serious", "critical")]


def visit_all(browser: Any, base: str, lang: str, pages: list[tuple[str, str]],
              signed_in: bool, who: str = WHO) -> dict[str, list[str]]:
    """Open each page at desktop and phone widths: screenshots saved, and the problems
    found (status, axe-core serious or critical, Latin interface text on Persian pages,
    direction, other origins, CSP and script errors) by page."""
    problems: dict[str, list[str]] = {}
    context = browser.new_context(viewport=dict(zip(("width", "height"), WIDTHS["desktop"],
                                                    strict=True)))
    watch = Watch(base)
    try:
        page = context.new_page()
        watch.attach(page)
        if signed_in:
            sign_in(page, base, lang, who)
        for name, path in pages:
            found: list[str] = []
            # One load per page: the phone screenshot is the same page narrowed (the
            # layout is CSS alone; the server does not know the width).
            page.set_viewport_size(dict(zip(("width", "height"), WIDTHS["desktop"],
                                            strict=True)))
            answer = page.goto(f"{base}/{lang}{path}")
            assert answer is not None
            if answer.status != 200:
                found.append(f"status {answer.status}")
            # "load" (the page and its subresources) and the fonts, not "networkidle":
            # Playwright sometimes never reports idle after a navigation that follows
            # an axe run, though no request is pending (seen on sources, persons).
            page.wait_for_load_state("load")
            page.evaluate("document.fonts.ready.then(() => true)")
            page.screenshot(path=str(shot_name(name, lang, "desktop")), full_page=True)
            found += axe_problems(page)
            if lang == "fa":
                found += [f"Latin text: {t!r}" for t in page.evaluate(LATIN_TEXT)]
            if page.locator("html").get_attribute("dir") != ("rtl" if lang == "fa"
                                                              else "ltr"):
                found.append("wrong direction")
            found += [f"table cut off: {t!r}" for t in page.evaluate(CUT_OFF)]
            page.set_viewport_size(dict(zip(("width", "height"), WIDTHS["phone"],
                                            strict=True)))
            page.screenshot(path=str(shot_name(name, lang, "phone")), full_page=True)
            if found:
                problems[f"{name}.{lang}"] = found
    finally:
        context.close()
    if watch.elsewhere or watch.console:
        problems[f"browser.{lang}"] = watch.elsewhere + watch.console
    return problems


def shot_name(name: str, lang: str, width: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{_SAFE_NAME.sub('-', name.lower())}.{lang}.{width}.png"


#: A romanised name with letters Vazirmatn lacks (SYNTHETIC).
ROMANISED = "Ḥasan ʿAlī Ṭāherī Ṣadeqī"


def fonts_drawing(page: Any, selector: str) -> list[tuple[str, bool]]:
    """The fonts Chromium drew the element's text with: (family, loaded by the page),
    once every web font its text asks for has loaded and the text is laid out again."""
    page.evaluate("""async sel => {
        const el = document.querySelector(sel), css = getComputedStyle(el);
        await document.fonts.load(`${css.fontWeight} ${css.fontSize} ${css.fontFamily}`,
                                  el.textContent);
        await document.fonts.ready;
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    }""", selector)
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return sorted((f["familyName"], f["isCustomFont"]) for f in fonts)
