"""Precision with common names: Dadkhahi's linker on SYNTHETIC namesake lists, by size.

Issue 13: with people drawn from common-name tables, merging different people
who share a common name lowers the number of distinct people. This benchmark
generates the namesake configuration (``configs/namesake.json``: given and
surname Zipf exponents 1.0, 5 lists, seed 0) at each size asked for, links it
with ``dadkhahi.linkage.link`` and prints, per size: pairwise precision, recall
and F1, B-cubed F1, persons found against true persons, the review queue and
the time. Every person is invented.

    .venv/bin/python benchmarks/linkage/bench_common_names.py                # 4,000 and 40,000
    .venv/bin/python benchmarks/linkage/bench_common_names.py --people 4000
    .venv/bin/python benchmarks/linkage/bench_common_names.py --people 4000 --threshold 0.5
    .venv/bin/python benchmarks/linkage/bench_common_names.py --people 4000 --save /tmp/cn
    .venv/bin/python benchmarks/linkage/bench_common_names.py --people 4000 --seed 1  # a 2nd draw
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import describe, generate, load_config
from metrics import score

from dadkhahi.linkage import link


def _peak_rss_gib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run(people: int, config: dict[str, object], threshold: float | None,
        save: Path | None = None) -> dict[str, float]:
    """Generate, link and score one size; print one block; return the figures.

    ``save``: a folder to write the lists with their truth, the scored pairs and
    the clusters to (``<people>-records.pkl`` etc.), to study the errors
    without linking again.
    """
    knobs = dict(config.get("knobs", {}))  # type: ignore[call-overload]
    tick = time.perf_counter()
    df = generate(people, int(config["lists"]), int(config["seed"]), **knobs)  # type: ignore[call-overload]
    generated = time.perf_counter() - tick
    facts = describe(df)
    records = df.drop(columns=["true_person_id"])
    options = {} if threshold is None else {"threshold": threshold}
    tick = time.perf_counter()
    result = link(records, **options)
    seconds = time.perf_counter() - tick
    predicted = result.clusters.rename(columns={"cluster_id": "person_id"})
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        df.to_pickle(save / f"{people}-records.pkl")
        result.pairs.to_pickle(save / f"{people}-pairs.pkl")
        result.clusters.to_pickle(save / f"{people}-clusters.pkl")
        (save / f"{people}-model.json").write_text(json.dumps(result.model, indent=1), "utf-8")
    s = score(df[["record_id", "true_person_id"]], predicted,
              lists=df[["record_id", "source_id"]])
    print(f"SYNTHETIC namesake lists, seed {config['seed']}, population {people:,}: "
          f"{facts['records']:,} records, "
          f"{facts['distinct_people']:,} people on the lists, {facts['true_pairs']:,} true pairs "
          f"(generated in {generated:.1f} s)")
    print(f"  pairwise precision {s.pairwise_precision:.4f}  recall {s.pairwise_recall:.4f}  "
          f"F1 {s.pairwise_f1:.4f}  | B3 F1 {s.bcubed_f1:.4f}")
    print(f"  persons found {s.predicted_people:,} vs true {s.true_people:,} "
          f"({100 * s.people_error:+.2f}%)  | capture-history error "
          f"{s.capture_history_error:.4f}")
    print(f"  review queue {len(result.review_candidates):,} pairs; linked in {seconds:.1f} s, "
          f"peak RSS {_peak_rss_gib():.2f} GiB")
    stages = {k: float(f"{v:.4g}") for k, v in result.stats.items()}
    print(f"  stages: {stages}")
    return {"people": people, "seconds": seconds, **s.as_dict()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, action="append",
                        help="population size (repeatable; default 4000 and 40000)")
    parser.add_argument("--config", default="namesake", help="generator configuration")
    parser.add_argument("--threshold", type=float, default=None,
                        help="link threshold (default: the linker's)")
    parser.add_argument("--seed", type=int, default=None,
                        help="the generator's seed (default: the configuration's, 0): another "
                             "draw of the same configuration, to check a change is not tuned "
                             "to one draw")
    parser.add_argument("--save", type=Path, default=None, metavar="DIR",
                        help="write the lists (with truth), pairs and clusters here")
    args = parser.parse_args(argv)
    logging.getLogger("splink").setLevel(logging.WARNING)
    config = load_config(args.config)
    if args.seed is not None:
        config = {**config, "seed": args.seed}
    for people in args.people or [4000, 40000]:
        run(people, config, args.threshold, args.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
