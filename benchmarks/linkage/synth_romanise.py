"""Romanisers for the SYNTHETIC list generator: transcription -> Latin spellings.

Each system models how one community of writers spells Persian names in Latin
letters, with the variation real lists show (Mohammad/Mohammed/Mohamad,
Hossein/Hosein/Hosseyn, Gholamreza/Gholam Reza/Gholam-Reza, kh/x/ch, gh/q).
Written for the benchmark only, independently of `dadkhahi.persian`; hand-written
because no library produces the *spread* of real-world spellings (libraries
give one canonical romanisation, real lists give many).

The input is the transcription of `synth_names` (see its docstring).  A system
is a list of context rules (regular expressions tried in order at each
position), a per-letter table, the odds of writing a doubled consonant twice,
and the odds of each joiner for compound parts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

Options = tuple[tuple[str, float], ...]

VOWELS = "aeoāīūiu"
_V = f"[{VOWELS}]"
# Letters that may be doubled (gemination is written with a shadda in script).
_CONSONANTS = "bptṯjčḥxdḏrzžsšṣżṭẓġfqkglmnvhy"


def _o(*pairs: tuple[str, float]) -> Options:
    return tuple(pairs)


@dataclass(frozen=True)
class System:
    """One romanisation convention with its internal variation."""

    name: str
    letters: dict[str, Options]
    rules: tuple[tuple[str, Options], ...] = ()
    double_geminate: float = 0.8
    given_joiners: Options = (("", 0.4), (" ", 0.3), ("-", 0.3))
    family_joiners: Options = (("", 0.8), ("-", 0.1), (" ", 0.1))
    cap_after_hyphen: float = 0.75
    last_pronunciation: float = 0.25
    ascii_fold: bool = False
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        alternatives = [f"(?P<r{i}>{rx})" for i, (rx, _) in enumerate(self.rules)]
        alternatives.append(f"(?P<gem>(?P<gc>[{_CONSONANTS}])(?P=gc))")
        alternatives.append(r"(?P<join>\+)")
        alternatives.append(r"(?P<ch>.)")
        object.__setattr__(self, "_pattern", re.compile("|".join(alternatives), re.S))

    @property
    def pattern(self) -> re.Pattern[str]:
        return self._pattern


def _choose(options: Options, rng: np.random.Generator) -> str:
    if len(options) == 1:
        return options[0][0]
    u = rng.random() * sum(w for _, w in options)
    for text, weight in options:
        u -= weight
        if u <= 0:
            return text
    return options[-1][0]


_MARKS = "ʻʼʿʾ'"


def _capitalise(word: str) -> str:
    for i, c in enumerate(word):
        if c.isalpha() and c not in _MARKS:
            return word[:i] + c.upper() + word[i + 1 :]
    return word


_FOLD_MARKS = str.maketrans({"ʻ": "'", "ʼ": "'", "ʿ": "'", "ʾ": "'"})


def fold_diacritics(text: str) -> str:
    """Strip accents as a typist without the special letters would (ā -> a, ṣ -> s)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_MARKS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def romanise(
    transcription: str, system: System, rng: np.random.Generator, *, family: bool = False
) -> str:
    """One Latin spelling of a transcribed name, drawn from the system's variation."""
    forms = transcription.split("|")
    if len(forms) > 1 and rng.random() < system.last_pronunciation:
        text = forms[-1]
    else:
        text = forms[0] if len(forms) == 1 or rng.random() < 0.8 else forms[-1]
    joiners = system.family_joiners if family else system.given_joiners
    parts: list[str] = []
    seps: list[str] = []
    out: list[str] = []
    pos = 0
    pattern = system.pattern
    n_rules = len(system.rules)
    while pos < len(text):
        m = pattern.match(text, pos)
        assert m is not None  # the last alternative matches any character
        kind = m.lastgroup
        if kind == "join":
            parts.append("".join(out))
            seps.append(_choose(joiners, rng))
            out = []
        elif kind == "gem":
            letter = _choose(system.letters.get(m["gc"], ((m["gc"], 1.0),)), rng)
            double = len(letter) == 1 and rng.random() < system.double_geminate
            out.append(letter * 2 if double else letter)
        elif kind == "ch":
            c = m["ch"]
            out.append(_choose(system.letters.get(c, ((c, 1.0),)), rng))
        else:
            index = int(kind[1:]) if kind else n_rules
            out.append(_choose(system.rules[index][1], rng))
        pos = m.end()
    parts.append("".join(out))
    result = _capitalise(parts[0])
    for sep, part in zip(seps, parts[1:], strict=True):
        if sep == " " or (sep == "-" and rng.random() < system.cap_after_hyphen):
            part = _capitalise(part)
        result += sep + part
    if system.ascii_fold:
        result = fold_diacritics(result)
    return result


