"""The Splink model: Persian-aware comparisons, blocking, training, prediction.

One settings object serves DuckDB (default) and Spark: every comparison is either
a Splink library level (which Splink writes in each dialect) or plain SQL that both
dialects read the same way. All name keys are ASCII (see
:mod:`dadkhahi.persian.keys`), so DuckDB's byte-counting ``jaro_winkler`` is exact.

Name comparison levels, most specific first: same canonical name (with term
frequency adjustment, so a shared common name counts for less than a shared rare
one); both names run together the same (or but for one letter, this name differing
by a whole part) while this one differs (given and family: a list put the split
between them elsewhere; the family name weighed as the same skeleton of a name as
common as the whole name, see :data:`WEIGHED_AS`); one name's parts a prefix of the
other's (``Mohammad Ali`` / ``Mohammad``, given and father only); both names known to
the table and different (Hassan and Hossein share a skeleton, so this comes before
any skeleton level); for the given name, one known name after a one-letter slip in a
word the table does not know (``Mohamma``, ``مدهی``:
:func:`dadkhahi.persian.keys.corrected_key`; adjusted by the known name's frequency);
same consonant skeleton (term frequency adjusted); same coarse skeleton (ch/sh/kh,
s/z… merged); Jaro-Winkler on skeletons >= 0.92 and >= 0.8; else.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

# Prediction blocking. Each rule is an equi-join on keys that survive script and
# spelling changes: coarse skeletons of both names (romanisations that confuse
# letters), the last family word (stray words), all name words in any order, one
# name with the father's name, birth year, city, prison or a birth bin, both names run
# together (wherever a list split them or the words inside them), and — for a
# typo in one name — the other name exactly with the first letter of the garbled one.
# The exact death interval with both initials (in either order) or the birth year,
# and one name with the city, reach records whose names are garbled or swapped;
# an identity number (optional column) is a rule of its own.
# Rules naming three or four columns exist for large inputs, where a common name
# (Mohammad Mousavi) makes blocks too big to compare whole: blocks larger than
# BLOCK_CAP records are left out of a rule, and the finer rules reach inside them.
PREDICTION_BLOCKING: tuple[tuple[str, ...], ...] = (
    ("family_coarse", "given_first_coarse"),
    ("family_last", "given_first"),
    ("name_sorted",),
    ("name_joined",),
    ("family_skel", "father_skel"),
    ("given_first", "father_skel", "city_key"),
    ("family_skel", "birth_lo"),
    ("given_skel", "family_head", "birth_lo"),
    ("family_skel", "given_init", "city_key"),
    ("given_skel", "family_init", "city_key"),
    ("family_skel", "given_init", "prison_key"),
    ("given_skel", "family_init", "prison_key"),
    ("family_skel", "given_init", "birth_decade"),
    ("given_skel", "family_init", "birth_decade"),
    ("family_coarse", "given_first_coarse", "birth_decade"),
    ("family_coarse", "given_first_coarse", "city_key"),
    ("family_coarse", "given_first_coarse", "death_month"),
    ("family_coarse", "given_first_coarse", "prison_key"),
    ("death_lo", "death_hi", "initials"),
    ("death_lo", "death_hi", "birth_lo"),
    ("family_skel", "city_key"),
    ("given_skel", "city_key"),
    ("family_skel", "given_init", "region_key"),
    ("given_skel", "family_init", "region_key"),
    ("family_coarse", "given_init", "region_key"),
    ("given_coarse", "family_init", "region_key"),
    ("family_last", "given_init", "region_key"),
    ("given_init", "family_coarse"),
    ("id_key",),
)
# Largest block a rule compares whole: at most BLOCK_CAP**2 / 2 pairs per block.
BLOCK_CAP = 300


def blocking_keys(features: pd.DataFrame, cap: int = BLOCK_CAP) -> pd.DataFrame:
    """One integer key column per prediction rule (``blk_0``…), null outside the rule.

    A record gets no key for a rule when one of the rule's columns is null or its
    block holds more than ``cap`` records. Computed once here, the keys make every
    rule a join on one integer column, the same on DuckDB and Spark.
    """
    keys = {}
    for i, rule in enumerate(PREDICTION_BLOCKING):
        groups = features.groupby(list(rule), dropna=True, sort=False, observed=True)
        ids = groups.ngroup()
        size = groups[rule[0]].transform("size")
        keep = (ids >= 0) & (size.reindex(features.index) <= cap)
        keys[f"blk_{i}"] = ids.where(keep).astype("Int64")
    return pd.DataFrame(keys, index=features.index)


# Training: EM on pairs blocked by some columns estimates the comparisons that do
# not use them (Splink leaves out a comparison that reads a blocking column). The
# rules name the very columns the comparisons read: blocking on a column a
# comparison does not read but depends on (given_first for the given name) would
# let that comparison vouch for every blocked pair and bias the estimates.
# Each name comparison is left free by one of these rules.
TRAINING_BLOCKING: tuple[tuple[str, ...], ...] = (
    ("family_skel", "given_skel"),  # father, birth, death, places
    ("given_skel", "father_skel", "birth_lo"),  # family name
    ("family_skel", "death_lo", "death_hi", "birth_lo"),  # given and father's names
)
# Near-certain matches for the prior; on the synthetic benchmark they find about 40%
# of the true pairs (benchmarks/linkage/bench_dadkhahi.py prints the prior used).
DETERMINISTIC_RULES: tuple[tuple[str, ...], ...] = (
    ("given_skel", "family_skel", "father_skel"),
    ("given_skel", "family_skel", "birth_lo"),
    ("given_skel", "family_skel", "death_lo", "death_hi"),
)
DETERMINISTIC_RECALL = 0.4


# Conflict levels: a disagreement that real lists make only by a coding error. Their
# m is fixed, not trained: on inputs full of namesakes EM takes "same common name,
# same prison and month" for the match class and learns that matches often have
# different fathers and birth years far apart (at 40,000 SYNTHETIC namesake people
# it learned m = 0.51 for different fathers and 0.44 for birth years more than five
# apart, and linked namesakes at 0.99 with a precision of 0.79:
# benchmarks/linkage/bench_common_names.py). Fixed small m makes each conflict
# strong negative evidence without a hard split (a coding error still links when
# the rest agrees). After training a conflict level never counts *for* a match
# (its m is held at most its u: :func:`dadkhahi.linkage.run` does it), as a floored
# u (deaths years apart are rare among random pairs too) would otherwise turn a
# conflict into a strong match.
#: Two known and different given names (Hassan / Hossein), or family names, are the
#: same kind of evidence, and EM on namesakes mistrains them the same way: the only
#: blocks that leave a name free for training share the other name with the father's
#: name or birth year, and namesakes fill those blocks. At 300,000 SYNTHETIC records
#: EM learned m = 0.20 for two different known family names (-1.4 bits; among the true
#: pairs 0.004), and at 4,000 namesake people it learned 0.002 on three draws and
#: 0.034-0.041 on two, the draws with the lowest precision
#: (benchmarks/linkage/README.md, stop 32). Fixed, like the conflicts below.
GIVEN_CONFLICT = "different known given_names"
FAMILY_CONFLICT = "different known family_names"
#: The family name's last level: neither known and different, nor alike in any way.
FAMILY_UNLIKE = "family_names nothing alike"
FATHER_CONFLICT = "different known father_names"
BIRTH_CONFLICT = "birth years more than 5 apart"
DEATH_CONFLICT = "death intervals more than a year apart"
SEX_CONFLICT = "different sex"
CONFLICT_LEVELS: dict[str, float] = {
    GIVEN_CONFLICT: 0.01,
    FAMILY_CONFLICT: 0.01,
    FATHER_CONFLICT: 0.04,
    BIRTH_CONFLICT: 0.02,
    DEATH_CONFLICT: 0.005,
    SEX_CONFLICT: 0.01,
}


#: Levels whose trained m may fall below its start value but never rise above it (the
#: run caps it: :func:`dadkhahi.linkage.run.link`). EM on namesake blocks raises the m of
#: family names nothing alike: 0.137 (-1.7 bits) at 300,000 SYNTHETIC records, against
#: 0.003-0.0045 of the true pairs at 4,000 namesake people, where EM's own estimates stay
#: under 0.007; on FEBRL, whose corruption garbles surnames, EM gives 0.0495. Fixing it at
#: 0.01 as a conflict cost FEBRL3 0.0006 of F1 (benchmarks/linkage/README.md, stop 32); the
#: ceiling at the start value leaves FEBRL and the 4,000 lists exactly as they were.
M_CEILINGS: dict[str, float] = {FAMILY_UNLIKE: 0.05}


def _m(level: Any, m: float, label: str | None = None) -> Any:
    """A level with its starting m probability (EM refines it; kept if untrainable).

    A conflict level (:data:`CONFLICT_LEVELS`) gets its fixed m instead.
    """
    if label is None:
        return level.configure(m_probability=m)
    if label in CONFLICT_LEVELS:
        return level.configure(
            m_probability=CONFLICT_LEVELS[label], label_for_charts=label, fix_m_probability=True
        )
    return level.configure(m_probability=m, label_for_charts=label)


def _swapped(prefix: str) -> str:
    """SQL: the two records' given and family names are swapped (skeletons or coarse).

    Both names must agree crosswise: one agreeing name alone is common in Persian,
    where many family names are given names (Ali, Hassan) with a suffix dropped.
    Read from the side-by-side columns (``names_gf`` against ``names_fg``), never from
    the other name's own columns: Splink leaves a comparison that reads a blocking
    column out of an EM session, and :data:`TRAINING_BLOCKING` trains each name on
    blocks of the other name's skeleton. Read from ``given_skel``, the family name's
    swapped level kept the family name out of the one session meant to train it (and
    the given name likewise): from the swapped levels' introduction (75daaf5) until
    this change both names ran on their start values.
    """
    return (
        f"{prefix}_skel_l <> {prefix}_skel_r AND ("
        "names_gf_l = names_fg_r OR names_gf_coarse_l = names_fg_coarse_r)"
    )


def joined_label(label: str) -> str:
    """Label of the level where both names run together agree but ``label`` does not."""
    return f"same names run together, {label} split elsewhere"


def near_label(label: str) -> str:
    """Label of the level where ``label`` is one known name after a one-letter slip."""
    return f"same known {label} after a one-letter slip"


def skeleton_label(label: str) -> str:
    """Label of the level where ``label``'s consonant skeletons agree."""
    return f"same {label} skeleton"


