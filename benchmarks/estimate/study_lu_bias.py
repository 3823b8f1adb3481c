"""Whose bias is it: the linkage's or the estimator's? (issue 13, stop 35)

Reads the rows ``bench_linkage_uncertainty.py`` wrote and, population by
population, sets each linked arm against the true-linkage arm of the same
population: arm 2 - arm 1 and arm 3 - arm 1 (as a share of N) are what the
linkage alone does to the estimate, LCMCR's own error on that population held
fixed (the three arms estimate from the same people with the same seeds).
The mean relative bias of arm k is then exactly arm 1's plus the mean of
arm k - arm 1. Also the share of populations whose arm-2 or arm-3 interval
holds arm 1's point estimate.

With ``--against``, a second study on the same seeds (e.g. the stop-35 variant
with lists 1 and 2 independent) is set against the first population by
population: how much of arm 1's error the design's dependence accounts for.

``--estimators`` looks at arm 1 alone, which needs no linkage (the true
persons' capture histories are the design's capture matrix): on the same
seeds, with the design's dependence and without it, LCMCR as the bench runs it
(posterior median and mean, whether it converged), LCMCR with K* = 2 (the
design's own number of classes), LCMCR with fixed long chains, the log-linear
model chosen by AIC, the log-linear model with only the 1x2 interaction, and
Chao's lower bound. ``--large`` runs LCMCR on one population 100 times the
design's size, where what remains is the model's error, not chance's.

    .venv/bin/python benchmarks/estimate/study_lu_bias.py \\
        benchmarks/estimate/results/lu_audit_stop34.jsonl \\
        --against benchmarks/estimate/results/lu_audit_stop35_indep.jsonl
    nice -n 15 .venv/bin/python benchmarks/estimate/study_lu_bias.py --estimators \\
        --runs 50 --out build/lu_arm1.jsonl

``--write-tables DIR`` writes those true tables (both designs, seeds 1-50) for the
R package LCMCR, which ``lcmcr_reference.R`` runs on them: the reference
implementation's answer on the very tables arm 1 estimates.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_linkage_uncertainty import DEPENDENCE, LCMCR, PROBS, N, capture_design

from dadkhahi.estimate import EstimateResult, estimate, table_from_counts
from dadkhahi.estimate.loglinear import fit_loglinear, profile_interval

ARMS = ("true", "fixed", "uncertain")
NAMES = {"true": "arm 1 true linkage", "fixed": "arm 2 held fixed",
         "uncertain": "arm 3 audit-fed draws"}


def read_rows(path: Path) -> dict[int, dict[str, Any]]:
    """The rows of one study by population seed (a seed run twice: the last row)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return {int(row["run"]): row for row in rows}


def mean_se(values: np.ndarray) -> tuple[float, float]:
    """Mean and its standard error (sample SD / sqrt(n))."""
    if len(values) < 2:
        return float(values.mean()), math.nan
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


def decompose(rows: dict[int, dict[str, Any]]) -> str:
    """Each arm's relative bias, and the linked arms' difference from arm 1 per population."""
    runs = sorted(rows)
    n = np.array([rows[r]["population"] for r in runs], dtype=float)
    est = {arm: np.array([rows[r][arm]["estimate"] for r in runs], dtype=float) for arm in ARMS}
    dependence = sorted({rows[r].get("dependence", 0.25) for r in runs})
    out = [f"{len(runs)} populations (seeds {runs[0]}-{runs[-1]}); lists 1-2 dependence "
           + ", ".join(f"{d:g}" for d in dependence)]
    out.append("  relative bias (mean (N^ - N) / N, SE over populations), coverage of N:")
    for arm in ARMS:
        m, se = mean_se((est[arm] - n) / n)
        cover = np.mean([rows[r][arm]["covers"] for r in runs])
        out.append(f"    {NAMES[arm]:<24} {m:+.4f} (SE {se:.4f})   coverage {cover:.2f}")
    out.append("  the linkage's own effect, per population (arm k - arm 1) / N:")
    for arm in ("fixed", "uncertain"):
        d = (est[arm] - est["true"]) / n
        m, se = mean_se(d)
        holds = np.mean([rows[r][arm]["low"] <= rows[r]["true"]["estimate"] <= rows[r][arm]["high"]
                         for r in runs])
        out.append(
            f"    {NAMES[arm]:<24} {m:+.4f} (SE {se:.4f}), median {np.median(d):+.4f}, "
            f"range {d.min():+.4f} to {d.max():+.4f}; below arm 1 in "
            f"{int((d < 0).sum())}/{len(d)}; its interval holds arm 1's estimate in "
            f"{holds:.2f}")
    persons = np.array([rows[r]["linkage"]["persons"] / rows[r]["true_documented"]
                        for r in runs])
    out.append(f"  persons found / documented: mean {persons.mean():.4f} "
               f"(range {persons.min():.3f}-{persons.max():.3f})")
    return "\n".join(out)


