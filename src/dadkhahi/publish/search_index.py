"""Search without a server: the memorial's name index, written as classic script files.

A visitor types a name in Persian script or in any Latin spelling and finds the victim,
from a web host or from ``file://`` (a USB stick in a country whose internet is cut).
Chromium lets a ``file://`` page load neither ``fetch`` nor ES modules nor WebAssembly,
so every data file here is a classic ``<script>`` that calls a global callback when it
loads, and ``search.js`` (``assets/static/publish/search.js``) adds them on demand:

* ``lexicon.js`` → ``dadkhahiLexicon(data)``: the name table and parser word sets
  (:func:`dadkhahi.persian.keys.keying_data`), so the browser keys the typed query as
  :func:`dadkhahi.persian.name_keys` does (the keying is ported in ``search.js``; a test
  runs it in Chromium against Python on a table of spellings);
* ``shards.js`` → ``dadkhahiShards(...)``: which key prefix lives in which shard file;
* ``k-<hex prefix>.js`` → ``dadkhahiIndex(file, {key: [victim numbers as gaps]})``: the
  keys of :func:`dadkhahi.search.persons.key_strings`, the same the one person search
  stores in ``name_keys``, sharded by prefix (a prefix is split until its shard is under
  :data:`SHARD_BYTES`), so one query loads a handful of small files;
* ``p-<n>.js`` → ``dadkhahiPeople(file, first, rows)``: victims in chunks of
  :data:`CHUNK`, numbered in name order so one name's victims share chunks.

Ranking is the person search's first stage: query parts matched (a whole-name match
counts as all of them), then victim order. Only what the site generator hands over
(published names and a short note) goes into the files; file names carry hex key
prefixes, never a name.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from dadkhahi.assets import STATIC
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.files import private_dir, write_private_text
from dadkhahi.persian import is_persian_script, name_keys
from dadkhahi.persian.keys import keying_data
from dadkhahi.search.persons import key_strings, record_name

#: Folder of the site the search files go to.
FOLDER = "index"
#: Largest shard (bytes, as written) before its prefix is split further.
SHARD_BYTES = 12_000
#: Victims per people file.
CHUNK = 32
#: Shortest shard prefix: the key's kind (``c``, ``s``, ``p``, ``w``), ``:`` and a letter.
MIN_PREFIX = 3
ENGINE = STATIC / "publish" / "search.js"

_MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "label": "Search for a name",
        "hint": "In Persian script or any Latin spelling.",
        "button": "Search",
        "empty": "",
        "busy": "Searching…",
        "none": "No victim found under this name.",
        "found": "{n} found.",
        "more": "{n} found; the closest are shown.",
        "error": "The search index could not be loaded.",
        "nojs": "Search needs JavaScript; the alphabetical lists work without it.",
    },
    "fa": {
        "label": "جست‌وجوی نام",
        "hint": "به خط فارسی یا با هر املای لاتین.",
        "button": "جست‌وجو",
        "empty": "",
        "busy": "در حال جست‌وجو…",
        "none": "قربانی‌ای با این نام یافت نشد.",
        "found": "{n} نتیجه.",
        "more": "{n} نتیجه؛ نزدیک‌ترین‌ها نشان داده شده‌اند.",
        "error": "نمایهٔ جست‌وجو بار نشد.",
        "nojs": "جست‌وجو به جاوااسکریپت نیاز دارد؛ فهرست‌های الفبایی بدون آن کار می‌کنند.",
    },
}


@dataclass(frozen=True)
class SearchVictim:
    """A published victim as the search needs it.

    ``names``: every published spelling (Persian script and Latin), as the sources
    write them; ``notes``: a short line per language shown beside a hit (city, date).
    """

    id: str
    names: tuple[str, ...]
    notes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchFiles:
    """What :func:`write_search` wrote: paths relative to the site's root, sorted."""

    files: tuple[str, ...]
    victims: int
    keys: int
    shards: int


def write_search(out_dir: Path, victims: Iterable[SearchVictim],
                 languages: Sequence[str]) -> SearchFiles:
    """Write the search engine and its index under ``out_dir/index/``.

    The same victims give byte-identical files (sorted, no clock). Each page that
    offers search embeds :func:`search_markup`. Raises :class:`ValidationError` for a
    language without messages or a victim without an ID.
    """
    for language in languages:
        if language not in _MESSAGES:
            raise ValidationError(f"languages: no search messages for {language!r}")
    rows = sorted(_rows(victims, languages), key=lambda r: r[0])
    postings: dict[str, list[int]] = defaultdict(list)
    for number, (_, _, keys) in enumerate(rows):
        for key in keys:
            postings[key].append(number)
    files: dict[str, str] = {"lexicon.js": _call("dadkhahiLexicon", keying_data())}
    manifest: dict[str, str] = {}
    for prefix, keys in _shards(postings):
        name = f"k-{prefix.encode('utf-8').hex()}.js"
        manifest[prefix] = name
        files[name] = _call("dadkhahiIndex", name, {k: _gaps(postings[k]) for k in keys})
    for first in range(0, len(rows), CHUNK):
        name = f"p-{first // CHUNK}.js"
        files[name] = _call("dadkhahiPeople", name, first,
                            [row for _, row, _ in rows[first:first + CHUNK]])
    files["shards.js"] = _call("dadkhahiShards", {"chunk": CHUNK, "min": MIN_PREFIX,
                                                  "files": manifest, "victims": len(rows)})
    folder = private_dir(out_dir / FOLDER)
    for name, text in files.items():
        write_private_text(folder / name, text)
    shutil.copyfile(ENGINE, folder / "search.js")
    written = sorted(f"{FOLDER}/{name}" for name in [*files, "search.js"])
    return SearchFiles(tuple(written), len(rows), len(postings), len(manifest))


