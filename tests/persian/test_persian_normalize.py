"""Script normalisation: Arabic code points, diacritics, joiners, digits, Latin folding."""

from __future__ import annotations

import random
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dadkhahi.persian.normalize import is_persian_script, normalize_script, to_ascii_latin

ZWNJ = "\u200c"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("علي", "علی"),  # Arabic yeh
        ("موسى", "موسی"),  # alef maksura
        ("كريمي", "کریمی"),  # Arabic kaf and yeh
        ("فاطمة", "فاطمه"),  # teh marbuta
        ("خانۀ", "خانه"),  # heh with yeh above
        ("أحمد", "احمد"),
        ("إبراهيم", "ابراهیم"),
        ("ٱلله", "الله"),
        ("مؤمن", "مومن"),
        ("مُحَمَّد", "محمد"),  # harakat and shadda
        ("كتابٌ", "کتاب"),  # tanwin
        ("محـــمد", "محمد"),  # tatweel
        ("\u200fحسین\u200e", "حسین"),  # bidi marks
        ("۱۳۶۷/۰۵/۱۲", "1367/05/12"),  # Persian digits
        ("١٣٦٧", "1367"),  # Arabic-Indic digits
        ("  علی \t  رضایی  ", "علی رضایی"),
        ("\ufe8e\ufee0\ufef2", "الی"),  # presentation forms from a PDF
        ("ا\u0653", "آ"),  # decomposed alef madda composes
        ("Mohammad  Hosseini", "Mohammad Hosseini"),
    ],
)
def test_normalize_script_table(raw: str, expected: str) -> None:
    assert normalize_script(raw) == expected


def test_zwnj_kept_once_between_letters_dropped_elsewhere() -> None:
    assert normalize_script(f"غلام{ZWNJ}{ZWNJ}رضا") == f"غلام{ZWNJ}رضا"
    assert normalize_script(f"{ZWNJ}حسین {ZWNJ}زاده{ZWNJ}") == "حسین زاده"
    assert normalize_script("حسین\u200dزاده") == "حسینزاده"  # ZWJ is dropped


def test_is_persian_script() -> None:
    assert is_persian_script("محمد حسینی")
    assert is_persian_script("محمد Hosseini حسینی")
    assert not is_persian_script("Mohammad Hosseini")
    assert not is_persian_script("1367")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ja'far", "Jafar"),
        ("ʿAbbās", "Abbas"),
        ("Sâdeq", "Sadeq"),
        ("Ebrāhim", "Ebrahim"),
        ("Esmaʾil", "Esmail"),
        ("Ja’fari", "Jafari"),
        ("Ḥosayn", "Hosayn"),
    ],
)
def test_to_ascii_latin(raw: str, expected: str) -> None:
    assert to_ascii_latin(raw) == expected


_PERSIAN_TEXT = st.text(
    alphabet=st.sampled_from([*list("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیآ ئ"), ZWNJ]),
    max_size=30,
)
_NOISE = ["\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u0640", "\u200f", "\u200e"]


@given(st.text(max_size=40))
def test_normalize_is_idempotent_and_nfc(text: str) -> None:
    once = normalize_script(text)
    assert normalize_script(once) == once
    assert unicodedata.is_normalized("NFC", once)


@given(_PERSIAN_TEXT, st.lists(st.sampled_from(_NOISE), max_size=5), st.randoms())
def test_diacritics_and_marks_do_not_change_the_result(
    text: str, noise: list[str], rnd: random.Random
) -> None:
    noisy = list(text)
    for mark in noise:
        noisy.insert(rnd.randint(0, len(noisy)), mark)
    assert normalize_script("".join(noisy)) == normalize_script(text)


@given(_PERSIAN_TEXT)
def test_arabic_letters_fold_to_persian(text: str) -> None:
    arabic = text.replace("ی", "ي").replace("ک", "ك")
    assert normalize_script(arabic) == normalize_script(text)