def against(first: dict[int, dict[str, Any]], second: dict[int, dict[str, Any]]) -> str:
    """Arm by arm, the second study minus the first on the seeds both ran."""
    runs = sorted(set(first) & set(second))
    out = [f"second study minus first, {len(runs)} shared seeds, (second - first) / N:"]
    for arm in ARMS:
        d = np.array([(second[r][arm]["estimate"] - first[r][arm]["estimate"])
                      / first[r]["population"] for r in runs])
        m, se = mean_se(d)
        out.append(f"    {NAMES[arm]:<24} {m:+.4f} (SE {se:.4f})")
    docs = np.array([second[r]["true_documented"] - first[r]["true_documented"] for r in runs])
    out.append(f"  documented people: {docs.mean():+.1f} a population on average")
    return "\n".join(out)


LISTS = [f"list_{j + 1}" for j in range(len(PROBS[0]))]
#: Fixed long chains: 4 x 40,000 sweeps, the first 10,000 of each burnt.
LONG = replace(LCMCR, iterations=40_000, max_iterations=40_000, burnin=10_000)


def true_table(seen: np.ndarray) -> Any:
    """Arm 1's capture-history table: the true persons are the design's rows."""
    return table_from_counts(LISTS, seen.astype(np.int64), np.ones(len(seen), dtype=np.int64))


def _cell(result: EstimateResult, truth: int) -> dict[str, Any]:
    low, high = result.interval
    out = {"estimate": float(result.estimate), "low": float(low), "high": float(high),
           "covers": bool(low <= truth <= high)}
    for key in ("posterior_mean", "converged", "iterations", "occupied_classes_mean", "rhat",
                "selected_model"):
        if key in result.diagnostics:
            out[key] = result.diagnostics[key]
    return out


def arm1_row(r: int, dependence: float, long_chains: bool, quick: bool = False) -> dict[str, Any]:
    """Every estimator on population ``r``'s true persons (the bench's seeds).

    ``quick`` leaves out K* = 2, and LCMCR on the stated design, whose figures are
    arm 1 of the bench's rows (the same table and seed give the same draws).
    """
    seen, _ = capture_design(np.random.default_rng(r), dependence)
    table = true_table(seen)
    options = replace(LCMCR, seed=1000 + r)
    out: dict[str, Any] = {"run": r, "dependence": dependence,
                           "documented": int(seen.any(axis=1).sum())}
    tick = time.process_time()
    if not quick or dependence == 0:
        out["lcmcr"] = _cell(estimate(table, "lcmcr", options=options), N)
    if not quick:
        out["lcmcr_k2"] = _cell(estimate(table, "lcmcr", options=replace(options, max_classes=2)),
                                N)
    if long_chains:
        out["lcmcr_long"] = _cell(estimate(table, "lcmcr", options=replace(LONG, seed=1000 + r)),
                                  N)
    out["loglinear_aic"] = _cell(estimate(table, "loglinear-aic"), N)
    fit = fit_loglinear(table, [("list_1", "list_2")])
    prof = profile_interval(table, [("list_1", "list_2")])
    out["loglinear_12"] = {"estimate": fit.estimate, "low": prof.low, "high": prof.high,
                           "covers": bool(prof.low <= N <= prof.high)}
    out["chao"] = _cell(estimate(table, "chao"), N)
    out["cpu_seconds"] = time.process_time() - tick
    return out


