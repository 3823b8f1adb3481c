"""The recorded audit feeds the estimate: a worse audit gives a wider interval.

Four SYNTHETIC lists linked by a stand-in linker (test_analysis_estimates), an
audit drawn from the run and labelled twice: once from the truth, once by a
reviewer who finds a third of the links wrong. The estimate over drawn
linkages takes the last recorded audit of the run.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select
from test_analysis_estimates import FAST, linker_from_truth
from test_analysis_estimates import four_lists as _four_lists

from dadkhahi.analysis.estimates import WhenAudited, estimate_store, record_estimate
from dadkhahi.linkage.audit import draw_audit, record_audit
from dadkhahi.linkage.draws import DrawSettings
from dadkhahi.linkage.service import run_linkage
from dadkhahi.linkage.store_io import load_records
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store


def _label(sheet: Path, out: Path, truth: dict[str, int], store: Store,
           wrong_links: int = 0) -> Path:
    """Label the sheet from the truth; every ``wrong_links``-th true pair said "different"."""
    recs = load_records(store)
    person = {r: truth[e] for r, e in zip(recs["record_id"], recs["external_id"], strict=True)}
    with sheet.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    seen = 0
    for row in rows:
        same = person[row["record_a"]] == person[row["record_b"]]
        if same and wrong_links:
            seen += 1
            same = seen % wrong_links != 0
        row.update(decision="same" if same else "different", reviewer="r1")
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out


@pytest.fixture
def audited(store: Store, tmp_path: Path) -> tuple[Store, dict[str, int], str]:
    truth = _four_lists(store, tmp_path)
    recs = load_records(store)
    external = dict(zip(recs["link_key"], recs["external_id"], strict=True))
    run_linkage(store, "tester", linker=linker_from_truth(truth, external))
    drawn = draw_audit(store, "tester", tmp_path / "sheet.csv", size=120, seed=2)
    return store, truth, drawn.audit_id


def test_a_worse_audit_widens_the_interval_and_the_seed_repeats_it(
    audited: tuple[Store, dict[str, int], str], tmp_path: Path,
) -> None:
    store, truth, audit_id = audited
    sheet = tmp_path / "sheet.csv"
    draws = DrawSettings(draws=4)
    good = record_audit(store, "tester", audit_id, [_label(sheet, tmp_path / "g.csv", truth,
                                                           store)])
    with_good = estimate_store(store, "lcmcr", FAST, uncertainty=draws)
    link = with_good.result.diagnostics["linkage"]
    assert link["drawn_from"] == "audit"
    assert with_good.linkage is not None and with_good.linkage.audit is not None
    assert with_good.linkage.audit["audit_id"] == audit_id
    assert not any("not calibrated" in w for w in with_good.result.warnings)

    bad = record_audit(store, "tester", audit_id,
                       [_label(sheet, tmp_path / "b.csv", truth, store, wrong_links=3)])
    assert bad.precision["estimate"] < good.precision["estimate"]  # type: ignore[operator]
    with_bad = estimate_store(store, "lcmcr", FAST, uncertainty=draws)
    width_good = with_good.result.interval[1] - with_good.result.interval[0]
    width_bad = with_bad.result.interval[1] - with_bad.result.interval[0]
    assert width_bad > width_good
    # Links declared wrong split persons: more persons in the drawn partitions as
    # drawn, which the centring takes back to the run's count (linkage.audit_draws).
    assert with_bad.linkage is not None
    bad_stats, good_stats = with_bad.linkage.stats, with_good.linkage.stats
    assert bad_stats["persons_untilted_mean"] > good_stats["persons_untilted_mean"]
    for stats in (bad_stats, good_stats):
        assert abs(stats["persons_drawn_mean"] - stats["persons_point"]) <= 1
    # The held-fixed interval is the same partition's: only the linkage part widened.
    assert link["fixed"]["interval"] == with_bad.result.diagnostics["linkage"]["fixed"][
        "interval"]

    again = estimate_store(store, "lcmcr", FAST, uncertainty=draws)
    assert again.result.estimate == with_bad.result.estimate
    assert again.result.interval == with_bad.result.interval

    estimate_id = record_estimate(store, "tester", with_bad)
    with store.reading() as conn:
        row = conn.execute(select(s.estimates).where(s.estimates.c.id == estimate_id)
                           ).mappings().one()
        result_id = conn.execute(select(s.link_audit_results.c.id).where(
            s.link_audit_results.c.ledger_index == bad.ledger_index)).scalar_one()
    recorded = row["settings"]["linkage"]
    assert recorded["drawn_from"] == "audit"
    assert recorded["audit"]["result_id"] == result_id
    assert recorded["draw_settings"]["seed"] == FAST.seed


def test_an_audit_of_an_earlier_run_is_not_used_and_the_estimate_says_so(
    audited: tuple[Store, dict[str, int], str], tmp_path: Path,
) -> None:
    store, truth, audit_id = audited
    record_audit(store, "tester", audit_id,
                 [_label(tmp_path / "sheet.csv", tmp_path / "g.csv", truth, store)])
    recs = load_records(store)
    external = dict(zip(recs["link_key"], recs["external_id"], strict=True))
    run_linkage(store, "tester", linker=linker_from_truth(truth, external))  # a new run
    done = estimate_store(store, "lcmcr", FAST, uncertainty=DrawSettings(draws=2))
    assert done.result.diagnostics["linkage"]["drawn_from"] == "calibrated pair probabilities"
    assert any("earlier linkage run" in w for w in done.result.warnings)


def test_not_told_it_draws_from_a_recorded_audit_and_else_says_it_holds_fixed(
    audited: tuple[Store, dict[str, int], str], tmp_path: Path,
) -> None:
    """What `estimate` and the API do by default (WhenAudited): the validated draws when
    the last run has a recorded audit; the linkage held fixed, and said so, before."""
    store, truth, audit_id = audited
    before = estimate_store(store, "lcmcr", FAST, uncertainty=WhenAudited(draws=3))
    fixed = estimate_store(store, "lcmcr", FAST)
    assert "linkage" not in before.result.diagnostics and before.linkage is None
    held = [w for w in before.result.warnings if "holds the linkage fixed" in w]
    assert len(held) == 1 and "no recorded audit" in held[0]
    assert not any("holds the linkage fixed" in w for w in fixed.result.warnings)
    assert (before.result.estimate, before.result.interval) == (fixed.result.estimate,
                                                                fixed.result.interval)

    record_audit(store, "tester", audit_id,
                 [_label(tmp_path / "sheet.csv", tmp_path / "g.csv", truth, store)])
    after = estimate_store(store, "lcmcr", FAST, uncertainty=WhenAudited(draws=3))
    linkage = after.result.diagnostics["linkage"]
    assert linkage["drawn_from"] == "audit" and linkage["partitions"] == 3
    assert not any("holds the linkage fixed" in w for w in after.result.warnings)
    told = estimate_store(store, "lcmcr", FAST, uncertainty=DrawSettings(draws=3))
    assert (after.result.estimate, after.result.interval) == (told.result.estimate,
                                                              told.result.interval)
