"""Each linkage rule on purpose-made SYNTHETIC records (issue 18 item 5).

Every test builds records that reach one rule and asserts which comparison level
(or blocking key) the pair lands in, through the model's own settings rendered by
Splink for DuckDB. A test's answer changes when its rule does: the swapped-names
rule asks both names to agree crosswise (AND), so records agreeing on one swapped
part only must not reach it; titles, ZWNJ and spaces, initials and Solar Hijri
partial dates each have records that only the rule brings together. No training:
the levels are the model's before any data is seen, so the whole file takes a few
seconds on a quiet machine: every pair is scored in one Splink query.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import pytest
from splink import DuckDBAPI
from splink.internals.realtime import compare_records

from dadkhahi.linkage.features import record_features
from dadkhahi.linkage.model import (
    BIRTH_CONFLICT,
    CONFLICT_LEVELS,
    DEATH_CONFLICT,
    FAMILY_UNLIKE,
    FATHER_CONFLICT,
    GIVEN_CONFLICT,
    PREDICTION_BLOCKING,
    PROVINCE_NULL,
    SEX_CONFLICT,
    blocking_keys,
    joined_label,
    model_settings,
    near_label,
)

_TF_COLUMNS = ("given_canon", "given_skel", "family_canon", "family_skel", "father_canon",
               "father_skel", "city_key", "region_key", "prison_key", "burial_key",
               "affiliation_key", "name_joined", "name_sorted")


def _plain(features: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for _, values in features.astype(object).iterrows():
        record = {k: (None if pd.isna(v) else v) for k, v in values.items()}
        # Term-frequency columns: any value; the level a pair lands in does not read them.
        record.update({f"tf_{column}": 0.01 for column in _TF_COLUMNS})
        rows.append(record)
    return rows


HK = {"given_name": "Hossein", "family_name": "Karimi"}
ALI = {"given_name": "Ali"}
MORDAD = {"given_name": "Ali", "death_date": "مرداد ۱۳۶۷"}


def _died(first: dt.date, last: dt.date | None = None) -> dict[str, Any]:
    return {**ALI, "death_earliest": first, "death_latest": last or first}


def _born(year: str) -> dict[str, Any]:
    return {**ALI, "birth_year": year}


def _family(name: str) -> dict[str, Any]:
    return {"given_name": "Ali", "family_name": name}


def _father(name: str) -> dict[str, Any]:
    return {**HK, "father_name": name}


DAY = dt.date(1988, 8, 3)
# Each level of every comparison, reached by a pair made for it, and each boundary
# (<= against <) from both sides: found by mutation testing (issue 18 item 7), where a
# changed level, label or limit left every test of this file passing.
LEVEL_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # Death: days since 1970; a gap is the days between the intervals' near ends.
    "death_gap_31": (_died(DAY), _died(DAY + dt.timedelta(31))),
    "death_gap_32": (_died(DAY), _died(DAY + dt.timedelta(32))),
    "death_gap_31_reversed": (_died(DAY + dt.timedelta(31)), _died(DAY)),
    "death_gap_366": (_died(DAY), _died(DAY + dt.timedelta(366))),
    "death_gap_367": (_died(DAY), _died(DAY + dt.timedelta(367))),
    "death_gap_366_reversed": (_died(DAY + dt.timedelta(366)), _died(DAY)),
    # Intervals that touch overlap, from either side.
    "death_touching": (_died(DAY, DAY + dt.timedelta(7)),
                       _died(DAY + dt.timedelta(7), DAY + dt.timedelta(14))),
    "death_touching_reversed": (_died(DAY + dt.timedelta(7), DAY + dt.timedelta(14)),
                                _died(DAY, DAY + dt.timedelta(7))),
    # "Same month": each interval at most 31 days wide (the left's, then the right's).
    "death_left_31_wide": (_died(DAY, DAY + dt.timedelta(31)), _died(DAY)),
    "death_left_32_wide": (_died(DAY, DAY + dt.timedelta(32)), _died(DAY)),
    "death_right_31_wide": (_died(DAY), _died(DAY, DAY + dt.timedelta(31))),
    "death_right_32_wide": (_died(DAY), _died(DAY, DAY + dt.timedelta(32))),
    # "Same day": both are single days, the same one.
    "death_day_in_two_days_left": (_died(DAY, DAY + dt.timedelta(1)), _died(DAY)),
    "death_day_in_two_days_right": (_died(DAY), _died(DAY, DAY + dt.timedelta(1))),
    "death_two_days_each": (_died(DAY, DAY + dt.timedelta(1)), _died(DAY, DAY + dt.timedelta(1))),
    "death_next_day": (_died(DAY), _died(DAY + dt.timedelta(1))),
    "death_one_unknown": (_died(DAY), ALI),
    # Birth: Jalali 1340 is 1961-1962 (Gregorian); a Gregorian year is itself.
    "birth_touching": (_born("۱۳۴۰"), _born("1962")),
    "birth_touching_reversed": (_born("1962"), _born("۱۳۴۰")),
    "birth_gap_2": (_born("1961"), _born("1963")),
    "birth_gap_2_reversed": (_born("1963"), _born("1961")),
    "birth_gap_3": (_born("1961"), _born("1964")),
    "birth_gap_5": (_born("1961"), _born("1966")),
    "birth_gap_5_reversed": (_born("1966"), _born("1961")),
    "birth_gap_6": (_born("1961"), _born("1967")),
    # Names the lexicon does not know: skeletons, coarse skeletons, Jaro-Winkler.
    "family_same_skeleton": (_family("Golshiri"), _family("Golshiry")),
    "family_same_coarse": (_family("Shakeri"), _family("Chakeri")),
    "family_jaro_high": (_family("Golestani"), _family("Golestaneh")),  # 0.97
    "family_jaro_low": (_family("Golshiri"), _family("Golshani")),  # 0.91
    "family_unlike": (_family("Golshiri"), _family("Nikah")),
    "family_one_unknown": (_family("Golshiri"), {"given_name": "Ali"}),
    # The same skeleton on both sides of each record is no swap (not one name swapped).
    "swap_of_one_skeleton": ({"given_name": "Golshiri", "family_name": "Golshiri"},
                             {"given_name": "Golshiry", "family_name": "Golshiry"}),
    # Swapped, each name spelt with a letter romanisations confuse (sh/ch): coarse only.
    "swapped_coarse": ({"given_name": "Shakeri", "family_name": "Golshiri"},
                       {"given_name": "Golshiry", "family_name": "Chakeri"}),
    # The father: parts a prefix either way, skeletons, known and different.
    "father_prefix": (_father("Mohammad Ali"), _father("Mohammad")),
    "father_prefix_reversed": (_father("Mohammad"), _father("Mohammad Ali")),
    "father_same_skeleton": (_father("Golshiri"), _father("Golshiry")),
    # Both names run together agree and the fathers differ: not a moved split.
    "father_unknown_differ": (_father("Golshiri"), _father("Zarrinkolah")),
    # Sex, places, identity numbers.
    "sex_same": ({**ALI, "sex": "M"}, {**ALI, "sex": "مرد"}),
    "sex_differ": ({**ALI, "sex": "M"}, {**ALI, "sex": "زن"}),
    "city_same": ({**ALI, "city": "Tehran"}, {**ALI, "city": "تهران"}),
    "city_differ": ({**ALI, "city": "Tehran"}, {**ALI, "city": "Tabriz"}),
    # One list gives the province, the other the city or the prison (linkage.features
    # region_key): they agree or differ on the province; where both give only a city,
    # the city comparison weighs the place and the province stays out (null); two
    # provinces as written are compared whatever the cities say.
    "province_of_city": ({**ALI, "province": "Khuzestan"}, {**ALI, "city": "اهواز"}),
    "province_of_prison": ({**ALI, "province": "Tehran"}, {**ALI, "prison": "Evin"}),
    "province_then_and_now": ({**ALI, "province": "Alborz"}, {**ALI, "city": "Qom"}),
    "province_differ": ({**ALI, "province": "Fars"}, {**ALI, "city": "Tabriz"}),
    "province_both_cities": ({**ALI, "city": "Karaj"}, {**ALI, "city": "Tehran"}),
    "province_written_and_cities": ({**ALI, "province": "Fars", "city": "Shiraz"},
                                    {**ALI, "province": "Fars", "city": "Kazerun"}),
    "id_same": ({**ALI, "id_number": "123456"}, {**ALI, "id_number": "۱۲۳۴۵۶"}),
    "id_one_edit": ({**ALI, "id_number": "123456"}, {**ALI, "id_number": "123457"}),
    "id_two_edits": ({**ALI, "id_number": "123456"}, {**ALI, "id_number": "123475"}),
    "id_three_edits": ({**ALI, "id_number": "123456"}, {**ALI, "id_number": "123987"}),
}


# Every purpose-made pair of this file, by name: (left record, right record).
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "swapped": (HK, {"given_name": "Karimi", "family_name": "Hossein"}),
    # The right's given name is the left's family name, its family name is not the
    # left's given name (and the reverse): one crosswise agreement only.
    "given_crosswise_only": (HK, {"given_name": "Karimi", "family_name": "Ahmadi"}),
    "family_crosswise_only": (HK, {"given_name": "Bijan", "family_name": "Hossein"}),
    "swapped_scripts": ({"given_name": "حسین", "family_name": "کریمی"},
                        {"given_name": "Karimi", "family_name": "Hosein"}),
    **{f"title_{k}": ({"given_name": t, "family_name": "Mousavi"},
                      {"given_name": "غلامرضا", "family_name": "موسوی"})
       for k, t in enumerate(["سید غلام\u200cرضا", "Seyed Gholamreza", "Seyyed Gholam Reza",
                              "Sayyid Gholamreza"])},
    **{f"compound_{k}": ({"given_name": "Ali", "family_name": w},
                         {"given_name": "علی", "family_name": "حسین\u200cزاده"})
       for k, w in enumerate(["حسین\u200cزاده", "حسین زاده", "حسینزاده", "Hossein-Zadeh",
                              "Hosseinzadeh"])},
    "given_parts_prefix": ({"given_name": "Mohammad Ali", "family_name": "Karimi"},
                           {"given_name": "Mohammad", "family_name": "Karimi"}),
    "given_known_different": ({"given_name": "Mohammad", "family_name": "Karimi"},
                              {"given_name": "Mahmoud", "family_name": "Karimi"}),
    # A one-letter slip in a known given name, against that name: Latin, Persian (two
    # letters swapped, a confusable letter), and in one word of a compound.
    **{f"given_slip_{k}": ({"given_name": a, "family_name": "Karimi"},
                           {"given_name": b, "family_name": "Karimi"})
       for k, (a, b) in enumerate([("Mohammad", "Mohamma"), ("مهدی", "مدهی"),
                                   ("بتول", "بپول"), ("Mohammad Ali", "Mohamma Ali"),
                                   ("Reza", "زضا")])},
    # Known names one letter apart are two names (حسن / حسین); a word one slip from two
    # known names (Hamd: Hamed, Hamid) is read as neither.
    "given_known_one_letter_apart": ({"given_name": "حسن", "family_name": "Karimi"},
                                     {"given_name": "حسین", "family_name": "Karimi"}),
    "given_slip_skeleton": ({"given_name": "محمد", "family_name": "Karimi"},
                            {"given_name": "Mohmmad", "family_name": "Karimi"}),
    # Two names the table lacks, each one slip from Ali: not one name.
    "given_slips_of_one_name": ({"given_name": "Amy", "family_name": "Karimi"},
                                {"given_name": "Abby", "family_name": "Karimi"}),
    "given_slip_ambiguous": ({"given_name": "Hamid", "family_name": "Karimi"},
                             {"given_name": "Hamd", "family_name": "Karimi"}),
    # A compound the lexicon does not know, its parts joined by ZWNJ, against its first
    # part alone: split at the ZWNJ it begins with that part, as it does written with a space.
    **{f"zwnj_unknown_{k}": ({"given_name": g, "family_name": "Karimi"},
                             {"given_name": "زرین", "family_name": "Karimi"})
       for k, g in enumerate(["زرین\u200cکلاه", "زرین کلاه"])},
    # Mordad 1367 is 23 July .. 22 August 1988.
    "month_day_inside": (MORDAD, {**ALI, "death_earliest": dt.date(1988, 8, 3),
                                  "death_latest": dt.date(1988, 8, 3)}),
    "month_day_outside": (MORDAD, {**ALI, "death_earliest": dt.date(1988, 9, 10),
                                   "death_latest": dt.date(1988, 9, 10)}),
    "day_two_calendars": ({**ALI, "death_date": "۱۲ مرداد ۱۳۶۷"},
                          {**ALI, "death_date": "3 August 1988"}),
    "year_only": ({**ALI, "death_date": "۱۳۶۷"}, {**ALI, "death_date": "1989-01-15"}),
    "birth_near": ({**ALI, "birth_year": "۱۳۴۰"}, {**ALI, "birth_year": "1961"}),
    "birth_far": ({**ALI, "birth_year": "۱۳۴۰"}, {**ALI, "birth_year": "1970"}),
    # Hassan and Hossein share a consonant skeleton: two known names all the same.
    "fathers_differ": ({**ALI, "father_name": "Hassan"}, {**ALI, "father_name": "Hossein"}),
    # A space inside the family name moves the parser's split: "علی خسرو | شاهی".
    "moved_split": ({"given_name": "علی", "family_name": "خسروشاهی"},
                    {"full_name": "علی خسرو شاهی"}),
    "moved_split_latin": ({"given_name": "Mohammad Ali", "family_name": "Karimi"},
                          {"given_name": "Mohammad", "family_name": "Ali Karimi"}),
    # A moved split with a slip: "Reda" is no known name, so the parser ends the given
    # name before it; "پوژ" is پور with ر read as ژ.
    "moved_split_slip": ({"given_name": "Alireza", "family_name": "Mohammadi"},
                         {"full_name": "Ali Reda Mohammadi"}),
    "moved_split_slip_persian": ({"given_name": "مهدی", "family_name": "محمدپور"},
                                 {"full_name": "مهدي محمد پوژ"}),
    # One letter apart and the family name the same: two names, not a moved split.
    "one_letter_not_split": ({"given_name": "Ahmad", "family_name": "Karimi"},
                             {"given_name": "Ahmadi", "family_name": "Karimi"}),
    # Hassan and Hossein again: both names run together agree letter for letter, but the
    # given names are two known names, not one split elsewhere.
    "joined_but_not_split": ({"given_name": "Hassan", "family_name": "Karimi"},
                             {"given_name": "Hossein", "family_name": "Karimi"}),
    **LEVEL_CASES,
}


@pytest.fixture(scope="module")
def found() -> dict[str, dict[str, str]]:
    names = list(CASES)
    return dict(zip(names, levels_of([CASES[n] for n in names]), strict=True))


def levels_of(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[dict[str, str]]:
    """The level each comparison puts each pair in, by label, in one Splink query."""
    def features(side: int) -> pd.DataFrame:
        frame = record_features(pd.DataFrame(
            [{**pair[side], "record_id": f"p{k:03d}"} for k, pair in enumerate(pairs)]))
        return pd.concat([frame, blocking_keys(frame)], axis=1)

    settings = model_settings()
    scored = compare_records(
        _plain(features(0)), _plain(features(1)), settings, DuckDBAPI(),
        join_condition="l.record_id = r.record_id",
    ).as_pandas_dataframe().sort_values("record_id_l")
    comparisons = settings.get_settings("duckdb").comparisons
    out = []
    for _, row in scored.iterrows():
        labels = {}
        for comparison in comparisons:
            gamma = int(row[f"gamma_{comparison.output_column_name}"])
            (level,) = [lv for lv in comparison.comparison_levels
                        if lv.comparison_vector_value == gamma]
            labels[comparison.output_column_name] = level.label_for_charts
        out.append(labels)
    assert len(out) == len(pairs)
    return out


# --- swapped given and family names: both parts crosswise (AND, not OR) ---

def test_swapped_given_and_family_names_reach_the_swapped_level(
    found: dict[str, dict[str, str]],
) -> None:
    for case in ("swapped", "swapped_scripts"):
        assert found[case]["given_name"] == "given_name swapped with family", case
        assert found[case]["family_name"] == "family_name swapped with given", case


def test_one_swapped_part_alone_is_not_a_swap(found: dict[str, dict[str, str]]) -> None:
    # Many family names are given names (Hassan, Ali...), so one crosswise agreement
    # is common between different people.
    for case in ("given_crosswise_only", "family_crosswise_only"):
        assert found[case]["given_name"] != "given_name swapped with family", case
        assert found[case]["family_name"] != "family_name swapped with given", case


# --- Seyed and other titles: not part of the name ---

def test_a_title_does_not_change_the_given_name(found: dict[str, dict[str, str]]) -> None:
    for case in [c for c in CASES if c.startswith("title_")]:
        assert found[case]["given_name"] == "same canonical given_name", case
        assert found[case]["family_name"] == "same canonical family_name", case


# --- ZWNJ, spaces, hyphens and joined compounds ---

def test_compound_family_names_joined_any_way_are_one_name(
    found: dict[str, dict[str, str]],
) -> None:
    for case in [c for c in CASES if c.startswith("compound_")]:
        assert found[case]["family_name"] == "same canonical family_name", case


def test_compound_given_name_and_its_first_part_are_a_prefix_not_a_match(
    found: dict[str, dict[str, str]],
) -> None:
    assert found["given_parts_prefix"]["given_name"] == "one given_name begins with the other"
    # A prefix of letters is not a prefix of parts: Mahmoud is another name.
    assert found["given_known_different"]["given_name"] == "different known given_names"
    # Parts joined by ZWNJ are parts, as with a space (the lexicon knows neither word).
    for case in ("zwnj_unknown_0", "zwnj_unknown_1"):
        assert found[case]["given_name"] == "one given_name begins with the other", case


# --- a slip in a known given name against two known names ---

def test_a_slip_in_a_known_given_name_is_that_name_not_a_conflict(
    found: dict[str, dict[str, str]],
) -> None:
    # Mohammad / Mohamma fell to Jaro-Winkler, مهدی / مدهی and بتول / بپول to "nothing
    # alike" (short skeletons): a misspelt known name is that name after one slip.
    for case in [c for c in CASES if c.startswith("given_slip_") and c[-1].isdigit()]:
        assert found[case]["given_name"] == near_label("given_name"), case
    # Before the skeleton levels: a slip that keeps the skeleton is that name too.
    assert found["given_slip_skeleton"]["given_name"] == near_label("given_name")
    # Two known names stay a conflict, even one letter apart; an ambiguous slip is no
    # known name.
    assert found["given_known_different"]["given_name"] == GIVEN_CONFLICT
    assert found["given_known_one_letter_apart"]["given_name"] == GIVEN_CONFLICT
    assert found["given_slip_ambiguous"]["given_name"] != near_label("given_name")
    # Nor are two unknown words that are each one slip from the same known name.
    assert found["given_slips_of_one_name"]["given_name"] != near_label("given_name")


# --- Solar Hijri dates, full and partial ---

def test_a_solar_hijri_month_overlaps_a_day_inside_it_only(
    found: dict[str, dict[str, str]],
) -> None:
    assert found["month_day_inside"]["death"] == "death within the same month"
    assert found["month_day_outside"]["death"] == "death intervals within 31 days"


def test_solar_hijri_day_in_persian_and_gregorian_is_the_same_day(
    found: dict[str, dict[str, str]],
) -> None:
    assert found["day_two_calendars"]["death"] == "same day of death"


def test_a_solar_hijri_year_alone_is_a_wide_interval(found: dict[str, dict[str, str]]) -> None:
    # 1367 runs from 21 March 1988 to 20 March 1989: it overlaps a day in January
    # 1989, but is too wide to say "same month".
    assert found["year_only"]["death"] == "death intervals overlap"


def test_birth_years_jalali_and_gregorian_and_far_apart(
    found: dict[str, dict[str, str]],
) -> None:
    assert found["birth_near"]["birth"] == "birth years agree"
    assert found["birth_far"]["birth"] == BIRTH_CONFLICT


def test_different_known_fathers_are_a_conflict(found: dict[str, dict[str, str]]) -> None:
    assert found["fathers_differ"]["father_name"] == FATHER_CONFLICT


# --- initials: order-free, so a garbled pair with swapped names is still compared ---

def test_initials_block_swapped_and_garbled_names_on_the_same_death_day() -> None:
    rule = PREDICTION_BLOCKING.index(("death_lo", "death_hi", "initials"))
    records = pd.DataFrame([
        {"record_id": "a", "given_name": "Hossein", "family_name": "Karimi",
         "death_date": "1988-08-03"},
        {"record_id": "b", "given_name": "Kareemy", "family_name": "Hosain",  # swapped, garbled
         "death_date": "1988-08-03"},
        {"record_id": "c", "given_name": "Bijan", "family_name": "Karimi",
         "death_date": "1988-08-03"},
    ])
    keys = blocking_keys(record_features(records))[f"blk_{rule}"]
    assert keys[0] == keys[1]
    assert keys[0] != keys[2]


def test_a_garbled_given_name_is_blocked_by_its_initial_and_the_coarse_family_name() -> None:
    # A typo in the given name (Mostafa / Mosafa) with no place or date on one record:
    # every other rule pairs a name with another field or with the given name's first
    # word; the initial and the family name's coarse skeleton still agree
    # (benchmarks/linkage/README.md, stop 33).
    rule = PREDICTION_BLOCKING.index(("given_init", "family_coarse"))
    records = pd.DataFrame([
        {"record_id": "a", "given_name": "Mostafa", "family_name": "Ahmadnia",
         "death_date": "1988-08-03", "city": "Sari"},
        {"record_id": "b", "given_name": "Mosafa", "family_name": "Ahmadnia"},
        {"record_id": "c", "given_name": "Bijan", "family_name": "Ahmadnia"},
    ])
    keys = blocking_keys(record_features(records))
    assert keys[f"blk_{rule}"][0] == keys[f"blk_{rule}"][1]
    assert keys[f"blk_{rule}"][0] != keys[f"blk_{rule}"][2]
    others = keys.drop(columns=f"blk_{rule}")
    assert not (others.iloc[0] == others.iloc[1]).fillna(False).any()


# --- both names run together: a space inside a family name moves the parser's split ---

def test_names_run_together_block_a_family_name_written_with_a_space() -> None:
    # Khosrow is a given name too: "علی خسرو شاهی" parses as given "علی خسرو", family
    # "شاهی", so no rule on either name alone (nor all words sorted) brings it together
    # with "علی | خسروشاهی"; both names run together are the same skeleton.
    records = pd.DataFrame([
        {"record_id": "a", "given_name": "علی", "family_name": "خسروشاهی"},
        {"record_id": "b", "full_name": "علی خسرو شاهی"},
        {"record_id": "c", "full_name": "Ali Khosro Shahi"},
        {"record_id": "d", "full_name": "علی خسرو شاهین"},  # another family name
    ])
    keys = blocking_keys(record_features(records))
    rule = PREDICTION_BLOCKING.index(("name_joined",))
    joined = keys[f"blk_{rule}"]
    assert joined[0] == joined[1] == joined[2]
    assert joined[0] != joined[3]
    others = keys.drop(columns=f"blk_{rule}")
    assert not (others.iloc[0] == others.iloc[1]).fillna(False).any()


def test_names_split_elsewhere_compare_as_the_same_names(
    found: dict[str, dict[str, str]],
) -> None:
    # The last two run together differ by one letter, and each name by a whole part.
    for case in ("moved_split", "moved_split_latin", "moved_split_slip",
                 "moved_split_slip_persian"):
        assert found[case]["given_name"] == joined_label("given_name"), case
        assert found[case]["family_name"] == joined_label("family_name"), case
    assert found["joined_but_not_split"]["given_name"] == "different known given_names"
    assert found["joined_but_not_split"]["family_name"] == "same canonical family_name"
    # One letter apart, the family name the same: not a split.
    assert found["one_letter_not_split"]["given_name"] == "different known given_names"


# --- places weighed by how common they are ---

def test_a_shared_small_town_counts_for_more_than_a_shared_capital() -> None:
    # Two pairs alike in everything but how common their shared city is (its term
    # frequency among the records): Tehran's namesakes share it by chance far more often.
    scored = _at_two_frequencies(({"given_name": "Ali", "city": "Tehran"},
                                  {"given_name": "Ali", "city": "Tehran"}), "city_key")
    capital, town = scored.loc["x", "match_weight"], scored.loc["y", "match_weight"]
    assert town - capital == pytest.approx(math.log2(0.3 / 0.003), abs=1e-6)


def _at_two_frequencies(pair: tuple[dict[str, Any], dict[str, Any]], column: str, *,
                        left_only: bool = False) -> pd.DataFrame:
    """``pair`` scored twice, by record id: ``x`` with ``column``'s term frequency 0.3,
    ``y`` with 0.003; on the right side too unless ``left_only`` (no value, no frequency)."""
    sides = []
    for side in (0, 1):
        records = [{**pair[side], "record_id": "x"}, {**pair[side], "record_id": "y"}]
        frame = record_features(pd.DataFrame(records))
        rows = _plain(pd.concat([frame, blocking_keys(frame)], axis=1))
        blank = left_only and side == 1
        rows[0][f"tf_{column}"], rows[1][f"tf_{column}"] = (None, None) if blank else (0.3, 0.003)
        sides.append(rows)
    scored: pd.DataFrame = compare_records(
        sides[0], sides[1], model_settings(), DuckDBAPI(),
        join_condition="l.record_id = r.record_id",
    ).as_pandas_dataframe().set_index("record_id_l")
    return scored


# --- every level and every limit, from both sides (issue 18 item 7) ---

WITHIN_31, WITHIN_YEAR = "death intervals within 31 days", "death intervals within a year"
SAME_MONTH, OVERLAP = "death within the same month", "death intervals overlap"
# The level each purpose-made pair of LEVEL_CASES must land in, by comparison.
EXPECTED_LEVELS: dict[str, dict[str, str]] = {
    "death_gap_31": {"death": WITHIN_31},
    "death_gap_32": {"death": WITHIN_YEAR},
    "death_gap_31_reversed": {"death": WITHIN_31},
    "death_gap_366": {"death": WITHIN_YEAR},
    "death_gap_367": {"death": DEATH_CONFLICT},
    "death_gap_366_reversed": {"death": WITHIN_YEAR},
    "death_touching": {"death": SAME_MONTH},
    "death_touching_reversed": {"death": SAME_MONTH},
    "death_left_31_wide": {"death": SAME_MONTH},
    "death_left_32_wide": {"death": OVERLAP},
    "death_right_31_wide": {"death": SAME_MONTH},
    "death_right_32_wide": {"death": OVERLAP},
    "death_day_in_two_days_left": {"death": SAME_MONTH},
    "death_day_in_two_days_right": {"death": SAME_MONTH},
    "death_two_days_each": {"death": SAME_MONTH},
    "death_next_day": {"death": WITHIN_31},
    "death_one_unknown": {"death": "death_lo is NULL"},
    "birth_touching": {"birth": "birth years agree"},
    "birth_touching_reversed": {"birth": "birth years agree"},
    "birth_gap_2": {"birth": "birth years within 2"},
    "birth_gap_2_reversed": {"birth": "birth years within 2"},
    "birth_gap_3": {"birth": "birth years within 5"},
    "birth_gap_5": {"birth": "birth years within 5"},
    "birth_gap_5_reversed": {"birth": "birth years within 5"},
    "birth_gap_6": {"birth": BIRTH_CONFLICT},
    "family_same_skeleton": {"family_name": "same family_name skeleton"},
    "family_same_coarse": {"family_name": "same family_name up to letters romanisations confuse"},
    "family_jaro_high": {"family_name": "Jaro-Winkler distance of family_skel >= 0.92"},
    "family_jaro_low": {"family_name": "Jaro-Winkler distance of family_skel >= 0.8"},
    "family_unlike": {"family_name": FAMILY_UNLIKE},
    "family_one_unknown": {"family_name": "family_skel is NULL"},
    "swap_of_one_skeleton": {"given_name": "same given_name skeleton",
                             "family_name": "same family_name skeleton"},
    "swapped_coarse": {"given_name": "given_name swapped with family",
                       "family_name": "family_name swapped with given"},
    "father_prefix": {"father_name": "one father_name begins with the other"},
    "father_prefix_reversed": {"father_name": "one father_name begins with the other"},
    "father_same_skeleton": {"father_name": "same father_name skeleton"},
    "father_unknown_differ": {"father_name": "All other comparisons"},
    "sex_same": {"sex": "Exact match on sex"},
    "sex_differ": {"sex": SEX_CONFLICT},
    "city_same": {"city": "Exact match on city_key"},
    "city_differ": {"city": "All other comparisons"},
    "province_of_city": {"province": "Exact match on region_key"},
    "province_of_prison": {"province": "Exact match on region_key"},
    "province_then_and_now": {"province": "Exact match on region_key"},
    "province_differ": {"province": "All other comparisons"},
    "province_both_cities": {"province": PROVINCE_NULL, "city": "All other comparisons"},
    "province_written_and_cities": {"province": "Exact match on region_key",
                                    "city": "All other comparisons"},
    "id_same": {"id_number": "same id number"},
    "id_one_edit": {"id_number": "id numbers one edit apart"},
    "id_two_edits": {"id_number": "id numbers two edits apart"},
    "id_three_edits": {"id_number": "All other comparisons"},
}


def test_every_level_and_limit_is_reached_by_its_own_pair(
    found: dict[str, dict[str, str]],
) -> None:
    assert set(EXPECTED_LEVELS) == set(LEVEL_CASES)
    wrong = {case: {c: found[case][c] for c in levels}
             for case, levels in EXPECTED_LEVELS.items()
             if {c: found[case][c] for c in levels} != levels}
    assert not wrong


def test_conflict_levels_keep_their_fixed_m_and_only_they_do() -> None:
    # model.CONFLICT_LEVELS: a conflict's m is fixed, never trained (EM would learn that
    # namesakes' different fathers are common among matches); every other level trains.
    fixed = {}
    for comparison in model_settings().get_settings("duckdb").as_dict()["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("fix_m_probability"):
                fixed[level["label_for_charts"]] = level["m_probability"]
    assert fixed == CONFLICT_LEVELS


# Each term-frequency column, a pair whose level reads it, and the comparison it adjusts.
TF_CASES: dict[str, tuple[str, tuple[dict[str, Any], dict[str, Any]]]] = {
    "given_canon": ("given_name", (HK, HK)),
    "given_skel": ("given_name", ({"given_name": "Golshiri"}, {"given_name": "Golshiry"})),
    "family_canon": ("family_name", (HK, HK)),
    "family_skel": ("family_name", (_family("Golshiri"), _family("Golshiry"))),
    "father_canon": ("father_name", (_father("Reza"), _father("Reza"))),
    "father_skel": ("father_name", (_father("Golshiri"), _father("Golshiry"))),
    # A moved split: the family name's level counts as common as the whole name is; the
    # given name's level is no evidence (model.WEIGHED_AS, NEUTRAL_LEVELS), so not adjusted.
    "name_joined": ("family_name", CASES["moved_split"]),
    **{key: (comparison, ({**ALI, comparison: value}, {**ALI, comparison: value}))
       for key, comparison, value in [
           ("city_key", "city", "Tabriz"), ("region_key", "province", "Fars"),
           ("prison_key", "prison", "Evin"), ("burial_key", "burial_place", "Khavaran"),
           ("affiliation_key", "affiliation", "Fadaiyan")]},
}


def test_a_slip_in_a_known_given_name_counts_as_common_as_the_name() -> None:
    # The slip level is adjusted by the known name's own frequency against the
    # same-name level's u (Splink's exact-match u of given_canon): a slip in a common
    # name counts for less, by as much as two records spelling it alike do.
    # The slip (right) has no canonical name, so no frequency of its own.
    scored = _at_two_frequencies(({"given_name": "Mohammad"}, {"given_name": "Mohamma"}),
                                 "given_canon", left_only=True)
    common, rare = scored.loc["x", "match_weight"], scored.loc["y", "match_weight"]
    assert rare - common == pytest.approx(math.log2(0.3 / 0.003), abs=1e-6)
    assert scored.loc["x", "mw_tf_adj_given_name"] != 0


def test_each_frequency_column_adjusts_its_own_comparison_only() -> None:
    # Two copies of each pair, alike but for one term frequency (0.3 and 0.003): the
    # rarer value counts log2(100) bits more, in the comparison that reads it, and in no
    # other. A level without its adjustment, or an adjustment in the wrong level, fails.
    names = list(TF_CASES)
    sides = []
    for side in (0, 1):
        frame = record_features(pd.DataFrame(
            [{**TF_CASES[n][1][side], "record_id": f"{n}|{rare}"}
             for n in names for rare in (0, 1)]))
        rows = _plain(pd.concat([frame, blocking_keys(frame)], axis=1))
        for row in rows:
            name, rare = row["record_id"].split("|")
            row[f"tf_{name}"] = 0.003 if rare == "1" else 0.3
        sides.append(rows)
    scored = compare_records(
        sides[0], sides[1], model_settings(), DuckDBAPI(),
        join_condition="l.record_id = r.record_id",
    ).as_pandas_dataframe().set_index("record_id_l")
    adjusted = [c for c in scored.columns if c.startswith("mw_tf_adj_")]
    for name in names:
        gain = scored.loc[f"{name}|1", adjusted] - scored.loc[f"{name}|0", adjusted]
        expected = {f"mw_tf_adj_{TF_CASES[name][0]}": math.log2(100)}
        assert {c: v for c, v in gain.items() if abs(v) > 1e-9} == pytest.approx(expected), name
    # The two copies differ only in the frequency: so do their whole weights.
    for name in names:
        gain = scored.loc[f"{name}|1", "match_weight"] - scored.loc[f"{name}|0", "match_weight"]
        assert gain == pytest.approx(math.log2(100)), name