def summarise_arm1(rows: list[dict[str, Any]]) -> str:
    """Per dependence and estimator: relative bias (SE), coverage, median width."""
    out = []
    for dependence in sorted({row["dependence"] for row in rows}, reverse=True):
        part = [row for row in rows if row["dependence"] == dependence]
        out.append(f"true persons, lists 1-2 dependence {dependence:g}: {len(part)} populations, "
                   f"documented {np.mean([row['documented'] for row in part]):.0f} on average")
        for key in ("lcmcr", "lcmcr_k2", "lcmcr_long", "loglinear_aic", "loglinear_12", "chao"):
            cells = [row[key] for row in part if key in row]
            if not cells:
                continue
            est = np.array([c["estimate"] for c in cells])
            m, se = mean_se((est - N) / N)
            cover = np.mean([c["covers"] for c in cells])
            width = np.median([c["high"] - c["low"] for c in cells])
            line = (f"    {key:<14} bias {m:+.4f} (SE {se:.4f})  coverage {cover:.2f} "
                    f"({round(cover * len(cells))}/{len(cells)})  median width {width:,.0f}")
            if "posterior_mean" in cells[0]:
                mean = np.array([c["posterior_mean"] for c in cells])
                line += (f"; posterior mean's bias {np.mean((mean - N) / N):+.4f}; converged "
                         f"{sum(bool(c.get('converged')) for c in cells)}/{len(cells)}")
            out.append(line)
    return "\n".join(out)


def summarise_reference(path: Path, bench: list[dict[str, Any]]) -> str:
    """The R package's figures per design, and R minus arm 1 of ``bench`` on the same table."""
    import pandas as pd

    ref = pd.read_csv(path)
    settings = (f"K = {ref['K'].iloc[0]}, alpha ~ Gamma({ref['a_alpha'].iloc[0]:g}, "
                f"{ref['b_alpha'].iloc[0]:g})" if "K" in ref.columns else "K = 10")
    out = [f"R package LCMCR, {settings} ({path.name}):"]
    for dependence, part in ref.groupby("dependence", sort=False):
        median, mean = part["median"].to_numpy(), part["mean"].to_numpy()
        m, se = mean_se((median - N) / N)
        cover = np.mean((part["low"] <= N) & (part["high"] >= N))
        out.append(f"    dependence {dependence:g}: {len(part)} populations, bias {m:+.4f} "
                   f"(SE {se:.4f}), posterior mean's {np.mean((mean - N) / N):+.4f}, coverage "
                   f"{cover:.2f}, median width {np.median(part['high'] - part['low']):,.0f}")
        # Only the bench's own settings make R minus arm 1 a check of the implementation.
        same_settings = "K" not in ref.columns or (
            ref["K"].iloc[0] == LCMCR.max_classes
            and (ref["a_alpha"].iloc[0], ref["b_alpha"].iloc[0]) == (0.25, 0.25))
        mine = {row["run"]: row for row in bench if same_settings
                and row.get("dependence", DEPENDENCE) == dependence}
        same = part[part["run"].isin(mine)]
        if len(same):
            d = same["median"].to_numpy() - [mine[r]["true"]["estimate"] for r in same["run"]]
            out.append(f"      R minus dadkhahi's arm 1 on the same {len(d)} tables: mean "
                       f"{d.mean():+.1f}, SD {d.std(ddof=1) if len(d) > 1 else 0:.1f}, "
                       f"largest {np.abs(d).max():.0f} people")
    return "\n".join(out)


