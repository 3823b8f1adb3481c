"""The workspace's newer pages in a real Chromium against a real ``dadkhahi serve``:
acts, named officials, organisations, the timeline, estimates, the review queue, the
admin pages and cases.

Each page in both languages at desktop and phone widths: screenshots saved under
``build/screenshots/``, no serious or critical axe-core violation, nothing loaded from
another origin, no CSP or script error, no Latin interface text on a Persian page.
One browser and one server for the module.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_world import World
from browser import sign_in, visit_all
from page_data import PUBLIC, add_case, add_estimates, add_facts
from served import Served


@pytest.fixture(scope="module")
def facts(world: World) -> dict[str, str]:
    add_estimates(world)
    return {**add_facts(world), "case": add_case(world, ["admin_g"])}


def _pages(world: World, facts: dict[str, str]) -> list[tuple[str, str]]:
    return [
        ("acts", "/acts"),
        ("act", f"/acts/{facts['act']}"),
        ("perpetrators", "/perpetrators"),
        ("organizations", "/organizations"),
        ("organization", f"/organizations/{world.objects[PUBLIC].organization}"),
        ("timeline", "/timeline"),
        ("estimates", "/estimates"),
        ("review-queue", "/review"),
        ("admin-users", "/admin/users"),
        ("admin-audit", "/admin/audit"),
        ("cases", "/cases"),
        ("case", f"/cases/{facts['case']}"),
    ]


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_new_pages_in_both_languages(browser: Any, server: Served, world: World,
                                     facts: dict[str, str], lang: str) -> None:
    problems = visit_all(browser, server.url, lang, _pages(world, facts), signed_in=True,
                         who="admin_g")
    assert problems == {}


def test_a_charge_is_added_from_the_case_page(browser: Any, server: Served, world: World,
                                              facts: dict[str, str]) -> None:
    """The case page's charge form, with a real browser's form post (CSRF token and all)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "en", "admin_g")
        page.goto(f"{server.url}/en/cases/{facts['case']}")
        page.select_option("#f-crime", "rome-statute-art7::7(1)(f)")
        page.select_option("#f-mode", "25(3)(a)")
        page.get_by_role("button", name="Add the charge").click()
        page.wait_for_url(re.compile(r"done=charged"))
        assert page.get_by_role("status").inner_text() == "The charge was added."
        matrix = page.locator("section[aria-labelledby=matrix-heading]").inner_text()
        assert "Torture" in matrix and "no fact linked" in matrix
    finally:
        context.close()
