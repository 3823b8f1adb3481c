"""The search tokenizer: Persian forms typed on any keyboard, Latin accents, spans kept."""

from __future__ import annotations

import pytest

from dadkhahi.search.tokens import index_text, tokenize


@pytest.mark.parametrize(("typed", "expected"), [
    ("زندانیان سیاسی", "زندانیان سیاسی"),
    ("زندانيان سياسي", "زندانیان سیاسی"),  # Arabic yeh, as Arabic keyboards type it
    ("كرج", "کرج"),  # Arabic kaf
    ("خانواده‌ها", "خانواده ها"),  # ZWNJ separates, like a space
    ("خانواده ها", "خانواده ها"),
    ("مُحَمَّد", "محمد"),  # harakat dropped
    ("۱۳۶۷/۰۵/۱۲", "1367 05 12"),  # Persian digits become ASCII
    ("١٣٦٧", "1367"),  # Arabic-Indic digits too
    ("Ḥosayn RAJAVI", "hosayn rajavi"),
    ("30,000 political prisoners", "30 000 political prisoners"),
])
def test_the_same_words_typed_differently_index_alike(typed: str, expected: str) -> None:
    assert index_text(typed) == expected


def test_spans_point_at_the_original_words() -> None:
    text = "در  تاريخ ۱۳۶۷ (Evin) خانواده‌ها"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["در", "تاریخ", "1367", "evin", "خانواده", "ها"]
    assert [text[t.start:t.end] for t in tokens] == [
        "در", "تاريخ", "۱۳۶۷", "Evin", "خانواده", "ها"]


def test_punctuation_and_empty_text_give_no_tokens() -> None:
    assert tokenize("") == []
    assert tokenize(" ،؛؟ — … «»") == []