def swapped_label(label: str, other: str) -> str:
    """Label of the level where ``label`` and ``other`` are swapped between the records."""
    return f"{label} swapped with {other}"


#: Levels whose m and u no training can estimate, each weighed as the level it names
#: (the run copies that level's trained m and u: :func:`dadkhahi.linkage.run.link`).
#: Both names run together agree while each name alone differs: a list put the
#: boundary between given and family name elsewhere, or a space inside a name moved
#: the parser's split (``علی خسرو | شاهی`` against ``علی | خسروشاهی``). EM never sees such
#: a pair (it trains each name on blocks where the other name's skeleton agrees, and
#: then both names run together agree only if this one does too) and random pairs
#: almost never land here, so the level's own m and u would be an untrained start and
#: a floored u: about 11 bits for a match on each name. The family name's level counts
#: the whole name: the family skeleton level's m and u, adjusted by how common the
#: whole name run together is (so a moved split of Mohammad Rezaei counts for as
#: little as the common name does); the given name's level is neutral
#: (:data:`NEUTRAL_LEVELS`), or the name would count twice.
#: Given and family names swapped between the records ("FAMILY, Given" read as "Given
#: Family") are the same case: EM never sees them either (each name is trained on blocks
#: where the other name agrees as it stands) and random pairs almost never agree
#: crosswise, so each name's swapped level was its start m (0.02) over a floored u,
#: about 13 bits on each name, 26 for the pair: more than both names agreeing as
#: written (at 4,000 SYNTHETIC namesake people the level joined no true pair and four
#: wrong ones, one at 20 bits: benchmarks/linkage/study_errors.py). Now the names
#: count once, as a family skeleton agreeing, adjusted by how common the whole name is
#: (``name_sorted``: every part of both names, in any order).
WEIGHED_AS: dict[str, str] = {
    joined_label("family_name"): skeleton_label("family_name"),
    swapped_label("family_name", "given"): skeleton_label("family_name"),
}
#: Levels that are no evidence either way: m is set to u after training.
NEUTRAL_LEVELS: frozenset[str] = frozenset(
    {joined_label("given_name"), swapped_label("given_name", "family")})
