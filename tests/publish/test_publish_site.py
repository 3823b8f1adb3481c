"""The memorial's build: privacy by construction, reproducibility, the signed manifest."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from world import MARKERS, World

from dadkhahi.publish.build import build
from dadkhahi.publish.collect import Fact
from dadkhahi.publish.manifest import announced_key
from dadkhahi.publish.site import Lang, Options
from dadkhahi.publish.verify import verify


def _all_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_no_marker_reaches_any_file(world: World, tmp_path: Path) -> None:
    out = tmp_path / "site"
    report = build(world.store, "tester", out)
    assert report.published == 3
    files = _all_bytes(out)
    assert f"fa/victims/{world.persons['A-1']}.html" in files
    for rel, data in files.items():
        for what, marker in MARKERS.items():
            assert marker.encode() not in data, f"{what} marker in {rel}"
    page = files[f"en/victims/{world.persons['A-1']}.html"].decode()
    # The allowed fields are there, each with its source; names in both scripts.
    for shown in ("Bahram Nemouneh", "بهرام نمونه", "Evin Prison", "Khavaran", "1960",
                  "12 Mordad 1367", "SYNTHETIC list A", "SYNTHETIC list B"):
        assert shown in page
    assert "SYNTHETIC" in files["fa/index.html"].decode()
    fa = files[f"fa/victims/{world.persons['A-1']}.html"].decode()
    assert 'dir="rtl"' in fa and "۱۲ مرداد ۱۳۶۷" in fa and 'hreflang="en"' in fa
    # The restricted list's person is not public: no page.
    assert f"en/victims/{world.persons['R-4']}.html" not in files


def test_same_store_state_builds_the_same_bytes(world: World, tmp_path: Path) -> None:
    first = build(world.store, "tester", tmp_path / "one")
    size = world.store.size()
    second = build(world.store, "tester", tmp_path / "two")
    assert _all_bytes(tmp_path / "one") == _all_bytes(tmp_path / "two")
    assert (first.sequence, first.recorded, second.recorded) == (1, True, False)
    assert world.store.size() == size  # an unchanged build records nothing new
    again = build(world.store, "tester", tmp_path / "one")
    assert again.written == 0 and again.removed == 0


def test_verify_detects_a_changed_an_added_and_a_missing_file(
        world: World, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(world.store, "tester", out)
    with world.store.reading() as conn:
        key = announced_key(conn)
    assert key is not None and key != world.store.verifier_key()
    problems, head = verify(out, key, world.store.verifier_key())
    assert problems == [] and head["sequence"] == "1"
    script = [sys.executable, str(out / "verify_site.py"), str(out), "--key",
              str(out / "publication-key.txt")]
    assert subprocess.run(script, capture_output=True, check=False).returncode == 0
    page = out / "en" / "victims" / f"{world.persons['A-2']}.html"
    page.write_bytes(page.read_bytes().replace(b"Tabriz", b"Tabrix"))
    (out / "en" / "extra.html").write_text("x", "utf-8")
    (out / "en" / "how-many.html").unlink()
    problems, _ = verify(out, key)
    assert sorted(problems) == sorted([
        f"en/victims/{world.persons['A-2']}.html: differs from the signed manifest",
        "en/extra.html: not in the signed manifest", "en/how-many.html: missing"])
    run = subprocess.run(script, capture_output=True, text=True, check=False)
    assert run.returncode == 1 and "differs from the signed manifest" in run.stdout


def test_builds_are_sequenced_and_an_older_copy_is_flagged(
        world: World, tmp_path: Path) -> None:
    import hashlib
    import shutil

    from dadkhahi.publish.gate import withdraw
    from dadkhahi.store import schema as s

    out = tmp_path / "site"
    first = build(world.store, "tester", out)
    old_copy = tmp_path / "old-mirror"
    shutil.copytree(out, old_copy)
    withdraw(world.store, "tester", world.persons["A-2"], "SYNTHETIC request")
    second = build(world.store, "tester", out)
    assert (first.sequence, second.sequence) == (1, 2) and second.recorded
    note = (out / "manifest.note").read_text("utf-8")
    assert f"previous {first.manifest_sha256}\n" in note
    assert hashlib.sha256((out / "manifest.note").read_bytes()).hexdigest() == \
        second.manifest_sha256
    # Only what changed was rewritten: the withdrawn page, lists, counts, manifest…
    assert 0 < second.written < second.files // 2
    with world.store.reading() as conn:
        built = conn.execute(s.publications.select().order_by(s.publications.c.sequence)
                             ).mappings().all()
    assert [b["manifest_sha256"] for b in built] == [first.manifest_sha256,
                                                     second.manifest_sha256]
    with world.store.reading() as conn:
        key = announced_key(conn)
    assert key is not None
    seen = tmp_path / "seen.json"
    assert verify(out, key, seen=seen)[0] == []
    problems, _ = verify(old_copy, key, seen=seen)
    assert len(problems) == 1 and "older than build 2" in problems[0]


def test_sources_that_disagree_are_shown_side_by_side_each_with_its_sources(
        world: World, tmp_path: Path) -> None:
    """List A knows Shirin's execution to the month, list B to the day: her page shows
    both dates under one heading that says the sources disagree, each date citing its
    own list and no other, in both languages."""
    out = tmp_path / "site"
    build(world.store, "tester", out)
    for lang, label, month, day in (
            ("en", "Date of execution", "23 July 1988 – 22 August 1988 (Mordad 1367)",
             "11 August 1988 (20 Mordad 1367)"),
            ("fa", "تاریخ اعدام", "مرداد ۱۳۶۷ (۲۳ ژوئیه ۱۹۸۸ – ۲۲ اوت ۱۹۸۸)",
             "۲۰ مرداد ۱۳۶۷ (۱۱ اوت ۱۹۸۸)")):
        page = (out / lang / "victims" / f"{world.persons['A-2']}.html").read_text("utf-8")
        cited = dict(re.findall(r'<li id="s(\d+)"><cite><bdi dir="auto">SYNTHETIC list (\w)<',
                                page))
        assert sorted(cited.values()) == ["A", "B"], cited
        found = re.search(rf"<dt>{label}</dt>(.*?)</dd>", page, re.S)
        assert found is not None, label
        assert 'class="conflict"' in found.group(1)
        values = re.findall(r'<li><bdi dir="auto">(.*?)</bdi>(.*?)</li>', found.group(1), re.S)
        shown = {value: {cited[n] for n in re.findall(r'href="#s(\d+)"', rest)}
                 for value, rest in values}
        assert shown == {month: {"A"}, day: {"B"}}, shown


def test_how_many_shows_others_figures_as_their_claims(world: World, tmp_path: Path) -> None:
    from datetime import date

    from dadkhahi.domain.dates import DateRange
    from dadkhahi.domain.sources import SourceSpec
    from dadkhahi.domain.vocab import ActType, Sensitivity, SourceKind
    from dadkhahi.facts.entities import Support, create_act
    from dadkhahi.facts.figures import add_published_figure
    from dadkhahi.intake.sources import register_source
    from dadkhahi.publish.gate import approve

    with world.store.transaction("tester") as tx:
        report = register_source(world.store, tx, SourceSpec(
            title="SYNTHETIC report of 1999", kind=SourceKind.ARTICLE,
            sensitivity=Sensitivity.PUBLIC, citation="SYNTHETIC citation"))
        act = create_act(tx, ActType.EXTRAJUDICIAL_KILLING, sensitivity=Sensitivity.PUBLIC,
                         date=DateRange(date(1988, 7, 1), date(1988, 9, 30), "summer 1988"))
        add_published_figure(tx, act, {"at_least": 3200, "what": "names listed"},
                             [Support(report)])
        add_published_figure(tx, act, {"approximately": 5000}, [Support(world.sources["T"])],
                             sensitivity=Sensitivity.PROTECTED)
    approve(world.store, "tester", all_sources=True)
    out = tmp_path / "site"
    build(world.store, "tester", out)
    en = (out / "en" / "how-many.html").read_text("utf-8")
    fa = (out / "fa" / "how-many.html").read_text("utf-8")
    assert "more than 3,200" in en and "names listed" in en and "SYNTHETIC report of 1999" in en
    assert "بیش از ۳٬۲۰۰" in fa
    assert "5,000" not in en and "۵٬۰۰۰" not in fa  # the protected figure stays out
    assert "No estimate of the total has been released yet." in en
    # Three documented victims: the total and every cell are under 5, shown as such,
    # never as a number (the home page, the table and the lists alike).
    home = (out / "en" / "index.html").read_text("utf-8")
    lists = (out / "en" / "lists" / "index.html").read_text("utf-8")
    for page in (en, home, lists):
        assert "fewer than 5" in page
        assert "<strong>3</strong>" not in page and "(1)" not in page and "(3)" not in page
    assert "Other provinces, counted together" in en
    assert "<strong>کمتر از ۵</strong>" in fa


def test_names_missing_information_are_listed_from_public_facts(
        world: World, tmp_path: Path) -> None:
    from dadkhahi.domain.sources import SourceSpec
    from dadkhahi.domain.vocab import EntityKind, Sensitivity, SourceKind
    from dadkhahi.facts.entities import Support, add_claim
    from dadkhahi.intake.sources import register_source
    from dadkhahi.publish.gate import approve

    # Shirin's burial place is known only to a protected source: still missing here.
    with world.store.transaction("tester") as tx:
        secret = register_source(world.store, tx, SourceSpec(
            title="SYNTHETIC protected note", kind=SourceKind.TESTIMONY,
            sensitivity=Sensitivity.PROTECTED))
        add_claim(tx, EntityKind.PERSON, world.persons["A-2"], "burial_place", "Khavaran",
                  [Support(secret)], sensitivity=Sensitivity.PROTECTED)
    approve(world.store, "tester", all_sources=True)
    out = tmp_path / "site"
    build(world.store, "tester", out)
    en = out / "en" / "missing"
    burial = (en / "burial_place.html").read_text("utf-8")
    # Bahram's burial place is public (list A); Shirin's and Kaveh's are not.
    linked = {pid for key, pid in world.persons.items() if key in ("A-2", "A-3")}
    for pid in linked:
        assert f'href="../victims/{pid}.html"' in burial
    assert f"{world.persons['A-1']}.html" not in burial
    assert world.persons["R-4"] not in burial
    index = (en / "index.html").read_text("utf-8")
    assert 'href="burial_place.html"' in index and "fewer than 5" in index
    # Every victim has a public date: that list is empty and not linked.
    assert 'href="death_date.html"' not in index and not (en / "death_date.html").exists()
    page = (out / "en" / "victims" / f"{world.persons['A-2']}.html").read_text("utf-8")
    assert "Not known on this page: Burial place." in page
    assert "کمتر از ۵" in (out / "fa" / "missing" / "index.html").read_text("utf-8")


def test_pages_rendered_by_several_processes_are_the_same_bytes(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dadkhahi.publish import site

    monkeypatch.setenv("DADKHAHI_PUBLISH_WORKERS", "1")
    build(world.store, "tester", tmp_path / "one")
    monkeypatch.setenv("DADKHAHI_PUBLISH_WORKERS", "2")
    monkeypatch.setattr(site, "RENDER_CHUNK", 3)
    pools: list[str] = []
    real = site.mp.get_context

    def counted(method: str) -> object:
        pools.append(method)
        return real(method)

    monkeypatch.setattr(site.mp, "get_context", counted)
    again = build(world.store, "tester", tmp_path / "two")
    assert pools and set(pools) == {"fork"}  # the pages went through the render processes
    assert _all_bytes(tmp_path / "one") == _all_bytes(tmp_path / "two")
    assert not again.recorded


def test_places_page_lists_public_places_and_feeds_the_map(world: World, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(world.store, "tester", out)
    en = (out / "en" / "places.html").read_text("utf-8")
    fa = (out / "fa" / "places.html").read_text("utf-8")
    assert "Evin Prison" in en and "Khavaran" in en and "damaged" in en
    assert "زندان اوین" in fa and "آسیب‌دیده" in fa
    data = (out / "data" / "places.js").read_text("utf-8")
    assert data.startswith("dadkhahiPlaces(") and '"lat":35.7967' in data
    assert data.count('"id"') == 2  # the protected place is not on the map
    outlines = (out / "assets" / "world-atlas" / "outlines.js").read_bytes()
    assert outlines.startswith(b"dadkhahiOutlines({")
    # The page and its scripts load from the site's own files only.
    for src in re.findall(r'(?:src|href)="\.\./([^"]+)"', en):
        assert (out / src).is_file(), src


def test_a_date_is_in_both_calendars_on_both_languages_pages(
        world: World, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(world.store, "tester", out)

    def page(code: str, row: str) -> str:
        return (out / code / "victims" / f"{world.persons[row]}.html").read_text("utf-8")

    # Known to the day: Solar Hijri first on a Persian page, Gregorian beside it; the
    # other way round on an English page.
    assert "۱۲ مرداد ۱۳۶۷ (۳ اوت ۱۹۸۸)" in page("fa", "A-1")
    assert "3 August 1988 (12 Mordad 1367)" in page("en", "A-1")
    # Known to the month only: named as the month, never as one day, in both calendars.
    assert "مرداد ۱۳۶۷ (۲۳ ژوئیه ۱۹۸۸ – ۲۲ اوت ۱۹۸۸)" in page("fa", "A-2")
    assert "23 July 1988 – 22 August 1988 (Mordad 1367)" in page("en", "A-2")


def test_a_year_known_only_is_named_as_the_year() -> None:
    year = Fact("death_date", "1367", "1988-03-21", "1989-03-20", ("1367",), ())
    assert Lang("fa").value(year) == "۱۳۶۷ (۲۱ مارس ۱۹۸۸ – ۲۰ مارس ۱۹۸۹)"
    assert Lang("en").value(year) == "21 March 1988 – 20 March 1989 (1367)"


def test_render_processes_are_forked_with_the_build_s_objects_frozen() -> None:
    """A full collection in a render process would pass over every object of the build
    and copy each memory page holding one into it (copy-on-write): the build's objects
    are frozen out of the render processes' collector, and this process collects its own
    again once they have forked."""
    import gc

    from dadkhahi.publish import site

    before = gc.get_freeze_count()
    with site._forked_pool(2) as pool:
        frozen = pool.apply(gc.get_freeze_count)
    assert frozen > before
    assert gc.get_freeze_count() == 0


def _pid_and_freeze(_: int) -> tuple[int, int]:
    import gc

    return os.getpid(), gc.get_freeze_count()


def test_render_processes_forked_again_in_place_of_spent_ones_freeze_the_build_s_objects(
        ) -> None:
    """A render process grew with every book part it laid out: after a few it ends and a
    fresh one is forked in its place, later, from this process (unfrozen by then); the
    fresh one freezes what it was forked with as the first did."""
    import gc

    from dadkhahi.publish import site

    with site._forked_pool(2, tasks_per_process=1) as pool:
        seen = pool.map(_pid_and_freeze, range(6), chunksize=1)
        assert gc.get_freeze_count() == 0
    # One task each: six processes, every one with the build's objects frozen.
    assert len({pid for pid, _ in seen}) == 6
    assert all(frozen > 0 for _, frozen in seen), seen


def test_a_process_that_froze_its_objects_keeps_them_frozen_through_a_build_s_pool() -> None:
    """A server freezes its start-up objects (``http.serving.served``) and may build the
    memorial on its jobs thread: the render pool leaves that freeze as it found it."""
    import gc

    from fastapi import FastAPI

    from dadkhahi.http.serving import served
    from dadkhahi.publish import site

    switch = sys.getswitchinterval()
    served(FastAPI())
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with site._forked_pool(2) as pool:
            assert pool.apply(sum, ([1, 2],)) == 3
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
        sys.setswitchinterval(switch)


def test_with_a_public_address_a_sitemap_lists_every_page_but_the_redirects(
        world: World, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    base = "https://memorial.example/mirror/"
    out = tmp_path / "site"
    build(world.store, "tester", out, Options(base_url=base))
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ET.parse(out / "sitemap.xml").getroot()
    parts = [loc.text or "" for loc in index.findall("s:sitemap/s:loc", ns)]
    assert parts == [f"{base}sitemaps/pages-0001.xml"]
    urls = [loc.text or "" for loc in ET.parse(out / "sitemaps" / "pages-0001.xml")
            .getroot().findall("s:url/s:loc", ns)]
    assert urls == sorted(set(urls))
    pages = {url.removeprefix(base) for url in urls}
    assert all(url.startswith(base) for url in urls)
    for code in ("fa", "en"):
        victims = {world.persons[key] for key in ("A-1", "A-2", "A-3")}
        assert {f"{code}/victims/{pid}.html" for pid in victims} <= pages
        assert {f"{code}/index.html", f"{code}/about.html", f"{code}/search.html"} <= pages
    # Every address is a page of the site, none of them a redirect.
    for page in pages:
        assert (out / page).is_file(), page
        assert 'http-equiv="refresh"' not in (out / page).read_text("utf-8"), page
    text = (out / "sitemap.xml").read_text() + (out / "sitemaps" / "pages-0001.xml").read_text()
    assert not any(marker in text for marker in MARKERS.values())
    # Without a public address there is none (a sitemap's addresses are absolute).
    build(world.store, "tester", tmp_path / "plain")
    assert not (tmp_path / "plain" / "sitemap.xml").exists()


def test_how_many_names_no_list_withheld_from_the_public(world: World, tmp_path: Path) -> None:
    """The released estimate's sentence and lists went to the "how many" page with a
    restricted list's title in clear (attack35): now it is a withheld list there; the
    public list is named, the figure shown."""
    from sqlalchemy import select

    from dadkhahi.analysis.estimates import release_estimate
    from dadkhahi.domain.vocab import ListKind, Sensitivity
    from dadkhahi.intake.list_description import ListDescription
    from dadkhahi.intake.lists import import_list
    from dadkhahi.store import schema as s

    marker = "SYNTHETIC Restrictedtitleqz"
    path = tmp_path / "restricted.csv"
    path.write_text("ID,Name\nM-1,SYNTHETIC detainee\n", "utf-8")
    secret = import_list(world.store, path, source=marker, actor="tester", id_column="ID",
                         sensitivity=Sensitivity.RESTRICTED,
                         description=ListDescription(kind=ListKind.DETAINEES))
    li = s.lists.c
    with world.store.reading() as conn:
        public_list = conn.execute(select(li.id).where(li.source_id == world.sources["A"])
                                   ).scalar_one()
        run = conn.execute(select(s.link_runs.c.id)).scalars().first()
    with world.store.transaction("tester") as tx:
        tx.emit("estimate.computed", {
            "id": "est_" + "3" * 20, "method": "chao",
            "estimand": "people killed (SYNTHETIC), in all provinces, as listed by 1 "
                        f"independent list of victims; left out: {marker} (detainees)",
            "documented": 3, "estimate": 9.5, "low": 4.0, "high": 20.0, "level": 0.95,
            "fixed_low": None, "fixed_high": None, "partitions": None, "seed": 5,
            "link_run_id": run, "inputs_sha256": "0" * 64,
            "settings": {"method": "chao", "lists": [
                {"list": public_list, "import": "imp_a", "title": "SYNTHETIC list A",
                 "kind": "victims", "used": True},
                {"list": secret.list_id, "import": secret.import_id, "title": marker,
                 "kind": "detainees", "used": False}]},
            "versions": {"dadkhahi": "test"}, "computed_at": "2026-12-04T10:00:00Z"})
    release_estimate(world.store, "tester", "est_" + "3" * 20, "public")
    out = tmp_path / "site"
    build(world.store, "tester", out)
    en = (out / "en" / "how-many.html").read_text("utf-8")
    assert "Restrictedtitleqz" not in en and "detainees" not in en
    assert "a withheld list (2)" in en and "SYNTHETIC list A" in en
    assert "<strong>10</strong> estimated in all" in en
    for rel, data in _all_bytes(out).items():
        assert b"Restrictedtitleqz" not in data, rel
