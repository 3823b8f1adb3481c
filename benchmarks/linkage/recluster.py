"""Re-cluster the scored pairs of a saved run at other thresholds (no linking again).

``bench_common_names.py --people N --save DIR [--threshold LOW]`` keeps every pair at
LOW or more; the clustering (rivals, bridge, list and chain rules) is a function of
those pairs, the records and the threshold, so re-clustering at T >= LOW gives what
``link(threshold=T)`` gives, in a minute instead of a full run. ``--shift BITS`` adds
BITS to every match weight first (a prior BITS times log2 higher or lower). SYNTHETIC
lists only.

    .venv/bin/python benchmarks/linkage/recluster.py --save DIR --people 4000 \
        --threshold 0.05 --threshold 0.1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics import score
from study_merges import features_of, load

from dadkhahi.linkage.clusters import cluster_with_chain_check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, required=True, help="folder of a saved run")
    parser.add_argument("--people", type=int, required=True, help="population size of the run")
    parser.add_argument("--threshold", type=float, action="append", required=True)
    parser.add_argument("--shift", type=float, default=0.0, help="bits added to every weight")
    parser.add_argument("--bridge-below", type=float, default=None,
                        help="linkage.clusters.BRIDGE_BELOW for this run")
    parser.add_argument("--bridge-density", type=float, default=None,
                        help="linkage.clusters.BRIDGE_DENSITY for this run")
    parser.add_argument("--save-clusters", type=Path, default=None, metavar="DIR",
                        help="write each clustering as <people>-clusters.pkl in DIR/T")
    args = parser.parse_args(argv)
    records, pairs, _ = load(args.save, args.people)
    features = features_of(records)
    if args.shift:
        weight = pairs["match_weight"].to_numpy(dtype="float64") + args.shift
        pairs = pairs.assign(match_weight=weight,
                             match_probability=1.0 / (1.0 + np.exp2(-weight)))
    options = {k: v for k, v in (("bridge_below", args.bridge_below),
                                 ("bridge_density", args.bridge_density)) if v is not None}
    for threshold in args.threshold:
        tick = time.process_time()
        clustering, kept_apart, _ = cluster_with_chain_check(
            features["record_id"], pairs, threshold, None, features,
            sources=features["source_id"], **options)
        seconds = time.process_time() - tick
        predicted = clustering.clusters.rename(columns={"cluster_id": "person_id"})
        s = score(records[["record_id", "true_person_id"]].astype({"record_id": str}),
                  predicted, lists=records[["record_id", "source_id"]].astype({"record_id": str}))
        print(f"{args.people:,} people, threshold {threshold}, shift {args.shift:+.3f} bits "
              f"{options}: P {s.pairwise_precision:.4f} R {s.pairwise_recall:.4f} "
              f"F1 {s.pairwise_f1:.4f} B3 F1 {s.bcubed_f1:.4f} persons {s.predicted_people:,} "
              f"vs {s.true_people:,} ({100 * s.people_error:+.2f}%) CHE "
              f"{s.capture_history_error:.4f} (chain pairs {kept_apart:,}; "
              f"{seconds:.0f} s CPU)", flush=True)
        if args.save_clusters is not None:
            folder = args.save_clusters / str(threshold)
            folder.mkdir(parents=True, exist_ok=True)
            clustering.clusters.to_pickle(folder / f"{args.people}-clusters.pkl")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
