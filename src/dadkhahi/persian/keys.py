"""Comparison keys that match a name across Persian script and Latin spellings.

``name_keys`` turns a name into parts (titles removed, compounds split: ``Gholamreza``
and ``غلام‌رضا`` are both ``gholam`` + ``reza``) and gives each part

* its canonical id from the curated table when known (``Hussein``, ``Hosein``,
  ``حسین`` → ``hossein``),
* its consonant skeleton (:mod:`dadkhahi.persian.skeleton`); a known part takes the
  skeleton of its reference Persian spelling, so every spelling of it agrees,
* an ASCII phonetic form: the canonical id, else the folded Latin spelling, else a
  letter-by-letter transliteration of the Persian.

All keys are ASCII, so byte-counting string functions (DuckDB's ``levenshtein`` and
``jaro_winkler``) measure them correctly.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import Indel

from dadkhahi.persian.lexicon import Namespace, fold, has_persian_letters, lexicon
from dadkhahi.persian.names import name_rules, name_tokens, strip_titles
from dadkhahi.persian.normalize import ZWNJ, normalize_script
from dadkhahi.persian.skeleton import skeleton

# Rough transliteration for Persian words missing from the table (phonetic key only).
_TRANSLIT = str.maketrans(
    {
        "ا": "a", "آ": "a", "ب": "b", "پ": "p", "ت": "t", "ث": "s", "ج": "j", "چ": "ch",
        "ح": "h", "خ": "kh", "د": "d", "ذ": "z", "ر": "r", "ز": "z", "ژ": "zh", "س": "s",
        "ش": "sh", "ص": "s", "ض": "z", "ط": "t", "ظ": "z", "ع": "", "غ": "gh", "ف": "f",
        "ق": "gh", "ک": "k", "گ": "g", "ل": "l", "م": "m", "ن": "n", "و": "u", "ه": "h",
        "ی": "i", "ئ": "", "ء": "", "ؤ": "u",
    }
)  # fmt: skip


@dataclass(frozen=True)
class NameKeys:
    """Comparison keys of one name, part by part (see module docstring)."""

    canonical: tuple[str | None, ...]
    skeletons: tuple[str, ...]
    phonetic: tuple[str, ...]

    @property
    def canonical_key(self) -> str | None:
        """Space-joined canonical ids when every part is known, else None."""
        if not self.canonical or any(c is None for c in self.canonical):
            return None
        return " ".join(c for c in self.canonical if c is not None)

    @property
    def skeleton(self) -> str:
        """All part skeletons run together (robust to word splits: Abdol Hossein)."""
        return "".join(self.skeletons)

    @property
    def sorted_skeleton(self) -> str:
        """Part skeletons sorted and space-joined, for order-free matching."""
        return " ".join(sorted(self.skeletons))

    @property
    def ascii(self) -> str:
        """Space-joined phonetic forms."""
        return " ".join(self.phonetic)

    def __bool__(self) -> bool:
        return bool(self.skeletons)


@lru_cache(maxsize=100_000)
def _id_skeleton(name_id: str) -> str:
    lex = lexicon()
    reference = lex.persian(name_id)
    if reference is None:
        entry = lex.entries.get(name_id)
        reference = entry.latin[0] if entry is not None and entry.latin else name_id
    return skeleton(reference)


def keying_data() -> dict[str, Any]:
    """Everything :func:`name_keys` looks up, as plain data, for a port of it (the
    memorial's offline search, ``assets/static/publish/search.js``): the lexicon's name
    index (:meth:`~dadkhahi.persian.lexicon.Lexicon.as_data`), the skeleton each listed
    id stands for, and the parser's word sets (:func:`~dadkhahi.persian.names.name_rules`).
    """
    data = lexicon().as_data()
    data["sk"] = {name_id: _id_skeleton(name_id) for name_id in data["kind"]}
    data.update(name_rules())
    return data


def _unknown_phonetic(word: str) -> str:
    if has_persian_letters(word):
        return "".join(c for c in normalize_script(word).translate(_TRANSLIT) if c.isascii())
    return fold(word)


def _pieces(text: str, family: bool) -> list[str]:
    """The words of a name without titles; an unknown hyphenated or ZWNJ-joined word
    in its pieces."""
    words, _ = strip_titles(name_tokens(text, join_all_suffixes=family))
    lex = lexicon()
    pieces: list[str] = []
    for word in words:
        if lex.resolve(word) is None and ("-" in word or ZWNJ in word):
            pieces += [p for p in re.split(f"[-{ZWNJ}]", word) if p]
        else:
            pieces.append(word)
    return pieces


@lru_cache(maxsize=100_000)
def corrected_key(text: str | None) -> str | None:
    """The canonical key of a given name read through one-letter slips, else None.

    Each word the table does not know is read as the one given name a slip away
    (:meth:`~dadkhahi.persian.lexicon.Lexicon.near`: ``Mohamma Ali`` →
    ``mohammad ali``, ``زضا`` → ``reza``); None when some word stays unknown. A name
    whose words are all known keeps its canonical key: a known name is never read as
    another known name (Hassan/Hossein are different people).
    """
    if not text:
        return None
    lex = lexicon()
    ids: list[str] = []
    for word in _pieces(text, False):
        known = lex.resolve(word)
        if known is not None:
            ids += known
            continue
        if not skeleton(word):
            continue  # nothing of a name in it (name_keys skips it too)
        near = lex.near(word)
        if near is None:
            return None
        ids.append(near)
    return " ".join(ids) or None


@lru_cache(maxsize=500_000)
def name_keys(text: str | None, *, family: bool = False) -> NameKeys:
    """Comparison keys of a name (any script). Empty keys for ``None`` or blank text.

    ``family=True`` says the text is a family name, so an ending written apart always
    joins the word before (``Hossein Zadeh`` is ``Hosseinzadeh``); in free text it
    joins only when another word remains.
    """
    if not text:
        return NameKeys((), (), ())
    lex = lexicon()
    canonical: list[str | None] = []
    skeletons: list[str] = []
    phonetic: list[str] = []
    for word in _pieces(text, family):
        ids = lex.resolve(word)
        if ids is None:
            word_skeleton = skeleton(word)
            if not word_skeleton:
                continue
            canonical.append(None)
            skeletons.append(word_skeleton)
            phonetic.append(_unknown_phonetic(word))
            continue
        for name_id in ids:
            canonical.append(name_id)
            skeletons.append(_id_skeleton(name_id))
            phonetic.append(name_id)
    return NameKeys(tuple(canonical), tuple(skeletons), tuple(phonetic))


@lru_cache(maxsize=100_000)
def label_key(text: str | None, namespace: Namespace = "place") -> str | None:
    """One key for a place or organisation name in any script.

    The canonical id when the table knows the name (``Rajaei Shahr`` and
    ``گوهردشت`` are both ``gohardasht``), else ``~`` + the skeleton of its words.
    Generic words (prison, province, party, organisation…) are ignored; "unknown"
    in any of its forms is None.
    """
    if not text:
        return None
    if fold(text) in _UNKNOWN:
        return None
    all_words = name_tokens(text)
    words = [w for w in all_words if fold(w) not in _GENERIC_WORDS]
    lex = lexicon()
    # Distinctive words first ("Tabriz Central Prison" is Tabriz, not Markazi), then
    # all of them ("Rajaei Shahr" holds the generic word "shahr").
    for candidate in (words, all_words):
        for start, stop in _spans(len(candidate)):
            found = lex.lookup("".join(candidate[start:stop]), namespace)
            if found is not None:
                return found
    if not words:
        return None
    return "~" + "".join(skeleton(w) for w in words)


def label_name(key: str | None, language: str = "en") -> str | None:
    """How a user reads a key of :func:`label_key`: the table's Persian spelling
    (``language="fa"``) or its first Latin one; None when the table does not know it
    (keys starting with ``~`` are skeletons, not names: callers show what was written).
    """
    if not key or key.startswith("~"):
        return None
    entry = lexicon().entries.get(key)
    if entry is None:
        return None
    spellings = entry.persian if language == "fa" else entry.latin
    return spellings[0] if spellings else None


def _spans(n: int) -> list[tuple[int, int]]:
    # Longest spans first: "Masjed Soleyman" before "Masjed".
    return sorted(itertools.combinations(range(n + 1), 2), key=lambda s: (s[0] - s[1], s[0]))


_GENERIC_SPELLINGS = (
    "prison zendan city shahrestan ostan province county the of sazman organization central "
    "markazi مرکزی "
    "organisation hezb party khalq iran supporter sympathiser sympathizer member "
    "زندان شهر شهرستان استان سازمان حزب خلق ایران هوادار عضو"
)
_GENERIC_WORDS = frozenset(fold(w) for w in _GENERIC_SPELLINGS.split())
_UNKNOWN_SPELLINGS = ("unknown", "not known", "n/a", "na", "none", "nil", "?", "-", "نامعلوم",
                      "نامشخص", "معلوم نیست", "نا معلوم", "مجهول")  # fmt: skip
_UNKNOWN = frozenset(fold(w) for w in _UNKNOWN_SPELLINGS) | {""}


def part_similarity(a: NameKeys, i: int, b: NameKeys, j: int) -> float:
    """Similarity in [0, 1] of part ``i`` of ``a`` and part ``j`` of ``b`` (see
    :func:`name_similarity`: same canonical id 1.0, different known names at most 0.5,
    else the better of skeleton and phonetic Indel similarity)."""
    ca, cb = a.canonical[i], b.canonical[j]
    skeleton_sim = Indel.normalized_similarity(a.skeletons[i], b.skeletons[j])
    if ca is not None and cb is not None:
        # Two different known names (Hassan/Hossein share a skeleton) are different.
        return 1.0 if ca == cb else 0.5 * skeleton_sim
    return max(skeleton_sim, Indel.normalized_similarity(a.phonetic[i], b.phonetic[j]))


def name_similarity(a: str | NameKeys | None, b: str | NameKeys | None) -> float:
    """Similarity in [0, 1] of two names in any scripts, order-free over their parts.

    Parts are matched one-to-one to maximise agreement (same canonical id 1.0;
    different known names at most 0.5; otherwise the better of skeleton and phonetic
    Indel similarity); the total is Dice-normalised over both part counts. Unless both
    names are fully known and differ, the run-together skeletons are also compared, so
    word splits (``Abdol Hossein``/``Abdolhossein``) do not cost anything.
    """
    ka = a if isinstance(a, NameKeys) else name_keys(a)
    kb = b if isinstance(b, NameKeys) else name_keys(b)
    if not ka or not kb:
        return 0.0
    na, nb = len(ka.skeletons), len(kb.skeletons)
    if na > nb:
        ka, kb, na, nb = kb, ka, nb, na
    matrix = [[part_similarity(ka, i, kb, j) for j in range(nb)] for i in range(na)]
    if nb <= 6:
        best = max(
            sum(matrix[i][j] for i, j in enumerate(perm))
            for perm in itertools.permutations(range(nb), na)
        )
    else:  # long strings of words: greedy is enough and bounded
        best = sum(max(row) for row in matrix)
    score = 2 * best / (na + nb)
    both_known = ka.canonical_key is not None and kb.canonical_key is not None
    if not both_known:
        score = max(score, Indel.normalized_similarity(ka.skeleton, kb.skeleton))
    return min(1.0, score)
