"""Simulation benchmark: bias and 95%-interval coverage of each MSE method.

All data are SYNTHETIC: populations drawn from latent classes with known
totals, never real people. Scenarios cover heterogeneous capture (latent
classes), positive and negative dependence between lists, and 3 to 6 lists.
For every run we record, per method, the relative error of the estimate and
whether its 95% interval covers the true total.

LCMCR runs 4 chains of ``--iterations`` sweeps, then extends them in
blocks of that size until R-hat < 1.01 and ESS >= 400 or
``--max-iterations`` sweeps (see ``lcmcr``); the report also gives its
coverage at the first check, to separate short chains from the model.

    .venv/bin/python benchmarks/estimate/bench_simulation.py            # defaults
    .venv/bin/python benchmarks/estimate/bench_simulation.py --runs 50 --scenario 4 \
        --methods lcmcr --progress --json rows.json   # one scenario, one method
    .venv/bin/python benchmarks/estimate/bench_simulation.py --summarise a.json b.json

The figures in benchmarks/README.md come from three runs in one process
(the machine has 2 cores; keep ``--jobs 1`` when the other one is busy):
LCMCR and Lincoln-Petersen on scenarios 0-5 (50 runs, 3,113 s), the two
log-linear methods on scenarios 0-5 (50 runs, 1,021 s), and every method on
the added scenario 6 (50 runs, 917 s), merged with ``--summarise``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dadkhahi.domain.errors import UserError
from dadkhahi.estimate import (
    EstimateResult,
    histories_to_table,
    lcmcr,
    lincoln_petersen,
    loglinear,
)


@dataclass(frozen=True)
class Scenario:
    """Latent classes: how many people in each and their per-list capture probabilities."""

    name: str
    sizes: tuple[int, ...]
    probs: tuple[tuple[float, ...], ...]


# sim1, sim4 and sim5 are the settings HRDAG used to check its Stan port of
# LCMCR against the R package (github.com/HRDAG/StanLCMCR,
# import/hand/simulations.yaml); sim1 is described there as the simulation
# of Manrique-Vallier (2016). The others are ours.
SCENARIOS = (
    Scenario(
        "sim1 (Manrique-Vallier 2016): 5 lists, 2 classes",
        (1800, 200),
        ((0.033, 0.033, 0.099, 0.132, 0.033), (0.660, 0.825, 0.759, 0.990, 0.693)),
    ),
    Scenario(
        "sim4: 5 lists, 3 classes",
        (1600, 200, 200),
        ((0.1, 0.05, 0.15, 0.2, 0.1), (0.5, 0.4, 0.6, 0.4, 0.5), (0.8, 0.9, 0.6, 0.7, 0.7)),
    ),
    Scenario(
        "sim5: 5 lists, negative dependence",
        (1600, 400),
        ((0.113, 0.113, 0.199, 0.832, 0.733), (0.860, 0.925, 0.859, 0.190, 0.193)),
    ),
    Scenario(
        "positive dependence (lists 1,2): 4 lists",
        (1000, 1000),
        ((0.6, 0.55, 0.3, 0.25), (0.08, 0.1, 0.3, 0.25)),
    ),
    Scenario(
        "heterogeneous: 3 lists, 2 classes",
        (1400, 600),
        ((0.45, 0.5, 0.4), (0.2, 0.25, 0.15)),
    ),
    Scenario(
        "heterogeneous: 6 lists, 2 classes",
        (1600, 400),
        ((0.1, 0.05, 0.12, 0.08, 0.1, 0.06), (0.6, 0.7, 0.5, 0.6, 0.7, 0.5)),
    ),
    # Added as a control for the 3-list scenario: the same two classes and
    # capture probabilities plus one more list like the others. With three
    # lists a two-class model (7 parameters) plus N are more unknowns than
    # the 7 observed cells can fix, so the data cannot pin N down; with four
    # lists the model is identified in principle, but with these mild
    # differences between the classes the likelihood is still nearly flat
    # in N above the truth (benchmarks/README.md).
    Scenario(
        "heterogeneous: 4 lists, 2 classes (3-list scenario + 1 list)",
        (1400, 600),
        ((0.45, 0.5, 0.4, 0.45), (0.2, 0.25, 0.15, 0.2)),
    ),
)

METHODS = ("lcmcr", "loglinear-aic", "loglinear-avg-aic", "lincoln-petersen")


def simulate(scenario: Scenario, rng: np.random.Generator) -> pd.DataFrame:
    """SYNTHETIC capture histories for the people of ``scenario``."""
    p = np.repeat(np.asarray(scenario.probs), scenario.sizes, axis=0)
    seen = (rng.random(p.shape) < p).astype(np.int64)
    names = [f"L{i + 1}" for i in range(p.shape[1])]
    return histories_to_table(pd.DataFrame(seen, columns=names), names)


@dataclass(frozen=True)
class Task:
    """One simulated population and the methods to apply to it."""

    scenario: int
    run: int
    iterations: int
    max_iterations: int
    seed: int
    methods: tuple[str, ...] = METHODS


def one_run(task: Task) -> list[dict[str, object]]:
    """Simulate one population and apply every method to it.

    LCMCR starts with ``iterations`` sweeps per chain and extends until it
    converges or reaches ``max_iterations``; its row also records the first
    check (the interval after ``iterations`` sweeps), to compare short and
    converged chains on the same data.
    """
    scenario = SCENARIOS[task.scenario]
    total = sum(scenario.sizes)
    rng = np.random.default_rng([task.seed, task.scenario, task.run])
    table = simulate(scenario, rng)
    runners: dict[str, Callable[[], EstimateResult]] = {
        "lcmcr": lambda: lcmcr(table, iterations=task.iterations, chains=4,
                               max_iterations=task.max_iterations, seed=task.seed + task.run),
        "loglinear-aic": lambda: loglinear(table),
        "loglinear-avg-aic": lambda: loglinear(table, average=True),
        "lincoln-petersen": lambda: lincoln_petersen(table),
    }
    rows: list[dict[str, object]] = []
    for method in task.methods:
        start = time.perf_counter()
        row: dict[str, object] = {
            "scenario": scenario.name, "run": task.run, "method": method, "truth": total,
            "documented": int(table["count"].sum()),
        }
        try:
            r = runners[method]()
            row.update(estimate=r.estimate, low=r.interval[0], high=r.interval[1], failed=False)
        except UserError:
            r = None
            row.update(estimate=math.nan, low=math.nan, high=math.nan, failed=True)
        row["seconds"] = time.perf_counter() - start
        if method == "lcmcr" and r is not None:
            d = r.diagnostics
            first = d["checks"][0]
            row.update(rhat=d["rhat"], ess=d["ess"], sweeps=d["iterations"],
                       converged=d["converged"], first_low=first["interval"][0],
                       first_high=first["interval"][1], first_estimate=first["estimate"],
                       first_rhat=first["rhat"])
        rows.append(row)
    return rows


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and method: relative bias, RMSE, coverage, interval width."""
    ok = rows[~rows["failed"]].copy()
    ok["rel_error"] = (ok["estimate"] - ok["truth"]) / ok["truth"]
    ok["covered"] = (ok["low"] <= ok["truth"]) & (ok["truth"] <= ok["high"])
    ok["rel_width"] = (ok["high"] - ok["low"]) / ok["truth"]
    grouped = ok.groupby(["scenario", "method"], sort=False)
    return pd.DataFrame({
        "runs": grouped.size(),
        "rel_bias": grouped["rel_error"].mean(),
        "rel_rmse": grouped["rel_error"].apply(lambda e: float(np.sqrt((e**2).mean()))),
        "coverage": grouped["covered"].mean(),
        "median_rel_width": grouped["rel_width"].median(),
        "mean_seconds": grouped["seconds"].mean(),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per scenario")
    parser.add_argument("--iterations", type=int, default=10_000,
                        help="LCMCR sweeps per chain before the first convergence check")
    parser.add_argument("--max-iterations", type=int, default=40_000,
                        help="LCMCR cap on sweeps per chain when extending to converge")
    parser.add_argument("--scenario", type=int, action="append", default=None,
                        help="only this scenario (0-based index; repeatable)")
    parser.add_argument("--methods", type=str, default=",".join(METHODS),
                        help="comma-separated subset of " + ", ".join(METHODS))
    parser.add_argument("--seed", type=int, default=1988)
    parser.add_argument("--first", type=int, default=0,
                        help="first run number (runs --first .. --first + --runs - 1), so "
                        "more runs can be added to a saved set and merged with --summarise")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--progress", action="store_true",
                        help="print each run's rows as JSON lines as they finish")
    parser.add_argument("--json", type=str, default=None, help="also write rows to this file")
    parser.add_argument("--summarise", nargs="+", metavar="FILE", default=None,
                        help="only print the report for rows saved with --json")
    args = parser.parse_args()
    if args.summarise:
        summarise_files(args.summarise)
        return

    methods = tuple(m for m in args.methods.split(",") if m)
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods: {', '.join(sorted(unknown))}")
    scenarios = args.scenario if args.scenario is not None else range(len(SCENARIOS))
    tasks = [
        Task(s, run, args.iterations, max(args.iterations, args.max_iterations), args.seed,
             methods)
        for run in range(args.first, args.first + args.runs)
        for s in scenarios
    ]
    start = time.perf_counter()
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            chunks = list(pool.map(one_run, tasks))
    else:
        chunks = []
        for t in tasks:
            chunks.append(one_run(t))
            if args.progress:
                for row in chunks[-1]:
                    print(json.dumps(row, default=str), flush=True)
    rows = pd.DataFrame([row for chunk in chunks for row in chunk])
    elapsed = time.perf_counter() - start
    print(f"SYNTHETIC data. {args.runs} runs per scenario, true total 2000 in each, "
          f"LCMCR 4 chains, {args.iterations} sweeps then blocks of {args.iterations} until "
          f"R-hat < 1.01 and ESS >= 400 or {max(args.iterations, args.max_iterations)} sweeps; "
          f"{elapsed:.0f} s wall time with {args.jobs} process(es).")
    report(rows)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows.to_dict(orient="records"), fh, indent=1, default=str)