def variant_table(
    transcriptions: list[str], system: System, n_variants: int, seed: int, *, family: bool
) -> np.ndarray:
    """(len(transcriptions), n_variants) object array of independent spellings."""
    rng = np.random.default_rng(seed)
    table = np.empty((len(transcriptions), n_variants), dtype=object)
    for i, t in enumerate(transcriptions):
        for j in range(n_variants):
            table[i, j] = romanise(t, system, rng, family=family)
    return table


# Context rules shared by most systems.
_FINAL_E = r"e(?=\+|$)"  # silent final -eh
_DIPH_EY = rf"ey(?!{_V}|y)"
_DIPH_OW = rf"ow(?!{_V})"
_INTERVOCALIC_S = rf"(?<={_V})s(?=[ʿʾ]?{_V})"
_HIATUS_I = rf"(?<={_V})[ʿʾ]ī"  # Saʿīd, Rezāʾī, Esmāʿīl
_AMMAD = r"ammad"
_INITIAL_AYN = r"(?<![^+])[ʿʾ]"  # word- or part-initial ʿ is not written (Ali, Abbas)
_IYA = r"iyā"

_PLAIN = {c: ((c, 1.0),) for c in "abdefghijklmnoprstuvyz"}

COLLOQUIAL = System(
    name="colloquial",
    letters={
        **_PLAIN,
        "ā": _o(("a", 1.0)),
        "ī": _o(("i", 0.9), ("ee", 0.1)),
        "ū": _o(("ou", 0.55), ("u", 0.25), ("oo", 0.2)),
        "ṭ": _o(("t", 1.0)), "ṯ": _o(("s", 1.0)), "ḥ": _o(("h", 1.0)),
        "x": _o(("kh", 1.0)), "ḏ": _o(("z", 1.0)), "ž": _o(("zh", 0.6), ("j", 0.4)),
        "š": _o(("sh", 1.0)), "č": _o(("ch", 1.0)), "ṣ": _o(("s", 1.0)),
        "ż": _o(("z", 1.0)), "ẓ": _o(("z", 1.0)), "ġ": _o(("gh", 1.0)),
        "q": _o(("gh", 0.8), ("q", 0.2)),
        "ʿ": _o(("", 0.85), ("'", 0.15)), "ʾ": _o(("", 0.6), ("'", 0.2), ("e", 0.2)),
    },
    rules=(
        (_INITIAL_AYN, _o(("", 1.0))),
        (r"ī(?=\+|$)", _o(("i", 0.95), ("ee", 0.05))),
        (_AMMAD, _o(("ammad", 0.65), ("ammed", 0.15), ("amad", 0.2))),
        (_HIATUS_I, _o(("ei", 0.4), ("ee", 0.25), ("i", 0.25), ("'i", 0.1))),
        (_INTERVOCALIC_S, _o(("ss", 0.45), ("s", 0.55))),
        (_DIPH_EY, _o(("ei", 0.6), ("ey", 0.35), ("ai", 0.05))),
        (_DIPH_OW, _o(("ow", 0.45), ("o", 0.35), ("ou", 0.2))),
        (_FINAL_E, _o(("eh", 0.75), ("e", 0.25))),
        (_IYA, _o(("ia", 0.7), ("iya", 0.3))),
    ),
    double_geminate=0.75,
)

_LOC_LETTERS = {
    **_PLAIN,
    "e": _o(("i", 1.0)), "o": _o(("u", 1.0)),
    "ā": _o(("ā", 1.0)), "ī": _o(("ī", 1.0)), "ū": _o(("ū", 1.0)),
    "ṭ": _o(("ṭ", 1.0)), "ṯ": _o(("s̱", 1.0)), "ḥ": _o(("ḥ", 1.0)),
    "x": _o(("kh", 1.0)), "ḏ": _o(("ẕ", 1.0)), "ž": _o(("zh", 1.0)),
    "š": _o(("sh", 1.0)), "č": _o(("ch", 1.0)), "ṣ": _o(("ṣ", 1.0)),
    "ż": _o(("ż", 1.0)), "ẓ": _o(("ẓ", 1.0)), "ġ": _o(("gh", 1.0)), "q": _o(("q", 1.0)),
    "ʿ": _o(("ʻ", 1.0)), "ʾ": _o(("ʼ", 1.0)),
}
_LOC_RULES = (
    (_DIPH_EY, _o(("ay", 1.0))),
    (_DIPH_OW, _o(("aw", 1.0))),
    (_FINAL_E, _o(("ih", 0.5), ("ah", 0.5))),
)

