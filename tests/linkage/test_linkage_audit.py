"""link audit: a blind seeded sample of a run's pairs, labelled, gives precision and recall.

A stand-in linker (clusters and scores chosen by the test) links SYNTHETIC lists
whose truth is known, with wrong merges and missed links put in on purpose, so
every estimate follows from the input and is checked against a hand computation.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fake_linker import FakeResult
from sqlalchemy import func, select
from test_linkage_store import import_all, synthetic_lists

from dadkhahi.domain.errors import UserError
from dadkhahi.linkage.audit import LINK_STRATA, NON_LINK_STRATA, draw_audit, record_audit
from dadkhahi.linkage.clusters import DEFAULT_THRESHOLD
from dadkhahi.linkage.service import run_linkage
from dadkhahi.linkage.store_io import load_records
from dadkhahi.store import actors
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

SPLIT = 12  # on three lists (A12, B2, D2) with people=30: three missed links


def _truth_linker(store: Store, truth: dict[str, int]) -> Any:
    """Persons = the truth, except person 0 merged with person 1 (a wrong merge) and
    person 12's records split apart (missed links, scored at half the run's threshold:
    in the review band, below the threshold)."""
    records = load_records(store)
    key_of = dict(zip(records["record_id"], records["link_key"], strict=True))
    person = {key_of[r]: truth[e] for r, e in zip(records["record_id"], records["external_id"],
                                                  strict=True)}

    def link(frame: pd.DataFrame, labels: Any = None, backend: str = "duckdb",
             threshold: float = DEFAULT_THRESHOLD, seed: int = 1) -> FakeResult:
        keys = sorted(frame["record_id"])
        cluster = {}
        for k in keys:
            p = person[k]
            cluster[k] = f"p{0 if p == 1 else p}" if p != SPLIT else f"single-{k}"
        groups: dict[str, list[str]] = {}
        for k in keys:
            groups.setdefault(cluster[k], []).append(k)
        clusters = pd.DataFrame({"record_id": keys,
                                 "cluster_id": [min(groups[cluster[k]]) for k in keys]})
        strong, weak = [], []
        for members in groups.values():
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    if i == 0:  # the rest are linked through the first: "chained"
                        strong.append((a, b, 0.995, 7.6))
        twos = [k for k in keys if person[k] == SPLIT]
        low = threshold / 2
        weak = [(a, b, low, math.log2(low / (1 - low)))
                for i, a in enumerate(twos) for b in twos[i + 1:]]
        columns = ["record_id_l", "record_id_r", "match_probability", "match_weight"]
        pairs = pd.DataFrame(strong, columns=columns)
        review = pd.DataFrame(weak, columns=columns).assign(linked=False)
        empty = pd.DataFrame(columns=["record_id_l", "record_id_r"])
        return FakeResult(pairs, clusters, review, empty, {"fake": True}, {})

    return link


@pytest.fixture
def linked(store: Store, tmp_path: Path) -> tuple[Store, dict[str, int]]:
    data = synthetic_lists(tmp_path, people=30)
    import_all(store, data)
    run_linkage(store, "tester", linker=_truth_linker(store, data.truth))
    return store, data.truth


def _sheet(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _label(rows: list[dict[str, str]], truth_of: dict[str, int], reviewer: str,
           path: Path, flip: int | None = None) -> Path:
    """Fill in the sheet from the truth (as a careful reviewer would)."""
    out = []
    for row in rows:
        same = truth_of[row["record_a"]] == truth_of[row["record_b"]]
        if flip is not None and int(row["pair"]) == flip:
            same = not same
        out.append({**row, "decision": "same" if same else "different", "reviewer": reviewer})
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(out)
    return path


def _truth_by_record(store: Store, truth: dict[str, int]) -> dict[str, int]:
    records = load_records(store)
    return {r: truth[e] for r, e in zip(records["record_id"], records["external_id"],
                                        strict=True)}


def test_the_sheet_is_blind_seeded_and_the_draw_is_recorded(
    linked: tuple[Store, dict[str, int]], tmp_path: Path,
) -> None:
    store, _ = linked
    first = draw_audit(store, "tester", tmp_path / "a.csv", size=40, seed=7)
    again = draw_audit(store, "tester", tmp_path / "b.csv", size=40, seed=7)
    other = draw_audit(store, "tester", tmp_path / "c.csv", size=40, seed=8)
    rows = _sheet(tmp_path / "a.csv")
    assert len(rows) == first.pairs > 0
    # Blind: nothing of the model on the sheet.
    assert not [c for c in rows[0] if "prob" in c or "weight" in c or "stratum" in c
                or "link" in c]
    assert {r["decision"] for r in rows} == {""}
    pairs = [(r["record_a"], r["record_b"]) for r in rows]
    assert pairs == [(r["record_a"], r["record_b"]) for r in _sheet(tmp_path / "b.csv")]
    assert pairs != [(r["record_a"], r["record_b"]) for r in _sheet(tmp_path / "c.csv")]
    assert first.strata == again.strata == other.strata
    # Links of the wrong merge are in the 0.99 band; chained and missed pairs have strata.
    assert first.strata["link ≥0.99"]["population"] > 0
    assert first.strata["link chained"]["population"] > 0
    assert first.strata["non-link <threshold"]["population"] > 0
    assert (tmp_path / "a.csv").stat().st_mode & 0o077 == 0  # names: owner-only
    with store.reading() as conn:
        drawn = conn.execute(select(s.link_audits).where(
            s.link_audits.c.id == first.audit_id)).mappings().one()
    assert drawn["seed"] == 7 and [p[:2] for p in drawn["pairs"]] == [list(p) for p in pairs]
    # Who drew it is named by the ledger's pseudonym, never in clear (issue 11).
    assert drawn["actor"] == actors.pseudonym(store.keys, "tester")


def test_the_draw_counts_the_pairs_that_show_a_protected_record(
    store: Store, tmp_path: Path,
) -> None:
    """The sheet opens a protected list's records (a reviewer must read the names), so
    it is as protected as that list: the draw says how many of its pairs show one, for
    the command to warn whoever hands it out (attack35). Counted here from the sheet's
    record IDs and the records' levels."""
    from dadkhahi.domain.vocab import Sensitivity
    from dadkhahi.intake.lists import import_list

    data = synthetic_lists(tmp_path, people=30)
    for n, (path, id_column) in enumerate(data.files):
        import_list(store, path, source=f"SYNTHETIC {path.stem}", actor="tester",
                    id_column=id_column,
                    sensitivity=Sensitivity.PROTECTED if n == 0 else Sensitivity.PUBLIC)
    run_linkage(store, "tester", linker=_truth_linker(store, data.truth))
    drawn = draw_audit(store, "tester", tmp_path / "a.csv", size=40, seed=7)
    with store.reading() as conn:
        protected = set(conn.execute(select(s.records.c.id).where(
            s.records.c.sensitivity == str(Sensitivity.PROTECTED))).scalars())
    rows = _sheet(tmp_path / "a.csv")
    shown = sum(1 for r in rows if {r["record_a"], r["record_b"]} & protected)
    assert 0 < shown < len(rows)
    assert drawn.protected_pairs == shown


