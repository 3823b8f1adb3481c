"""Partitions drawn from calibrated probabilities weigh a link against its rivals once.

Purpose-made SYNTHETIC records where the rivals rule is the truth: a record of
list A scored against three records of list B is one of them with the
probability the rule gives (o / (1 + 3 o)), a lone pair with its own
probability. The reviewed pairs are labelled from that truth (seeded), so
calibration has nothing to correct once it sees what the clustering weighed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dadkhahi.analysis.linkage_draws import draws_of
from dadkhahi.linkage.clusters import cluster_pairs
from dadkhahi.linkage.draws import DrawSettings

THRESHOLD = 0.1


def _lists() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """Records, scored pairs, reviewed pairs, and which pairs are lone / their truth."""
    rng = np.random.default_rng(7)
    ids, sources, rows, lone, truth = [], [], [], [], []
    for k in range(60):  # stars: x with three rivals on list B
        x = f"x{k:02d}"
        ids.append(x)
        sources.append("A")
        p = float(rng.uniform(0.6, 0.95))
        odds = p / (1 - p)
        for j in range(3):
            y = f"y{k:02d}{j}"
            ids.append(y)
            sources.append("B")
            rows.append((x, y, p))
            lone.append(False)
            truth.append(odds / (1 + 3 * odds))
    for k in range(120):  # lone pairs
        u, v = f"u{k:03d}", f"v{k:03d}"
        ids += [u, v]
        sources += ["A", "B"]
        q = float(rng.uniform(0.3, 0.95))
        rows.append((u, v, q))
        lone.append(True)
        truth.append(q)
    pairs = pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability"])
    same = rng.random(len(pairs)) < np.asarray(truth)
    reviewed = pairs[["record_id_l", "record_id_r"]].assign(
        decision=np.where(same, "same", "different"))
    records = pd.DataFrame({"record_id": ids, "source_id": sources})
    point = cluster_pairs(records["record_id"], pairs, THRESHOLD,
                          sources=records["source_id"]).clusters
    frame = records.merge(point.rename(columns={"cluster_id": "person_id"}), on="record_id")
    frame = frame.assign(ledger_index=frame["source_id"].map({"A": 0, "B": 1}),
                         link_key=frame["record_id"], row_number=0, id_number=None)
    return frame, pairs, reviewed, np.asarray(lone), np.asarray(truth)


def test_calibration_sees_the_rivals_and_the_draws_weigh_them_once() -> None:
    frame, pairs, reviewed, lone, truth = _lists()
    # Every record carries its own identity number: two different numbers are
    # weighed by the model (in its probabilities), not a hard split, in the point
    # partition (benchmarks/linkage/study_febrl_ids.py) and so in the draws too;
    # split on them, no pair would ever be drawn together.
    frame = frame.assign(id_number=[f"{i:06d}" for i in range(len(frame))])
    person = frame.set_index("record_id")["person_id"]
    joined = (person.loc[pairs["record_id_l"]].to_numpy()
              == person.loc[pairs["record_id_r"]].to_numpy())
    assert joined[lone].all()  # the point partition links every lone pair
    empty = pd.DataFrame(columns=["record_id_l", "record_id_r", "decision"])
    drawn = draws_of(frame, {"A": "A", "B": "B"}, pairs, empty, reviewed,
                     DrawSettings(draws=100, seed=3), THRESHOLD, "test")
    # The rivals rule is the truth here: calibrated at what the clustering weighed,
    # the model needs no correction.
    assert drawn.calibration.fitted
    assert abs(drawn.calibration.slope - 1) < 0.35 and abs(drawn.calibration.intercept) < 0.5
    parts = drawn.partitions
    assert parts is not None
    at = {r: i for i, r in enumerate(parts.record_ids)}
    left = [at[r] for r in pairs["record_id_l"]]
    right = [at[r] for r in pairs["record_id_r"]]
    together = (parts.labels[:, left] == parts.labels[:, right]).mean(axis=0)
    # Lone pairs are together as often as their truth, star pairs as their rivals
    # allow; calibrated on the raw probabilities, the star pairs (each scored as
    # if alone) dragged the lone pairs' probabilities down.
    assert abs(together[lone].mean() - truth[lone].mean()) < 0.05
    assert abs(together[~lone].mean() - truth[~lone].mean()) < 0.05
    strong = lone & (truth > 0.8)
    assert abs(together[strong].mean() - truth[strong].mean()) < 0.05


