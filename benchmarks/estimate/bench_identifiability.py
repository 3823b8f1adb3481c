"""How well a latent-class model's likelihood pins down N (SYNTHETIC data only).

For the first simulated table of a scenario of ``bench_simulation.py``, fills in
the unobserved cell for each candidate total N and maximises the likelihood of a
K-class latent-class model over the complete table (EM, several random starts),
adding the multinomial coefficient of N. A flat profile means the lists do not
identify the total: the interval then comes from the priors.

    .venv/bin/python benchmarks/estimate/bench_identifiability.py
    .venv/bin/python benchmarks/estimate/bench_identifiability.py --scenario 1 --classes 3
    .venv/bin/python benchmarks/estimate/bench_identifiability.py --scenario 0 --scenario 5 \
        --classes 3
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
from bench_simulation import SCENARIOS, simulate
from numpy.typing import NDArray
from scipy.special import gammaln

from dadkhahi.estimate.table import COUNT, list_names


def best_loglik(cells: NDArray[np.float64], counts: NDArray[np.float64], classes: int,
                rng: np.random.Generator, starts: int = 20, iterations: int = 3000) -> float:
    """Highest log-likelihood EM reaches for ``classes`` latent classes (hand-written:
    no maintained Python package fits latent-class models to a count table)."""
    best = -np.inf
    for _ in range(starts):
        lam = rng.uniform(0.05, 0.95, (cells.shape[1], classes))
        nu = np.full(classes, 1 / classes)
        for _ in range(iterations):
            lp = np.log(nu) + cells @ np.log(lam) + (1 - cells) @ np.log1p(-lam)
            top = lp.max(axis=1, keepdims=True)
            w = np.exp(lp - top)
            total = w.sum(axis=1, keepdims=True)
            wc = w / total * counts[:, None]
            nu = wc.sum(axis=0) / counts.sum()
            lam = np.clip((cells.T @ wc) / wc.sum(axis=0), 1e-9, 1 - 1e-9)
        best = max(best, float((counts * (top[:, 0] + np.log(total[:, 0]))).sum()))
    return best


def profile(scenario: int, totals: list[int], classes: int, seed: int) -> None:
    """Print the profile log-likelihood of N for the scenario's first table."""
    sc = SCENARIOS[scenario]
    table = simulate(sc, np.random.default_rng([seed, scenario, 0]))
    lists = list_names(table)
    observed = {tuple(r): c for r, c in zip(table[lists].to_numpy(), table[COUNT].to_numpy(),
                                            strict=True)}
    cells = np.array(list(itertools.product([0, 1], repeat=len(lists))), dtype=float)
    n = int(table[COUNT].sum())
    rng = np.random.default_rng(0)
    rows = []
    for big_n in (t for t in totals if t >= n):
        counts = np.array([observed.get(tuple(int(v) for v in c), 0) if c.any() else big_n - n
                           for c in cells], dtype=float)
        coefficient = gammaln(big_n + 1) - gammaln(big_n - n + 1)
        rows.append((big_n, best_loglik(cells, counts, classes, rng) + coefficient))
    peak = max(ll for _, ll in rows)
    print(f"{sc.name} (truth {sum(sc.sizes)}, documented {n}), {classes} classes:")
    for big_n, ll in rows:
        print(f"  N = {big_n:5d}: log-likelihood {peak - ll:6.2f} below the top")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=int, action="append",
                        help="scenario index (default: 0, 4 and 6)")
    parser.add_argument("--classes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1988)
    args = parser.parse_args()
    totals = [1500, 1600, 1800, 2000, 2300, 2800, 4000]
    print("A 95% interval ends where the log-likelihood is 1.92 below the top.")
    for scenario in args.scenario or [0, 4, 6]:
        profile(scenario, totals, args.classes, args.seed)


if __name__ == "__main__":
    main()
