"""Who a text says made a statement: "according to P", "P published …", a quotation then
"said P", and in Persian "به گفته‌ی P" and "P اعلام کرد"; offsets point at the exact words,
and a sentence that names no party (or only a pronoun) gives none. SYNTHETIC texts."""

from __future__ import annotations

import pytest

from dadkhahi.mentions.text import attributions

CASES = [
    ("The SYNTHETIC Resistance published a list of 3,200 victims in 1999.",
     "The SYNTHETIC Resistance", "published", None),
    ("According to Example Watch, at least 5,000 prisoners were executed.",
     "Example Watch", None, None),
    ('"Thirty thousand were killed," said the Committee for Example Justice.',
     "the Committee for Example Justice", "said", "Thirty thousand were killed,"),
    ("به گفته‌ی کمیته‌ی نمونه، سی هزار زندانی اعدام شدند.", "کمیته‌ی نمونه", None, None),
    ("انجمن ساختگی اعلام کرد که ۲۱۳ مقام در این کشتار نقش داشتند.", "انجمن ساختگی",
     "اعلام کرد", None),
]


@pytest.mark.parametrize(("text", "party", "verb", "quote"), CASES)
def test_the_party_a_sentence_is_attributed_to(text: str, party: str, verb: str | None,
                                               quote: str | None) -> None:
    [found] = attributions(text)
    assert text[found.party.start:found.party.end] == party
    assert found.verb == verb
    assert (None if found.quote is None else text[found.quote.start:found.quote.end]) == quote


@pytest.mark.parametrize("text", [
    "Some 70 graves were found near the city.",
    "It said nothing about the 30 prisoners.",
    "۷۰ گور در نزدیکی شهر پیدا شد.",
])
def test_no_party_no_attribution(text: str) -> None:
    assert attributions(text) == []


def test_each_sentence_has_its_own_party() -> None:
    text = ("Example Watch reported 40 executions. According to the SYNTHETIC Committee, "
            "200 prisoners died.")
    assert [text[a.party.start:a.party.end] for a in attributions(text)] == [
        "Example Watch", "the SYNTHETIC Committee"]
