"""Does LCMCR's coverage in sim4 depend on its priors? (SYNTHETIC data only.)

Runs the sim4 scenario of ``bench_simulation.py`` (same simulated tables for the
same run numbers) under several truncations K*, concentration priors and
priors on the capture probabilities, with a
fixed chain length, and prints the 95%-interval coverage and median estimate.

The prior on the total is checked without another sampler: a posterior under
p(N) proportional to 1 is the default posterior (p(N) proportional to 1/N)
times N, so the default run's draws, weighted by N, give its quantiles.

    .venv/bin/python benchmarks/estimate/bench_prior_sensitivity.py --runs 20 --jobs 2
    .venv/bin/python benchmarks/estimate/bench_prior_sensitivity.py --runs 50 --jobs 2 \
        --prior "K*=10, alpha ~ Gamma(0.25, 0.25) (default)" --prior "alpha ~ Gamma(1, 1)"
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from bench_simulation import SCENARIOS, simulate

from dadkhahi.estimate import lcmcr

SIM4 = 1
TRUTH = sum(SCENARIOS[SIM4].sizes)
DEFAULT = "K*=10, alpha ~ Gamma(0.25, 0.25) (default)"
FLAT = {"max_classes": 10, "a_alpha": 0.25, "b_alpha": 0.25, "a_lambda": 1.0, "b_lambda": 1.0}
CONFIGS: dict[str, dict[str, float]] = {
    DEFAULT: FLAT,
    "K*=5": {**FLAT, "max_classes": 5},
    "K*=20": {**FLAT, "max_classes": 20},
    "alpha ~ Gamma(1, 1)": {**FLAT, "a_alpha": 1.0, "b_alpha": 1.0},
    "lambda ~ Beta(0.5, 0.5) (Jeffreys)": {**FLAT, "a_lambda": 0.5, "b_lambda": 0.5},
}


UNIFORM_N = "p(N) ~ 1 instead of 1/N (default draws weighted by N)"


def weighted_quantiles(
    values: np.ndarray, weights: np.ndarray, q: list[float]
) -> np.ndarray:
    """Quantiles of a weighted sample (inverse of its weighted empirical CDF)."""
    order = np.argsort(values)
    cdf = np.cumsum(weights[order]) / weights.sum()
    return values[order][np.searchsorted(cdf, q)]


def one(args: tuple[str, int, int, int]) -> list[tuple[str, bool, float]]:
    """One simulated sim4 table under one prior: [(config, covered, estimate)]."""
    name, run, iterations, seed = args
    table = simulate(SCENARIOS[SIM4], np.random.default_rng([seed, SIM4, run]))
    c = CONFIGS[name]
    r = lcmcr(table, iterations=iterations, max_iterations=iterations, chains=4, seed=run,
              max_classes=int(c["max_classes"]), a_alpha=c["a_alpha"], b_alpha=c["b_alpha"],
              lambda_prior=(c["a_lambda"], c["b_lambda"]))
    rows = [(name, r.interval[0] <= TRUTH <= r.interval[1], r.estimate)]
    if name == DEFAULT and r.draws is not None:
        low, mid, high = weighted_quantiles(r.draws, r.draws, [0.025, 0.5, 0.975])
        rows.append((UNIFORM_N, bool(low <= TRUTH <= high), float(mid)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1988)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--first", type=int, default=0, help="first run number")
    parser.add_argument("--prior", action="append", choices=list(CONFIGS), default=None,
                        help="run only these priors (repeatable); default all")
    args = parser.parse_args()
    chosen = args.prior or list(CONFIGS)
    runs = range(args.first, args.first + args.runs)
    tasks = [(n, r, args.iterations, args.seed) for r in runs for n in chosen]
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = [row for rows_of_one in pool.map(one, tasks) for row in rows_of_one]
    print(f"SYNTHETIC sim4 tables, truth {TRUTH}, runs {runs.start}-{runs.stop - 1}, "
          f"LCMCR {args.iterations} "
          f"sweeps x 4 chains; {time.perf_counter() - start:.0f} s")
    for name in (*chosen, UNIFORM_N):
        mine = [(covered, est) for n, covered, est in rows if n == name]
        if not mine:
            continue
        print(f"{name:44} coverage {np.mean([c for c, _ in mine]):.2f}  "
              f"median estimate {np.median([e for _, e in mine]):.0f}")


if __name__ == "__main__":
    main()