# Library-of-Congress-like, diacritics kept (Muḥammad ʻAlī, Ḥusaynī).
LOC = System(
    name="loc",
    letters=_LOC_LETTERS,
    rules=_LOC_RULES,
    double_geminate=1.0,
    given_joiners=_o((" ", 0.6), ("-", 0.4)),
    family_joiners=_o(("", 0.7), ("-", 0.3)),
    cap_after_hyphen=0.9,
    last_pronunciation=0.6,
)

# The same, typed without the special letters (Muhammad 'Ali, Husayni).
LOC_ASCII = System(
    name="loc_ascii",
    letters=_LOC_LETTERS,
    rules=_LOC_RULES,
    double_geminate=1.0,
    given_joiners=_o((" ", 0.6), ("-", 0.4)),
    family_joiners=_o(("", 0.7), ("-", 0.3)),
    cap_after_hyphen=0.9,
    last_pronunciation=0.6,
    ascii_fold=True,
)

# UN/UNGEGN-like (2012 Iranian system typed in ASCII): x for kh, q for gh.
UN = System(
    name="un",
    letters={
        **_PLAIN,
        "ā": _o(("a", 1.0)), "ī": _o(("i", 1.0)), "ū": _o(("u", 1.0)),
        "ṭ": _o(("t", 1.0)), "ṯ": _o(("s", 1.0)), "ḥ": _o(("h", 1.0)),
        "x": _o(("x", 1.0)), "ḏ": _o(("z", 1.0)), "ž": _o(("zh", 1.0)),
        "š": _o(("sh", 1.0)), "č": _o(("ch", 1.0)), "ṣ": _o(("s", 1.0)),
        "ż": _o(("z", 1.0)), "ẓ": _o(("z", 1.0)), "ġ": _o(("q", 1.0)), "q": _o(("q", 1.0)),
        "ʿ": _o(("'", 0.7), ("", 0.3)), "ʾ": _o(("'", 0.7), ("", 0.3)),
    },
    rules=(
        (_INITIAL_AYN, _o(("", 0.7), ("'", 0.3))),
        (_DIPH_EY, _o(("ey", 1.0))),
        (_DIPH_OW, _o(("ow", 1.0))),
    ),
    double_geminate=1.0,
    given_joiners=_o(("-", 0.5), ("", 0.3), (" ", 0.2)),
    family_joiners=_o(("", 0.6), ("-", 0.4)),
)

# French-style (Djafar, Chirine, Khosrow, Saïd, Fatémé).
FRENCH = System(
    name="french",
    letters={
        **_PLAIN,
        "e": _o(("e", 0.75), ("é", 0.25)),
        "ā": _o(("a", 0.8), ("â", 0.2)), "ī": _o(("i", 1.0)), "ū": _o(("ou", 1.0)),
        "ṭ": _o(("t", 1.0)), "ṯ": _o(("s", 1.0)), "ḥ": _o(("h", 1.0)),
        "x": _o(("kh", 1.0)), "ḏ": _o(("z", 1.0)), "ž": _o(("j", 1.0)),
        "š": _o(("ch", 1.0)), "č": _o(("tch", 1.0)), "j": _o(("dj", 1.0)),
        "ṣ": _o(("s", 1.0)), "ż": _o(("z", 1.0)), "ẓ": _o(("z", 1.0)),
        "ġ": _o(("gh", 1.0)), "q": _o(("gh", 0.6), ("q", 0.4)),
        "ʿ": _o(("", 0.8), ("'", 0.2)), "ʾ": _o(("", 0.7), ("'", 0.3)),
    },
    rules=(
        (_INITIAL_AYN, _o(("", 1.0))),
        (_AMMAD, _o(("ammad", 0.6), ("ammed", 0.2), ("amad", 0.2))),
        (_HIATUS_I, _o(("ï", 0.4), ("ei", 0.3), ("i", 0.3))),
        (_INTERVOCALIC_S, _o(("ss", 0.85), ("s", 0.15))),
        (r"g(?=[eiī])", _o(("gu", 0.7), ("g", 0.3))),
        (_DIPH_EY, _o(("ei", 0.5), ("ey", 0.5))),
        (_DIPH_OW, _o(("o", 0.5), ("ow", 0.3), ("au", 0.2))),
        (_FINAL_E, _o(("é", 0.4), ("eh", 0.35), ("e", 0.25))),
        (_IYA, _o(("ia", 0.6), ("iya", 0.4))),
    ),
    given_joiners=_o(("-", 0.6), (" ", 0.3), ("", 0.1)),
    family_joiners=_o(("", 0.5), ("-", 0.3), (" ", 0.2)),
)