def large_population(dependence: float, scale: int, seed: int,
                     sweeps: int = LCMCR.max_iterations or 0) -> dict[str, Any]:
    """LCMCR on one population ``scale`` times the design's size (the same classes).

    The chains run on until they converge or reach ``sweeps`` each.
    """
    seen, _ = capture_design(np.random.default_rng(seed), dependence, scale)
    table = true_table(seen)
    truth = N * scale
    tick = time.process_time()
    result = estimate(table, "lcmcr", options=replace(LCMCR, seed=seed, max_iterations=sweeps))
    cell = _cell(result, truth)
    aic = estimate(table, "loglinear-aic")
    return {"dependence": dependence, "population": truth,
            "documented": int(seen.any(axis=1).sum()),
            "lcmcr": cell, "lcmcr_relative": cell["estimate"] / truth - 1,
            "loglinear_aic_relative": float(aic.estimate) / truth - 1,
            "loglinear_aic_model": aic.diagnostics["selected_model"],
            "cpu_seconds": time.process_time() - tick}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", type=Path, nargs="?",
                        help="a bench_linkage_uncertainty.py rows file")
    parser.add_argument("--against", type=Path, help="a second study on the same seeds")
    parser.add_argument("--estimators", action="store_true",
                        help="arm 1 alone, every estimator, with and without the dependence")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--long-runs", type=int, default=10,
                        help="populations (the first ones) that also get fixed long chains")
    parser.add_argument("--large", type=int, default=0,
                        help="with --estimators: also one population this many times N")
    parser.add_argument("--large-sweeps", type=int, default=LCMCR.max_iterations,
                        help="with --large: at most this many sweeps a chain")
    parser.add_argument("--large-only", action="store_true",
                        help="with --estimators --large: only the large population")
    parser.add_argument("--quick", action="store_true",
                        help="with --estimators: no K* = 2, no LCMCR on the stated design")
    parser.add_argument("--out", type=Path, default=Path("build/lu_arm1.jsonl"))
    parser.add_argument("--summarise-estimators", nargs="*", type=Path)
    parser.add_argument("--reference", type=Path, metavar="CSV", nargs="*", default=[],
                        help="lcmcr_reference.R's output, set against arm 1 of the rows")
    parser.add_argument("--write-tables", type=Path, metavar="DIR",
                        help="write arm 1's tables as CSV for lcmcr_reference.R")
    args = parser.parse_args(argv)
    if args.write_tables:
        args.write_tables.mkdir(parents=True, exist_ok=True)
        for dependence in (DEPENDENCE, 0.0):
            for r in range(args.first, args.first + args.runs):
                seen, _ = capture_design(np.random.default_rng(r), dependence)
                true_table(seen).rename(columns={"count": "Freq"}).to_csv(
                    args.write_tables / f"dep{dependence:g}_{r}.csv", index=False)
        return 0
    if args.summarise_estimators:
        rows = [json.loads(line) for p in args.summarise_estimators
                for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
        # A population rerun (e.g. --quick after a full run stopped) adds to its cells.
        merged: dict[tuple[int, float], dict[str, Any]] = {}
        for row in rows:
            if "run" in row:
                merged.setdefault((row["run"], row["dependence"]), {}).update(row)
        print(summarise_arm1(list(merged.values())))
        for row in rows:
            if "run" not in row:
                lc = row["lcmcr"]
                print(f"  one population of {row['population']:,} (dependence "
                      f"{row['dependence']:g}): LCMCR {row['lcmcr_relative']:+.4f} "
                      f"[{lc['low'] / row['population'] - 1:+.4f}, "
                      f"{lc['high'] / row['population'] - 1:+.4f}], {lc['iterations']:,} sweeps, "
                      f"R-hat {lc['rhat']:.3f}; log-linear (AIC) "
                      f"{row['loglinear_aic_relative']:+.4f}")
        return 0
    if args.estimators:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        rows = []
        for r in range(args.first, args.first + (0 if args.large_only else args.runs)):
            for dependence in (DEPENDENCE, 0.0):
                row = arm1_row(r, dependence, r < args.first + args.long_runs, args.quick)
                rows.append(row)
                with open(args.out, "a", encoding="utf-8") as f:
                    f.write(json.dumps(row) + "\n")
            print(f"population {r} done", flush=True)
        if args.large:
            for dependence in (DEPENDENCE, 0.0):
                with open(args.out, "a", encoding="utf-8") as f:
                    f.write(json.dumps(large_population(dependence, args.large, 7,
                                                        args.large_sweeps)) + "\n")
        if rows:
            print(summarise_arm1(rows))
        return 0
    if args.rows is None:
        parser.error("give a rows file, --estimators or --summarise-estimators")
    first = read_rows(args.rows)
    print(f"{args.rows}\n{decompose(first)}")
    second = read_rows(args.against) if args.against else {}
    if second:
        print(f"\n{args.against}\n{decompose(second)}\n\n{against(first, second)}")
    for path in args.reference:
        print("\n" + summarise_reference(path, [*first.values(), *second.values()]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
