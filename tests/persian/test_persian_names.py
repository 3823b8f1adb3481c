"""Name parsing: titles, compounds, detached surname endings, "Family, Given" order."""

from __future__ import annotations

import pytest

from dadkhahi.persian.names import ParsedName, name_tokens, parse_name

ZWNJ = "\u200c"


@pytest.mark.parametrize(
    ("full", "given", "family", "titles"),
    [
        ("Mohammad Hosseini", "Mohammad", "Hosseini", ()),
        ("Seyed Mohammad Hosseini", "Mohammad", "Hosseini", ("Seyed",)),
        ("Sayyed Ali Mousavi", "Ali", "Mousavi", ("Sayyed",)),
        ("Haj Seyyed Mahmoud Rezaei", "Mahmoud", "Rezaei", ("Haj", "Seyyed")),
        ("Sheikh Hassan Karimi", "Hassan", "Karimi", ("Sheikh",)),
        ("Mir Hossein Mousavi", "Hossein", "Mousavi", ("Mir",)),
        ("Shahid Reza Ahmadi", "Reza", "Ahmadi", ("Shahid",)),
        ("Fatemeh Sadat Hosseini", "Fatemeh", "Hosseini", ("Sadat",)),
        ("سید محمد حسینی", "محمد", "حسینی", ("سید",)),
        ("حاج میرزا علی کریمی", "علی", "کریمی", ("حاج", "میرزا")),
        ("Gholam Reza Ahmadi", "Gholam Reza", "Ahmadi", ()),
        ("Gholamreza Ahmadi", "Gholamreza", "Ahmadi", ()),
        ("Mohammad-Ali Rezaei", "Mohammad-Ali", "Rezaei", ()),  # written as one word
        ("Mohammed-Rida Shirazi", "Mohammed-Rida", "Shirazi", ()),  # even when unknown
        (f"سید غلام{ZWNJ}رضا حسین{ZWNJ}زاده", f"غلام{ZWNJ}رضا", f"حسین{ZWNJ}زاده", ("سید",)),
        ("Siyyid Yusif Tabataba'i", "Yusif", "Tabataba'i", ("Siyyid",)),
        ("Mirhasan Ali Akbarnezhad", "Hasan Ali", "Akbarnezhad", ("Mir",)),  # glued title
        ("سیدعلی موسوی", "علی", "موسوی", ("سید",)),
        # German transliterations (j for y): a title, not a given name
        ("Sejjed Hassan Haschemi", "Hassan", "Haschemi", ("Sejjed",)),
        ("Sejede Fatemeh Mussawi", "Fatemeh", "Mussawi", ("Sejede",)),
        ("Sejjedhassan Haschemi", "Hassan", "Haschemi", ("Sejjed",)),  # glued
        # Scholarly feminine (Siyyidah), as "FAMILY, Title Given" and glued
        ("HUSAYNI, Siyidah Fatimah", "Fatimah", "HUSAYNI", ("Siyidah",)),
        ("Siyyidah Shahla Hoseynfar", "Shahla", "Hoseynfar", ("Siyyidah",)),
        ("Siyyidahfatimah Husayni", "Fatimah", "Husayni", ("Siyyidah",)),  # glued
        ("Mohammad Hashem Zadeh", "Mohammad", "Hashemzadeh", ()),
        ("Saeed Jafar Kia", "Saeed", "Jafarkia", ()),
        ("Mohammad Ali Rezaei", "Mohammad Ali", "Rezaei", ()),
        ("Ali Akbar Hashemi Rafsanjani", "Ali Akbar", "Hashemi Rafsanjani", ()),
        ("Hosseini, Mohammad", "Mohammad", "Hosseini", ()),
        ("Hosseini, Seyed Mohammad", "Mohammad", "Hosseini", ("Seyed",)),
        ("حسینی، محمد", "محمد", "حسینی", ()),
        ("Hosseini Mohammad", "Mohammad", "Hosseini", ()),  # known surname first
        ("Mahmoud Hossein Zadeh", "Mahmoud", "Hosseinzadeh", ()),
        ("Ali Ahmad Pour", "Ali", "Ahmadpour", ()),
        (f"علی حسین{ZWNJ}زاده", "علی", f"حسین{ZWNJ}زاده", ()),
        ("علی حسین زاده", "علی", f"حسین{ZWNJ}زاده", ()),
        ("Nasr ollah Karimi", "Nasrollah", "Karimi", ()),
        ("Kourosh Aria", "Kourosh", "Aria", ()),
        ("Ali Rad", "Ali", "Rad", ()),  # a lone word is never swallowed as an ending
        ("Hassan Mir Hosseini", "Hassan", "Mirhosseini", ()),
        ("Hosseini", None, "Hosseini", ()),
        ("Zahra", "Zahra", None, ()),
    ],
)
def test_parse_full_name(
    full: str, given: str | None, family: str | None, titles: tuple[str, ...]
) -> None:
    assert parse_name(full) == ParsedName(given, family, titles)


def test_parse_columns_clean_each_part() -> None:
    assert parse_name(None, "Seyed Ali", "Ahmad Zadeh") == ParsedName(
        "Ali", "Ahmadzadeh", ("Seyed",)
    )
    assert parse_name(None, None, "Karimi") == ParsedName(None, "Karimi")


def test_parse_missing_part_taken_from_full_name() -> None:
    assert parse_name("Ali Karimi", None, "Karimi") == ParsedName("Ali", "Karimi")
    assert parse_name("Ali Karimi", "Ali", None) == ParsedName("Ali", "Karimi")


def test_parse_empty() -> None:
    assert parse_name(None) == ParsedName(None, None)
    assert parse_name("   ") == ParsedName(None, None)


def test_tokens_rejoin_pieces_written_apart() -> None:
    assert name_tokens("Abd al Hossein Karimi") == ["Abdal", "Hossein", "Karimi"]
    assert name_tokens("عبد الحسین کریمی") == ["عبدالحسین", "کریمی"]
    assert name_tokens("Jalal ed-Din Farsi") == ["Jalaleddin", "Farsi"]
    assert name_tokens("Hossein Zadeh", join_all_suffixes=True) == ["Hosseinzadeh"]
    assert name_tokens("Hossein Zadeh") == ["Hossein", "Zadeh"]
