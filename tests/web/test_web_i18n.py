"""Translations and the Persian specifics: catalogue complete, digits, Solar Hijri dates."""

from __future__ import annotations

import re
from datetime import date

from markupsafe import Markup

from dadkhahi.web import i18n
from dadkhahi.web.messages import extract, load
from dadkhahi.web.render import ident, typed_date, user_text

_PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)s")


def test_every_message_has_a_persian_translation() -> None:
    wanted = {m.id for m in extract() if m.id}
    catalogue = {m.id: m for m in load() if m.id}
    missing = sorted(str(w) for w in wanted if w not in catalogue)
    assert missing == [], f"run scripts/web-messages, then translate: {missing}"
    untranslated = sorted(str(w) for w in wanted
                          if not catalogue[w].string or catalogue[w].fuzzy)
    assert untranslated == [], f"messages without a Persian translation: {untranslated}"
    for message_id in wanted:
        translated = catalogue[message_id].string
        assert isinstance(message_id, str) and isinstance(translated, str)
        # A translation keeps every placeholder of its message, and adds none.
        assert sorted(_PLACEHOLDER.findall(translated)) == sorted(
            _PLACEHOLDER.findall(message_id)), message_id
        # No Latin letters in Persian interface text (placeholders aside).
        assert not re.search("[A-Za-z]", _PLACEHOLDER.sub("", translated)), translated


def test_persian_numbers_and_solar_hijri_dates() -> None:
    fa, en = i18n.language("fa"), i18n.language("en")
    assert fa.number(1234567) == "۱٬۲۳۴٬۵۶۷"
    assert en.number(1234567) == "1,234,567"
    assert fa.number(4512.46, 1) == "۴٬۵۱۲٫۵"
    assert fa.date(date(1988, 8, 3)) == "۱۲ مرداد ۱۳۶۷"
    assert en.date("1988-08-03") == "3 August 1988 (12 Mordad 1367)"
    assert fa.interval("1988-07-23", "1988-08-22") == "۱ مرداد ۱۳۶۷ – ۳۱ مرداد ۱۳۶۷"
    assert fa.datetime("2026-12-02T03:07:09.123456Z") == "۱۱ آذر ۱۴۰۵ ۰۳:۰۷"
    assert fa.number(None) == "" and fa.date(None) == ""


def test_a_typed_date_is_shown_as_the_page_s_dates_when_it_reads_as_one() -> None:
    fa, en = i18n.language("fa"), i18n.language("en")
    assert typed_date(fa, "1399/02/10") == "۱۰ اردیبهشت ۱۳۹۹ (۲۹ آوریل ۲۰۲۰)"
    assert typed_date(fa, "۱۳۹۹/۰۲/۱۰") == typed_date(fa, "2020-04-29")
    assert typed_date(en, "Ordibehesht 1399").startswith("20 April 2020 – 20 May 2020")
    # Not a date, or one marked approximate (which a span would drop): as typed.
    assert typed_date(fa, "SYNTHETIC summer") == user_text("SYNTHETIC summer")
    assert typed_date(fa, "~1399") == user_text("~1399")
    assert typed_date(fa, None) == "" and typed_date(fa, "<b>") == user_text("<b>")


def test_inputs_take_persian_arabic_indic_and_ascii_digits() -> None:
    assert i18n.ascii_digits("۱۳۶۷/۰۵/۱۲") == "1367/05/12"
    assert i18n.ascii_digits("١٣٦٧") == "1367"  # Arabic-Indic, as Arabic keyboards type
    assert i18n.ascii_digits("۳٫۵") == "3.5"
    assert i18n.ascii_digits("per_ab12") == "per_ab12"


def test_ids_are_isolated_ltr_and_user_text_takes_its_own_direction() -> None:
    assert ident("per_0123") == Markup('<bdi dir="ltr" class="id">per_0123</bdi>')
    shown = user_text("<script>alert(1)</script> \u202eabc")
    assert shown == Markup('<bdi dir="auto">&lt;script&gt;alert(1)&lt;/script&gt; abc</bdi>')
    # ZWNJ is Persian spelling and stays.
    assert "\u200c" in user_text("محمد\u200cرضا")
