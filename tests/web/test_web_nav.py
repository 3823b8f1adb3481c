"""The navigation bar: a documentation team's order, every page placed in it, and each
entry shown only to those its page serves."""

from __future__ import annotations

import re

from api_world import World
from fastapi import FastAPI
from web_world import client_for

from dadkhahi.web import nav

#: The bar an admin sees, in English (every entry).
ADMIN_BAR = ["Dashboard", "Search", "List import", "Review queue", "Sources", "Documents",
             "Transcription", "Testimonies", "Acts", "Timeline", "Named officials",
             "Organisations", "Cases", "Estimates", "Places", "Jobs", "Users",
             "Audit trail"]


def _bar(html: str) -> list[str]:
    found = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S)
    assert found
    return re.findall(r"<a [^>]*>([^<]+)</a>", found.group(1))


def test_every_registered_page_has_its_place_in_the_order(app: FastAPI) -> None:
    assert {e.path for e in nav.ENTRIES} == set(nav.ORDER)


def test_the_bar_is_in_a_documentation_teams_order(app: FastAPI, world: World) -> None:
    assert _bar(client_for(app, world, "admin_g").get("/en/").text) == ADMIN_BAR
    # A researcher sees fewer entries, in the same order.
    researcher = _bar(client_for(app, world, "researcher").get("/en/").text)
    assert researcher == [e for e in ADMIN_BAR if e in researcher]
    assert "Users" not in researcher and "Review queue" not in researcher
