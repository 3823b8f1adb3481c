"""The memorial's pages: Jinja2 templates over a :class:`~dadkhahi.publish.collect.Memorial`.

Everything here is a pure function of the memorial and the build's options: pages are
produced in a fixed order, groups and names are sorted by their text (never by a random
ID), and nothing reads the clock, so the same store state gives the same bytes.

Addresses are stable and carry nothing identifying: ``{lang}/victims/{person ID}.html``,
``{lang}/lists/{kind}-{key}.html``. Persian pages come first (``fa/``, right to left,
Persian digits in prose), English mirror them (``en/``); each names the other with
``hreflang``. Pages need no JavaScript to be read or printed.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import multiprocessing as mp
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, ClassVar
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

import jdatetime
import jinja2
from markupsafe import Markup

from dadkhahi.access.small_counts import SMALL_CELL, is_small, merge_small
from dadkhahi.assets import maps
from dadkhahi.assets.lock import STATIC
from dadkhahi.catalogue import N_
from dadkhahi.facts.figures import PublishedFigure
from dadkhahi.persian.display import (
    GREGORIAN_EN,
    JALALI_EN,
    JALALI_FA,
    date_span,
    jalali,
    persian_digits,
)
from dadkhahi.persian.keys import label_key, label_name
from dadkhahi.persian.lexicon import Namespace
from dadkhahi.persian.normalize import normalize_script, to_ascii_latin
from dadkhahi.publish.collect import ALLOWED, Fact, Memorial, Place, Victim
from dadkhahi.publish.search_index import SearchVictim, search_markup
from dadkhahi.publish.text import LANGUAGE_NAMES, text_dir, translate

LANGUAGES = ("fa", "en")
#: Files the site takes from the assets mechanism: path under ``assets/static`` → in site.
ASSET_FILES = {
    "publish/memorial.css": "assets/memorial.css",
    maps.SCRIPT: "assets/map.js",
    maps.OUTLINES: "assets/world-atlas/outlines.js",
    "vendor/leaflet/leaflet.js": "assets/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css": "assets/leaflet/leaflet.css",
    "vendor/leaflet/LICENSE.txt": "assets/leaflet/LICENSE.txt",
    "vendor/topojson-client/topojson-client.min.js": "assets/topojson-client/topojson-client.js",
    "vendor/topojson-client/LICENSE.txt": "assets/topojson-client/LICENSE.txt",
    "vendor/world-atlas/LICENSE.txt": "assets/world-atlas/LICENSE.txt",
    "vendor/vazirmatn/Vazirmatn-Variable.woff2": "assets/vazirmatn/Vazirmatn-Variable.woff2",
    "vendor/vazirmatn/OFL.txt": "assets/vazirmatn/OFL.txt",
    **{f"vendor/@fontsource-variable/noto-sans/{name}": f"assets/noto-sans/{name}"
       for name in ("noto-sans-latin-ext-wght-normal.woff2", "noto-sans-latin-wght-normal.woff2",
                    "OFL.txt")},
}
#: The sitemap index (``Site.sitemap``) and the addresses per sitemap file.
SITEMAP = "sitemap.xml"
SITEMAP_URLS = 50_000
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_XML = '<?xml version="1.0" encoding="UTF-8"?>\n'
#: Folder reserved for the offline search shards (``index/``), built beside the pages.
INDEX_DIR = "index"
#: The public places for the map, as a classic script calling a global callback
#: (``file://`` forbids ``fetch``; :mod:`dadkhahi.assets.maps`).
PLACES_DATA = "data/places.js"
_STATUSES = {"intact": N_("intact"), "damaged": N_("damaged"), "destroyed": N_("destroyed"),
             "built_over": N_("built over"), "unknown": N_("unknown")}
_KINDS = {"prison": N_("Prison"), "burial_site": N_("Burial site")}
#: The map of merged addresses for hosts that redirect (see :meth:`Site.redirect_map`).
REDIRECTS = "_redirects"

LABELS = {
    "name": N_("Names"), "sex": N_("Sex"), "birth_year": N_("Year of birth"),
    "age_at_death": N_("Age"), "city": N_("City"), "province": N_("Province"),
    "affiliation": N_("Affiliation (as claimed)"), "prison": N_("Prison"),
    "death_date": N_("Date of execution"), "burial_place": N_("Burial place"),
}
_MALE, _FEMALE = N_("male"), N_("female")
_SEX = {"male": _MALE, "m": _MALE, "مرد": _MALE, "female": _FEMALE, "f": _FEMALE,
        "زن": _FEMALE}
PERSIAN_ALPHABET = "آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
_ORDER = {ch: i for i, ch in enumerate(PERSIAN_ALPHABET)}


@dataclass(frozen=True)
class Options:
    """How a build looks: its languages, public address and where families write."""

    languages: tuple[str, ...] = LANGUAGES
    base_url: str | None = None
    contact: str | None = None
    #: Also write the printable book of memory (``{lang}/book/*.pdf``).
    book: bool = False


class Lang:
    """One language of the site: text, digits and dates as its readers write them."""

    def __init__(self, code: str) -> None:
        if code not in LANGUAGES:
            raise ValueError(f"the memorial has no language {code!r} (fa, en)")
        self.code = code
        self.dir = "rtl" if code == "fa" else "ltr"
        self.name = LANGUAGE_NAMES[code]

    @property
    def comma(self) -> str:
        """The list separator of prose."""
        return "، " if self.code == "fa" else ", "

    @property
    def semicolon(self) -> str:
        """The separator of alternatives in prose."""
        return "؛ " if self.code == "fa" else "; "

    def t(self, message: str) -> str:
        """Interface text in this language."""
        return translate(self.code, message)

    @property
    def counter_style(self) -> str:
        """The CSS counter style of this language's numbers (a PDF's page numbers)."""
        return "persian" if self.code == "fa" else "decimal"

    def digits(self, text: object) -> str:
        """Digits of prose: Persian on Persian pages."""
        return persian_digits(str(text)) if self.code == "fa" else str(text)

    def num(self, n: int) -> str:
        """A count with grouping (Persian digits and separator on Persian pages)."""
        text = f"{n:,}"
        return persian_digits(text.replace(",", "٬")) if self.code == "fa" else text

    def month(self, year: int, month: int) -> str:
        """A Solar Hijri month (with its Gregorian span on English pages)."""
        if self.code == "fa":
            return persian_digits(f"{JALALI_FA[month - 1]} {year}")
        start = jdatetime.date(year, month, 1)
        first = start.togregorian()
        last = (start + dt.timedelta(days=32)).replace(day=1).togregorian() - dt.timedelta(1)
        return (f"{JALALI_EN[month - 1]} {year} ({first.day} {GREGORIAN_EN[first.month - 1]} "
                f"– {last.day} {GREGORIAN_EN[last.month - 1]} {last.year})")

    def count(self, n: int | None) -> str:
        """A count of people as the public may see it: the small-number rule
        (:mod:`dadkhahi.access.small_counts`) applies to every figure of the site;
        None is a count already suppressed."""
        if n is None or is_small(n):
            return self.t("fewer than {n}").format(n=self.num(SMALL_CELL))
        return self.num(n)

    def figure(self, figure: PublishedFigure) -> str:
        """A count published by others, in this language (its words kept as written)."""
        if figure.at_least is not None and figure.at_most is not None:
            shown = self.t("{low} to {high}").format(low=self.num(figure.at_least),
                                                    high=self.num(figure.at_most))
        elif figure.at_least is not None:
            shown = self.t("more than {n}").format(n=self.num(figure.at_least))
        elif figure.at_most is not None:
            shown = self.t("at most {n}").format(n=self.num(figure.at_most))
        elif figure.approximately is not None:
            shown = self.t("about {n}").format(n=self.num(figure.approximately))
        else:
            shown = f"“{figure.words}”"
        return shown

    def estimate(self, value: float | None) -> str:
        """An estimated count, rounded to a whole person."""
        return "" if value is None else self.num(round(value))

    def when(self, fact: Fact) -> str:
        """A date that may be known to a day, a month, a year or only a span, in both
        calendars as the workspace writes it (:func:`date_span`); a date the sources
        give no bounds for, as written."""
        lo, hi = _iso(fact.earliest), _iso(fact.latest)
        if lo is None and hi is None:
            return self.digits(fact.value)
        return date_span(lo or hi, hi or lo, self.code)

    def value(self, fact: Fact) -> str:
        """One allowed value as shown (dates and sexes in this language)."""
        return _shown(self.code, fact.prop, fact.value, fact.earliest, fact.latest)

    def _value(self, fact: Fact) -> str:
        if fact.prop == "death_date":
            return self.when(fact)
        if fact.prop == "sex":
            known = _SEX.get(fact.value.strip().lower())
            return self.t(known) if known else fact.value
        if fact.prop in ("birth_year", "age_at_death"):
            return self.digits(fact.value)
        return fact.value


@lru_cache(maxsize=262144)
def _shown(code: str, prop: str, value: str, earliest: str | None, latest: str | None) -> str:
    # Sexes, years, places and dates repeat: each distinct value is formatted once.
    return _LANGS[code]._value(Fact(prop, value, earliest, latest, (), ()))


@lru_cache(maxsize=65536)
def _iso(text: str | None) -> dt.date | None:
    return None if not text else dt.date.fromisoformat(text[:10])


@lru_cache(maxsize=65536)
def _label_key(value: str, namespace: Namespace) -> str | None:
    # Names of places repeat across thousands of victims: key each spelling once.
    return label_key(value, namespace)


_LANGS = {code: Lang(code) for code in LANGUAGES}


@dataclass
class Group:
    """One list page: a province, a prison, a month, a letter."""

    kind: str
    key: str
    title: dict[str, str]
    victims: list[Victim] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return f"{self.kind}-{self.key}"


def _slug(key: str) -> str:
    """A file-name-safe, stable key (ASCII keys kept, others hashed)."""
    if re.fullmatch(r"[a-z0-9][a-z0-9-]{0,40}", key):
        return key
    return "k" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def primary_name(victim: Victim, code: str) -> str:
    """The name a page is titled with: its script first, the other as a fallback."""
    first, second = ((victim.names_fa, victim.names_latin) if code == "fa"
                     else (victim.names_latin, victim.names_fa))
    return (first or second or [victim.id])[0]


def _persian_sort_key(name: str) -> tuple[int, ...]:
    return tuple(_ORDER.get(ch, 100 + ord(ch) % 1000) for ch in normalize_script(name))


def _latin_sort_key(name: str) -> str:
    return to_ascii_latin(name).lower()


class Groups:
    """The lists: by province, prison, month of execution, and letter in both scripts."""

    KINDS = ("province", "prison", "date", "alpha-fa", "alpha-latin")
    TITLES: ClassVar[dict[str, str]] = {
        "province": N_("By province"), "prison": N_("By prison"),
        "date": N_("By date of execution"), "alpha-fa": N_("Alphabetical (Persian script)"),
        "alpha-latin": N_("Alphabetical (Latin spellings)")}

    def __init__(self, victims: list[Victim]) -> None:
        self.by_kind: dict[str, dict[str, Group]] = {k: {} for k in self.KINDS}
        for victim in victims:
            for kind in self.KINDS:
                for key, title in self._keys(kind, victim):
                    group = self.by_kind[kind].get(key)
                    if group is None:
                        group = self.by_kind[kind][key] = Group(kind, _slug(key), title)
                    group.victims.append(victim)
        # Each victim's sort keys once (not once per list it is on).
        by_fa = {v.id: (_persian_sort_key(primary_name(v, "fa")), v.id) for v in victims}
        by_latin = {v.id: (_latin_sort_key(primary_name(v, "en")), v.id) for v in victims}
        #: Each victim's sort key in the order of names of each language's pages.
        self.sort_keys: dict[str, dict[str, tuple[Any, str]]] = {"fa": by_fa,
                                                                 "en": by_latin}
        for kind, groups in self.by_kind.items():
            keys = by_latin if kind == "alpha-latin" else by_fa
            for group in groups.values():
                group.victims.sort(key=lambda v: keys[v.id])

    def _keys(self, kind: str, victim: Victim) -> Iterator[tuple[str, dict[str, str]]]:
        if kind in ("province", "prison"):
            seen: set[str] = set()
            for value in victim.values(kind):
                key = _label_key(value, "place") or "unknown"
                if key in seen:
                    continue
                seen.add(key)
                yield key, {
                    "fa": label_name(key, "fa") or value if key != "unknown"
                    else translate("fa", "Unknown"),
                    "en": label_name(key, "en") or value if key != "unknown" else "Unknown"}
        elif kind == "date":
            facts = victim.facts.get("death_date", [])
            months: set[tuple[int, int] | None] = set()
            for fact in facts:
                lo, hi = _iso(fact.earliest), _iso(fact.latest)
                if lo is None and hi is None:
                    continue
                a, b = jalali(lo or hi), jalali(hi or lo)
                months.add((a.year, a.month) if (a.year, a.month) == (b.year, b.month)
                           else None)
            if not facts:
                yield "unknown", {"fa": translate("fa", "Unknown"), "en": "Unknown"}
            for month in sorted(months, key=lambda m: (m is None, m or (0, 0))):
                if month is None:
                    yield "uncertain", {
                        "fa": translate("fa", "Date uncertain (wider than a month)"),
                        "en": "Date uncertain (wider than a month)"}
                else:
                    year, mon = month
                    yield f"{year}-{mon:02d}", {"fa": Lang("fa").month(year, mon),
                                                "en": Lang("en").month(year, mon)}
        elif kind == "alpha-fa":
            if victim.names_fa:
                letter = normalize_script(victim.names_fa[0])[:1]
                yield f"u{ord(letter):04x}", {"fa": letter, "en": letter}
        else:
            if victim.names_latin:
                letter = _latin_sort_key(victim.names_latin[0])[:1]
                letter = letter if "a" <= letter <= "z" else "other"
                yield letter, {"fa": letter.upper(), "en": letter.upper()}

    def ordered(self, kind: str) -> list[Group]:
        """The groups of one kind in reading order."""
        groups = list(self.by_kind[kind].values())
        if kind == "alpha-fa":
            return sorted(groups, key=lambda g: _persian_sort_key(g.title["fa"]))
        if kind == "date":
            return sorted(groups, key=lambda g: (not g.slug[5:6].isdigit(), g.slug))
        if kind == "alpha-latin":
            return sorted(groups, key=lambda g: (g.slug == "alpha-latin-other", g.slug))
        return sorted(groups, key=lambda g: (g.slug.endswith("-unknown"),
                                             unicodedata.normalize("NFC", g.title["en"])))


#: What the "missing information" pages ask families for: property → the properties
#: any of which supplies it (an age at death tells the year of birth well enough).
MISSING: dict[str, tuple[str, ...]] = {
    "death_date": ("death_date",), "burial_place": ("burial_place",),
    "prison": ("prison",), "birth_year": ("birth_year", "age_at_death"),
    "province": ("province", "city"),
}


def missing(victim: Victim) -> list[str]:
    """The details a victim's page lacks (of :data:`MISSING`), from its public facts only."""
    return [prop for prop, any_of in MISSING.items()
            if not any(victim.facts.get(p) for p in any_of)]


