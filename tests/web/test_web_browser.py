"""The workspace in a real Chromium against a real ``dadkhahi serve``.

Every page in both languages at desktop and phone widths: screenshots saved under
``build/screenshots/`` for a reviewer, axe-core finds no serious or critical
violation, nothing loads from another origin or breaks the CSP, and a Persian page
shows no Latin interface text outside user data, identifiers and hashes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from api_world import World
from browser import shot_name, sign_in, visit_all
from served import Served

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
    problems = visit_all(browser, server.url, lang, PUBLIC_PAGES, signed_in=False)
    problems |= visit_all(browser, server.url, lang, PAGES + _object_pages(world),
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
