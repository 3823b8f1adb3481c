"""The workspace in a real Chromium against a real ``dadkhahi serve``.

Every page in both languages at desktop and phone widths: screenshots saved under
``build/screenshots/`` for a reviewer, axe-core finds no serious or critical
violation, nothing loads from another origin or breaks the CSP, and a Persian page
shows no Latin interface text outside user data, identifiers and hashes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_world import PASSWORD, World
from browser import LATIN_TEXT, WIDTHS, Watch, chromium, shot_name
from served import Served, serve

#: (screenshot name, path after the language) of every page a signed-in admin opens.
PAGES: list[tuple[str, str]] = [
    ("dashboard", "/"),
    ("search", "/search"),
    ("sources", "/sources"),
    ("imports", "/imports"),
    ("places", "/places"),
    ("review", "/review"),
    ("jobs", "/jobs"),
]
#: Pages seen signed out.
PUBLIC_PAGES: list[tuple[str, str]] = [
    ("sign-in", "/sign-in"),
    ("dashboard-anonymous", "/"),
]
WHO = "admin_g"


@pytest.fixture(scope="module")
def server(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with serve(world.store.home.path, log) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


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


def _axe(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']}"
            for v in result.response["violations"] if v["impact"] in ("serious", "critical")]


def _visit_all(browser: Any, base: str, lang: str, pages: list[tuple[str, str]],
               signed_in: bool) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    context = browser.new_context(viewport=dict(zip(("width", "height"), WIDTHS["desktop"],
                                                    strict=True)))
    watch = Watch(base)
    try:
        page = context.new_page()
        watch.attach(page)
        if signed_in:
            sign_in(page, base, lang)
        for name, path in pages:
            found: list[str] = []
            for width, (w, h) in WIDTHS.items():
                page.set_viewport_size({"width": w, "height": h})
                answer = page.goto(f"{base}/{lang}{path}")
                assert answer is not None
                if answer.status != 200:
                    found.append(f"status {answer.status}")
                # "load" (the page and its subresources) and the fonts, not "networkidle":
                # Playwright sometimes never reports idle after a navigation that follows
                # an axe run, though no request is pending (seen on sources, persons).
                page.wait_for_load_state("load")
                page.evaluate("document.fonts.ready.then(() => true)")
                page.screenshot(path=str(shot_name(name, lang, width)), full_page=True)
                if width == "desktop":
                    found += _axe(page)
                    if lang == "fa":
                        found += [f"Latin text: {t!r}" for t in page.evaluate(LATIN_TEXT)]
                    if page.locator("html").get_attribute("dir") != (
                            "rtl" if lang == "fa" else "ltr"):
                        found.append("wrong direction")
            if found:
                problems[f"{name}.{lang}"] = found
    finally:
        context.close()
    if watch.elsewhere or watch.console:
        problems[f"browser.{lang}"] = watch.elsewhere + watch.console
    return problems


def _object_pages(world: World) -> list[tuple[str, str]]:
    from dadkhahi.domain.vocab import Sensitivity
    from dadkhahi.store import schema as s

    with world.store.reading() as conn:
        linked = conn.execute(s.person_records.select().limit(1)).mappings().first()
    assert linked is not None
    protected = world.objects[Sensitivity.PROTECTED]
    return [("person-protected", f"/persons/{protected.person}"),
            ("person-linked", f"/persons/{linked['person_id']}"),
            ("source-protected", f"/sources/{protected.source}"),
            ("item-protected", f"/items/{protected.item}"),
            ("place-protected", f"/places/{protected.place}")]


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_page_in_both_languages(browser: Any, server: Served, world: World,
                                      lang: str) -> None:
    problems = _visit_all(browser, server.url, lang, PUBLIC_PAGES, signed_in=False)
    problems |= _visit_all(browser, server.url, lang, PAGES + _object_pages(world),
                           signed_in=True)
    assert problems == {}
    assert shot_name("dashboard", lang, "phone").stat().st_size > 0


def test_sign_in_by_keyboard_then_sign_out(browser: Any, server: Served) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", "researcher")
        assert page.locator(".who bdi").inner_text() == "researcher"
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["dadkhahi_page"]["httpOnly"] and cookies["dadkhahi_page"][
            "sameSite"] == "Strict"
        page.get_by_role("button", name="خروج").click()
        page.wait_for_url(f"{server.url}/fa/sign-in")
        assert "dadkhahi_page" not in {c["name"] for c in context.cookies()}
    finally:
        context.close()
    assert Path(server.log).exists()


def test_find_a_person_typed_in_the_other_script(browser: Any, server: Served) -> None:
    """Journey: type a Latin-listed name in Persian, see suggestions as you type (htmx),
    search, open the person's page; the name never reaches a URL."""
    context = browser.new_context()
    urls: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: urls.append(r.url))
        sign_in(page, server.url, "fa", "researcher")
        page.goto(f"{server.url}/fa/search")
        page.locator("#f-name").press_sequentially("علی کریمی", delay=20)
        page.locator("#suggestions li").first.wait_for()
        page.keyboard.press("Enter")
        page.wait_for_load_state("load")
        page.locator("ul.hits a").first.click()
        page.wait_for_url(f"{server.url}/fa/persons/*")
        assert "Karimi" in page.content()
    finally:
        context.close()
    assert not [u for u in urls if "%D8" in u or "%DA" in u or "Karimi" in u]
