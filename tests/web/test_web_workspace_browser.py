"""The workspace's newer pages in a real Chromium against a real ``dadkhahi serve``:
acts, named officials, organisations, the timeline, estimates, the review queue, the
admin pages and cases.

Each page in both languages at desktop and phone widths: screenshots saved under
``build/screenshots/``, no serious or critical axe-core violation, nothing loaded from
another origin, no CSP or script error, no Latin interface text on a Persian page.
One browser and one server for the module.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_world import World
from browser import visit_all
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