#: The frequency column of each level weighed as another (:data:`WEIGHED_AS`).
WEIGHED_TF: dict[str, str] = {
    joined_label("family_name"): "name_joined",
    swapped_label("family_name", "given"): "name_sorted",
}


def _joined_elsewhere(prefix: str) -> str:
    """SQL: both names run together agree, this name's skeleton does not; or they agree
    but for one letter while this name differs by a whole part (two letters or more).

    The second arm is a moved split with a slip in it, the usual way a full name with
    a misspelt part is misparsed: ``Ali Reda Mohammadi`` (``Reda`` unknown, so the
    parser ends the given name before it) against ``Alireza | Mohammadi``, or
    ``مهدی محمد پوژ`` against ``مهدی | محمدپور``. At 4,000 SYNTHETIC namesake
    people, 9 to 55 missed true pairs a draw (seeds 0, 1, 3, 6) fell this way to "one
    given name begins with the other" (about -4 bits; benchmarks/linkage/
    study_given_names.py). A name one letter off alone (Ahmad / Ahmadi, the family
    name the same) stays out: it differs by one letter, not a part.
    """
    skel_l, skel_r = f"{prefix}_skel_l", f"{prefix}_skel_r"
    return (
        f"(name_joined_l = name_joined_r AND {skel_l} <> {skel_r}) OR "
        f"(levenshtein(name_joined_l, name_joined_r) = 1 "
        f"AND levenshtein({skel_l}, {skel_r}) >= 2)"
    )


