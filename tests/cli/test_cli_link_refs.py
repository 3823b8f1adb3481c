"""Linkage from the command line with the lists' own IDs (issue 12 items 12-14):
``link decide M5:F-04 …``, record and list columns in review and export, and one count
of pairs to review."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from dadkhahi.cli.main import app
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.lists import import_list
from dadkhahi.linkage.service import run_linkage
from dadkhahi.linkage.store_io import load_records
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


def _review_linker(store: Store) -> Any:
    """Links nothing; sends the two F-04 records (one per list) to review."""

    def link(records: pd.DataFrame, labels: Any = None, backend: str = "duckdb",
             threshold: float = 0.9, seed: int = 1) -> Any:
        frame = load_records(store)
        f04 = sorted(frame.loc[frame["external_id"] == "F-04", "link_key"])
        keys = [str(x) for x in records["record_id"]]
        pair = pd.DataFrame([(f04[0], f04[1], 0.5, 0.0)], columns=[
            "record_id_l", "record_id_r", "match_probability", "match_weight"])
        empty = pd.DataFrame(columns=["record_id_l", "record_id_r"])
        return SimpleNamespace(pairs=pair, review_candidates=pair, conflicts=empty,
                               clusters=pd.DataFrame({"record_id": keys, "cluster_id": keys}),
                               model={"stand_in": True}, stats={"x": 1.0})

    return link


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    store = Store.init(Home(path), "link.test/ledger", "t")
    for title, rows in (("M5", "F-04,Hosein Rezaei\nF-05,Ali Karimi\n"),
                        ("Memorial", "F-04,Hossein Rezayi\nF-09,Zahra Moradi\n")):
        listing = tmp_path / f"{title}.csv"
        listing.write_text("ID,Full name\n" + rows, "utf-8")
        import_list(store, listing, actor="t", id_column="ID", source=SourceSpec(
            title=title, kind=SourceKind.LIST, sensitivity=Sensitivity.RESTRICTED))
    run_linkage(store, "t", linker=_review_linker(store), synthetic=True)
    store.engine.dispose()
    return path


def _dk(home: Path, *args: str) -> Result:
    done = CliRunner().invoke(app, ["--home", str(home), *args], env={"COLUMNS": "200"})
    assert done.exit_code == 0, (done.output, done.exception)
    return done


def test_decide_by_the_lists_own_ids_and_one_count_to_review(home: Path,
                                                              tmp_path: Path) -> None:
    assert "pairs to review: 1" in _dk(home, "link", "stats").output
    # Review shows each record's ID (what link decide also takes) beside the list's own ID.
    queue = CliRunner().invoke(app, ["--home", str(home), "link", "review"], input="q\n",
                               env={"COLUMNS": "200"})
    assert queue.exit_code == 0, queue.output
    reviewed = set(re.findall(r"\brec_[0-9a-f]{20}\b", queue.output))
    assert len(reviewed) == 2 and queue.output.count("F-04 / 2") == 2, queue.output
    decided = _dk(home, "link", "decide", "M5:F-04", "Memorial:F-04", "same").output
    assert "are same" in decided
    refused = CliRunner().invoke(app, ["--home", str(home), "link", "decide", "M5:F-99",
                                       "Memorial:F-04", "same"])
    assert "has no record 'F-99'" in str(refused.exception)
    applied = _dk(home, "link", "apply").output
    stats = _dk(home, "link", "stats").output
    # The run summary and the stats say the same number (it was 0 vs 212 before).
    assert "0 pairs to review" in applied and "pairs to review: 0" in stats
    out = tmp_path / "links.csv"
    _dk(home, "link", "export", "--out", str(out))
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    f04 = [r for r in rows if r["record_id"] == "F-04"]
    assert {r["list"] for r in f04} == {"M5", "Memorial"}  # overlapping IDs told apart
    assert {r["internal_record_id"] for r in f04} == reviewed
    assert len({r["person_id"] for r in f04}) == 1  # the decision held
    assert all(r["internal_record_id"].startswith("rec_") and r["list_id"].startswith("lst_")
               and r["source_id"].startswith("src_") for r in rows)
    # --list reads both arguments as that list's own IDs.
    _dk(home, "link", "decide", "F-04", "F-05", "different", "--list", "M5")
