"""Multiple systems estimation: how many people in all, from overlapping lists.

Pure numerics (NumPy, SciPy, statsmodels, pandas); it imports nothing of
ours but ``dadkhahi.domain``. Input is a capture-history table (see
:mod:`dadkhahi.estimate.table`); every estimator returns an
:class:`EstimateResult`.
"""

from dadkhahi.estimate.diagnostics import Description, describe, require_lists
from dadkhahi.estimate.lcmcr import lcmcr
from dadkhahi.estimate.loglinear import fit_loglinear, loglinear, profile_interval
from dadkhahi.estimate.output import (
    description_json,
    plot,
    render,
    render_description,
    to_json,
)
from dadkhahi.estimate.reference import chao_lower_bound, lincoln_petersen
from dadkhahi.estimate.result import EstimateResult, ListSize
from dadkhahi.estimate.run import ALL_METHODS, METHODS, Options, estimate, estimate_all
from dadkhahi.estimate.table import (
    histories_to_table,
    list_names,
    read_table,
    table_from_counts,
    validate_table,
)

__all__ = [
    "ALL_METHODS",
    "METHODS",
    "Description",
    "EstimateResult",
    "ListSize",
    "Options",
    "chao_lower_bound",
    "describe",
    "description_json",
    "estimate",
    "estimate_all",
    "fit_loglinear",
    "histories_to_table",
    "lcmcr",
    "lincoln_petersen",
    "list_names",
    "loglinear",
    "plot",
    "profile_interval",
    "read_table",
    "render",
    "render_description",
    "require_lists",
    "table_from_counts",
    "to_json",
    "validate_table",
]
