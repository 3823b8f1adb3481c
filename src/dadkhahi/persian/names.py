"""Parse a person's name as written in a list into given name, family name and titles.

Lists write the same name many ways: ``"Seyed Gholam Reza Hosseini Zadeh"``,
``"Hosseinzadeh, Gholamreza"``, ``"سید غلام‌رضا حسین‌زاده"``. Parsing removes titles,
re-attaches surname endings written apart (``Zadeh``, ``پور``), ``-ollah``/``-eddin``
written apart, and decides which words are the given name using the curated table
(:mod:`dadkhahi.persian.lexicon`): the given name is the longest run of known given
names at the start, keeping at least one word for the family name. A comma means
``"Family, Given"``; two words in the order known-surname, known-given are swapped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dadkhahi.persian.lexicon import GIVEN_KINDS, fold, has_persian_letters, lexicon
from dadkhahi.persian.normalize import ZWNJ, normalize_script

_SEPARATORS = re.compile(r"([\s\u200c\-\u2010-\u2015_/\\.,;:()\[\]{}\"«»+|*]+)")
_GLUE = frozenset("\u200c-\u2010\u2011")

# Honorifics, religious and military titles, "martyr": not part of the name.
_TITLE_SPELLINGS = (
    "Seyed Seyyed Sayyed Sayed Syed Sayyid Seyyid Siyyid Siyid Sayid Seyid Seied Seyd Seyedeh "
    "Seyyedeh Sayyedeh Seyyede Seyede Sayyede Siyyida Sayyida Siyidih Siyyidih Sayyidih Seyyedih "
    "Sejjed Sejed Sejjid Sejjede Sejede Sejjeda Siyyidah Siyidah Sayyidah Sayidah "
    "Sadat Sadaat Mir Haj Hajj Haji Hajji Hadj Hadji Hajieh Hajiyeh Sheikh Shaikh Sheykh "
    "Shaykh Sheik Mirza Molla Mulla Mullah Mollah Agha Aqa Khanom Khanum Khanoum Beygom "
    "Begum Dr Doctor Mr Mrs Ms Miss Eng Mohandes Ostad Mashhadi Mashti Karbalaei Karbalai "
    "Hojjatoleslam Hojatoleslam Ayatollah Shahid Sardar Sartip Sarhang Sargord Sotvan Sarvan "
    "سید سیده سادات میر حاج حاجی حاجیه شیخ میرزا ملا آقا خانم بیگم دکتر مهندس استاد مشهدی "
    "کربلایی کربلائی حجت‌الاسلام آیت‌الله شهید سردار سرتیپ سرهنگ سرگرد ستوان سروان"
)
TITLES = frozenset(fold(t) for t in _TITLE_SPELLINGS.split())
# Honorifics that sit after the given name ("Fatemeh Sadat Hosseini").
_INNER_TITLE_SPELLINGS = "Sadat Sadaat Beygom Begum Khanom Khanum سادات بیگم خانم"
_INNER_TITLES = frozenset(fold(t) for t in _INNER_TITLE_SPELLINGS.split())
# Arabic article written apart: "Abd al Hossein", "Jalal ed Din".
_ARTICLE_SPELLINGS = "al ol ul el ed od ud ad ar or ur os oz on ot osh"
_ARTICLES = frozenset(_ARTICLE_SPELLINGS.split())
# Surname endings that some lists write as a separate word.
_DETACHED_SUFFIXES = frozenset(
    {"zadeh", "pour", "nejad", "zadegan", "nia", "loo", "far", "fard", "rad", "vand", "kia"}
    | {"manesh", "bakhsh", "doust", "panah", "khah", "khani", "abadi"}
)
_MIR = frozenset({fold("Mir"), fold("میر")})
# Titles some lists write glued to the given name.
_GLUED_TITLE_SPELLINGS = (
    "Seyed Seyyed Sayyed Sayed Sayyid Seyyid Siyyid Sayid Seyedeh Seyyedeh Siyidih Mir Haj Hajj "
    "Sejjed Sejed Sejjede Sejede Siyyidah Siyidah Sayyidah "
    "سید سیده میر حاج"
)
_GLUED_TITLES = frozenset(fold(t) for t in _GLUED_TITLE_SPELLINGS.split())


@dataclass(frozen=True)
class ParsedName:
    """A name split into given and family parts; ``titles`` lists what was removed."""

    given: str | None
    family: str | None
    titles: tuple[str, ...] = ()


def _join(left: str, right: str) -> str:
    if has_persian_letters(left) or has_persian_letters(right):
        return left + ZWNJ + right
    return left + right.lower()


def name_tokens(text: str, *, join_all_suffixes: bool = False) -> list[str]:
    """Split a name into words, re-attaching pieces that lists write apart.

    ``-ollah``/``-eddin`` join the word before; Arabic articles join ``Abd`` before
    them or the word after them; surname endings (``Zadeh``, ``Pour``, ``زاده``…) join
    the word before when they were written glued to it by ZWNJ or a hyphen
    (``حسین‌زاده``, ``Hossein-zadeh``), when at least one other word remains, or always
    with ``join_all_suffixes`` (text known to be a family name). Other pieces glued by
    ZWNJ or a hyphen stay one word (``Mohammad-Reza``, ``غلام‌رضا``).
    """
    pieces = _SEPARATORS.split(normalize_script(text))
    # A word after ZWNJ or a hyphen alone was written as part of the word before it.
    glued = [False] + [set(sep) <= _GLUE for sep in pieces[1::2]]
    lex = lexicon()
    out: list[str] = []
    pending_article = ""
    for token, glued_to_previous in zip(pieces[::2], glued, strict=True):
        if not token:
            continue
        folded = fold(token)
        if pending_article:
            token, pending_article = pending_article + token, ""
            folded = fold(token)
        if not has_persian_letters(token) and folded in _ARTICLES:
            if out and fold(out[-1]) in ("abd", "abu", "abo"):
                out[-1] += token.lower()
            else:
                pending_article = token
            continue
        if out and fold(out[-1]) in ("عبد", "ابو") and token.startswith("ال") and len(token) > 2:
            out[-1] += token  # عبد الحسین, ابو القاسم are the words عبدالحسین, ابوالقاسم
            continue
        entry_id = lex.lookup(token)
        if out and entry_id is not None and lex.kind(entry_id) == "particle":
            out[-1] = _join(out[-1], token)
            continue
        suffix = lex.suffix_id(token)
        joins = join_all_suffixes or glued_to_previous or len(out) >= 2
        if out and suffix in _DETACHED_SUFFIXES and joins:
            out[-1] = _join(out[-1], token)
            continue
        if out and glued_to_previous:
            # Written as one word ("Mohammad-Reza", "غلام‌رضا"): keep it one word.
            glue = ZWNJ if has_persian_letters(out[-1] + token) else "-"
            out[-1] = out[-1] + glue + token
            continue
        out.append(token)
    if pending_article:
        out.append(pending_article)
    return out


def _glued_title(word: str) -> tuple[str, str] | None:
    """Split a title written glued to a known given name (``Mirhasan``, ``سیدعلی``)."""
    for cut in range(2, len(word) - 1):
        head, rest = word[:cut].rstrip("-\u200c"), word[cut:].lstrip("-\u200c")
        if fold(head) in _GLUED_TITLES and _is_given(rest):
            return head, rest[:1].upper() + rest[1:] if head[:1].isupper() else rest
    return None


def strip_titles(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Remove leading titles and inner honorifics, never the last remaining word."""
    words = list(tokens)
    titles: list[str] = []
    while words:
        if len(words) > 1 and fold(words[0]) in TITLES:
            titles.append(words.pop(0))
        elif (glued := _glued_title(words[0])) is not None:
            titles.append(glued[0])
            words[0] = glued[1]
        else:
            break
    kept: list[str] = []
    for i, word in enumerate(words):
        inner = 0 < i < len(words) - 1 and len(words) > 2 and fold(word) in _INNER_TITLES
        (titles if inner else kept).append(word)
    return kept, titles