def _weighed(level: Any, label: str) -> Any:
    """``level`` with the frequency adjustment of :data:`WEIGHED_TF`, if it has one."""
    column = WEIGHED_TF.get(label)
    if column is None:
        return level
    return level.configure(tf_adjustment_column=column, tf_adjustment_weight=1.0,
                           disable_tf_exact_match_detection=True)


def _name_comparison(
    prefix: str, label: str, *, partial: bool, swap: str | None = None, joined: bool = False,
    unlike: str | None = None, near: bool = False,
) -> Any:
    levels: list[Any] = [
        cll.NullLevel(f"{prefix}_skel"),
        _m(
            cll.ExactMatchLevel(f"{prefix}_canon", term_frequency_adjustments=True),
            0.55,
            f"same canonical {label}",
        ),
    ]
    if joined:
        # Before the prefix and "different known" levels: a moved split makes one
        # name a prefix of the other, or two different known names (see WEIGHED_AS).
        levels.append(_m(_weighed(cll.CustomLevel(_joined_elsewhere(prefix)),
                                  joined_label(label)), 0.01, joined_label(label)))
    if partial:
        condition = (
            f"{prefix}_parts_l LIKE concat({prefix}_parts_r, ' %') "
            f"OR {prefix}_parts_r LIKE concat({prefix}_parts_l, ' %')"
        )
        levels.append(_m(cll.CustomLevel(condition), 0.05, f"one {label} begins with the other"))
    if swap is not None:
        # Given and family names swapped (a list that writes "Family Given", a
        # misread layout): before "different known", as both may be known names.
        named = swapped_label(label, swap)
        levels.append(_m(_weighed(cll.CustomLevel(_swapped(prefix)), named), 0.02, named))
    known = f"{prefix}_canon_l IS NOT NULL AND {prefix}_canon_r IS NOT NULL"
    levels.append(
        # Known and different (Hassan/Hossein share a skeleton): before any fuzzy level.
        _m(cll.CustomLevel(known), 0.02, f"different known {label}s"))
    if near:
        # One known name after a one-letter slip (Mohamma / Mohammad, بپول / بتول),
        # before the skeleton levels, which would weigh a slip in Mohammad by how
        # common the *skeleton* is against the level's own rare u (below zero bits for
        # Mohammad). Here the known name's frequency adjusts the same-name u, as it
        # does for two records spelling the name alike.
        # One side must be the known name itself: two words the table lacks, each one
        # slip from Ali (FEBRL's Amy and Abby), are not one name.
        slip = (f"{prefix}_near_l = {prefix}_near_r AND "
                f"({prefix}_canon_l IS NOT NULL OR {prefix}_canon_r IS NOT NULL)")
        levels.append(_m(
            cll.CustomLevel(slip).configure(
                tf_adjustment_column=f"{prefix}_canon", tf_adjustment_weight=1.0),
            0.05, near_label(label)))
    levels += [
        _m(
            cll.ExactMatchLevel(f"{prefix}_skel", term_frequency_adjustments=True),
            0.2,
            skeleton_label(label),
        ),
        _m(
            cll.ExactMatchLevel(f"{prefix}_coarse"),
            0.05,
            f"same {label} up to letters romanisations confuse",
        ),
        _m(cll.JaroWinklerLevel(f"{prefix}_skel", 0.92), 0.07),
        _m(cll.JaroWinklerLevel(f"{prefix}_skel", 0.8), 0.05),
        _m(cll.ElseLevel(), 0.05 if unlike is None else M_CEILINGS[unlike], unlike),
    ]
    return cl.CustomComparison(levels, output_column_name=label)