def report(rows: pd.DataFrame) -> None:
    """Print the summary, a coverage table and LCMCR's convergence record."""
    failed = rows.groupby("method")["failed"].sum()
    if failed.any():
        print("failed runs per method:", failed[failed > 0].to_dict())
    table = summarise(rows)
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.max_colwidth", 70, "display.float_format", "{:.3f}".format):
        print(table)
        print("\n95% interval coverage:")
        print(table["coverage"].unstack("method").loc[:, lambda t: t.columns])
    if "converged" not in rows:
        return
    lc = rows[(rows["method"] == "lcmcr") & ~rows["failed"]].copy()
    if not len(lc):
        return
    lc["covered"] = (lc["low"] <= lc["truth"]) & (lc["truth"] <= lc["high"])
    lc["first_covered"] = (lc["first_low"] <= lc["truth"]) & (lc["truth"] <= lc["first_high"])
    lc["first_rhat_high"] = lc["first_rhat"].astype(float) > 1.01
    lc["rhat_high"] = lc["rhat"].astype(float) > 1.01
    lc["converged"] = lc["converged"].astype(bool)
    per = lc.groupby("scenario", sort=False).agg(
        coverage_first=("first_covered", "mean"), coverage=("covered", "mean"),
        rhat_high_first=("first_rhat_high", "mean"), rhat_high=("rhat_high", "mean"),
        converged=("converged", "mean"), median_sweeps=("sweeps", "median"),
        max_sweeps=("sweeps", "max"),
    )
    print("\nLCMCR convergence (first = at the first check, before any extension):")
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.max_colwidth", 70, "display.float_format", "{:.2f}".format):
        print(per)
    print(f"LCMCR R-hat: median {lc['rhat'].astype(float).median():.3f}, share > 1.01: "
          f"{lc['rhat_high'].mean():.0%} (at the first check: "
          f"{lc['first_rhat_high'].mean():.0%}); ESS median {lc['ess'].astype(float).median():.0f}")


def summarise_files(paths: list[str]) -> None:
    """Print the report for rows saved with ``--json`` by one or more runs."""
    rows: list[dict[str, object]] = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            rows.extend(json.load(fh))
    frame = pd.DataFrame(rows)
    frame["failed"] = frame["failed"].astype(bool)
    print(f"SYNTHETIC data, rows from {', '.join(paths)}:")
    report(frame)


if __name__ == "__main__":
    main()
