"""The one result type every estimator returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class ListSize:
    """A list and how many documented people it names."""

    name: str
    size: int


@dataclass(frozen=True)
class EstimateResult:
    """An estimate of the total population with its interval.

    ``estimate`` and ``interval`` count everyone, documented or not, so
    ``interval[0] >= documented`` always holds; ``interval[1]`` may be
    ``inf`` when the data cannot bound it (a warning then says so).
    ``draws`` holds posterior draws of the total (LCMCR) or bootstrap
    replicates when a method made them; stratified totals sum them.
    ``strata`` is non-empty for a stratified result, whose own figures are
    then the sums.
    """

    method: str
    documented: int
    estimate: float
    interval: tuple[float, float]
    lists: tuple[ListSize, ...]
    warnings: tuple[str, ...] = ()
    diagnostics: dict[str, Any] = field(default_factory=dict)
    draws: NDArray[np.float64] | None = field(default=None, repr=False, compare=False)
    stratum: str | None = None
    strata: tuple[EstimateResult, ...] = ()
    level: float = 0.95
    #: Where a sampler's chains ended (LCMCR: :class:`~dadkhahi.estimate.lcmcr.ChainState`),
    #: so a run on a nearly identical table can start there (a drawn linkage).
    state: Any = field(default=None, repr=False, compare=False)

    @property
    def undocumented(self) -> float:
        """The estimated number of people no list names."""
        return self.estimate - self.documented
