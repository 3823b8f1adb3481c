"""Per-record linkage features: script-independent keys, birth and death intervals."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dadkhahi.linkage.features import FEATURE_COLUMNS, record_features
from dadkhahi.linkage.model import PREDICTION_BLOCKING, blocking_keys

# SYNTHETIC records of one invented person, written three ways.
RECORDS = pd.DataFrame(
    [
        {
            "record_id": "A-1",
            "source_id": "A",
            "given_name": "سید غلام‌رضا",
            "family_name": "حسین زاده",
            "father_name": "علي",
            "birth_year": "۱۳۴۰",
            "city": "تهران",
            "prison": "زندان اوین",
            "death_date": "۱۲ مرداد ۱۳۶۷",
            "sex": "مرد",
        },
        {
            "record_id": "B-1",
            "source_id": "B",
            "full_name": "Hosseinzadeh, Gholam Reza",
            "father_name": "Ali",
            "age": 27,
            "city": "Tehran",
            "prison": "Evin Prison",
            "death_earliest": dt.date(1988, 8, 3),
            "death_latest": dt.date(1988, 8, 3),
            "sex": "M",
        },
        {
            "record_id": "C-1",
            "source_id": "C",
            "full_name": "Gholamreza Hossein-Zadeh",
            "birth_year": 1961,
            "city": "Teheran",
            "death_date": "Mordad 1367",
        },
    ]
)


def test_one_person_written_three_ways_has_one_set_of_keys() -> None:
    features = record_features(RECORDS)
    assert list(features.columns) == list(FEATURE_COLUMNS)
    for column in ("given_canon", "given_skel", "family_canon", "family_skel", "city_key"):
        assert features[column].nunique() == 1, column
    assert features.loc[0, "given_canon"] == "gholam reza"
    assert features.loc[0, "family_canon"] == "hosseinzadeh"
    assert features.loc[0, "father_canon"] == features.loc[1, "father_canon"] == "ali"
    assert pd.isna(features.loc[2, "father_canon"])
    assert features.loc[0, "prison_key"] == features.loc[1, "prison_key"] == "evin"
    assert list(features["sex"].fillna("?")) == ["m", "m", "?"]


def test_birth_intervals_from_jalali_year_age_and_gregorian_year() -> None:
    features = record_features(RECORDS)
    # Jalali 1340 runs from March 1961 to March 1962.
    assert (features.loc[0, "birth_lo"], features.loc[0, "birth_hi"]) == (1961, 1962)
    # Aged 27 at death in August 1988: born 1960 or 1961.
    assert (features.loc[1, "birth_lo"], features.loc[1, "birth_hi"]) == (1960, 1961)
    assert (features.loc[2, "birth_lo"], features.loc[2, "birth_hi"]) == (1961, 1961)


def test_death_intervals_from_text_and_dates_agree() -> None:
    features = record_features(RECORDS)
    day = (dt.date(1988, 8, 3) - dt.date(1970, 1, 1)).days
    assert features.loc[0, "death_lo"] == features.loc[0, "death_hi"] == day
    assert features.loc[1, "death_lo"] == day
    # Mordad 1367 is 23 July .. 22 August 1988.
    assert features.loc[2, "death_lo"] == (dt.date(1988, 7, 23) - dt.date(1970, 1, 1)).days
    assert features.loc[2, "death_hi"] == (dt.date(1988, 8, 22) - dt.date(1970, 1, 1)).days


def test_missing_columns_are_empty_and_ids_must_be_unique() -> None:
    features = record_features(pd.DataFrame({"record_id": ["x"], "full_name": ["Ali Karimi"]}))
    assert features.loc[0, "family_canon"] == "karimi"
    assert pd.isna(features.loc[0, "death_lo"])
    with pytest.raises(ValueError, match=r"^record_id values must be unique$"):
        record_features(pd.DataFrame({"record_id": ["x", "x"]}))


def test_blocking_keys_leave_out_oversized_blocks() -> None:
    features = record_features(pd.concat([RECORDS] * 1, ignore_index=True))
    keys = blocking_keys(features, cap=300)
    assert list(keys.columns) == [f"blk_{i}" for i in range(len(PREDICTION_BLOCKING))]
    # Integer keys (nullable), as documented: what every rule joins on.
    assert set(keys.dtypes.astype(str)) == {"Int64"}
    # The three records share the coarse name key (rule 0): one block.
    assert keys["blk_0"].nunique() == 1
    capped = blocking_keys(features, cap=2)
    assert capped["blk_0"].isna().all()


def test_optional_id_number_and_order_free_initials() -> None:
    records = pd.DataFrame(
        {
            "record_id": ["x", "y", "z"],
            "given_name": ["Giaan", "Blackwell", None],
            "family_name": ["Blackwell", "Giaan", "Karimi"],
            "id_number": ["۱۲۳-۴۵۶", "123456", None],
        }
    )
    features = record_features(records)
    assert features["id_key"].tolist()[:2] == ["123456", "123456"]
    assert pd.isna(features.loc[2, "id_key"])
    # Swapped given and family names keep the same initials key.
    assert features.loc[0, "initials"] == features.loc[1, "initials"]
    # Without the column the key is null.
    assert record_features(records.drop(columns="id_number"))["id_key"].isna().all()


def test_sex_in_words_of_both_languages_with_or_without_a_full_stop() -> None:
    words = ["M", "Mr.", "مرد", "آقا", "F", "Mrs.", "female.", "زن", "خانم", "x", "unknown"]
    features = record_features(pd.DataFrame(
        {"record_id": [str(k) for k in range(len(words))], "sex": words}))
    assert features["sex"].fillna("?").tolist() == ["m"] * 4 + ["f"] * 5 + ["?", "?"]


def test_an_id_number_with_letters_is_one_key_in_either_case() -> None:
    # The key is lower-case letters and digits: a list writing "AB" and one writing "ab"
    # give the same key, and a key from either matches the other's exactly.
    features = record_features(pd.DataFrame(
        {"record_id": ["x", "y"], "id_number": ["AB-۱۲۳", "ab 123"]}))
    assert features["id_key"].tolist() == ["ab123", "ab123"]


def test_birth_year_limits_and_name_keys_of_the_first_record() -> None:
    # Gregorian years are read from 1850 to 2030 inclusive, Solar Hijri from 1300 to 1420.
    years = ["1850", "2030", "1849", "2031", "1300", "1420"]
    features = record_features(pd.DataFrame({
        "record_id": [str(k) for k in range(len(years))], "birth_year": years,
        # The first record's names are the first distinct values (code 0): keyed as any.
        "given_name": ["Ali", "Karimi", "Ali", "Ali", "Ali", "Ali"],
        "family_name": ["Karimi", "Ali", "Karimi", "Karimi", "Karimi", "Karimi"]}))
    assert features["birth_lo"].astype("Float64").fillna(-1).tolist() == [
        1850, 2030, -1, -1, 1921, 2041]
    # All name words sorted: the same for swapped given and family names, never empty.
    assert features.loc[0, "name_sorted"] == features.loc[1, "name_sorted"] == "krmy ly"
    # The first two skeleton letters of the family name (blocking on typos).
    assert features.loc[0, "family_head"] == "kr"


def test_blocking_bins_of_birth_and_death() -> None:
    # Half-decade of birth: the interval's middle year over five. A death is binned by
    # 30 days (its interval's middle day) only when known to within 62 days.
    day = (dt.date(1988, 8, 3) - dt.date(1970, 1, 1)).days
    features = record_features(pd.DataFrame({
        "record_id": ["a", "b", "c"], "birth_year": ["1961", "1340", None],
        "death_earliest": [dt.date(1988, 8, 3), dt.date(1988, 8, 3), dt.date(1988, 8, 3)],
        "death_latest": [dt.date(1988, 8, 3), dt.date(1988, 10, 4), dt.date(1988, 10, 5)]}))
    assert features["birth_decade"].tolist()[:2] == [(1961 + 1961) // 10, (1961 + 1962) // 10]
    assert features.loc[0, "death_month"] == (2 * day) // 60
    assert features.loc[1, "death_month"] == (2 * day + 62) // 60  # 62 days wide: binned
    assert pd.isna(features.loc[2, "death_month"])  # 63 days wide: not


def test_the_province_comes_from_the_province_else_the_city_else_the_prison() -> None:
    # One list gives the province, another the city or only the prison: region_key
    # puts them in one province, in the divisions of the 1980s (Karaj and Qom were
    # Tehran's, Ardabil East Azerbaijan's). A province the table does not know keeps
    # its own key; a name with no one province (Azarbaijan: East or West) gives none
    # of its own, and the city decides.
    records = pd.DataFrame({
        "record_id": list("abcdefgh"),
        "province": ["Khuzestan", None, "Alborz", None, "Azarbaijan", "Lower Nowhere",
                     None, None],
        "city": [None, "اهواز", None, "Qom", "Ardabil", None, None, "Nowhereabad"],
        "prison": [None, None, None, "Evin", None, None, "زندان وکیل‌آباد", None],
    })
    region = record_features(records)["region_key"].astype(object).where(
        lambda s: s.notna(), None).tolist()
    assert region[:5] == ["khuzestan", "khuzestan", "tehran", "tehran", "azarbaijan_east"]
    assert region[5].startswith("~")  # an unknown province keeps its own key
    assert region[6] == "khorasan"  # Vakilabad prison, Mashhad
    assert region[7] is None  # an unknown city gives no province


def test_every_place_in_the_province_table_is_a_place_of_the_name_table() -> None:
    from importlib import resources

    from dadkhahi.persian.lexicon import _provinces, lexicon

    places = {e.id for e in lexicon().entries.values() if e.kind == "place"}
    table = _provinces()
    assert set(table) <= places and set(table.values()) <= places
    # Every province maps to itself: a list naming it agrees with its cities.
    assert all(table[p] == p for p in set(table.values()))
    header = resources.files("dadkhahi.persian").joinpath(
        "data/provinces.csv").read_text("utf-8").splitlines()[0]
    assert header == "place,province"
