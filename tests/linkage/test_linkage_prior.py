"""The prior of the linkage model is not inflated by namesakes (issue 13).

Purpose-made SYNTHETIC records on two lists: two people named on both lists, four
different men called Mohammad Mohammadi born in 1339 on each list (namesakes: other
fathers, other days of death), and people named once. Splink's estimate counted
every pair its deterministic rules find: 4 x 4 namesake pairs across the lists and
6 within each, so 30 pairs for 2 true ones. A list names a person once, so a
record has at most one true partner on each list (its own included): each pair
counts 1 / d, d the larger number of partners its records have on the other's list.
The 16 namesake pairs across count 4 (1/4 each), the 6 within each list 2 (1/3
each), the two true pairs 1 each: 10.
"""

from __future__ import annotations

import pandas as pd
import pytest

from dadkhahi.linkage import link
from dadkhahi.linkage.features import record_features
from dadkhahi.linkage.model import DETERMINISTIC_RECALL, prior_from_rules

GIVEN = ["Bijan", "Roozbeh", "Farhad", "Kazem", "Masoud", "Jafar", "Shahrzad", "Mehrangiz",
         "Fereydoun", "Siavash", "Kourosh", "Parviz", "Manouchehr", "Bahram", "Shirin",
         "Simin", "Ahmad", "Mahmoud", "Nasser", "Hamid"]
FAMILY = ["Golshiri", "Kianoushpour", "Farrokhzad", "Yazdani", "Bahrami", "Asadi",
          "Tabatabaei", "Nouri", "Ghasemi", "Sadeghi", "Karimi", "Ahmadi", "Rezaei",
          "Esfandiari", "Daneshvar", "Mirzaei", "Sharifi", "Jafari", "Kamali", "Najafi"]
FATHERS = ["Reza", "Ali", "Hassan", "Mehdi"]


def _records(namesakes: int = 4) -> pd.DataFrame:
    rows = []
    for list_id in ("A", "B"):
        for k in range(namesakes):  # a different man each time, on each list
            rows.append({"record_id": f"{list_id}-n{k}", "source_id": list_id,
                         "given_name": "Mohammad", "family_name": "Mohammadi",
                         "father_name": FATHERS[k % len(FATHERS)] + ("" if list_id == "A"
                                                                     else "zadeh"),
                         "birth_year": "1960",
                         "death_date": f"1988-08-{10 + k + (0 if list_id == 'A' else 9):02d}"})
        for k, (given, family) in enumerate([("Hossein", "Golestani"), ("Zahra", "Nikkhah")]):
            rows.append({"record_id": f"{list_id}-t{k}", "source_id": list_id,
                         "given_name": given, "family_name": family, "birth_year": "1950",
                         "death_date": "1988-09-01"})
        for k in range(20):  # named once: nobody else shares their name
            given = GIVEN[k]
            family = FAMILY[(k + (0 if list_id == "A" else 7)) % len(FAMILY)]
            rows.append({"record_id": f"{list_id}-u{k}", "source_id": list_id,
                         "given_name": given, "family_name": family + list_id.lower(),
                         "birth_year": str(1940 + k), "death_date": "1988-08-05"})
    return pd.DataFrame(rows)


def test_namesakes_count_once_per_list_in_the_prior() -> None:
    records = _records()
    n = len(records)
    expected = 10 / DETERMINISTIC_RECALL / (n * (n - 1) / 2)
    assert prior_from_rules(record_features(records)) == pytest.approx(expected)
    # Twice as many namesakes on each list: 8 across (64 pairs of 1/8), 4 within each
    # list (28 pairs of 1/7), 2 true: 18, where the pair count would add 48 + 44.
    more = _records(namesakes=8)
    m = len(more)
    assert prior_from_rules(record_features(more)) == pytest.approx(
        18 / DETERMINISTIC_RECALL / (m * (m - 1) / 2))


def test_the_linker_trains_with_the_prior_counted_once_per_list() -> None:
    records = _records()
    n = len(records)
    result = link(records)
    # Splink's own estimate on these records was 30 / 0.4 / 1,326 = 0.0566.
    assert result.stats["prior"] == pytest.approx(10 / DETERMINISTIC_RECALL / (n * (n - 1) / 2))