def _interval_overlap(lo: str, hi: str) -> str:
    return f"{lo}_l <= {hi}_r AND {lo}_r <= {hi}_l"


def _interval_gap_at_most(lo: str, hi: str, gap: int) -> str:
    return f"greatest({lo}_l - {hi}_r, {lo}_r - {hi}_l) <= {gap}"


def _death_comparison() -> Any:
    narrow = "death_hi_l - death_lo_l <= 31 AND death_hi_r - death_lo_r <= 31"
    same_day = "death_lo_l = death_hi_l AND death_lo_r = death_hi_r AND death_lo_l = death_lo_r"
    overlap = _interval_overlap("death_lo", "death_hi")
    return cl.CustomComparison(
        [
            cll.NullLevel("death_lo"),
            _m(cll.CustomLevel(same_day), 0.3, "same day of death"),
            _m(cll.CustomLevel(f"{overlap} AND {narrow}"), 0.35, "death within the same month"),
            _m(cll.CustomLevel(overlap), 0.25, "death intervals overlap"),
            _m(
                cll.CustomLevel(_interval_gap_at_most("death_lo", "death_hi", 31)),
                0.06,
                "death intervals within 31 days",
            ),
            _m(
                cll.CustomLevel(_interval_gap_at_most("death_lo", "death_hi", 366)),
                0.03,
                "death intervals within a year",
            ),
            _m(cll.ElseLevel(), 0.01, DEATH_CONFLICT),
        ],
        output_column_name="death",
    )


def _birth_comparison() -> Any:
    return cl.CustomComparison(
        [
            cll.NullLevel("birth_lo"),
            _m(
                cll.CustomLevel(_interval_overlap("birth_lo", "birth_hi")), 0.8, "birth years agree"
            ),
            _m(
                cll.CustomLevel(_interval_gap_at_most("birth_lo", "birth_hi", 2)),
                0.12,
                "birth years within 2",
            ),
            _m(
                cll.CustomLevel(_interval_gap_at_most("birth_lo", "birth_hi", 5)),
                0.05,
                "birth years within 5",
            ),
            _m(cll.ElseLevel(), 0.03, BIRTH_CONFLICT),
        ],
        output_column_name="birth",
    )