def search_markup(language: str, root: str = "../", page: str = "victims/{id}.html") -> str:
    """The search box for a page in ``language``: a form, a live status line and the
    results list, plus the engine's ``<script>`` tag. ``root`` leads from the page to
    the site's root; ``page`` is the victim page's address from the page (``{id}``).
    Without JavaScript the box stays hidden and a note says where the lists are.
    """
    if language not in _MESSAGES:
        raise ValidationError(f"language: no search messages for {language!r}")
    m = _MESSAGES[language]
    data = " ".join(f'data-msg-{k}="{escape(v)}"' for k, v in sorted(m.items())
                    if k in ("empty", "busy", "none", "found", "more", "error"))
    index = escape(f"{root}{FOLDER}/")
    return (
        f'<div class="search" data-dadkhahi-search hidden data-lang="{language}" '
        f'data-index="{index}" data-page="{escape(page)}" {data}>\n'
        f'<form role="search"><label for="search-q">{escape(m["label"])}</label> '
        f'<input id="search-q" type="search" name="q" autocomplete="off" dir="auto" '
        f'aria-describedby="search-hint"> <button type="submit">{escape(m["button"])}'
        f'</button><p id="search-hint">{escape(m["hint"])}</p></form>\n'
        f'<p data-search-status role="status" aria-live="polite"></p>\n'
        f'<ol data-search-results></ol>\n</div>\n'
        f'<p data-search-nojs>{escape(m["nojs"])}</p>\n'
        f'<script src="{index}search.js"></script>\n'
    )


def victim_keys(names: Iterable[str]) -> list[str]:
    """The index keys of a victim's names: :func:`dadkhahi.search.persons.key_strings`
    of each spelling, as the person search stores them in ``name_keys``, deduplicated."""
    keys: dict[str, None] = {}
    for spelling in names:
        _, parsed = record_name({"full_name": spelling})
        keys.update(dict.fromkeys(k for _, k in key_strings(parsed)))
    return list(keys)


def _rows(victims: Iterable[SearchVictim], languages: Sequence[str]
          ) -> list[tuple[tuple[str, ...], list[Any], list[str]]]:
    """(order, shown row, keys) per victim; order is by name, then ID, so the numbering
    is the same in every build of the same victims."""
    out: list[tuple[tuple[str, ...], list[Any], list[str]]] = []
    for victim in victims:
        if not victim.id:
            raise ValidationError("victims: a victim without an ID")
        names = [n.strip() for n in victim.names if n and n.strip()]
        persian = next((n for n in names if is_persian_script(n)), "")
        latin = next((n for n in names if not is_persian_script(n)), "")
        notes = {lang: victim.notes[lang] for lang in languages if victim.notes.get(lang)}
        shown: list[Any] = [victim.id, persian, latin, notes]
        whole = name_keys(latin or persian).skeleton
        out.append(((whole, latin, persian, victim.id), shown, victim_keys(names)))
    return out


def _shards(postings: Mapping[str, list[int]]) -> list[tuple[str, list[str]]]:
    """Keys grouped by prefix; a prefix whose shard is too big is split one letter
    further (keys equal to the prefix stay in its own shard)."""
    size = {k: len(_json(k)) + len(_json(_gaps(v))) + 2 for k, v in postings.items()}

    def split(prefix: str, keys: list[str]) -> list[tuple[str, list[str]]]:
        if sum(size[k] for k in keys) <= SHARD_BYTES or all(len(k) <= len(prefix)
                                                              for k in keys):
            return [(prefix, keys)]
        own = [k for k in keys if len(k) <= len(prefix)]
        children: dict[str, list[str]] = defaultdict(list)
        for k in keys:
            if len(k) > len(prefix):
                children[k[:len(prefix) + 1]].append(k)
        out = [(prefix, own)] if own else []
        for child in sorted(children):
            out += split(child, children[child])
        return out

    top: dict[str, list[str]] = defaultdict(list)
    for key in sorted(postings):
        top[key[:MIN_PREFIX]].append(key)
    return [shard for prefix in sorted(top) for shard in split(prefix, top[prefix])]


def _gaps(numbers: list[int]) -> list[int]:
    return [n - (numbers[i - 1] if i else 0) for i, n in enumerate(numbers)]


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    # U+2028/2029 end a line in older JavaScript; escaped they are the same string.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _call(function: str, *args: Any) -> str:
    return f"{function}({','.join(_json(a) for a in args)});\n"


__all__ = [
    "CHUNK",
    "FOLDER",
    "SHARD_BYTES",
    "SearchFiles",
    "SearchVictim",
    "search_markup",
    "victim_keys",
    "write_search",
]
