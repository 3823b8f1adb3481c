"""Partitions drawn from an audit's rates: splits and merges follow the audited strata.

Purpose-made pairs (SYNTHETIC keys): a run whose links and non-links sit in
strata the test names, so what each audit must do to the draws is known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dadkhahi.linkage.audit_draws import audited_partitions
from dadkhahi.linkage.draws import DrawSettings

THRESHOLD = 0.1


def _run() -> tuple[pd.Series, pd.Series, pd.DataFrame, pd.DataFrame]:
    """40 two-record persons (lists A and B) linked at 0.995; 20 near misses kept apart."""
    ids, sources, pairs, candidates = [], [], [], []
    for k in range(40):
        a, b = f"a{k:02d}", f"b{k:02d}"
        ids += [a, b]
        sources += ["A", "B"]
        pairs.append((a, b, 0.995))
        candidates.append((a, b, "link ≥0.99", True))
    for k in range(20):
        a, b = f"c{k:02d}", f"d{k:02d}"
        ids += [a, b]
        sources += ["A", "B"]
        pairs.append((a, b, 0.05))
        candidates.append((a, b, "non-link <threshold", False))
    return (pd.Series(ids), pd.Series(sources),
            pd.DataFrame(pairs, columns=["record_id_l", "record_id_r", "match_probability"]),
            pd.DataFrame(candidates, columns=["record_id_l", "record_id_r", "stratum", "linked"]))


def _persons(counts: dict[str, tuple[int, int]], seed: int = 4, **kw: object) -> np.ndarray:
    ids, sources, pairs, candidates = _run()
    drawn = audited_partitions(ids, sources, pairs, THRESHOLD, candidates, counts,
                               settings=DrawSettings(draws=30, seed=seed), centre=False,
                               **kw)  # type: ignore[arg-type]
    return drawn.persons()


def test_a_clean_audit_keeps_the_run_and_a_bad_one_splits_and_merges() -> None:
    # The audit's rates as drawn, not centred (centring: the test below).
    # The run: 40 linked persons + 40 single records = 80 persons.
    clean = _persons({"link ≥0.99": (200, 200), "non-link <threshold": (200, 0)})
    assert abs(clean.mean() - 80) < 1.5 and clean.std() < 1.5
    # Half the links are two people: about 20 more persons; spread wide.
    split = _persons({"link ≥0.99": (20, 10), "non-link <threshold": (200, 0)})
    assert 92 < split.mean() < 108 and split.std() > 3 * max(clean.std(), 0.5)
    # Half the near misses are one person: about 10 fewer.
    merged = _persons({"link ≥0.99": (200, 200), "non-link <threshold": (20, 10)})
    assert 64 < merged.mean() < 76


def test_the_same_seed_gives_the_same_partitions_and_decisions_win() -> None:
    counts = {"link ≥0.99": (10, 5), "non-link <threshold": (10, 5)}
    ids, sources, pairs, candidates = _run()
    one = audited_partitions(ids, sources, pairs, THRESHOLD, candidates, counts,
                             settings=DrawSettings(draws=6, seed=9))
    # Given in another order: the same draws.
    shuffled = candidates.sample(frac=1.0, random_state=1)
    two = audited_partitions(ids[::-1], sources[::-1], pairs, THRESHOLD, shuffled, counts,
                             settings=DrawSettings(draws=6, seed=9))
    assert (one.labels == two.labels).all()
    other = audited_partitions(ids, sources, pairs, THRESHOLD, candidates, counts,
                               settings=DrawSettings(draws=6, seed=10))
    assert not (one.labels == other.labels).all()
    # A person's "same" on a link and "different" on a near miss hold in every draw.
    decisions = pd.DataFrame([("a00", "b00", "same"), ("c00", "d00", "different")],
                             columns=["record_id_l", "record_id_r", "decision"])
    held = audited_partitions(ids, sources, pairs, THRESHOLD, candidates, counts,
                              decisions=decisions, settings=DrawSettings(draws=20, seed=9),
                              centre=False)
    at = {r: i for i, r in enumerate(held.record_ids)}
    assert (held.labels[:, at["a00"]] == held.labels[:, at["b00"]]).all()
    assert (held.labels[:, at["c00"]] != held.labels[:, at["d00"]]).all()
    # So does a pair the chain check kept apart, unless the audit merges it.
    apart = pd.DataFrame([("a01", "b01")], columns=["record_id_l", "record_id_r"])
    kept = audited_partitions(ids, sources, pairs, THRESHOLD, candidates,
                              {"link ≥0.99": (50, 50), "non-link <threshold": (50, 0)},
                              apart=apart, settings=DrawSettings(draws=5, seed=9),
                              centre=False)
    at = {r: i for i, r in enumerate(kept.record_ids)}
    assert (kept.labels[:, at["a01"]] != kept.labels[:, at["b01"]]).all()


def _swaps() -> tuple[pd.Series, pd.Series, pd.DataFrame, pd.DataFrame, int]:
    """A run whose errors cancel: as many persons as the truth, and the audit's exact rates.

    20 swaps: a (list A) linked to b (list B) at 0.995, c (list B) scored against a
    at 0.05 and kept apart; in truth half of them are a-b, half a-c (b or c alone
    either way: 2 persons each). 20 lone links at 0.95 between A and C, half of
    them two people; 20 lone near misses at 0.05 between A and C, half of them one
    person. True persons = the run's persons = 40 + 20 + 40 = 100.
    """
    ids, sources, pairs, candidates = [], [], [], []
    for k in range(20):
        a, b, c = f"sa{k:02d}", f"sb{k:02d}", f"sc{k:02d}"
        ids += [a, b, c]
        sources += ["A", "B", "B"]
        pairs += [(a, b, 0.995), (a, c, 0.05)]
        candidates += [(a, b, "link ≥0.99", True), (a, c, "non-link <threshold", False)]
    for k in range(20):
        a, b = f"la{k:02d}", f"lc{k:02d}"
        ids += [a, b]
        sources += ["A", "C"]
        pairs.append((a, b, 0.95))
        candidates.append((a, b, "link 0.9–0.99", True))
    for k in range(20):
        a, b = f"na{k:02d}", f"nc{k:02d}"
        ids += [a, b]
        sources += ["A", "C"]
        pairs.append((a, b, 0.05))
        candidates.append((a, b, "non-link <threshold", False))
    return (pd.Series(ids), pd.Series(sources),
            pd.DataFrame(pairs, columns=["record_id_l", "record_id_r", "match_probability"]),
            pd.DataFrame(candidates, columns=["record_id_l", "record_id_r", "stratum", "linked"]),
            100)


def test_drawn_splits_and_merges_move_the_count_alike() -> None:
    # An audit of 40 pairs per stratum that finds exactly the true rates (half).
    ids, sources, pairs, candidates, truth = _swaps()
    counts = {h: (40, 20) for h in ("link ≥0.99", "link 0.9–0.99", "non-link <threshold")}
    means = []
    for seed in range(2):
        drawn = audited_partitions(ids, sources, pairs, THRESHOLD, candidates, counts,
                                   settings=DrawSettings(draws=40, seed=seed))
        assert drawn.stats["persons_point"] == truth
        means.append(drawn.persons().mean())
        # Still spread: the audit's uncertainty is kept, only its centre moved.
        assert drawn.persons().std() > 2
    # Over 80 seeded draws the mean is the true count. Uncentred, a drawn split of
    # a swap always adds a person while a drawn merge only swaps who is alone, so
    # the draws held about 5 persons more than the truth.
    assert abs(np.mean(means) - truth) < 1.0
    raw = audited_partitions(ids, sources, pairs, THRESHOLD, candidates, counts,
                             settings=DrawSettings(draws=100, seed=0), centre=False)
    assert raw.persons().mean() > truth + 3