def _exact(
    column: str, label: str, m: float = 0.9, conflict: str | None = None, *, tf: bool = False
) -> Any:
    """Same value or not; ``tf``: agreement weighed by how common the value is.

    Places and organisations take term-frequency adjustments: two records of Tehran
    or Evin agree by chance far more often than two records of a small town, so a
    shared small town is strong evidence and a shared capital weak (namesakes of a
    big city's prison are the false merges; pairs of a small place the missed links).
    """
    return cl.CustomComparison(
        [cll.NullLevel(column), _m(cll.ExactMatchLevel(column, term_frequency_adjustments=tf), m),
         _m(cll.ElseLevel(), 1 - m, conflict)],
        output_column_name=label,
    )


#: The province comparison's null level: a province unknown, or both cities known.
PROVINCE_NULL = "a province unknown, or only cities given, compared instead"


def _province_comparison() -> Any:
    """The province (``region_key``), weighed only where the cities cannot be compared.

    A list that writes the province and one that writes the city (Khuzestan / Ahvaz)
    agree only here: the province comes from the city (or prison) by the table of
    :func:`dadkhahi.persian.lexicon.province_of`. Where neither record gives a
    province and both name a city, the city comparison has weighed the place, and a
    province that follows from the two cities would count it a second time: the pair is
    then null here. Two provinces as written are compared, cities or not (a typo in a
    city leaves its province as evidence: FEBRL's suburbs and states; null there, FEBRL3
    without ID fell from F1 0.9692 to 0.9609). Frequency adjusted like the other places
    (Tehran agrees by chance far more than Semnan).
    """
    null = ("region_key_l IS NULL OR region_key_r IS NULL OR (province_key_l IS NULL "
            "AND province_key_r IS NULL AND city_key_l IS NOT NULL AND city_key_r IS NOT NULL)")
    return cl.CustomComparison(
        [cll.CustomLevel(null).configure(is_null_level=True, label_for_charts=PROVINCE_NULL),
         _m(cll.ExactMatchLevel("region_key", term_frequency_adjustments=True), 0.9),
         _m(cll.ElseLevel(), 0.1)],
        output_column_name="province",
    )


def _id_comparison() -> Any:
    """Identity-document numbers: same, one or two digits off (typos), else."""
    return cl.CustomComparison(
        [
            cll.NullLevel("id_key"),
            _m(cll.ExactMatchLevel("id_key"), 0.85, "same id number"),
            _m(cll.LevenshteinLevel("id_key", 1), 0.08, "id numbers one edit apart"),
            _m(cll.LevenshteinLevel("id_key", 2), 0.04, "id numbers two edits apart"),
            _m(cll.ElseLevel(), 0.03),
        ],
        output_column_name="id_number",
    )


def blocking_rules(rules: Sequence[Sequence[str]]) -> list[Any]:
    """Splink blocking rules from tuples of feature columns (equi-joins)."""
    return [block_on(*rule) for rule in rules]


