"""Lincoln-Petersen and Chao: refusals, the pair rule, every diagnostic and the level,
pinned by hand (cases mutants of ``estimate/reference.py`` survived). SYNTHETIC tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dadkhahi.domain.errors import UserError
from dadkhahi.estimate import chao_lower_bound, lincoln_petersen

Z90 = 1.6448536269514722  # the standard normal's 95% quantile


def _table(**columns: list[int]) -> pd.DataFrame:
    return pd.DataFrame(columns)


ONE_LIST = _table(a=[1], count=[7])
THREE = _table(a=[1, 1, 0, 0, 1], b=[1, 0, 1, 0, 0], c=[0, 0, 0, 1, 1],
               count=[4, 6, 4, 9, 2])


def test_too_few_lists_are_refused_with_the_method_named() -> None:
    with pytest.raises(UserError, match=r"^Lincoln-Petersen needs two lists$"):
        lincoln_petersen(ONE_LIST)
    with pytest.raises(UserError, match=r"^Chao's lower bound needs at least two lists$"):
        chao_lower_bound(ONE_LIST)


@pytest.mark.parametrize("pair", [("a", "a"), ("a", "z"), ("z", "a"), ("y", "z")])
def test_the_pair_must_be_two_different_lists_of_the_table(pair: tuple[str, str]) -> None:
    with pytest.raises(UserError, match="^unknown or repeated lists for Lincoln-Petersen: "
                                        f"{pair[0]}, {pair[1]}$"):
        lincoln_petersen(THREE, pair=pair)


def test_every_lincoln_petersen_diagnostic_by_hand() -> None:
    # Lists a and c of THREE: n1 = 4 + 6 + 2 = 12, n2 = 9 + 2 = 11, m = 2.
    # Chapman 13 * 12 / 3 - 1 = 51; Seber's var 13 * 12 * 10 * 9 / (9 * 4) = 390;
    # LP 12 * 11 / 2 = 66, var 12 * 11 * 10 * 9 / 8 = 1485.
    result = lincoln_petersen(THREE, pair=("a", "c"), level=0.90)
    diagnostics = dict(result.diagnostics)
    assert diagnostics.pop("pair") == ["a", "c"]
    assert diagnostics == pytest.approx({
        "n1": 12, "n2": 11, "m": 2, "chapman": 51.0, "chapman_se": math.sqrt(390),
        "lincoln_petersen": 66.0, "lincoln_petersen_se": math.sqrt(1485),
    })
    assert result.level == 0.90
    # 51 - 1.645 * 19.75 = 18.5 is below the 25 documented: the floor holds.
    assert result.interval == pytest.approx((25.0, 51 + Z90 * math.sqrt(390)))


def test_one_shared_person_still_gives_the_lincoln_petersen_figure() -> None:
    # n1 = n2 = 3, m = 1: LP = 9, var = 3 * 3 * 2 * 2 / 1 = 36.
    result = lincoln_petersen(_table(a=[1, 1, 0], b=[1, 0, 1], count=[1, 2, 2]))
    assert result.diagnostics["lincoln_petersen"] == 9.0
    assert result.diagnostics["lincoln_petersen_se"] == 6.0


def test_chao_carries_its_frequencies_and_level() -> None:
    # THREE: f1 = 6 + 4 + 9 = 19, f2 = 4 + 2 = 6, f3 = 0.
    result = chao_lower_bound(THREE, level=0.90)
    assert result.diagnostics["f"] == [19, 6, 0]
    assert result.level == 0.90
    assert result.estimate == pytest.approx(25 + 19**2 / 12)
