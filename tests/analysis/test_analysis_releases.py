"""`estimate.released` names what an estimate rests on; `estimate release` on the command
line; an estimate that names no lists is refused. Estimates here are SYNTHETIC events
written directly (no model runs), so the checks are fast."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dadkhahi.analysis.estimates import release_estimate, released_estimates
from dadkhahi.cli.main import app
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

LISTS = [{"list": "lst_a", "import": "imp_a", "title": "SYNTHETIC list A", "kind": "victims",
          "used": True, "coverage": "all", "versions": 1},
         {"list": "lst_b", "import": "imp_b", "title": "SYNTHETIC list B", "kind": "victims",
          "used": True, "merged_into": None, "coverage": "all", "versions": 2}]


def _computed(store: Store, estimate_id: str, *, lists: list[dict[str, Any]] | None,
              run: str | None = "run_1") -> None:
    settings: dict[str, Any] = {"method": "lcmcr", "options": {"seed": 7}}
    if lists is not None:
        settings["lists"] = lists
    with store.transaction("analyst") as tx:
        tx.emit("estimate.computed", {
            "id": estimate_id, "method": "lcmcr", "estimand": "SYNTHETIC estimand",
            "documented": 120, "estimate": 181.4, "low": 150.2, "high": 240.9,
            "level": 0.95, "fixed_low": None, "fixed_high": None, "partitions": None,
            "seed": 7, "link_run_id": run, "inputs_sha256": "0" * 64, "settings": settings,
            "versions": {"dadkhahi": "0.test", "python": "3.11"},
            "computed_at": "2026-12-02T12:00:00Z"})


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    store = Store.init(Home(path), "releases.test/ledger", "t")
    _computed(store, "est_named", lists=LISTS)
    _computed(store, "est_old", lists=None)
    _computed(store, "est_norun", lists=LISTS, run=None)
    store.engine.dispose()
    return path


def test_an_estimate_naming_no_lists_or_run_is_refused_and_nothing_is_written(
        home: Path) -> None:
    store = Store.open(Home(home))
    size = store.size()
    for estimate_id in ("est_old", "est_norun"):
        with pytest.raises(UserError, match="does not name its lists and linkage run"):
            release_estimate(store, "analyst", estimate_id, "public")
    with pytest.raises(NotFoundError):
        release_estimate(store, "analyst", "est_missing", "public")
    with pytest.raises(UserError, match="audience"):
        release_estimate(store, "analyst", "est_named", "everyone")
    assert store.size() == size
    assert released_estimates(store) == []
    store.engine.dispose()


def test_estimate_release_on_the_command_line_names_lists_run_method_seed_versions(
        home: Path) -> None:
    done = CliRunner().invoke(app, ["--home", str(home), "estimate", "release", "est_named",
                                    "--audience", "public", "--json"])
    assert done.exit_code == 0, done.output
    released = json.loads(done.output)
    assert released["estimate_id"] == "est_named" and released["audience"] == "public"
    assert (released["method"], released["seed"], released["link_run_id"]) == (
        "lcmcr", 7, "run_1")
    assert released["versions"]["dadkhahi"] == "0.test"
    assert [x["import"] for x in released["lists"]] == ["imp_a", "imp_b"]
    assert (released["estimate"], released["low"], released["high"]) == (181.4, 150.2, 240.9)
    store = Store.open(Home(home))
    public = released_estimates(store, "public")
    assert [r.estimate_id for r in public] == ["est_named"]
    store.engine.dispose()
    # A plain line without --json; the estimate command itself still takes its options.
    again = CliRunner().invoke(app, ["--home", str(home), "estimate", "release", "est_named",
                                     "--audience", "court", "--note", "SYNTHETIC bundle"])
    assert again.exit_code == 0 and "released est_named to court" in again.output
    helped = CliRunner().invoke(app, ["--home", str(home), "estimate", "--help"])
    assert helped.exit_code == 0 and "--method" in helped.output and "release" in helped.output
