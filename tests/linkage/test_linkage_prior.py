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
    # Lists that name a person once: trained and scored once.
    assert result.stats["scorings"] == 1


CITIES = ["Tehran", "Tabriz", "Shiraz", "Rasht", "Mashhad"]
PRISONS = ["Evin", "Gohardasht", "Adelabad", "Vakilabad"]


def _deduplicating(copies: int = 3, people: int = 6) -> pd.DataFrame:
    """One SYNTHETIC list being deduplicated: ``people`` men each named ``copies`` times
    (the same name, father, year of birth and day of death), and 20 people named once.
    """
    rows = []
    for k in range(people):
        for copy in range(copies):
            rows.append({"record_id": f"D-{k}-{copy}", "source_id": "D",
                         "given_name": GIVEN[k], "family_name": FAMILY[k],
                         "father_name": FATHERS[k % len(FATHERS)],
                         "birth_year": str(1950 + k), "city": CITIES[k % len(CITIES)],
                         "prison": PRISONS[k % len(PRISONS)],
                         "death_date": f"1988-08-{10 + k:02d}"})
    for k in range(20):
        rows.append({"record_id": f"D-u{k}", "source_id": "D",
                     "given_name": GIVEN[(k + 7) % len(GIVEN)],
                     "family_name": FAMILY[(k + 3) % len(FAMILY)] + "zadeh",
                     "birth_year": str(1930 + k), "death_date": "1988-09-05"})
    return pd.DataFrame(rows)


def test_a_list_being_deduplicated_counts_its_pairs_in_full() -> None:
    # Six people named three times each on one list: 6 x 3 = 18 true pairs. Counted as a
    # list that names a person once, each record has two partners on its own list and
    # each pair counts 1/2: 9, half the truth (k/2 per person, not k(k-1)/2).
    features = record_features(_deduplicating())
    n = len(features)
    total = n * (n - 1) / 2
    assert prior_from_rules(features) == pytest.approx(9 / DETERMINISTIC_RECALL / total)
    assert prior_from_rules(features, repeating=("D",)) == pytest.approx(
        18 / DETERMINISTIC_RECALL / total)
    # Another list naming each of the six once: towards the repeating list D a record
    # counts one (its three partners there are one person), towards the other list E
    # a record of D has one partner. 18 within D + 6 x 3 across = 36 true pairs, all
    # counted; counted as two lists naming a person once: 9 + 6 x 3 x 1/3 = 15.
    other = _deduplicating(copies=1).head(6).assign(
        source_id="E", record_id=lambda f: "E" + f["record_id"].str[1:])
    both = record_features(pd.concat([_deduplicating(), other], ignore_index=True))
    m = len(both)
    assert prior_from_rules(both) == pytest.approx(15 / DETERMINISTIC_RECALL / (m * (m - 1) / 2))
    assert prior_from_rules(both, repeating=("D",)) == pytest.approx(
        36 / DETERMINISTIC_RECALL / (m * (m - 1) / 2))


def test_the_linker_counts_a_list_being_deduplicated_in_full() -> None:
    # The first scoring finds D full of near-certain duplicates (18 of 38 records), so
    # the clustering exempts it and the model is trained and scored again with D's
    # pairs counted in full; every person's three records are one cluster.
    records = _deduplicating()
    n = len(records)
    result = link(records)
    # Counted as a list that names a person once, it would be 9 (see above).
    assert result.stats["prior"] == pytest.approx(18 / DETERMINISTIC_RECALL / (n * (n - 1) / 2))
    assert result.stats["duplicate_lists"] == 1
    assert result.stats["prior_repeating_lists"] == 1
    assert result.stats["scorings"] == 2
    groups = result.clusters.groupby("cluster_id")["record_id"].apply(frozenset)
    for k in range(6):
        assert frozenset(f"D-{k}-{c}" for c in range(3)) in set(groups)