def test_labels_give_stratified_precision_and_recall_with_wilson_intervals(
    linked: tuple[Store, dict[str, int]], tmp_path: Path,
) -> None:
    store, truth = linked
    drawn = draw_audit(store, "tester", tmp_path / "sheet.csv", size=400, seed=3)
    rows = _sheet(tmp_path / "sheet.csv")
    truth_of = _truth_by_record(store, truth)
    one = _label(rows, truth_of, "reviewer one", tmp_path / "one.csv")
    two = _label(rows, truth_of, "reviewer two", tmp_path / "two.csv", flip=1)
    result = record_audit(store, "tester", drawn.audit_id, [one, two])
    assert result.disputed == 1 and result.labelled == len(rows) - 1
    assert result.agreement == pytest.approx((len(rows) - 1) / len(rows), abs=1e-6)
    # Every pair of the run was drawn (size 400 > all strata): the estimate is exact.
    assert all(drawn.strata[h]["drawn"] == drawn.strata[h]["population"] for h in drawn.strata)
    strata = result.strata
    # Hand computation from the sheet: share "same" per stratum among agreed pairs.
    for h, counts in strata.items():
        n, k = counts["labelled"], counts["same"]
        if n == 0:
            continue
        # Wilson score interval at 95%, written out.
        z = 1.959963984540054
        centre = (k + z * z / 2) / (n + z * z)
        half = z * math.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
        assert counts["low"] == pytest.approx(centre - half, abs=1e-6), h
        assert counts["high"] == pytest.approx(centre + half, abs=1e-6), h
    links = [h for h in LINK_STRATA if strata[h]["labelled"]]
    true_links = sum(strata[h]["population"] * strata[h]["same"] / strata[h]["labelled"]
                     for h in links)
    all_links = sum(strata[h]["population"] for h in links)
    assert result.precision["estimate"] == pytest.approx(true_links / all_links, abs=1e-6)
    assert result.precision["estimate"] < 1  # the wrong merge is seen
    missed = sum(strata[h]["population"] * strata[h]["same"] / strata[h]["labelled"]
                 for h in NON_LINK_STRATA if strata[h]["labelled"])
    assert missed > 0
    assert result.recall["estimate"] == pytest.approx(true_links / (true_links + missed),
                                                      abs=1e-6)
    for value in (result.precision, result.recall):
        assert value["low"] <= value["estimate"] <= value["high"]
    with store.reading() as conn:
        event = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.type == "link.audited")).scalar_one()
    data = json.loads(event)["data"]
    assert data["audit_id"] == drawn.audit_id and data["precision"] == result.precision
    assert data["reviewers"] == 2  # how many, not who: names stay out of the record


def test_a_bad_label_names_its_line_and_field_and_records_nothing(
    linked: tuple[Store, dict[str, int]], tmp_path: Path,
) -> None:
    store, truth = linked
    drawn = draw_audit(store, "tester", tmp_path / "sheet.csv", size=20, seed=1)
    rows = _sheet(tmp_path / "sheet.csv")
    path = _label(rows, _truth_by_record(store, truth), "r", tmp_path / "bad.csv")
    text = path.read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace(",same,", ",maybe,").replace(",different,", ",maybe,")
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with store.reading() as conn:
        before = conn.execute(select(func.count()).select_from(s.ledger_events)).scalar_one()
    with pytest.raises(UserError, match=r"line 4, field decision: 'maybe'"):
        record_audit(store, "tester", drawn.audit_id, [path])
    with store.reading() as conn:
        after = conn.execute(select(func.count()).select_from(s.ledger_events)).scalar_one()
    assert after == before
