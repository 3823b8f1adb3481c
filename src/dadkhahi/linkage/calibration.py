"""How far to trust a match probability: calibration on pairs people reviewed.

The model's match probabilities come from Fellegi-Sunter weights that treat
the fields as independent; with common names and copied lists they are
over- or under-confident. Pairs a person has decided ("same"/"different")
say how often pairs at each probability really are one person. Because the
pairs reviewed are chosen by their probability alone (the review queue takes
the least certain, an audit samples bands at random), the chance of "same"
*given* the probability can be fitted on them without bias, even though they
are no random sample of all pairs.

The fit is Platt scaling on the logit: logit(p') = a + b logit(p), a
two-parameter logistic regression (statsmodels), so a model that is right
already gets a = 0, b = 1. Its error is reported as the Brier score and the
expected calibration error (ECE: the people-weighted gap between mean
predicted probability and observed share, over ten equal-width bins), before
and after; the "after" figures are cross-validated (each pair scored by a fit
that did not see it), or they would flatter the fit.

Without enough decided pairs there is nothing to fit. The default then is
the run's own threshold taken as even odds, logit(p') = logit(p) -
logit(threshold): the threshold was tuned so that linking at it gives the
best partition, which is where a pair is as likely one person as two
(``link run`` links at 0.1 because the list rule, not the pair model, knows
that a list names a person once). This keeps the drawn partitions centred on
the run's own; the report says the probabilities are not calibrated.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Below this many decided pairs, or without both answers, the model's own
#: probabilities are kept (a fit on fewer is noise), and the report says so.
MIN_LABELS = 20
BINS = 10
FOLDS = 5
_EPS = 1e-6


def logit(p: ArrayLike) -> NDArray[np.float64]:
    """log(p / (1 - p)), with p kept inside (1e-6, 1 - 1e-6)."""
    q = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    out: NDArray[np.float64] = np.log(q) - np.log1p(-q)
    return out


def expit(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The logistic function, inverse of :func:`logit`."""
    out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return out


@dataclass(frozen=True)
class ReliabilityBin:
    """One row of a reliability table: pairs whose probability fell in [low, high)."""

    low: float
    high: float
    pairs: int
    predicted: float  # mean model probability
    observed: float  # share decided "same"
    calibrated: float  # mean calibrated probability (cross-validated)


@dataclass(frozen=True)
class Calibration:
    """A fitted map from model probability to calibrated probability, with its error."""

    intercept: float
    slope: float
    fitted: bool
    labels: int
    same: int
    brier_before: float | None
    brier_after: float | None
    ece_before: float | None
    ece_after: float | None
    reliability: tuple[ReliabilityBin, ...] = ()
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def apply(self, probability: ArrayLike) -> NDArray[np.float64]:
        """Calibrated probabilities for model probabilities."""
        p = np.asarray(probability, dtype=np.float64)
        if self.intercept == 0.0 and self.slope == 1.0:
            return p.copy()
        return expit(self.intercept + self.slope * logit(p))

    def as_json(self) -> dict[str, Any]:
        """Plain JSON (for the ledger and ``estimate --json``)."""

        def num(v: float | None) -> float | None:
            return None if v is None or not math.isfinite(v) else round(float(v), 6)

        if self.fitted:
            method = "platt (logistic on the logit)"
        elif self.intercept != 0.0:
            method = "none fitted: the run's threshold taken as even odds"
        else:
            method = "none (the model's own probabilities)"
        return {
            "method": method,
            "intercept": num(self.intercept),
            "slope": num(self.slope),
            "labels": self.labels,
            "same": self.same,
            "brier_before": num(self.brier_before),
            "brier_after": num(self.brier_after),
            "ece_before": num(self.ece_before),
            "ece_after": num(self.ece_after),
            "reliability": [
                {"low": b.low, "high": b.high, "pairs": b.pairs, "predicted": num(b.predicted),
                 "observed": num(b.observed), "calibrated": num(b.calibrated)}
                for b in self.reliability
            ],
            "note": self.note,
        }


