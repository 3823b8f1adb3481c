"""Stable addresses: every published victim URL still leads to its victim after a
relinking that merges two persons and splits a third."""

from __future__ import annotations

import re
from pathlib import Path

from world import World, relink

from dadkhahi.publish.build import build
from dadkhahi.publish.gate import approve
from dadkhahi.publish.manifest import announced_key
from dadkhahi.publish.verify import verify
from dadkhahi.store import schema as s

_REFRESH = re.compile(r'<meta http-equiv="refresh" content="0; url=([A-Za-z0-9_-]+)\.html">')
#: Each first-built person's records, by list ID, and a name each of its records gives.
NAMES = {"A-1": "Bahram Nemouneh", "B-1": "بهرام نمونه", "A-2": "Shirin Azmayesh",
         "A-3": "Kaveh Sakhtegi"}


def _open(out: Path, rel: str) -> tuple[str, str]:
    """The page an address ends on (following redirect pages), and its path."""
    for _ in range(5):
        page = (out / rel).read_text("utf-8")
        moved = _REFRESH.search(page)
        if moved is None:
            return rel, page
        rel = rel.rsplit("/", 1)[0] + f"/{moved.group(1)}.html"
    raise AssertionError(f"{rel}: redirects in a loop")


def _persons(world: World) -> dict[str, str]:
    with world.store.reading() as conn:
        ext = dict(conn.execute(s.records.select().with_only_columns(
            s.records.c.id, s.records.c.external_id)).all())
        return {str(ext[r]): str(p) for r, p in conn.execute(
            s.person_records.select().with_only_columns(
                s.person_records.c.record_id, s.person_records.c.person_id))}


def test_every_published_address_leads_to_its_victim_after_a_merge_and_a_split(
        world: World, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(world.store, "tester", out)
    first = {k: v for k, v in _persons(world).items() if k[0] in "AB" and k[2] != "4"}
    old = sorted(set(first.values()))
    assert len(old) == 3
    urls = [f"{code}/victims/{pid}.html" for pid in old for code in ("fa", "en")]
    assert all((out / url).is_file() for url in urls)

    # Persons 2 and 3 are found to be one (a merge); person 1's two records two (a split).
    relink(world.store, {"A-1": "1", "B-1": "9", "A-2": "2", "B-2": "2", "A-3": "2",
                         "B-3": "2"})
    now = _persons(world)
    assert now["A-2"] == now["A-3"] and now["A-1"] != now["B-1"]
    merged_away = ({first["A-2"], first["A-3"]} - {now["A-2"]}).pop()
    split_off = ({now["A-1"], now["B-1"]} - {first["A-1"]}).pop()

    # Before the changed persons are approved again, no address breaks: it says
    # "under review" and shows no name.
    report = build(world.store, "tester", out)
    assert report.published == 0 and report.reviewing == 3
    for url in urls:
        _, page = _open(out, url)
        assert "Under review" in page or "در دست بازبینی" in page
        assert not any(name in page for name in NAMES.values())

    approve(world.store, "tester", all_sources=True)
    report = build(world.store, "tester", out)
    assert (report.published, report.redirected, report.reviewing) == (3, 1, 0)
    for pid in old:
        wanted = [NAMES[k] for k, p in first.items() if p == pid and k in NAMES]
        for code in ("fa", "en"):
            rel, page = _open(out, f"{code}/victims/{pid}.html")
            assert '<article class="victim">' in page, rel
            assert any(name in page for name in wanted), (pid, rel)
    # The merged-away address redirects to the survivor, for hosts too.
    assert _open(out, f"en/victims/{merged_away}.html")[0] == f"en/victims/{now['A-2']}.html"
    assert [line for line in (out / "_redirects").read_text("ascii").splitlines()
            if "/victims/" in line] == [
        f"/{code}/victims/{merged_away}.html /{code}/victims/{now['A-2']}.html 301"
        for code in ("fa", "en")]
    # The part split off has a new address naming the page it was split from.
    split_page = (out / "en" / "victims" / f"{split_off}.html").read_text("utf-8")
    assert f'Split from: <a href="{first["A-1"]}.html">' in split_page
    with world.store.reading() as conn:
        key = announced_key(conn)
    assert key is not None and verify(out, key)[0] == []

    # Joined again: a further build keeps every address, the split-off one included,
    # both leading to the one page (whichever of the two IDs linkage kept).
    relink(world.store, {"A-1": "1", "B-1": "1", "A-2": "2", "B-2": "2", "A-3": "2",
                         "B-3": "2"})
    approve(world.store, "tester", all_sources=True)
    build(world.store, "tester", out)
    ends = {_open(out, f"en/victims/{pid}.html") for pid in (split_off, first["A-1"])}
    assert len(ends) == 1 and "Bahram Nemouneh" in ends.pop()[1]


_LIST_REFRESH = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)">')