def name_rules() -> dict[str, list[str]]:
    """The word sets parsing uses (folded titles, inner and glued titles, articles,
    detachable surname endings), as data for a port of the parser (the memorial's
    offline search keys typed names in the browser exactly as this module does)."""
    return {
        "titles": sorted(TITLES),
        "innerTitles": sorted(_INNER_TITLES),
        "gluedTitles": sorted(_GLUED_TITLES),
        "articles": sorted(_ARTICLES),
        "detached": sorted(_DETACHED_SUFFIXES),
    }


def _is_given(token: str) -> bool:
    lex = lexicon()
    ids = lex.resolve(token)
    return ids is not None and all(lex.kind(i) in GIVEN_KINDS | {"particle"} for i in ids)


def _is_family_only(token: str) -> bool:
    lex = lexicon()
    ids = lex.resolve(token)
    return ids is not None and len(ids) == 1 and lex.kind(ids[0]) == "family"


def _family_words(tokens: list[str]) -> list[str]:
    # "Mir Hosseini" in the family position is the surname Mirhosseini.
    if len(tokens) > 1 and fold(tokens[0]) in _MIR:
        return [_join(tokens[0], tokens[1]), *tokens[2:]]
    return tokens


def _split_words(tokens: list[str]) -> tuple[list[str], list[str]]:
    if not tokens:
        return [], []
    if len(tokens) == 1:
        return (tokens, []) if _is_given(tokens[0]) else ([], tokens)
    if _is_family_only(tokens[0]) and all(_is_given(t) for t in tokens[1:]):
        return tokens[1:], tokens[:1]
    given = 1
    while given < len(tokens) - 1 and _is_given(tokens[given]):
        given += 1
    if not _is_given(tokens[0]):
        given = 1
    return tokens[:given], _family_words(tokens[given:])


def _text(words: list[str]) -> str | None:
    return " ".join(words) if words else None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = normalize_script(value)
    return value or None


def parse_name(full: str | None, given: str | None = None, family: str | None = None) -> ParsedName:
    """Split a name into given name, family name and removed titles.

    With ``given``/``family`` columns, each is cleaned (titles removed, detached
    surname endings joined); a missing one is taken from ``full`` when there is one.
    Otherwise ``full`` is split: ``"Family, Given"`` when it has a comma, else the
    leading known given names (at least one word) are the given name.
    """
    full, given, family = _clean(full), _clean(given), _clean(family)
    if given is not None or family is not None:
        g_words, g_titles = strip_titles(name_tokens(given or ""))
        f_words, f_titles = strip_titles(name_tokens(family or "", join_all_suffixes=True))
        titles = g_titles + f_titles
        if full is not None and (given is None or family is None):
            from_full = parse_name(full)
            titles += from_full.titles
            if given is None and from_full.given is not None:
                g_words = from_full.given.split(" ")
            if family is None and from_full.family is not None:
                f_words = from_full.family.split(" ")
        return ParsedName(
            _text(g_words), _text(_family_words(f_words)), tuple(dict.fromkeys(titles))
        )
    if full is None:
        return ParsedName(None, None)
    if "," in full:
        family_part, given_part = (p.strip() for p in full.split(",", 1))
        if family_part and given_part:
            return parse_name(None, given_part, family_part)
        full = family_part or given_part
    words, titles = strip_titles(name_tokens(full))
    g_words, f_words = _split_words(words)
    return ParsedName(_text(g_words), _text(f_words), tuple(titles))
