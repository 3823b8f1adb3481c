"""The memorial in a real browser, from ``file://`` (a USB stick), in both languages.

Debian's Chromium through Playwright: every page template passes axe-core with no
serious or critical violation, loads nothing from anywhere but the site's own files,
and a victim is found by the offline search under the name each script writes.
Screenshots go to ``build/screenshots/`` for a reviewer.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from world import World

from dadkhahi.publish.build import build
from dadkhahi.publish.gate import withdraw

# The web tests' browser helpers (and the API world they import).
for _helpers in ("api", "web"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / _helpers))
from browser import WIDTHS, Watch, chromium, shot_name  # noqa: E402


def _axe(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']}"
            for v in result.response["violations"] if v["impact"] in ("serious", "critical")]


def test_every_template_opens_from_file_and_passes_axe(world: World, tmp_path: Path) -> None:
    withdraw(world.store, "tester", world.persons["A-3"], "SYNTHETIC family request")
    site = tmp_path / "site"
    build(world.store, "tester", site)
    victim = world.persons["A-1"]
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
            # The offline map draws the two public places from file://.
            page.goto((site / lang / pages["places"]).as_uri())
            page.wait_for_selector("#map[data-markers='2'] .leaflet-interactive",
                                   timeout=15_000)
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
        context.close()
    assert not watch.elsewhere, watch.elsewhere
    # axe-core reads the stylesheets by XMLHttpRequest, which file:// refuses; the pages
    # themselves load everything with <link> and <script> tags.
    errors = [m for m in watch.console if "XMLHttpRequest" not in m]
    assert not errors, errors
    assert not problems, problems