def brier(predicted: ArrayLike, outcome: ArrayLike) -> float:
    """Mean squared difference between probability and 0/1 outcome."""
    p = np.asarray(predicted, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    return float(np.mean((p - y) ** 2))


def expected_calibration_error(predicted: ArrayLike, outcome: ArrayLike,
                               bins: int = BINS) -> float:
    """Sum over equal-width bins of (pairs in bin / pairs) x |mean predicted - share same|."""
    p = np.asarray(predicted, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    count = np.bincount(index, minlength=bins)
    gap = np.abs(np.bincount(index, weights=p, minlength=bins)
                 - np.bincount(index, weights=y, minlength=bins))
    return float(gap.sum() / max(len(p), 1)) if count.sum() else 0.0


def _fit(p: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float] | None:
    """(a, b) of logit(P(same)) = a + b logit(p), or None if the fit fails or separates."""
    import statsmodels.api as sm

    x = np.column_stack([np.ones(len(p)), logit(p)])
    with warnings.catch_warnings():
        # Separation is detected below, from the slope.
        warnings.simplefilter("ignore")
        try:
            fit = sm.GLM(y, x, family=sm.families.Binomial()).fit()
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return None
    a, b = (float(v) for v in fit.params)
    # Perfectly separated labels drive the slope to infinity: no usable map.
    if not (math.isfinite(a) and math.isfinite(b)) or abs(b) > 50:
        return None
    return a, b


def calibrate(probability: ArrayLike, same: ArrayLike, *, seed: int = 0,
              bins: int = BINS, folds: int = FOLDS,
              threshold: float | None = None) -> Calibration:
    """Fit the calibration on decided pairs: their model probability and 1 for "same".

    With fewer than :data:`MIN_LABELS` pairs, only one kind of answer, or a
    fit that fails, nothing is fitted (``fitted`` False) and ``note`` says
    why: the model's probabilities are kept, or, given the run's
    ``threshold``, shifted so that the threshold is even odds (see the
    module docstring). Cross-validation folds are drawn with ``seed``.
    """
    p = np.clip(np.asarray(probability, dtype=np.float64), 0.0, 1.0)
    y = np.asarray(same, dtype=np.float64)
    if p.shape != y.shape:
        raise ValueError("probability and same must have the same length")
    n, n_same = len(p), int(y.sum())
    before_b = brier(p, y) if n else None
    before_e = expected_calibration_error(p, y, bins) if n else None
    shift = 0.0 if threshold is None else -float(logit(threshold))
    shifted = expit(shift + logit(p)) if n else p
    identity = Calibration(
        shift, 1.0, False, n, n_same, before_b,
        brier(shifted, y) if n else None, before_e,
        expected_calibration_error(shifted, y, bins) if n else None,
        _table(p, y, shifted, bins), "",
    )
    kept = ("the run's threshold is taken as even odds" if threshold is not None
            else "the model's own probabilities are used")
    if n < MIN_LABELS or n_same in (0, n):
        why = (f"only {n} decided pairs (at least {MIN_LABELS} needed)" if n < MIN_LABELS
               else "every decided pair has the same answer")
        return _with_note(identity, f"{why}: {kept}")
    params = _fit(p, y)
    if params is None:
        return _with_note(identity, "the calibration fit failed (the answers separate "
                                    f"perfectly): {kept}")
    rng = np.random.default_rng(seed)
    fold = rng.permutation(n) % max(2, min(folds, n))
    held_out = np.empty(n)
    for k in np.unique(fold):
        train = fold != k
        sub = _fit(p[train], y[train]) if 0 < y[train].sum() < train.sum() else None
        a, b = sub if sub is not None else (0.0, 1.0)
        held_out[~train] = expit(a + b * logit(p[~train]))
    a, b = params
    return Calibration(
        intercept=a, slope=b, fitted=True, labels=n, same=n_same,
        brier_before=before_b, brier_after=brier(held_out, y),
        ece_before=before_e, ece_after=expected_calibration_error(held_out, y, bins),
        reliability=_table(p, y, held_out, bins),
        note=f"cross-validated over {int(fold.max()) + 1} folds",
    )


def _with_note(c: Calibration, note: str) -> Calibration:
    return Calibration(c.intercept, c.slope, c.fitted, c.labels, c.same, c.brier_before,
                       c.brier_after, c.ece_before, c.ece_after, c.reliability, note)


def _table(p: NDArray[np.float64], y: NDArray[np.float64], calibrated: NDArray[np.float64],
           bins: int) -> tuple[ReliabilityBin, ...]:
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    rows = []
    for b in range(bins):
        inside = index == b
        k = int(inside.sum())
        if not k:
            continue
        rows.append(ReliabilityBin(
            low=b / bins, high=(b + 1) / bins, pairs=k, predicted=float(p[inside].mean()),
            observed=float(y[inside].mean()), calibrated=float(calibrated[inside].mean()),
        ))
    return tuple(rows)
