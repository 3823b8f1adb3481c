"""The memorial's offline search: index files, the JavaScript keying, and search from
file:// and over a static web server.

SYNTHETIC victims only (names drawn from the project's name table). The browser tests run
Debian's Chromium through Playwright (one browser for the module) on pages opened from
``file://``, where fetch, ES modules and WebAssembly are blocked, and from a plain static
server (the standard library's), as any host or mirror serves the site.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from static_server import served

from dadkhahi.domain.errors import ValidationError
from dadkhahi.persian import name_keys
from dadkhahi.publish.search_index import (
    FOLDER,
    SHARD_BYTES,
    SearchVictim,
    search_markup,
    victim_keys,
    write_search,
)
from dadkhahi.search.persons import key_strings

# The web tests' browser helpers (and the API world they import).
for _helpers in ("api", "web"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / _helpers))
from browser import Watch, chromium  # noqa: E402

LANGUAGES = ("fa", "en")
# Spellings a list may hold: titles, ZWNJ or spaces in compounds, Arabic ي/ك, detached
# surname endings, -ollah/-eddin apart, diacritics and apostrophes, unknown names,
# "Family, Given", digits, hyphens and tatweel.
EXTRA = [
    "سید غلام‌رضا حسین‌زاده", "Seyed Gholam Reza Hosseini Zadeh", "Hosseinzadeh, Gholamreza",
    "علي كريمي", "عبد الحسین", "Abd ol Hossein", "Abdol-Hossein Sa'idi", "ʿAbbās Ṭāherī",
    "Ja'far Mir Hosseini", "Fatemeh Sadat Hosseini", "Mirhasan Zarei", "سیدعلی موسوی",
    "Zari'i", "Ruhollah Haj Aghaei", "روح الله", "Izzat Ullah", "Jalal ed Din Farsi",
    "Hossein Zadeh", "Mahmoudzadeh", "کامرانی", "Ghasem Qasemi", "Xavier Dschafari",
    "Nasser  Tchahardehi", "ناصر\u200c\u200cچهاردهی", "Behrouz-e Kh.", "Mohammad-Reza",
    "محمدرضا ۱۳۶۷", "Sayyid Ahmad-Ali", "Zadih", "Hajieh Khanom Ashrafi", "Seyyedeh",
    "پروانه", "ﻣﺤﻤﺪ", "مـحـمـد", "Amir-Hossein Nik-Nam", "Noor-ud-Din", "Mehdi Bazargan",
    "Constructor Prototype", "__proto__ hasOwnProperty", "Kh", "h", "Ali 2nd", "آقای علی",
]


def _table_spellings() -> list[str]:
    text = resources.files("dadkhahi.persian").joinpath("data/names.csv").read_text("utf-8")
    out: list[str] = []
    for row in csv.DictReader(io.StringIO(text)):
        for cell in (row["fa"], row["latin"]):
            out += [p.strip() for p in cell.split("|") if p.strip()]
    return out


def _synthetic_victims(n: int, seed: int = 7) -> list[SearchVictim]:
    """SYNTHETIC victims: a given and a family name from the table, in both scripts."""
    text = resources.files("dadkhahi.persian").joinpath("data/names.csv").read_text("utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["fa"] and r["latin"]]
    given = [r for r in rows if r["kind"] == "given"]
    family = [r for r in rows if r["kind"] == "family"]
    rng = random.Random(seed)
    victims = []
    for i in range(n):
        g, f = rng.choice(given), rng.choice(family)
        fa = f"{g['fa'].split('|')[0]} {f['fa'].split('|')[0]}"
        latin = f"{rng.choice(g['latin'].split('|'))} {rng.choice(f['latin'].split('|'))}"
        victims.append(SearchVictim(f"per_syn{i:05d}", (fa, latin),
                                    {"en": "SYNTHETIC", "fa": "ساختگی"}))
    return victims


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


def _site(root: Path, victims: list[SearchVictim]) -> Path:
    write_search(root, victims, LANGUAGES)
    for lang in LANGUAGES:
        (root / lang).mkdir(exist_ok=True)
        (root / lang / "search.html").write_text(
            f'<!doctype html><html lang="{lang}" dir="{"rtl" if lang == "fa" else "ltr"}">'
            f'<head><meta charset="utf-8"><title>search</title></head><body>'
            f'{search_markup(lang)}</body></html>', "utf-8")
    return root


def test_the_javascript_keys_every_spelling_as_python_does(
        browser: Any, tmp_path: Path) -> None:
    site = _site(tmp_path, _synthetic_victims(3))
    spellings = sorted(set(_table_spellings() + EXTRA))
    # Two-word names built from the table too (parsing decides given/family, suffixes).
    rng = random.Random(1)
    table = _table_spellings()
    spellings += [f"{rng.choice(table)} {rng.choice(table)}" for _ in range(400)]
    page = browser.new_page()
    watch = Watch("file://")
    watch.attach(page)
    page.goto((site / "fa" / "search.html").as_uri())
    page.add_script_tag(path=str(site / FOLDER / "lexicon.js"))
    got = page.evaluate(
        """(names) => names.map((n) => [
             dadkhahiSearch.keyStrings(dadkhahiSearch.nameKeys(n, false)),
             dadkhahiSearch.keyStrings(dadkhahiSearch.nameKeys(n, true))])""", spellings)
    page.close()
    wrong = []
    for spelling, (free, family) in zip(spellings, got, strict=True):
        for as_family, js in ((False, free), (True, family)):
            py = [[part, key] for part, key in key_strings(name_keys(spelling, family=as_family))]
            if py != js:
                wrong.append((spelling, as_family, py, js))
    assert not watch.console, watch.console
    assert len(spellings) > 1500
    assert not wrong, wrong[:5]


def _query(browser: Any, base: str, lang: str, text: str) -> list[tuple[str, str]]:
    page = browser.new_page()
    watch = Watch(base)
    watch.attach(page)
    page.goto(f"{base}{lang}/search.html")
    page.fill("#search-q", text)
    page.click("button[type=submit]")
    page.wait_for_function(
        "() => /\\S/.test(document.querySelector('[data-search-status]').textContent)"
        " && !/…/.test(document.querySelector('[data-search-status]').textContent)")
    links = page.eval_on_selector_all(
        "[data-search-results] a", "els => els.map(a => [a.getAttribute('href'), a.textContent])")
    status = page.text_content("[data-search-status]")
    page.close()
    assert not watch.elsewhere, watch.elsewhere
    assert not watch.console, watch.console
    return [(href, name) for href, name in links] + [("status", status or "")]


@pytest.mark.parametrize("how", ["file", "http"])
def test_a_victim_is_found_by_persian_script_and_by_a_latin_spelling(
        browser: Any, tmp_path: Path, how: str) -> None:
    victims = [*_synthetic_victims(200),
               SearchVictim("per_target", ("غلام‌رضا حسین‌زاده", "Gholamreza Hosseinzadeh"),
                            {"en": "Tehran, 1988 (SYNTHETIC)", "fa": "تهران، ۱۳۶۷ (ساختگی)"}),
               SearchVictim("per_other", ("ناصر چهاردهی",))]
    with served(_site(tmp_path, victims), how) as site:
        _found_by_both_scripts(browser, site)


def _found_by_both_scripts(browser: Any, site: str) -> None:
    # Persian script, written with a space and Arabic yeh instead of ZWNJ and Persian yeh.
    fa = _query(browser, site, "fa", "غلامرضا حسين زاده")
    assert fa[0][0] == "victims/per_target.html", fa
    assert fa[0][1] == "غلام‌رضا حسین‌زاده"
    assert re.search("[۰-۹]", fa[-1][1]), fa[-1]  # counts in Persian digits
    # A Latin spelling the site never saw, on the English page.
    en = _query(browser, site, "en", "Seyed Gholam Reza Hoseinzade")
    assert en[0][0] == "victims/per_target.html", en
    assert en[0][1] == "Gholamreza Hosseinzadeh"
    # A victim published in Persian script only is found by a Latin spelling.
    latin = _query(browser, site, "en", "Naser Chahardehi")
    assert latin[0][0] == "victims/per_other.html", latin
    # Nothing found says so.
    assert _query(browser, site, "en", "Qqqq Xxxx")[-1][1] == "No victim found under this name."


def test_the_files_are_the_same_for_the_same_victims_and_keys_reach_their_shard(
        tmp_path: Path) -> None:
    victims = _synthetic_victims(1500)
    one = write_search(tmp_path / "a", victims, LANGUAGES)
    two = write_search(tmp_path / "b", list(reversed(victims)), LANGUAGES)
    assert one == two
    for name in one.files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    folder = tmp_path / "a" / FOLDER
    manifest = json.loads(re.fullmatch(r"dadkhahiShards\((.*)\);\n",
                                       (folder / "shards.js").read_text("utf-8"))[1])
    shards: dict[str, dict[str, list[int]]] = {}
    for file in set(manifest["files"].values()):
        text = (folder / file).read_text("utf-8")
        name, postings = json.loads("[" + text[len("dadkhahiIndex("):-3] + "]")
        assert name == file
        shards[file] = postings
        # A shard is small unless it holds one key only (a very common name).
        assert len(text.encode()) <= SHARD_BYTES + 200 or len(postings) == 1, file
    everything = {k for v in victims for k in victim_keys(v.names)}
    assert sum(len(p) for p in shards.values()) == len(everything) == one.keys
    for key in everything:
        # search.js: the longest prefix of the key that has a shard.
        prefix = next(key[:n] for n in range(len(key), manifest["min"] - 1, -1)
                      if key[:n] in manifest["files"])
        assert key in shards[manifest["files"][prefix]]
    # No file name carries a name: hex prefixes and numbers only.
    assert all(re.fullmatch(r"index/(k-[0-9a-f]+|p-\d+|lexicon|shards|search)\.js", f)
               for f in one.files)


def test_a_victim_appears_once_in_a_keys_list_and_in_the_people_files(tmp_path: Path) -> None:
    victim = SearchVictim("per_x", ("حسین رضایی", "Hossein Rezaei", "Hosein Rezayi"))
    write_search(tmp_path, [victim], LANGUAGES)
    people = (tmp_path / FOLDER / "p-0.js").read_text("utf-8")
    assert people == 'dadkhahiPeople("p-0.js",0,[["per_x","حسین رضایی","Hossein Rezaei",{}]]);\n'
    assert victim_keys(victim.names).count("c:hossein") == 1


def test_bad_input_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="languages"):
        write_search(tmp_path, _synthetic_victims(2), ["de"])
    with pytest.raises(ValidationError, match="without an ID"):
        write_search(tmp_path, [SearchVictim("", ("Ali",))], ["en"])
    assert not (tmp_path / FOLDER).exists()
