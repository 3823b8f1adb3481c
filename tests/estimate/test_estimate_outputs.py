"""Stratification, the JSON contract, the Rich table, plots and the CLI command.

All data here are SYNTHETIC.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from dadkhahi.cli.estimate import demo_histories, make_estimate_command
from dadkhahi.domain.errors import UserError
from dadkhahi.estimate import (
    EstimateResult,
    ListSize,
    Options,
    estimate,
    estimate_all,
    histories_to_table,
    plot,
    render,
    to_json,
)

FAST = Options(iterations=1200, chains=2, seed=5, max_iterations=1200)


def stratified_table(seed: int = 0) -> pd.DataFrame:
    persons = demo_histories(seed=seed, people=2400)
    return histories_to_table(persons, persons.attrs["lists"], stratum_column="province")


def test_stratified_lcmcr_sums_posterior_draws() -> None:
    result = estimate(stratified_table(), "lcmcr", stratified=True, options=FAST)
    assert [s.stratum for s in result.strata] == ["north", "south"]
    assert result.documented == sum(s.documented for s in result.strata)
    assert result.draws is not None
    parts = [s.draws for s in result.strata]
    assert all(p is not None for p in parts)
    assert np.array_equal(result.draws, parts[0] + parts[1])  # type: ignore[operator]
    assert result.estimate == pytest.approx(float(np.median(result.draws)))
    assert result.diagnostics["combination"].startswith("sum of posterior draws")


def test_stratified_estimates_report_progress_per_stratum() -> None:
    heard: dict[str, list[tuple[int, int]]] = {}
    table = stratified_table()
    estimate(table, "lcmcr", stratified=True, options=FAST,
             progress=lambda label, done, at_most: heard.setdefault(label, []).append(
                 (done, at_most)))
    assert list(heard) == ["lcmcr north", "lcmcr south"]
    assert all(calls[-1] == (1200, 1200) for calls in heard.values())
    heard.clear()
    estimate(table, "lp", stratified=True, options=FAST,
             progress=lambda label, done, at_most: heard.setdefault(label, []).append(
                 (done, at_most)))
    assert heard == {"lp north": [(0, 1), (1, 1)], "lp south": [(0, 1), (1, 1)]}


def test_stratified_loglinear_uses_normal_approximation() -> None:
    result = estimate(stratified_table(), "loglinear", stratified=True, options=FAST)
    assert result.estimate == pytest.approx(sum(s.estimate for s in result.strata))
    down = math.sqrt(sum((s.estimate - s.interval[0]) ** 2 for s in result.strata))
    assert result.interval[0] == pytest.approx(max(result.estimate - down, result.documented))
    assert "quadrature" in result.diagnostics["combination"]


def test_strata_too_sparse_are_named() -> None:
    table = stratified_table()
    lonely = pd.DataFrame(
        {"list_a": [1, 0, 0], "list_b": [0, 1, 0], "list_c": [0, 0, 1], "list_d": [0, 0, 0],
         "count": [1, 1, 1], "stratum": ["tiny", "tiny", "tiny"]}
    )
    with pytest.raises(UserError, match="strata too sparse to estimate: tiny"):
        estimate(pd.concat([table, lonely], ignore_index=True), "loglinear", stratified=True)


def test_json_contract_and_unbounded_interval() -> None:
    result = EstimateResult(
        method="lp", documented=10, estimate=math.inf, interval=(10.0, math.inf),
        lists=(ListSize("a", 5), ListSize("b", 5)), warnings=("w",),
    )
    out = to_json(result)
    assert {"documented", "estimate", "interval", "method", "lists", "strata"} <= set(out)
    assert out["interval"] == [10.0, None]
    assert out["estimate"] is None
    assert out["lists"] == [{"name": "a", "size": 5}, {"name": "b", "size": 5}]
    json.dumps(out, allow_nan=False)


@pytest.fixture(scope="module")
def comparison() -> list[EstimateResult]:
    return estimate_all(stratified_table(), stratified=True, options=FAST)


def test_json_of_stratified_comparison(comparison: list[EstimateResult]) -> None:
    results = comparison
    assert [r.method for r in results] == [
        "lcmcr", "loglinear-aic", "loglinear-avg-aic", "lp", "chao",
    ]
    out = to_json(results[0], results[1:])
    assert len(out["strata"]) == 2
    assert out["strata"][0]["stratum"] == "north"
    assert len(out["methods"]) == 4
    json.dumps(out, allow_nan=False)


def test_render_and_plots(tmp_path: Path, comparison: list[EstimateResult]) -> None:
    results = comparison
    console = Console(record=True, width=120)
    console.print(render(results))
    text = console.export_text()
    assert "loglinear-avg-aic" in text
    assert "north" in text
    assert "documented" in text
    png = plot(results, tmp_path / "e.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = plot(results[1], tmp_path / "e.svg")
    assert b"<svg" in svg.read_bytes()[:500]
    with pytest.raises(UserError, match=r"\.png or \.svg"):
        plot(results, tmp_path / "e.pdf")


def app_with(loader: object) -> typer.Typer:
    app = typer.Typer()
    app.command("estimate")(make_estimate_command(loader))  # type: ignore[arg-type]

    @app.command("other")
    def other() -> None:
        """Keep typer in sub-command mode."""

    return app


def test_cli_table_json(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,c,count\n1,0,0,300\n0,1,0,280\n0,0,1,310\n1,1,0,40\n1,0,1,45\n"
                   "0,1,1,38\n1,1,1,6\n", encoding="utf-8")
    result = CliRunner().invoke(
        app_with(None), ["estimate", "--table", str(csv), "--method", "loglinear", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["method"] == "loglinear-aic"
    assert out["documented"] == 1019
    assert out["interval"][0] <= out["estimate"] <= out["interval"][1]


def test_cli_store_loader_with_strata_and_plot(tmp_path: Path) -> None:
    calls: list[int] = []

    def loader(language: str) -> pd.DataFrame:
        calls.append(1)
        return demo_histories(seed=3, people=1500)

    runner = CliRunner()
    args = ["estimate", "--by", "province", "--method", "lp", "--plot", str(tmp_path / "p.png")]
    result = runner.invoke(app_with(loader), args)
    assert result.exit_code == 0, result.output
    assert calls == [1]
    assert "north" in result.output
    assert (tmp_path / "p.png").exists()


def test_cli_errors_are_user_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    no_store = runner.invoke(app_with(None), ["estimate"])
    assert isinstance(no_store.exception, UserError)
    assert "--table" in str(no_store.exception)
    bad_by = runner.invoke(app_with(lambda _lang: demo_histories(people=200)),
                           ["estimate", "--by", "x"])
    assert isinstance(bad_by.exception, UserError)
    assert "province" in str(bad_by.exception)
    bad_method = runner.invoke(app_with(None), ["estimate", "--method", "magic"])
    assert isinstance(bad_method.exception, UserError)


def test_cli_max_iterations_bounds_the_chains_and_json_reports_convergence(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,c,count\n1,0,0,300\n0,1,0,280\n0,0,1,310\n1,1,0,40\n1,0,1,45\n"
                   "0,1,1,38\n1,1,1,6\n", encoding="utf-8")
    base = ["estimate", "--table", str(csv), "--method", "lcmcr", "--seed", "3",
            "--chains", "2", "--iterations", "200"]
    fixed = CliRunner().invoke(app_with(None), [*base, "--max-iterations", "200", "--json"])
    assert fixed.exit_code == 0, fixed.output
    d = json.loads(fixed.output)["diagnostics"]
    # 200 sweeps cannot reach ESS 400 from 2 x 150 kept draws, so a fixed
    # length stops there and says it did not converge.
    assert d["iterations"] == 200 and d["max_iterations"] == 200
    assert d["converged"] is False and len(d["checks"]) == 1
    assert 1 <= d["ess"] < 400
    extended = CliRunner().invoke(app_with(None), [*base, "--max-iterations", "600", "--json"])
    assert extended.exit_code == 0, extended.output
    e = json.loads(extended.output)["diagnostics"]
    assert e["iterations"] in (400, 600) and len(e["checks"]) == e["iterations"] // 200
    assert e["checks"][0] == d["checks"][0]  # the same seed gives the same first block
    table = CliRunner().invoke(app_with(None), [*base, "--max-iterations", "200"])
    assert table.exit_code == 0, table.output
    assert "2 chains x 200 sweeps" in table.output and "NOT converged" in table.output
    too_few = CliRunner().invoke(app_with(None), [*base, "--max-iterations", "100"])
    assert isinstance(too_few.exception, UserError)
    assert "max_iterations" in str(too_few.exception)


def test_cli_describe_shows_overlaps_and_dependence_without_fitting(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,c,count\n1,0,0,300\n0,1,0,280\n0,0,1,310\n1,1,0,40\n1,0,1,45\n"
                   "0,1,1,38\n1,1,1,6\n", encoding="utf-8")
    result = CliRunner().invoke(app_with(None), ["estimate", "--table", str(csv), "--describe",
                                                 "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert "estimate" not in out
    assert out["documented"] == 1019
    assert [(s["name"], s["size"]) for s in out["lists"]] == [("a", 391), ("b", 364), ("c", 399)]
    assert out["overlap"]["a"]["b"] == 46 and out["overlap"]["b"]["a"] == 46
    assert out["overlap"]["c"]["c"] == 399
    assert out["capture_frequencies"] == [890, 123, 6]
    ab = next(p for p in out["pairwise"] if (p["list_a"], p["list_b"]) == ("a", "b"))
    assert (ab["n11"], ab["n10"], ab["n01"]) == (46, 345, 318)
    # Among people on c: a&b 6, a only 45, b only 38, neither 310.
    assert ab["odds_ratio"] == pytest.approx(6 * 310 / (45 * 38))
    text = CliRunner().invoke(app_with(None), ["estimate", "--table", str(csv), "--describe"])
    assert text.exit_code == 0, text.output
    assert "Pairwise dependence" in text.output and "a & b" in text.output
    assert "exactly 1 list: 890" in text.output
