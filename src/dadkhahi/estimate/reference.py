"""Closed-form reference estimators: Lincoln-Petersen/Chapman and Chao's lower bound.

They are here to be compared with, not relied on: Lincoln-Petersen assumes
independent lists and equal catchability; Chao's bound is only a floor.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pandas as pd

from dadkhahi.domain.errors import UserError
from dadkhahi.estimate.diagnostics import capture_frequencies, list_sizes, sparsity_warnings
from dadkhahi.estimate.result import EstimateResult
from dadkhahi.estimate.table import COUNT, documented, list_names


def _z(level: float) -> float:
    # The standard library's normal quantile (within an ulp of SciPy's): the closed-form
    # estimators then start without importing SciPy (``dadkhahi estimate --method chao``).
    return NormalDist().inv_cdf(0.5 + level / 2)


def lincoln_petersen(
    table: pd.DataFrame, pair: tuple[str, str] | None = None, level: float = 0.95
) -> EstimateResult:
    """Chapman's nearly unbiased form of the Lincoln-Petersen two-list estimate.

    N = (n1+1)(n2+1)/(m+1) - 1 with Seber's (1970) variance
    (n1+1)(n2+1)(n1-m)(n2-m)/((m+1)^2 (m+2)) and a normal interval. With
    more than two lists the two largest are used (or ``pair``) and the
    others ignored, which a warning says; the estimate and the interval are
    never put below the documented count. The plain Lincoln-Petersen figure
    n1*n2/m and its variance are in ``diagnostics``.
    """
    lists = list_names(table)
    if len(lists) < 2:
        raise UserError("Lincoln-Petersen needs two lists")
    warnings = list(sparsity_warnings(table))
    if pair is None:
        sizes = sorted(list_sizes(table), key=lambda s: -s.size)
        pair = (sizes[0].name, sizes[1].name) if len(lists) > 2 else (lists[0], lists[1])
    a, b = pair
    if a not in lists or b not in lists or a == b:
        raise UserError(f"unknown or repeated lists for Lincoln-Petersen: {a}, {b}")
    if len(lists) > 2:
        warnings.append(
            f"Lincoln-Petersen uses two lists ({a}, {b}) and ignores the other "
            f"{len(lists) - 2}; it assumes independent lists: a reference, not an estimate"
        )
    counts = table[COUNT].to_numpy()
    on_a, on_b = table[a].to_numpy() == 1, table[b].to_numpy() == 1
    n1, n2 = int(counts[on_a].sum()), int(counts[on_b].sum())
    m = int(counts[on_a & on_b].sum())
    n = documented(table)
    chapman = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    var = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    half = _z(level) * math.sqrt(var)
    if m == 0:
        warnings.append(f"lists {a} and {b} share nobody: the two-list estimate is unbounded")
        low, high, est = float(n), math.inf, math.inf
    else:
        est = max(chapman, float(n))
        low, high = max(chapman - half, float(n)), max(chapman + half, float(n))
    diagnostics: dict[str, object] = {
        "pair": [a, b], "n1": n1, "n2": n2, "m": m, "chapman": chapman,
        "chapman_se": math.sqrt(var),
    }
    if m > 0:
        diagnostics["lincoln_petersen"] = n1 * n2 / m
        diagnostics["lincoln_petersen_se"] = math.sqrt(n1 * n2 * (n1 - m) * (n2 - m) / m**3)
    return EstimateResult(
        method="lp",
        documented=n,
        estimate=est,
        interval=(low, high),
        lists=list_sizes(table),
        warnings=tuple(warnings),
        diagnostics=diagnostics,
        level=level,
    )


def chao_lower_bound(table: pd.DataFrame, level: float = 0.95) -> EstimateResult:
    """Chao's (1987) lower bound n + f1^2 / (2 f2) from the capture frequencies.

    f1 and f2 count people on exactly one and exactly two lists. The variance
    is Chao's (1987); the interval is her log-transformed one, which never
    falls below the documented count. When f2 = 0 the bias-corrected form
    n + f1(f1-1)/2 is used (Chao 2005).
    """
    if len(list_names(table)) < 2:
        raise UserError("Chao's lower bound needs at least two lists")
    f = capture_frequencies(table)
    n = documented(table)
    f1, f2 = f[0], f[1]
    warnings = list(sparsity_warnings(table))
    if f2 > 0:
        ratio = f1 / f2
        f0 = f1 * f1 / (2 * f2)
        var = f2 * (ratio**4 / 4 + ratio**3 + ratio**2 / 2)
    else:
        f0 = f1 * (f1 - 1) / 2
        est = n + f0
        var = f1 * (f1 - 1) / 2 + f1 * (2 * f1 - 1) ** 2 / 4 - f1**4 / (4 * est) if est else 0.0
        warnings.append("nobody is on exactly two lists: bias-corrected form used")
    warnings.append("Chao's estimator is a lower bound under heterogeneous capture")
    if f0 > 0 and var > 0:
        c = math.exp(_z(level) * math.sqrt(math.log(1 + var / f0**2)))
        interval = (n + f0 / c, n + f0 * c)
    else:
        interval = (float(n + f0), float(n + f0))
    return EstimateResult(
        method="chao",
        documented=n,
        estimate=float(n + f0),
        interval=interval,
        lists=list_sizes(table),
        warnings=tuple(warnings),
        diagnostics={"f": list(f), "se": math.sqrt(max(var, 0.0))},
        level=level,
    )