@dataclass(frozen=True)
class Book:
    """One printable book: its file, language, heading and entries in its order."""

    path: str
    lang: str
    heading: str
    victims: list[Victim]
    #: The ledger index of the latest event behind its entries (its date: see
    #: :meth:`Site.render_books`).
    changed: int = 0


@dataclass
class Page:
    """One file of the site, before rendering."""

    path: str
    template: str
    context: dict[str, Any]
    lang: str | None = None


class Site:
    """Renders the memorial's files (path → bytes) in a fixed order."""

    def __init__(self, memorial: Memorial, options: Options) -> None:
        self.memorial = memorial
        self.options = options
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("dadkhahi.publish", "templates"),
            autoescape=True, trim_blocks=True, lstrip_blocks=True,
            undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
        self.env.globals.update(facts_in_order=facts_in_order, source_numbers=source_numbers,
                                disagree=disagree, refs=refs,
                                primary_name=primary_name, text_dir=text_dir)

    @cached_property
    def groups(self) -> Groups:
        return Groups(self.memorial.victims)

    def _common(self, lang: Lang, path: str) -> dict[str, Any]:
        depth = path.count("/")
        root = "../" * depth
        alternates = []
        if path.startswith(f"{lang.code}/"):
            rest = path[len(lang.code) + 1:]
            for code in self.options.languages:
                href = f"{code}/{rest}"
                if self.options.base_url:
                    href = self.options.base_url.rstrip("/") + "/" + href
                else:
                    href = root + href
                alternates.append((code, LANGUAGE_NAMES[code], href))
        return {"L": lang, "root": root, "path": path, "alternates": alternates,
                "synthetic": self.memorial.synthetic, "languages": self.options.languages,
                "contact": self.options.contact, "LABELS": LABELS}

    def content_pages(self) -> Iterator[Page]:
        """Every page except "about this copy" (which names the build)."""
        addresses = self.memorial.addresses
        split_from = addresses.split_from
        emptied = self.emptied_pages()
        yield Page("index.html", "root.html", {})
        for code in self.options.languages:
            yield Page(f"{code}/index.html", "home.html",
                       {"count": len(self.memorial.victims)}, code)
            yield Page(f"{code}/how-many.html", "how_many.html", self._how_many(), code)
            yield Page(f"{code}/search.html", "search.html",
                       # search_markup escapes every value it writes into its HTML.
                       {"search": Markup(search_markup(  # noqa: S704
                           code, "../", "victims/{id}.html"))},
                       code)
            yield Page(f"{code}/places.html", "places.html",
                       {"places": self.memorial.places, "statuses": _STATUSES,
                        "kinds": _KINDS}, code)
            yield Page(f"{code}/sources.html", "sources.html",
                       {"sources": sorted(self.memorial.sources.values(),
                                          key=lambda s: (s.title, s.id))}, code)
            kinds = [(kind, Groups.TITLES[kind], self.groups.ordered(kind))
                     for kind in Groups.KINDS]
            yield Page(f"{code}/lists/index.html", "lists.html",
                       {"kinds": kinds, "books": self.book_links()}, code)
            for kind in Groups.KINDS:
                for group in self.groups.ordered(kind):
                    yield Page(f"{code}/lists/{group.slug}.html", "group.html",
                               {"group": group, "kind_title": Groups.TITLES[kind]}, code)
            lacking = self.lacking(code)
            yield Page(f"{code}/missing/index.html", "missing.html",
                       {"lacking": lacking, "prop": None}, code)
            for prop, victims in lacking:
                if not victims:
                    continue
                yield Page(f"{code}/missing/{prop}.html", "missing.html",
                           {"lacking": lacking, "prop": prop, "victims": victims}, code)
            for victim in self.memorial.victims:
                # The page's rows and sources are worked out when it is rendered (in a
                # render process), not here.
                yield Page(f"{code}/victims/{victim.id}.html", "victim.html",
                           {"victim": victim, "title": primary_name(victim, code),
                            "split_from": split_from.get(victim.id, []),
                            "missing": [LABELS[p] for p in missing(victim)]}, code)
            for pid in self.memorial.tombstones:
                yield Page(f"{code}/victims/{pid}.html", "tombstone.html",
                           {"pid": pid, "reviewing": False}, code)
            for pid, target in sorted(addresses.redirects.items()):
                yield Page(f"{code}/victims/{pid}.html", "redirect.html",
                           {"pid": pid, "target": target, "href": f"{target}.html",
                            "canonical": f"{target}.html"}, code)
            for path, (href, title) in emptied.items():
                # A list relinking or review emptied: its address leads to the lists.
                yield Page(f"{code}/{path}", "redirect.html",
                           {"pid": None, "href": href, "canonical": href.split("#")[0],
                            "title": title}, code)
            for pid in addresses.reviewing:
                # Nameless, as a tombstone: the record may come back under another name.
                yield Page(f"{code}/victims/{pid}.html", "tombstone.html",
                           {"pid": pid, "reviewing": True}, code)

    def books(self) -> list[Book]:
        """The printable books of memory, per language: one for all the victims
        (``{lang}/book/all.pdf``) and one per province (``{lang}/book/province-….pdf``),
        one entry per victim with its sources, as regional Books of Memory are made."""
        if not self.options.book:
            return []
        sources = self.memorial.sources
        changed = {v.id: v.changed(sources) for v in self.memorial.victims}

        def latest(victims: list[Victim]) -> int:
            return max((changed[v.id] for v in victims), default=0)

        out = []
        for code in self.options.languages:
            keys = self.groups.sort_keys[code]
            out.append(Book(f"{code}/book/all.pdf", code, translate(code, "All victims"),
                            sorted(self.memorial.victims, key=lambda v: keys[v.id]),
                            latest(self.memorial.victims)))
            for group in self.groups.ordered("province"):
                out.append(Book(f"{code}/book/{group.slug}.pdf", code, group.title[code],
                                sorted(group.victims, key=lambda v: keys[v.id]),
                                latest(group.victims)))
        return out

    def book_parts(self, books: list[Book], dates: Mapping[str, str] | None = None
                   ) -> Iterator[Page]:
        """Each book in parts of :data:`BOOK_PART` entries, a page each (keyed
        ``{book's path}#{part}``); the first opens with the book's cover. ``dates``: a
        book's path → its date (:meth:`render_books`), set in every part's metadata (the
        joined book keeps its first part's)."""
        for book in books:
            for start in range(0, max(len(book.victims), 1), BOOK_PART):
                yield Page(f"{book.path}#{start // BOOK_PART:06d}", "book.html",
                           {"heading": book.heading, "count": len(book.victims),
                            "cover": start == 0, "created": (dates or {}).get(book.path),
                            "victims": book.victims[start:start + BOOK_PART]}, book.lang)

    def render_books(self, when: Callable[[int], str] | None = None) -> dict[str, bytes]:
        """The books' PDFs: their parts laid out on the render processes (a part per
        task); then each book's index of names, which needs the pages the entries fell
        on, laid out the same way; then each book's parts joined and its pages numbered
        (:func:`dadkhahi.pdf.join_pdfs`), a book per task, each font embedded once in it
        from programs made once for all the books (:func:`dadkhahi.pdf.shared_fonts`).

        ``when``: the time of a ledger event by its index (``collect.event_time``): each
        book's creation and modification dates in its metadata are the time of the
        latest event behind its entries (:attr:`Book.changed`), so the same store state
        gives the same bytes, and a book no change touched keeps its date and bytes."""
        from dadkhahi.pdf import anchors, page_count, shared_fonts

        books = self.books()
        dates = {} if when is None else {
            book.path: when(book.changed) for book in books if book.changed}
        parts = self.render_all(self.book_parts(books, dates), chunk=1,
                                tasks_per_process=PARTS_PER_PROCESS)
        mine = {book.path: [key for key in parts if key.partition("#")[0] == book.path]
                for book in books}
        pages: dict[str, dict[str, int]] = {}
        for book in books:
            # The page each entry starts on: its anchor's page in its part, after the
            # pages of the parts before it (numbered from 1).
            found, done = pages.setdefault(book.path, {}), 0
            for key in mine[book.path]:
                found.update({name.removeprefix(ENTRY_ANCHOR): done + page + 1
                              for name, page in anchors(parts[key]).items()
                              if name.startswith(ENTRY_ANCHOR)})
                done += page_count(parts[key])
        index = self.render_all(self.index_parts(books, pages), chunk=1,
                                tasks_per_process=PARTS_PER_PROCESS)
        fonts = shared_fonts([*parts.values(), *index.values()], sorted({
            (_LANGS[book.lang].counter_style, _LANGS[book.lang].dir) for book in books}))
        joins = []
        for book in books:
            lang = _LANGS[book.lang]
            pieces = [parts.pop(key) for key in mine[book.path]] + [
                index.pop(key) for key in list(index) if key.partition("#")[0] == book.path]
            joins.append(_Join(book.path, pieces, lang.counter_style, lang.dir))
        joined = _join_all(joins, fonts)
        return {book.path: joined[book.path] for book in books}

    def name_index(self, book: Book, pages: dict[str, int]
                   ) -> list[tuple[str, list[tuple[str, str]]]]:
        """A book's index of names: per script (its language's first), every name its
        victims are known by with the page their entry starts on (in the book's digits),
        sorted by name as the lists sort them."""
        lang = _LANGS[book.lang]
        fa = sorted(((name, pages[v.id]) for v in book.victims
                     for name in dict.fromkeys(v.names_fa)),
                    key=lambda e: (_persian_sort_key(e[0]), e[0], e[1]))
        latin = sorted(((name, pages[v.id]) for v in book.victims
                        for name in dict.fromkeys(v.names_latin)),
                       key=lambda e: (_latin_sort_key(e[0]), e[0], e[1]))
        sections = [(lang.t(Groups.TITLES["alpha-fa"]), fa),
                    (lang.t(Groups.TITLES["alpha-latin"]), latin)]
        if book.lang != "fa":
            sections.reverse()
        return [(title, [(name, lang.digits(page)) for name, page in lines])
                for title, lines in sections if lines]

    def index_parts(self, books: list[Book], pages: dict[str, dict[str, int]]
                    ) -> Iterator[Page]:
        """Each book's index of names in parts of :data:`INDEX_PART` names, a page each
        (keyed ``{book's path}#index-{part}``); a section's title where it starts."""
        for book in books:
            lines = [(title, n == 0, line)
                     for title, section in self.name_index(book, pages[book.path])
                     for n, line in enumerate(section)]
            for start in range(0, len(lines), INDEX_PART):
                sections: list[tuple[str | None, list[tuple[str, str]]]] = []
                for title, opens, line in lines[start:start + INDEX_PART]:
                    if opens or not sections:
                        sections.append((title if opens else None, []))
                    sections[-1][1].append(line)
                yield Page(f"{book.path}#index-{start // INDEX_PART:06d}", "book_index.html",
                           {"heading": book.heading, "first": start == 0,
                            "sections": sections}, book.lang)

    def book_links(self) -> list[tuple[str, dict[str, str]]]:
        """The books' files (under a language's folder) and their titles, for the lists."""
        if not self.options.book:
            return []
        return [("book/all.pdf", {c: translate(c, "All victims") for c in LANGUAGES})] + [
            (f"book/{g.slug}.pdf", g.title) for g in self.groups.ordered("province")]

    def sitemap(self, paths: Iterable[str]) -> dict[str, bytes]:
        """With a public address (``base_url``), the sitemap protocol's files
        (sitemaps.org), so a search engine finds every victim's page: ``sitemap.xml``,
        an index of ``sitemaps/pages-NNNN.xml`` of at most :data:`SITEMAP_URLS`
        addresses each (the protocol's limit). ``paths``: the site's pages to list (not
        the redirects). Sorted and without dates (a build reads no clock). None without a
        public address: a sitemap's addresses must be absolute."""
        if not self.options.base_url:
            return {}
        base = self.options.base_url.rstrip("/") + "/"
        urls = sorted(xml_escape(base + path) for path in paths)
        files: dict[str, bytes] = {}
        for n, start in enumerate(range(0, len(urls), SITEMAP_URLS), 1):
            lines = "".join(f"<url><loc>{url}</loc></url>\n"
                            for url in urls[start:start + SITEMAP_URLS])
            files[f"sitemaps/pages-{n:04d}.xml"] = (
                f'{_XML}<urlset xmlns="{_SITEMAP_NS}">\n{lines}</urlset>\n').encode()
        parts = "".join(f"<sitemap><loc>{xml_escape(base + path)}</loc></sitemap>\n"
                        for path in files)
        files[SITEMAP] = (f'{_XML}<sitemapindex xmlns="{_SITEMAP_NS}">\n{parts}'
                          "</sitemapindex>\n").encode()
        return files

    def redirect_map(self) -> bytes:
        """The merged addresses for hosts that answer redirects themselves
        (``_redirects``, as Netlify and Cloudflare Pages read it: from, to, 301); the
        redirect pages serve every other host and ``file://``."""
        prefix = ""
        if self.options.base_url:
            prefix = urlsplit(self.options.base_url).path.rstrip("/")
        lines = [f"{prefix}/{code}/victims/{old}.html {prefix}/{code}/victims/{new}.html 301\n"
                 for code in self.options.languages
                 for old, new in sorted(self.memorial.addresses.redirects.items())]
        # Emptied lists lead to their folder's index (the part after "#" is left to the
        # redirect page: hosts' redirect files differ on fragments).
        lines += [f"{prefix}/{code}/{path} {prefix}/{code}/{path.split('/')[0]}/index.html "
                  "301\n"
                  for code in self.options.languages for path in self.emptied_pages()]
        return "".join(lines).encode("ascii")

    def list_pages(self) -> list[str]:
        """This build's list pages, as paths under a language's folder (the same in
        every language): a page per group of :class:`Groups` and per detail missing
        from some victim's page."""
        lacking = {prop for victim in self.memorial.victims for prop in missing(victim)}
        return sorted([f"lists/{group.slug}.html" for kind in Groups.KINDS
                       for group in self.groups.ordered(kind)]
                      + [f"missing/{prop}.html" for prop in MISSING if prop in lacking])

    def emptied_pages(self) -> dict[str, tuple[str, str]]:
        """List pages a recorded build published that this build has not (relinking or
        review left nobody on them) → the address their redirect page leads to (relative
        to it: the lists' index at the list's kind) and that place's title."""
        gone = self.memorial.addresses.pages - set(self.list_pages())
        out: dict[str, tuple[str, str]] = {}
        for path in sorted(gone):
            folder, name = path.split("/", 1)
            kind = next((k for k in Groups.KINDS if name.startswith(f"{k}-")), None)
            if folder == "lists" and kind is not None:
                out[path] = (f"index.html#kind-{kind}", Groups.TITLES[kind])
            elif folder == "missing":
                out[path] = ("index.html", N_("Names missing information"))
        return out

    def lacking(self, code: str) -> list[tuple[str, list[Victim]]]:
        """Per detail of :data:`MISSING`, the victims whose pages lack it, in the order of
        names of ``code``'s pages."""
        keys = self.groups.sort_keys[code]
        found: dict[str, list[Victim]] = {prop: [] for prop in MISSING}
        for victim in sorted(self.memorial.victims, key=lambda v: keys[v.id]):
            for prop in missing(victim):
                found[prop].append(victim)
        return list(found.items())

    def search_victims(self) -> list[SearchVictim]:
        """What the offline search shows of each victim: names, and a short note."""
        out = []
        for victim in self.memorial.victims:
            notes = {}
            for code in self.options.languages:
                lang = Lang(code)
                parts = [lang.value(f) for prop in ("prison", "death_date")
                         for f in victim.facts.get(prop, [])[:1]]
                notes[code] = lang.comma.join(parts)
            out.append(SearchVictim(victim.id, tuple(victim.values("name")), notes))
        return out

    def about_pages(self, about: dict[str, Any]) -> Iterator[Page]:
        """The pages naming this build (sequence, checkpoint, key)."""
        for code in self.options.languages:
            yield Page(f"{code}/about.html", "about.html", about, code)

    def _how_many(self) -> dict[str, Any]:
        table = merge_small((g, len(g.victims)) for g in self.groups.ordered("province"))
        return {"count": len(self.memorial.victims), "by_province": table,
                "figures": self.memorial.figures,
                "sources": self.memorial.sources, "estimate": (
                    self.memorial.estimates[0] if self.memorial.estimates else None),
                "list_titles": self.memorial.list_titles}

    def render(self, page: Page) -> bytes:
        """One page's bytes."""
        template = self.env.get_template(page.template)
        context: dict[str, Any]
        if page.lang is None:
            lang = _LANGS[self.options.languages[0]]
            context = {"root": "", "synthetic": self.memorial.synthetic,
                       "languages": self.options.languages, "L": lang, "alternates": []}
        else:
            lang = _LANGS[page.lang]
            context = self._common(lang, page.path)
        context["_"] = lang.t
        if page.template == "victim.html":
            victim = page.context["victim"]
            context["rows"] = victim_rows(victim, lang)
            context["cited"] = [(n, self.memorial.sources[src])
                                for n, src in enumerate(victim.sources(), 1)]
        if page.template == "book.html":
            return self._book(template, lang, context, page)
        if page.template == "book_index.html":
            from dadkhahi.pdf import html_to_pdf

            return html_to_pdf(
                template.render(**context, **page.context),
                stamp="SYNTHETIC" if self.memorial.synthetic else None,
                title=f"{lang.t('Book of memory')} — {page.context['heading']}", numbers=None)
        return template.render(**context, **page.context).encode("utf-8")

    def _book(self, template: jinja2.Template, lang: Lang, context: dict[str, Any],
              page: Page) -> bytes:
        """A part of a book: its entries (in the book's order) laid out by the one PDF
        mechanism without page numbers, which the joined book gets (same bytes for the
        same memorial)."""
        from dadkhahi.pdf import html_to_pdf

        other = "en" if lang.code == "fa" else "fa"
        entries = []
        for victim in page.context["victims"]:
            title, alt = primary_name(victim, lang.code), primary_name(victim, other)
            entries.append((victim, title, alt if alt != title else None,
                            victim_rows(victim, lang),
                            [(n, self.memorial.sources[src])
                             for n, src in enumerate(victim.sources(), 1)]))
        html = template.render(**context, heading=page.context["heading"],
                               count=page.context["count"], cover=page.context["cover"],
                               entries=entries, anchor=ENTRY_ANCHOR)
        return html_to_pdf(
            html, stamp="SYNTHETIC" if self.memorial.synthetic else None,
            title=f"{lang.t('Book of memory')} — {page.context['heading']}",
            created=page.context.get("created"), numbers=None)

    def render_all(self, pages: Iterator[Page], chunk: int | None = None,
                   tasks_per_process: int | None = None) -> dict[str, bytes]:
        """Render pages in order into path → bytes, on :func:`render_workers` processes.

        Each page is a pure function of the memorial and its own context, so the bytes
        do not depend on which process renders it; the results are put back in page
        order. ``chunk``: pages per task (:data:`RENDER_CHUNK`; a book part is one).
        ``tasks_per_process``: a render process ends after that many tasks and a fresh
        one is forked in its place (:data:`PARTS_PER_PROCESS`; None: they last)."""
        todo = list(pages)
        size = chunk or RENDER_CHUNK
        workers = min(render_workers(), len(todo) // size)
        if workers < 2 or "fork" not in mp.get_all_start_methods():
            return {page.path: self.render(page) for page in todo}
        global _FORKED
        # Forked workers inherit the site and its pages: only (start, end) and the
        # bytes cross between processes, never the memorial.
        _FORKED = (self, todo)
        try:
            if tasks_per_process is not None:
                # Each fresh render process would import WeasyPrint and decode the
                # fonts again: done once here, before the forks, and shared with them.
                from dadkhahi.pdf import prepare

                prepare()
            with _forked_pool(workers, tasks_per_process) as pool:
                chunks = [(i, min(i + size, len(todo)))
                          for i in range(0, len(todo), size)]
                out: dict[str, bytes] = {}
                for rendered in pool.imap(_render_chunk, chunks):
                    out.update(rendered)
        finally:
            _FORKED = None
        return out


#: Pages per task of the render processes (and the fewest pages worth a second one).
RENDER_CHUNK = 400
#: Entries per part of a book. WeasyPrint keeps a document's whole layout in memory until
#: it is written, about 2 MiB an A4 page (stop 24: a book of 8,000 pages would need
#: 16 GiB): each part (about 80 pages) is laid out alone, so a render process holds one
#: part whatever the number of victims, and the parts are joined (``render_books``).
BOOK_PART = 300
#: Book parts a render process lays out before it ends and a fresh one is forked from
#: the build in its place. A render process grew by about 2.5 MiB a part of its own
#: memory, on and on (stop 30: the whole tree from 1,398 MiB after one part to 1,794 MiB
#: at 110 of ~430, on course past 2 GiB): pages of Python's object allocator (arenas)
#: left partly used by what a layout keeps, and pages of the build's objects copied on
#: reading them (a reference count is a write). A fresh process starts from the build's
#: pages, shared, again; the cost is its start (~0.1 s with WeasyPrint imported and the
#: fonts decoded before the fork) against ~13 s of CPU a part.
#: ``benchmarks/publish/render_growth.py`` measures both.
PARTS_PER_PROCESS = 8
#: Names per part of a book's index of names (about 25 pages in two columns).
INDEX_PART = 3000
#: The prefix of an entry's anchor in a book (``id="v-{person ID}"``): the index finds
#: the page each entry starts on by it.
ENTRY_ANCHOR = "v-"
_FORKED: tuple[Site, list[Page]] | None = None


@contextmanager
def _forked_pool(workers: int, tasks_per_process: int | None = None) -> Iterator[Any]:
    """A pool of ``workers`` processes forked from this one, with every object this
    process holds frozen out of their cyclic garbage collector (``gc.freeze``). A full
    collection in a render process would otherwise pass over every object of the build
    (the memorial, the pages rendered so far) and write into each one's header, copying
    every memory page holding one into the render process instead of sharing it with the
    build (copy-on-write); the joins collect after each part. This process unfreezes its
    own once the pool has forked. A process that froze its own objects already (a
    server, ``http.serving.served``, building on its jobs thread) keeps them frozen and
    the build's are not frozen: unfreezing would hand the server's start-up objects back
    to its collector (a full pass over them stalled every request), and leaving the
    build's frozen would keep its cyclic garbage for good.

    ``tasks_per_process``: each process ends after that many tasks and the pool forks a
    fresh one in its place (``maxtasksperchild``), later, from this process unfrozen: so
    each process also freezes what it was forked with as it starts (the pool's
    initializer: ``gc.freeze`` moves the generations' lists whole, writing no object's
    header). Only what the processes were given before they were forked is theirs: a
    caller that lets go of it after the fork (``_join_all``) must not recycle them.

    A pool whose work is done is closed and joined, so its processes end normally and
    run their exit finalizers (a PDF's font configuration removes its temporary folder:
    :func:`dadkhahi.pdf._font_config`); on an error it is terminated."""
    frozen_before = gc.get_freeze_count() > 0
    if not frozen_before:
        gc.freeze()
    try:
        pool = mp.get_context("fork").Pool(workers, initializer=gc.freeze,
                                           maxtasksperchild=tasks_per_process)
    finally:
        if not frozen_before:
            gc.unfreeze()
    with pool:
        yield pool
        pool.close()
        pool.join()


def render_workers() -> int:
    """Processes that render pages: ``DADKHAHI_PUBLISH_WORKERS``, else the CPUs this
    process may use."""
    wanted = os.environ.get("DADKHAHI_PUBLISH_WORKERS", "").strip()
    if wanted:
        return max(1, int(wanted))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


@dataclass
class _Join:
    """A book to join: its parts in order and how its pages are numbered."""

    path: str
    parts: list[bytes]
    numbers: str
    direction: str


_JOINS: tuple[list[_Join], dict[str, bytes]] | None = None


def _join_all(joins: list[_Join], fonts: dict[str, bytes]) -> dict[str, bytes]:
    """Each book's parts joined (path → PDF), a book per task on :func:`render_workers`
    processes, the largest first. A join holds one part at a time in pypdf's objects
    (:func:`dadkhahi.pdf.join_pdfs`) and the joined file's bytes; this process hands the
    parts over by forking and lets go of its own, and holds only the joined files."""
    from dadkhahi.pdf import join_pdfs

    workers = min(render_workers(), len(joins))
    if workers < 2 or "fork" not in mp.get_all_start_methods():
        return {j.path: join_pdfs(j.parts, numbers=j.numbers, direction=j.direction,
                                  fonts=fonts) for j in joins}
    global _JOINS
    order = sorted(range(len(joins)), key=lambda i: (-sum(map(len, joins[i].parts)), i))
    _JOINS = (joins, fonts)
    try:
        with _forked_pool(workers) as pool:
            # The workers have their copy (forked): the parts can go from this one.
            _JOINS = None
            for join in joins:
                join.parts.clear()
            return dict(pool.imap_unordered(_join_task, order))
    finally:
        _JOINS = None


def _join_task(number: int) -> tuple[str, bytes]:
    from dadkhahi.pdf import join_pdfs

    assert _JOINS is not None  # set by _join_all before the pool forks
    joins, fonts = _JOINS
    join = joins[number]
    return join.path, join_pdfs(join.parts, numbers=join.numbers,
                                direction=join.direction, fonts=fonts)


def _render_chunk(span: tuple[int, int]) -> list[tuple[str, bytes]]:
    assert _FORKED is not None  # set by render_all before the pool forks
    site, pages = _FORKED
    return [(page.path, site.render(page)) for page in pages[span[0]:span[1]]]


def asset_files() -> dict[str, bytes]:
    """The stylesheet, the vendored font and the map's scripts and outlines, from the
    assets mechanism."""
    return {site_path: (STATIC / static_path).read_bytes()
            for static_path, site_path in sorted(ASSET_FILES.items())}


def places_script(places: list[Place]) -> bytes:
    """The public places for the map, as the map script reads them (names in both
    scripts; the memorial has no page per place, so its map links nowhere)."""
    return maps.places_script([
        {"id": p.id, "name": p.name if not p.name_fa else f"{p.name_fa} / {p.name}",
         "lat": round(p.latitude, 5), "lon": round(p.longitude, 5), "status": p.status}
        for p in places])


@dataclass(frozen=True)
class Row:
    """One field of a victim's page as shown: label, whether sources disagree, values."""

    label: str
    disagree: bool
    #: (value shown, dates as written, source numbers as shown) per distinct value.
    values: list[tuple[str, list[str], list[tuple[int, str]]]]


def victim_rows(victim: Victim, lang: Lang) -> list[Row]:
    """A victim's fields in one language, ready for the template (no logic left there)."""
    numbers = source_numbers(victim)
    rows = []
    for prop, facts in facts_in_order(victim):
        values = []
        for fact in facts:
            texts = list(fact.texts) if prop == "death_date" else []
            values.append((lang.value(fact), texts,
                           [(n, lang.digits(n)) for n in refs(fact, numbers)]))
        rows.append(Row(lang.t(LABELS[prop]), disagree(prop, facts), values))
    return rows


def facts_in_order(victim: Victim) -> list[tuple[str, list[Fact]]]:
    """The victim's facts by allowed property, in the order pages show them."""
    return [(prop, victim.facts[prop]) for prop in ALLOWED if victim.facts.get(prop)]


def disagree(prop: str, facts: list[Fact]) -> bool:
    """Whether the sources disagree (a place spelt in two scripts is one place)."""
    if prop in ("city", "province", "prison", "burial_place"):
        return len({_label_key(f.value, "place") or f.value for f in facts}) > 1
    if prop == "affiliation":
        return len({_label_key(f.value, "org") or f.value for f in facts}) > 1
    return prop != "name" and len(facts) > 1


def refs(fact: Fact, numbers: dict[str, int]) -> list[int]:
    """The numbers of a fact's sources on its page, in order."""
    return sorted(numbers[src] for src in fact.sources)


def source_numbers(victim: Victim) -> dict[str, int]:
    """Source ID → its number on the victim's page (first cited, first numbered)."""
    return {src: n for n, src in enumerate(victim.sources(), 1)}


__all__ = ["LANGUAGES", "Lang", "Options", "Site", "asset_files", "primary_name"]
