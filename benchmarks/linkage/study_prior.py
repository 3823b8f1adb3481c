"""The prior of the linkage model against the truth, on SYNTHETIC namesake lists.

The prior (the probability that two random records are one person) is estimated from
deterministic rules (``linkage.model.DETERMINISTIC_RULES``). This script generates the
namesake configuration at the sizes asked for and prints, without linking: the true
rate; Splink's count (every pair a rule finds, divided by the rules' assumed recall)
and how many of those pairs are one person; and the count the linker uses (a record
has at most one true partner per list: ``linkage.model.prior_from_rules``). Every
person is invented.

    .venv/bin/python benchmarks/linkage/study_prior.py --people 4000 --people 40000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate, load_config

from dadkhahi.linkage.features import record_features
from dadkhahi.linkage.model import (
    DETERMINISTIC_RECALL,
    DETERMINISTIC_RULES,
    prior_from_rules,
    rule_pairs,
)


def study(people: int, config: dict[str, object]) -> None:
    """Print the true prior and the two estimates for one size."""
    knobs = dict(config.get("knobs", {}))  # type: ignore[call-overload]
    df = generate(people, int(config["lists"]), int(config["seed"]), **knobs)  # type: ignore[call-overload]
    df = df.assign(record_id=df["record_id"].astype(str)).sort_values("record_id")
    df = df.reset_index(drop=True)
    tick = time.process_time()
    features = record_features(df.drop(columns=["true_person_id"]))
    n = len(df)
    total = n * (n - 1) / 2
    truth = df["true_person_id"].to_numpy()
    lists = df["source_id"].to_numpy()
    per_person = df.groupby("true_person_id").size()
    true_pairs = float((per_person * (per_person - 1) / 2).sum())
    within_true = float(df.groupby(["true_person_id", "source_id"]).size()
                        .pipe(lambda c: (c * (c - 1) / 2).sum()))
    pairs = rule_pairs(features, DETERMINISTIC_RULES)
    right = truth[pairs["left"]] == truth[pairs["right"]]
    within = lists[pairs["left"]] == lists[pairs["right"]]
    prior = prior_from_rules(features)
    seconds = time.process_time() - tick
    print(f"SYNTHETIC namesake lists, population {people:,}: {n:,} records, "
          f"{true_pairs:,.0f} true pairs ({within_true:,.0f} within one list)")
    print(f"  true prior {true_pairs / total:.4e}")
    print(f"  rule pairs {len(pairs):,} ({int(right.sum()):,} one person); across lists "
          f"{int((~within).sum()):,} ({int((right & ~within).sum()):,} one person), within "
          f"{int(within.sum()):,} ({int((right & within).sum()):,} one person)")
    print(f"  Splink's count / recall {DETERMINISTIC_RECALL}: "
          f"{len(pairs) / DETERMINISTIC_RECALL / total:.4e} "
          f"({len(pairs) / DETERMINISTIC_RECALL / true_pairs:.2f} x true)")
    print(f"  one pair per record and list (linkage.model.prior_from_rules): {prior:.4e} "
          f"({prior * total / true_pairs:.2f} x true)")
    print(f"  rules' recall of true pairs {int(right.sum()) / true_pairs:.3f}; "
          f"counted in {seconds:.1f} s CPU")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, action="append")
    parser.add_argument("--config", default="namesake")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    for people in args.people or [4000, 40000]:
        study(people, config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
