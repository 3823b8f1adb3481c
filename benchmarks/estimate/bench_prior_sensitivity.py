"""Does LCMCR's coverage in sim4 depend on its priors? (SYNTHETIC data only.)

Runs the sim4 scenario of ``bench_simulation.py`` (same simulated tables for the
same run numbers) under several truncations K* and concentration priors, with a
fixed chain length, and prints the 95%-interval coverage and median estimate.

    .venv/bin/python benchmarks/estimate/bench_prior_sensitivity.py --runs 20 --jobs 2
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
CONFIGS: dict[str, dict[str, float]] = {
    "K*=10, alpha ~ Gamma(0.25, 0.25) (default)": {"max_classes": 10, "a_alpha": 0.25,
                                                   "b_alpha": 0.25},
    "K*=5": {"max_classes": 5, "a_alpha": 0.25, "b_alpha": 0.25},
    "K*=20": {"max_classes": 20, "a_alpha": 0.25, "b_alpha": 0.25},
    "alpha ~ Gamma(1, 1)": {"max_classes": 10, "a_alpha": 1.0, "b_alpha": 1.0},
}


def one(args: tuple[str, int, int, int]) -> tuple[str, bool, float]:
    """One simulated sim4 table under one prior: (config, covered, estimate)."""
    name, run, iterations, seed = args
    table = simulate(SCENARIOS[SIM4], np.random.default_rng([seed, SIM4, run]))
    c = CONFIGS[name]
    r = lcmcr(table, iterations=iterations, max_iterations=iterations, chains=4, seed=run,
              max_classes=int(c["max_classes"]), a_alpha=c["a_alpha"], b_alpha=c["b_alpha"])
    return name, r.interval[0] <= TRUTH <= r.interval[1], r.estimate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1988)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    tasks = [(n, r, args.iterations, args.seed) for r in range(args.runs) for n in CONFIGS]
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(one, tasks))
    print(f"SYNTHETIC sim4 tables, truth {TRUTH}, {args.runs} runs, LCMCR {args.iterations} "
          f"sweeps x 4 chains; {time.perf_counter() - start:.0f} s")
    for name in CONFIGS:
        mine = [(covered, est) for n, covered, est in rows if n == name]
        print(f"{name:44} coverage {np.mean([c for c, _ in mine]):.2f}  "
              f"median estimate {np.median([e for _, e in mine]):.0f}")


if __name__ == "__main__":
    main()
