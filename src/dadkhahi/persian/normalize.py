"""Script normalisation for Persian (and Arabic-typed Persian) text and Latin folding.

Lists of victims were typed on many keyboards: Arabic layouts give ``ي`` and ``ك``
where Persian has ``ی`` and ``ک``, PDFs leave presentation forms and bidi marks,
and some typists write the final ``ۀ`` or diacritics. ``normalize_script`` folds all
of that to one Persian spelling so that equal names compare equal.

ZWNJ policy (one rule, used everywhere in this package):

* ``normalize_script`` keeps a single ZWNJ (U+200C) *between two letters*, because it is
  part of correct Persian orthography (``غلام‌رضا``, ``حسین‌زاده``) and removing it would
  change how the name displays. Runs of joiners collapse to one; a ZWNJ next to a space,
  a non-letter or the end of the text is dropped; ZWJ (U+200D) and other invisible
  joiners are dropped.
* Name parsing and comparison keys (``names``, ``keys``) treat the remaining ZWNJ as a
  boundary between name parts, exactly like a space or hyphen, so ``غلامرضا``,
  ``غلام‌رضا`` and ``غلام رضا`` all give the same keys.
"""

from __future__ import annotations

import re
import unicodedata

ZWNJ = "\u200c"

# Arabic code points that Persian writes differently.  ``ئ`` (hamza on yeh) is kept:
# it is correct Persian orthography (e.g. ``رضائی``); the comparison keys fold it.
_LETTER_MAP = {
    "\u064a": "\u06cc",  # ي Arabic yeh -> ی
    "\u0649": "\u06cc",  # ى alef maksura -> ی
    "\u06d2": "\u06cc",  # ے yeh barree (Urdu keyboards) -> ی
    "\u0643": "\u06a9",  # ك Arabic kaf -> ک
    "\u06aa": "\u06a9",  # ڪ swash kaf -> ک
    "\u0629": "\u0647",  # ة teh marbuta -> ه
    "\u06c0": "\u0647",  # ۀ heh with yeh above -> ه
    "\u06c1": "\u0647",  # ہ heh goal (Urdu) -> ه
    "\u06d5": "\u0647",  # ە ae -> ه
    "\u0623": "\u0627",  # أ -> ا
    "\u0625": "\u0627",  # إ -> ا
    "\u0671": "\u0627",  # ٱ alef wasla -> ا
    "\u0672": "\u0627",
    "\u0673": "\u0627",
    "\u0624": "\u0648",  # ؤ -> و
}

# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits -> ASCII.
_DIGIT_MAP = {0x06F0 + i: str(i) for i in range(10)} | {0x0660 + i: str(i) for i in range(10)}

# Harakat, tanwin, shadda, sukun, hamza above/below, superscript alef, small high
# marks (U+06D6..U+06ED), tatweel, bidi controls, BOM, soft hyphen.
_DELETE = [
    *range(0x064B, 0x0660),
    0x0670,
    *range(0x0610, 0x0616),
    *range(0x06D6, 0x06DD),
    *range(0x06DF, 0x06E9),
    *range(0x06EA, 0x06EE),
    0x0640,
    *(0x200E, 0x200F, 0x061C, 0xFEFF, 0x00AD, 0x200D, 0x2060, 0x200B),
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]

_TRANSLATE: dict[int, str | None] = {ord(k): v for k, v in _LETTER_MAP.items()}
_TRANSLATE.update(_DIGIT_MAP)
_TRANSLATE.update(dict.fromkeys(_DELETE))
# Arabic punctuation that has an ASCII counterpart.
_TRANSLATE.update({ord("\u060c"): ",", ord("\u061b"): ";", ord("\u061f"): "?", ord("\u066b"): "."})
_TRANSLATE.update({ord("\u066c"): ",", ord("\u066a"): "%"})

# Presentation forms (U+FB50..U+FDFF, U+FE70..U+FEFE) survive copy-paste from PDFs;
# NFKC folds them to the base letters.  Applied only to those ranges so that NFKC does
# not touch anything else a user typed.
_PRESENTATION = re.compile("[\ufb50-\ufdff\ufe70-\ufefe]+")
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZWNJ_RUN = re.compile(ZWNJ + "+")
# Letters (any script) are \w without digits and underscore.
_ZWNJ_NOT_BETWEEN_LETTERS = re.compile(r"(?<![^\W\d_])\u200c|\u200c(?![^\W\d_])")

_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefe]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")


def normalize_script(text: str) -> str:
    """Return ``text`` with Persian script normalised, digits in ASCII and spaces collapsed.

    Arabic letter variants become Persian (ي ى→ی, ك→ک, ة ۀ→ه, أ إ ٱ→ا, ؤ→و),
    diacritics, tatweel and bidi marks are removed, Persian and Arabic-Indic digits
    become ASCII, whitespace runs become one space (trimmed), and the result is NFC.
    See the module docstring for the ZWNJ rule. Latin text passes through unchanged
    apart from whitespace and NFC.
    """
    text = _PRESENTATION.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    # NFC first composes e.g. ا + U+0654 into أ, which the table then folds to ا.
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATE)
    text = _SPACES.sub(" ", text)
    text = _ZWNJ_RUN.sub(ZWNJ, text)
    text = _ZWNJ_NOT_BETWEEN_LETTERS.sub("", text)
    return unicodedata.normalize("NFC", text.strip())


def is_persian_script(text: str) -> bool:
    """True when ``text`` is mainly Persian/Arabic script (more such letters than Latin)."""
    arabic = len(_ARABIC_LETTER.findall(text))
    return arabic > 0 and arabic >= len(_LATIN_LETTER.findall(text))


# Letters that NFKD does not decompose into base + combining mark.
_LATIN_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "Œ": "Oe",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "ʿ": "",
        "ʾ": "",
        "ʼ": "",
        "ʻ": "",
        "'": "",
        "’": "",
        "‘": "",
        "`": "",
        "´": "",
        "ʹ": "",
    }
)


def to_ascii_latin(text: str) -> str:
    """Fold a Latin-script name to ASCII: ``â ā á`` → ``a``, ayn/hamza marks dropped.

    ``"Ja'far"`` → ``"Jafar"``, ``"ʿAbbās"`` → ``"Abbas"``, ``"Sâdeq"`` → ``"Sadeq"``.
    Case is kept. Characters with no ASCII equivalent (e.g. Persian letters) are dropped,
    so call this on Latin text only.
    """
    text = normalize_script(text).translate(_LATIN_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", folded.encode("ascii", "ignore").decode("ascii")).strip()