# German-style (Chodscha, Dschafar, Resa, Jussef, Hosseini).
GERMAN = System(
    name="german",
    letters={
        **_PLAIN,
        "ā": _o(("a", 1.0)), "ī": _o(("i", 0.8), ("ie", 0.2)), "ū": _o(("u", 1.0)),
        "ṭ": _o(("t", 1.0)), "ṯ": _o(("s", 1.0)), "ḥ": _o(("h", 1.0)),
        "x": _o(("ch", 1.0)), "ž": _o(("sch", 0.5), ("zh", 0.5)),
        "š": _o(("sch", 1.0)), "č": _o(("tsch", 1.0)), "j": _o(("dsch", 0.6), ("dj", 0.4)),
        "v": _o(("w", 1.0)), "y": _o(("j", 1.0)),
        "z": _o(("s", 0.5), ("z", 0.5)), "ḏ": _o(("s", 0.5), ("z", 0.5)),
        "ż": _o(("s", 0.5), ("z", 0.5)), "ẓ": _o(("s", 0.5), ("z", 0.5)),
        "ṣ": _o(("s", 1.0)), "ġ": _o(("gh", 1.0)), "q": _o(("gh", 0.5), ("q", 0.3), ("k", 0.2)),
        "ʿ": _o(("", 1.0)), "ʾ": _o(("", 1.0)),
    },
    rules=(
        (_INITIAL_AYN, _o(("", 1.0))),
        (_AMMAD, _o(("ammad", 0.5), ("ammed", 0.3), ("amad", 0.2))),
        (_HIATUS_I, _o(("i", 0.5), ("ei", 0.3), ("ï", 0.2))),
        (r"ī(?=\+|$)", _o(("i", 1.0))),
        (_INTERVOCALIC_S, _o(("ss", 0.7), ("s", 0.3))),
        (_DIPH_EY, _o(("ei", 0.8), ("ey", 0.2))),
        (_DIPH_OW, _o(("ou", 0.5), ("o", 0.5))),
        (_FINAL_E, _o(("e", 0.6), ("eh", 0.4))),
        (_IYA, _o(("ija", 0.5), ("ia", 0.5))),
    ),
    given_joiners=_o(("-", 0.5), (" ", 0.3), ("", 0.2)),
    family_joiners=_o(("", 0.6), ("-", 0.4)),
)

# English with Arabic-style vowels (Muhammad, Husayn, Ridha, Fatima, Abdullah).
ARABIC_STYLE = System(
    name="arabic_style",
    letters={
        **_PLAIN,
        "e": _o(("i", 0.7), ("e", 0.3)), "o": _o(("u", 0.8), ("o", 0.2)),
        "ā": _o(("a", 0.92), ("aa", 0.08)), "ī": _o(("i", 0.85), ("ee", 0.15)),
        "ū": _o(("u", 0.75), ("oo", 0.25)),
        "ṭ": _o(("t", 1.0)), "ṯ": _o(("th", 0.6), ("s", 0.4)), "ḥ": _o(("h", 1.0)),
        "x": _o(("kh", 1.0)), "ḏ": _o(("dh", 0.5), ("z", 0.5)),
        "ž": _o(("zh", 0.5), ("j", 0.5)), "š": _o(("sh", 1.0)), "č": _o(("ch", 1.0)),
        "ṣ": _o(("s", 1.0)), "ż": _o(("d", 0.4), ("dh", 0.3), ("z", 0.3)),
        "ẓ": _o(("z", 0.6), ("dh", 0.4)), "ġ": _o(("gh", 1.0)), "q": _o(("q", 1.0)),
        "ʿ": _o(("'", 0.3), ("", 0.7)), "ʾ": _o(("'", 0.3), ("", 0.7)),
        "v": _o(("w", 0.5), ("v", 0.5)),
    },
    rules=(
        (_INITIAL_AYN, _o(("", 0.9), ("'", 0.1))),
        (_AMMAD, _o(("ammad", 0.6), ("ammed", 0.4))),
        (_HIATUS_I, _o(("i", 0.4), ("ee", 0.3), ("'i", 0.3))),
        (_INTERVOCALIC_S, _o(("ss", 0.4), ("s", 0.6))),
        (_DIPH_EY, _o(("ai", 0.4), ("ay", 0.35), ("ei", 0.25))),
        (_DIPH_OW, _o(("aw", 0.6), ("ow", 0.4))),
        (_FINAL_E, _o(("a", 0.6), ("ah", 0.4))),
        (_IYA, _o(("iya", 0.6), ("ia", 0.4))),
    ),
    given_joiners=_o((" ", 0.5), ("-", 0.3), ("", 0.2)),
    family_joiners=_o(("", 0.7), ("-", 0.3)),
    last_pronunciation=0.7,
    double_geminate=0.9,
)

SYSTEMS: tuple[System, ...] = (COLLOQUIAL, LOC, LOC_ASCII, UN, FRENCH, GERMAN, ARABIC_STYLE)
SYSTEM_INDEX: dict[str, int] = {s.name: i for i, s in enumerate(SYSTEMS)}
