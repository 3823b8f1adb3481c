"""Wall time of the LCMCR Gibbs sampler: 5 lists, 10,000 sweeps per chain.

SYNTHETIC data: 2,000 people in two latent classes (the sim1 setting of
HRDAG's StanLCMCR checks, after Manrique-Vallier 2016), never real people.

    .venv/bin/python benchmarks/estimate/bench_lcmcr_speed.py
    .venv/bin/python benchmarks/estimate/bench_lcmcr_speed.py --chains 1 --iterations 20000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from dadkhahi.estimate import histories_to_table, lcmcr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(2016)
    probs = np.repeat(
        [[0.033, 0.033, 0.099, 0.132, 0.033], [0.660, 0.825, 0.759, 0.990, 0.693]],
        [1800, 200], axis=0,
    )
    names = [f"L{i + 1}" for i in range(5)]
    seen = pd.DataFrame((rng.random(probs.shape) < probs).astype(int), columns=names)
    table = histories_to_table(seen, names)
    times = []
    for r in range(args.repeats):
        start = time.perf_counter()
        # A fixed length: no extension towards convergence, so every repeat
        # times exactly the same number of sweeps.
        result = lcmcr(table, iterations=args.iterations, chains=args.chains, seed=r,
                       max_iterations=args.iterations)
        times.append(time.perf_counter() - start)
    print(f"SYNTHETIC 5-list table: {int(table['count'].sum())} documented of 2000")
    print(f"LCMCR {args.iterations} sweeps x {args.chains} chains (burn-in a quarter): "
          f"best {min(times):.2f} s, median {float(np.median(times)):.2f} s "
          f"over {args.repeats} repeats")
    print(f"last run: median {result.estimate:.0f}, 95% interval "
          f"{result.interval[0]:.0f}-{result.interval[1]:.0f}, "
          f"R-hat {result.diagnostics.get('rhat', float('nan')):.3f}, "
          f"ESS {result.diagnostics.get('ess', float('nan')):.0f}")


if __name__ == "__main__":
    main()