def _list_pages(out: Path, code: str) -> set[str]:
    return {p.relative_to(out / code).as_posix()
            for folder in ("lists", "missing") for p in (out / code / folder).glob("*.html")
            if p.name != "index.html"}


def test_a_list_page_emptied_by_relinking_leaves_a_redirect_to_the_lists(
        world: World, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(world.store, "tester", out)
    before = _list_pages(out, "en")
    assert before == _list_pages(out, "fa")
    assert {"lists/province-fars.html", "missing/burial_place.html"} <= before

    # Persons 2 and 3 are one: while the changed person waits for review, only person
    # 1 is listed, and every list address published without person 1 leads to the lists.
    relink(world.store, {"A-1": "1", "B-1": "1", "A-2": "2", "B-2": "2", "A-3": "2",
                         "B-3": "2"})
    build(world.store, "tester", out)
    kept = world.persons["A-1"]
    emptied: set[str] = set()
    for code in ("fa", "en"):
        assert _list_pages(out, code) == before  # every one answers
        for rel in before:
            page = (out / code / rel).read_text("utf-8")
            moved = _LIST_REFRESH.search(page)
            if moved is None:
                assert f"../victims/{kept}.html" in page, (code, rel)
                continue
            emptied.add(rel)
            target, _, anchor = moved.group(1).partition("#")
            assert target == "index.html"
            index = (out / code / rel.split("/")[0] / target).read_text("utf-8")
            assert not anchor or f'id="{anchor}"' in index, (code, rel)
            assert '<meta name="robots" content="noindex">' in page
    assert {"lists/province-fars.html", "missing/burial_place.html"} <= emptied
    hosts = (out / "_redirects").read_text("ascii").splitlines()
    assert sorted(hosts) == sorted(
        f"/{code}/{rel} /{code}/{rel.split('/')[0]}/index.html 301"
        for code in ("fa", "en") for rel in emptied)

    # Approved again: the lists the merged person is on are lists again; the letter
    # list of the name that now comes second on its page has nobody and still redirects.
    approve(world.store, "tester", all_sources=True)
    build(world.store, "tester", out)
    with world.store.reading() as conn:
        key = announced_key(conn)
    assert key is not None and verify(out, key)[0] == []
    for code in ("fa", "en"):
        redirecting = {rel for rel in before
                       if _LIST_REFRESH.search((out / code / rel).read_text("utf-8"))}
        assert "lists/province-fars.html" not in redirecting
        assert 'class="names"' in (out / code / "lists/province-fars.html").read_text()
        letters = {rel for rel in redirecting if rel.startswith("lists/alpha-")}
        # One of "K"/"S" and one of "ک"/"ش": the merged person is listed under one name.
        assert len([r for r in letters if r.startswith("lists/alpha-latin-")]) == 1
        assert len([r for r in letters if r.startswith("lists/alpha-fa-")]) == 1
        assert redirecting == letters
