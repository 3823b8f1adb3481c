"""Consonant skeletons shared by Persian script and Latin transliterations.

Persian script writes consonants and long vowels but not short vowels; Latin
spellings write every vowel, differently in every list. What survives both is the
sequence of consonants, up to letters that sound alike to a Persian speaker. A
skeleton is that sequence, one ASCII character per class:

====  ===================  =============================
code  Persian               Latin
====  ===================  =============================
b     ب                     b
p     پ                     p
t     ت ط                   t
s     ث س ص                 s
j     ج ژ                   j, dj, zh, dsch
C     چ                     ch, tch
h     ح ه                   h
X     خ                     kh, x
d     د                     d
z     ذ ز ض ظ               z
r     ر                     r
S     ش                     sh, sch
G     غ ق                   gh, q
f     ف                     f, ph
k     ک                     k, c, ck
g     گ                     g
l m n ل م ن                 l m n
====  ===================  =============================

Dropped on both sides because the scripts disagree on them: vowels (Latin) and the
long-vowel letters ا آ و ی (Persian), the semivowels v/w/y (Persian و and ی are both
vowel and consonant), and ayn/hamza (ع ء ئ ؤ, Latin apostrophes). Two endings are
kept because they tell common names apart (Ahmad/Ahmadi, Hossein/Hosseini): a word
ending in ی (Latin -i, -y, -ee, -ie, -ye) gets a final ``y``. A final ه/ح (Latin h not
part of a digraph) is dropped, since Persian writes a silent final ه that Latin lists
write as -eh, -e or -a. Runs of one class collapse (Abbas, Hassan, shadda).
Arabic-style digraphs th/dh are read as t+h and d+h (Fathollah, Adham), as Persian
romanisation writes ث and ذ as s and z.

Hand-written because no library maps Persian script and Latin spellings to one key.
"""

from __future__ import annotations

import re
from functools import lru_cache

from dadkhahi.persian.normalize import normalize_script, to_ascii_latin

_PERSIAN_CLASS = {
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ط": "t",
    "ث": "s",
    "س": "s",
    "ص": "s",
    "ج": "j",
    "ژ": "j",
    "چ": "C",
    "ح": "h",
    "ه": "h",
    "خ": "X",
    "د": "d",
    "ذ": "z",
    "ز": "z",
    "ض": "z",
    "ظ": "z",
    "ر": "r",
    "ش": "S",
    "غ": "G",
    "ق": "G",
    "ف": "f",
    "ک": "k",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
}

# Longest first so that "tch" wins over "ch" and "sch" over "sh".
_LATIN_UNITS = [
    ("dsch", "j"),
    ("tch", "C"),
    ("sch", "S"),
    ("kh", "X"),
    ("gh", "G"),
    ("sh", "S"),
    ("ch", "C"),
    ("zh", "j"),
    ("dj", "j"),
    ("ph", "f"),
    ("ck", "k"),
    ("b", "b"),
    ("p", "p"),
    ("t", "t"),
    ("s", "s"),
    ("j", "j"),
    ("h", "h"),
    ("x", "X"),
    ("d", "d"),
    ("z", "z"),
    ("r", "r"),
    ("q", "G"),
    ("f", "f"),
    ("k", "k"),
    ("c", "k"),
    ("g", "g"),
    ("l", "l"),
    ("m", "m"),
    ("n", "n"),
]
_LATIN_UNIT = re.compile("|".join(u for u, _ in _LATIN_UNITS))
_LATIN_CODE = dict(_LATIN_UNITS)
_LATIN_FINAL_H = re.compile(r"(?<![kgsczdtp])h$")
_LATIN_FINAL_I = re.compile(r"(?:[iy]|ee|[iy]e)$")
_PERSIAN_LETTERS = re.compile("[\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc\u0622]")
_RUNS = re.compile(r"(.)\1+")


def _collapse(codes: str) -> str:
    return _RUNS.sub(r"\1", codes)


@lru_cache(maxsize=200_000)
def persian_skeleton(word: str) -> str:
    """Skeleton of one Persian-script word (spaces and ZWNJ are ignored)."""
    letters = "".join(_PERSIAN_LETTERS.findall(normalize_script(word)))
    if letters.endswith(("ه", "ح")) and len(letters) > 1:
        letters = letters[:-1]
    final_i = letters.endswith("ی") and len(letters) > 1
    codes = "".join(_PERSIAN_CLASS.get(c, "") for c in letters)
    return _collapse(codes + ("y" if final_i else ""))


@lru_cache(maxsize=200_000)
def latin_skeleton(word: str) -> str:
    """Skeleton of one Latin-script word (non-letters are ignored)."""
    letters = re.sub("[^a-z]", "", to_ascii_latin(word).lower())
    # "-ih" after a consonant is the silent final ه in older romanisations (Zadih).
    silent_ih = len(letters) > 2 and letters.endswith("ih") and letters[-3] not in "iye"
    if len(letters) > 1:
        letters = _LATIN_FINAL_H.sub("", letters)
    final_i = len(letters) > 1 and not silent_ih and _LATIN_FINAL_I.search(letters) is not None
    codes = "".join(_LATIN_CODE[m] for m in _LATIN_UNIT.findall(letters))
    return _collapse(codes + ("y" if final_i else ""))


def skeleton(word: str) -> str:
    """Skeleton of one word in either script (Persian if it holds any Persian letter)."""
    if _PERSIAN_LETTERS.search(word):
        return persian_skeleton(word)
    return latin_skeleton(word)


# Letters that romanisations confuse with each other (French/German ch, sch, kh;
# gh/g/k/q; German s for z; Turkish t for d): one class each in the coarse key.
# j is dropped: German and Dutch lists write the semivowel y as j (Marjam).
_COARSE = str.maketrans({"C": "S", "X": "S", "G": "k", "g": "k", "z": "s", "d": "t", "j": None})


def coarse_skeleton(skeleton_key: str) -> str:
    """A skeleton with easily confused classes merged, for high-recall blocking."""
    return _collapse(skeleton_key.translate(_COARSE))
