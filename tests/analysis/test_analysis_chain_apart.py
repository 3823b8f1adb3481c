"""What the chain check keeps apart stays apart in the audit's sample and in drawn linkages.

Ten SYNTHETIC namesake triples on three lists: the same name on each list, the
first naming father Hassan, the third father Reza, the middle one no father. A
stand-in linker scores first-middle and middle-third at 0.9 and never the first
with the third, so the chain first-middle-third joins two different known fathers
only through the middle record; `link apply` (the chain check) keeps the first
and third apart.
"""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from dadkhahi.analysis.linkage_draws import linkage_draws
from dadkhahi.intake.lists import import_list
from dadkhahi.linkage.audit import LINK_STRATA, audit_population, draw_audit
from dadkhahi.linkage.clusters import cluster_pairs
from dadkhahi.linkage.draws import DrawSettings
from dadkhahi.linkage.service import apply_decisions, run_linkage
from dadkhahi.linkage.store_io import latest_run, load_records
from dadkhahi.store.store import Store

TRIPLES = 10
FATHERS = ("Hassan", None, "Reza")
NAMES = ["Ali Karimi", "Zahra Moradi", "Javad Najafi", "Reza Ahmadi", "Maryam Jafari",
         "Hassan Rostami", "Mehdi Sadeghi", "Fatemeh Kazemi", "Saeed Amini", "Nasrin Bahrami"]


def _lists(store: Store, folder: Path) -> None:
    for k, father in enumerate(FATHERS):
        path = folder / f"list{k}.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(["ID", "Name", "Father", "City"])
            for t in range(TRIPLES):
                out.writerow([f"T{t:02d}-{k}", NAMES[t], father or "", "Tehran"])
        import_list(store, path, source=f"SYNTHETIC chain list {k}", actor="tester",
                    id_column="ID")


def _chain_linker(external: dict[str, str]) -> Any:
    def link(records: pd.DataFrame, labels: Any = None, backend: str = "duckdb",
             threshold: float = 0.1, **_settings: Any) -> Any:
        by_id = {external[k]: k for k in records["record_id"]}
        rows = [(by_id[f"T{t:02d}-{a}"], by_id[f"T{t:02d}-{b}"], 0.9, 3.17)
                for t in range(TRIPLES) for a, b in ((0, 1), (1, 2))]
        pairs = pd.DataFrame(rows, columns=["record_id_l", "record_id_r",
                                            "match_probability", "match_weight"])
        clustering = cluster_pairs(records["record_id"], pairs, threshold,
                                   sources=records["source_id"])  # no chain check here
        return SimpleNamespace(pairs=pairs, clusters=clustering.clusters,
                               review_candidates=pairs.iloc[:0], conflicts=clustering.conflicts,
                               model={"stand_in": True}, stats={"x": 1.0})

    return link


@pytest.fixture
def chained(store: Store, tmp_path: Path) -> tuple[Store, dict[str, str]]:
    _lists(store, tmp_path)
    recs = load_records(store)
    run_linkage(store, "tester", linker=_chain_linker(
        dict(zip(recs["link_key"], recs["external_id"], strict=True))))
    apply_decisions(store, "tester")  # the chain check splits every triple
    return store, dict(zip(recs["record_id"], recs["external_id"], strict=True))


def test_the_chain_check_holds_in_the_audit_sample_and_the_drawn_linkages(
    chained: tuple[Store, dict[str, str]], tmp_path: Path,
) -> None:
    store, external = chained
    with store.reading() as conn:
        run = latest_run(conn, "model")
    assert run is not None
    population = audit_population(store, run)
    ends = population.assign(a=population["record_id_l"].map(external).str[-1],
                             b=population["record_id_r"].map(external).str[-1])
    first_third = {"0", "2"}
    links = ends[population["stratum"].isin(LINK_STRATA)]
    # The audit samples the links the run keeps: never a first with a third record.
    assert len(links) == TRIPLES
    assert not links.apply(lambda r: {r["a"], r["b"]} == first_third, axis=1).any()
    # The link the chain check cut is a non-link scored above the threshold.
    assert (population["stratum"] == "non-link ≥threshold").sum() == TRIPLES
    drawn = draw_audit(store, "tester", tmp_path / "sheet.csv", size=40, seed=1)
    assert drawn.strata["link chained"]["population"] == 0

    # Drawn linkages (no audit recorded): a person on all three lists would join the
    # fathers the chain check keeps apart.
    draws = linkage_draws(store, DrawSettings(draws=20, seed=5))
    assert draws.stats["chain_apart"] == TRIPLES
    for table in draws.drawn:
        lists = list(table.attrs["lists"])
        assert len(lists) == 3 and not (table[lists].sum(axis=1) == 3).any()