def model_settings(probability_two_random_records_match: float = 1e-4) -> SettingsCreator:
    """The linkage model: comparisons and prediction blocking, backend-independent."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            _name_comparison("given", "given_name", partial=True, swap="family", joined=True,
                             near=True),
            _name_comparison("family", "family_name", partial=False, swap="given", joined=True,
                             unlike=FAMILY_UNLIKE),
            _name_comparison("father", "father_name", partial=True),
            _birth_comparison(),
            _death_comparison(),
            _exact("sex", "sex", 0.97, SEX_CONFLICT),
            _exact("city_key", "city", tf=True),
            _province_comparison(),
            _exact("prison_key", "prison", tf=True),
            _exact("burial_key", "burial_place", tf=True),
            _exact("affiliation_key", "affiliation", tf=True),
            _id_comparison(),
        ],
        blocking_rules_to_generate_predictions=[
            block_on(f"blk_{i}") for i in range(len(PREDICTION_BLOCKING))
        ],
        probability_two_random_records_match=probability_two_random_records_match,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=[],
        max_iterations=20,
    )


def rule_pairs(features: pd.DataFrame, rules: Sequence[Sequence[str]]) -> pd.DataFrame:
    """Every pair of records some rule finds (same key, every key column known), once.

    Returns ``left``, ``right``: positions in ``features``, the smaller first, sorted.
    """
    found = []
    positions = np.arange(len(features), dtype=np.int64)
    for rule in rules:
        group = features.groupby(list(rule), dropna=True, sort=False, observed=True).ngroup()
        members = pd.DataFrame({"g": group.to_numpy(), "r": positions})
        members = members[members["g"] >= 0]
        pairs = members.merge(members, on="g", suffixes=("_l", "_r"))
        pairs = pairs[pairs["r_l"] < pairs["r_r"]]
        found.append(pairs[["r_l", "r_r"]].rename(columns={"r_l": "left", "r_r": "right"}))
    if not found:
        return pd.DataFrame({"left": [], "right": []}, dtype="int64")
    out = pd.concat(found, ignore_index=True).drop_duplicates()
    return out.sort_values(["left", "right"]).reset_index(drop=True)


#: The prior when the rules find no pair (or the input is too small to count).
DEFAULT_PRIOR = 1e-4


def prior_from_rules(
    features: pd.DataFrame,
    rules: Sequence[Sequence[str]] = DETERMINISTIC_RULES,
    recall: float = DETERMINISTIC_RECALL,
    *,
    repeating: Collection[str] = (),
) -> float:
    """The probability that two random records are one person, namesakes counted once.

    Splink's estimate counts every pair the deterministic ``rules`` find and divides
    by their ``recall``. Among namesakes that count grows with the square of their
    number: four men called Mohammad Mohammadi born in 1960 on each of two lists are
    16 pairs, of which at most four are one person, because a list names a person
    once. At 40,000 SYNTHETIC namesake people the count made the prior 5.0 times the
    true rate (1.5 times at 4,000: benchmarks/linkage/study_prior.py), every pair's
    weight 2.3 bits too high. Here a record has at most one true partner on each
    list (its own included): a pair counts 1 / d, d the larger of the two records'
    numbers of rule partners on the other's list. Four namesakes on each of two
    lists count 4 across (16 pairs of 1/4) and 2 within each list (6 pairs of 1/3).
    The sum, divided by ``recall`` and the number of record pairs, is the prior;
    :data:`DEFAULT_PRIOR` when the rules find nothing or more than ``recall`` allows.

    ``repeating``: lists known to name people more than once (a list being
    deduplicated: :func:`dadkhahi.linkage.clusters.duplicate_lists`). A record may
    have several true partners on such a list, so its partners there are not
    divided: a pair within it counts in full, a pair towards it only by the other
    record's partners on the other list. Counted as for any list, a person named k
    times on one list would count k / 2 pairs instead of k (k - 1) / 2 (FEBRL3, one
    list of 5,000 records: 0.000250 against a true rate of 0.000523).
    """
    n = len(features)
    total = n * (n - 1) / 2
    if total == 0:
        return DEFAULT_PRIOR
    pairs = rule_pairs(features, rules)
    if pairs.empty:
        return DEFAULT_PRIOR
    lists, names = pd.factorize(features["source_id"].astype(object).fillna("").to_numpy())
    n_lists = int(lists.max()) + 1
    repeats = pd.Index(names).isin(list(repeating))
    left, right = pairs["left"].to_numpy(), pairs["right"].to_numpy()
    # Each pair counts for both of its records, towards the other's list.
    key_l = left * n_lists + lists[right]
    key_r = right * n_lists + lists[left]
    keys, degree = np.unique(np.concatenate([key_l, key_r]), return_counts=True)
    # Towards a repeating list a record's partners may all be true: it counts one.
    degree_l = np.where(repeats[lists[right]], 1, degree[np.searchsorted(keys, key_l)])
    degree_r = np.where(repeats[lists[left]], 1, degree[np.searchsorted(keys, key_r)])
    larger = np.maximum(degree_l, degree_r)
    # Summed in the (left, right) order of the pairs: the same on every run.
    found = float(np.sum(1.0 / larger))
    if found > total * recall:
        return DEFAULT_PRIOR
    return found / recall / total
