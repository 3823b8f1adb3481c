"""The memorial in a real browser, from ``file://`` (a USB stick) and over a static web
server (a host or mirror), in both languages.

Debian's Chromium through Playwright: every page template (the redirect and "under
review" pages a relinking leaves too) passes axe-core with no serious or critical
violation, loads nothing from anywhere but the site's own files,
and a victim is found by the offline search under the name each script writes; with
JavaScript off every page still reads, on screen and in print.
Screenshots go to ``build/screenshots/`` for a reviewer.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from static_server import served
from world import World, relink

from dadkhahi.publish.build import build
from dadkhahi.publish.gate import approve, withdraw
from dadkhahi.store import schema as s

# The web tests' browser helpers (and the API world they import).
for _helpers in ("api", "web"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / _helpers))
from browser import (  # noqa: E402
    ROMANISED,
    WIDTHS,
    Watch,
    chromium,
    fonts_drawing,
    shot_name,
)


def _axe(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']}"
            for v in result.response["violations"] if v["impact"] in ("serious", "critical")]


def _held_at(page: Any, uri: str, target: str) -> None:
    """Open a redirect page and keep it: its meta refresh to ``target`` (checked) is
    refused, so axe reads the redirect page itself, not where it leads."""
    tried: list[str] = []

    def refuse(route: Any) -> None:
        if route.request.resource_type == "document" and route.request.url != uri:
            tried.append(route.request.url)
            route.abort("aborted")
        else:
            route.continue_()

    page.route("**/*", refuse)
    try:
        page.goto(uri)
        for _ in range(100):
            if tried:
                break
            page.wait_for_timeout(50)
    finally:
        page.unroute("**/*", refuse)
    assert page.url == uri and tried == [target], (uri, tried)


def _moved_pages(world: World, tmp_path: Path) -> dict[str, tuple[Path, str, str | None]]:
    """Sites after a relinking that joins persons 1 and 2: before approval (both pages
    "under review", every list emptied) and after (person 2's address redirects).
    Name → (site, page under a language's folder, where its refresh leads or None)."""
    relink(world.store, {"A-1": "1", "B-1": "1", "A-2": "1", "B-2": "1", "A-3": "3",
                         "B-3": "3"})
    with world.store.reading() as conn:
        kept = {str(p) for (p,) in conn.execute(s.person_records.select().with_only_columns(
            s.person_records.c.person_id).distinct())}
    survivor = ({world.persons["A-1"], world.persons["A-2"]} & kept).pop()
    merged = ({world.persons["A-1"], world.persons["A-2"]} - kept).pop()
    reviewing, moved = tmp_path / "reviewing", tmp_path / "moved"
    build(world.store, "tester", reviewing)
    approve(world.store, "tester", all_sources=True)
    build(world.store, "tester", moved)
    return {"under-review": (reviewing, f"victims/{survivor}.html", None),
            "list-moved": (reviewing, "lists/prison-evin.html",
                           "lists/index.html#kind-prison"),
            "victim-moved": (moved, f"victims/{merged}.html", f"victims/{survivor}.html")}


def test_every_template_opens_from_file_and_passes_axe(world: World, tmp_path: Path) -> None:
    withdraw(world.store, "tester", world.persons["A-3"], "SYNTHETIC family request")
    site = tmp_path / "site"
    build(world.store, "tester", site)
    victim = world.persons["A-1"]
    moved = _moved_pages(world, tmp_path)
    pages = {"victim": f"victims/{victim}.html",
             "tombstone": f"victims/{world.persons['A-3']}.html",
             "home": "index.html", "lists": "lists/index.html", "how-many": "how-many.html",
             "sources": "sources.html", "about": "about.html", "search": "search.html",
             "group": "lists/prison-evin.html", "missing": "missing/index.html",
             "missing-list": "missing/burial_place.html", "places": "places.html"}
    problems: dict[str, list[str]] = {}
    with chromium() as browser:
        context = browser.new_context(viewport=dict(zip(("width", "height"),
                                                        WIDTHS["desktop"], strict=True)))
        page = context.new_page()
        watch = Watch("file://")
        watch.attach(page)
        for lang in ("fa", "en"):
            for name, rel in pages.items():
                page.goto((site / lang / rel).as_uri())
                assert page.evaluate("document.documentElement.dir") == (
                    "rtl" if lang == "fa" else "ltr")
                assert "SYNTHETIC" in page.text_content("body")
                found = _axe(page)
                if found:
                    problems[f"{lang}/{rel}"] = found
                page.screenshot(path=shot_name(f"memorial-{name}", lang, "desktop"),
                                full_page=True)
            # The pages a relinking leaves at addresses published before.
            for name, (other, rel, target) in moved.items():
                uri = (other / lang / rel).as_uri()
                if target is None:
                    page.goto(uri)
                else:
                    # A request names no fragment: the list's kind is checked elsewhere.
                    _held_at(page, uri, (other / lang / target.split("#")[0]).as_uri())
                assert "SYNTHETIC" in page.text_content("body")
                found = _axe(page)
                if found:
                    problems[f"{lang}/{rel} ({name})"] = found
                page.screenshot(path=shot_name(f"memorial-{name}", lang, "desktop"),
                                full_page=True)
            # The offline map draws the two public places from file://.
            page.goto((site / lang / pages["places"]).as_uri())
            page.wait_for_selector("#map[data-markers='2'] .leaflet-interactive",
                                   timeout=15_000)
            page.screenshot(path=shot_name("memorial-places-map", lang, "desktop"))
            page.goto((site / lang / pages["victim"]).as_uri())
            heading = page.text_content("h1") or ""
            assert heading.strip() == ("بهرام نمونه" if lang == "fa" else "Bahram Nemouneh")
            # Found by the offline search under either script's spelling.
            for query in ("بهرام نمونه", "Bahram Nemoone"):
                page.goto((site / lang / "search.html").as_uri())
                page.fill("#search-q", query)
                page.click("button[type=submit]")
                page.wait_for_selector(f"[data-search-results] a[href$='{victim}.html']",
                                       timeout=15_000)
        page.goto((site / "index.html").as_uri())
        found = _axe(page)
        if found:
            problems["index.html"] = found
        # The same site over a plain static server, as a host or mirror serves it: the
        # map draws the places and the search finds the victim by either script.
        with served(site) as base:
            over = Watch(base)
            page = context.new_page()
            over.attach(page)
            for lang in ("fa", "en"):
                page.goto(f"{base}{lang}/{pages['places']}")
                page.wait_for_selector("#map[data-markers='2'] .leaflet-interactive",
                                       timeout=15_000)
                for query in ("بهرام نمونه", "Bahram Nemoone"):
                    page.goto(f"{base}{lang}/search.html")
                    page.fill("#search-q", query)
                    page.click("button[type=submit]")
                    page.wait_for_selector(
                        f"[data-search-results] a[href$='{victim}.html']", timeout=15_000)
            page.screenshot(path=shot_name("memorial-search-served", "en", "desktop"))
        context.close()
        # With JavaScript off (a reader's choice, or a browser that blocks it), each page
        # still reads: its heading and text are shown on screen and in print; the search
        # page shows its note pointing to the lists instead of a box that cannot work;
        # the places page its table instead of the map.
        bare = browser.new_context(java_script_enabled=False)
        plain = bare.new_page()
        for lang in ("fa", "en"):
            for name, rel in pages.items():
                plain.goto((site / lang / rel).as_uri())
                for media in ("screen", "print"):
                    plain.emulate_media(media=media)
                    assert plain.locator("main h1").is_visible(), (lang, name, media)
                    assert len(plain.inner_text("main")) > 40, (lang, name, media)
            plain.emulate_media(media="screen")
            plain.goto((site / lang / pages["search"]).as_uri())
            assert plain.locator("[data-search-nojs]").is_visible()
            assert not plain.locator("#search-q").is_visible()
            plain.goto((site / lang / pages["places"]).as_uri())
            assert plain.locator("main table tbody tr").count() == 2
            plain.goto((site / lang / pages["victim"]).as_uri())
            assert "Evin" in plain.inner_text("main") or "اوین" in plain.inner_text("main")
        bare.close()
    assert not over.elsewhere and not over.console, (over.elsewhere, over.console)
    assert not watch.elsewhere, watch.elsewhere
    # axe-core reads the stylesheets by XMLHttpRequest, which file:// refuses; the pages
    # themselves load everything with <link> and <script> tags.
    errors = [m for m in watch.console if "XMLHttpRequest" not in m]
    assert not errors, errors
    assert not problems, problems


def test_romanised_names_are_drawn_in_the_site_s_own_fonts(world: World,
                                                             tmp_path: Path) -> None:
    """Every letter of a romanised name comes from a font the site ships, never from the
    reader's machine (a Latin-Extended letter used to fall to the system's fonts)."""
    site = tmp_path / "site"
    build(world.store, "tester", site)
    with chromium() as browser:
        page = browser.new_page()
        watch = Watch("file://")
        watch.attach(page)
        page.goto((site / "en" / f"victims/{world.persons['A-1']}.html").as_uri())
        page.evaluate("n => { document.querySelector('h1').textContent = n; }", ROMANISED)
        drawn = fonts_drawing(page, "h1")
        assert drawn and all(custom for _, custom in drawn), drawn
        assert {family for family, _ in drawn} <= {"Vazirmatn", "Noto Sans"}, drawn
        assert any(family == "Noto Sans" for family, _ in drawn), drawn
    assert not watch.elsewhere and not watch.console, (watch.elsewhere, watch.console)
