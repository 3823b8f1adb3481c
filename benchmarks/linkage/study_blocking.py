"""Which true pairs no blocking rule reaches: a study of SYNTHETIC lists, no Splink.

Generates a configuration (the namesake one by default), computes the linker's own
features and blocking keys (:func:`dadkhahi.linkage.model.blocking_keys`, blocks
above the cap left out as ``link`` leaves them out), and counts, per rule and for
all rules together, the true pairs (two records of one invented person) a rule puts
in one block, and the record pairs it compares. The true pairs no rule reaches are
printed with the keys that failed them, so a new rule can be weighed on the pairs it
brings in against the comparisons it costs. Every person is invented.

    .venv/bin/python benchmarks/linkage/study_blocking.py --people 4000 --show 40
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate, load_config
from study_merges import features_of

from dadkhahi.linkage.model import BLOCK_CAP, PREDICTION_BLOCKING, blocking_keys

SHOWN = ("given_skel", "family_skel", "given_coarse", "family_coarse", "father_skel",
         "birth_lo", "death_lo", "city_key", "prison_key")


def _pair_codes(left: np.ndarray, right: np.ndarray, n: int) -> np.ndarray:
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    return lo.astype(np.int64) * n + hi


def block_pairs(key: pd.Series, n: int) -> np.ndarray:
    """Codes of the record pairs one blocking key column puts in one block."""
    members = pd.DataFrame({"g": key.to_numpy(), "r": np.arange(n)}).dropna()
    members["g"] = members["g"].astype("int64")
    pairs = members.merge(members, on="g", suffixes=("_l", "_r"))
    pairs = pairs[pairs["r_l"] < pairs["r_r"]]
    return _pair_codes(pairs["r_l"].to_numpy(), pairs["r_r"].to_numpy(), n)


def true_pair_codes(persons: np.ndarray) -> np.ndarray:
    """Codes of the record pairs of one true person (positions in record order)."""
    frame = pd.DataFrame({"p": persons, "r": np.arange(len(persons))})
    pairs = frame.merge(frame, on="p", suffixes=("_l", "_r"))
    pairs = pairs[pairs["r_l"] < pairs["r_r"]]
    return _pair_codes(pairs["r_l"].to_numpy(), pairs["r_r"].to_numpy(), len(persons))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=4000)
    parser.add_argument("--config", default="namesake")
    parser.add_argument("--show", type=int, default=30, help="unreached true pairs to print")
    parser.add_argument("--cap", type=int, default=BLOCK_CAP)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    tick = time.process_time()
    records = generate(args.people, int(config["lists"]), int(config["seed"]),
                       **dict(config.get("knobs", {})))
    records = records.assign(record_id=records["record_id"].astype(str))
    features = features_of(records)
    keys = blocking_keys(features, cap=args.cap)
    n = len(features)
    truth = records.set_index("record_id").loc[features["record_id"]]
    true_codes = true_pair_codes(truth["true_person_id"].to_numpy())
    reached = np.zeros(len(true_codes), dtype=bool)
    every: list[np.ndarray] = []
    print(f"{n:,} records, {len(true_codes):,} true pairs ({args.config}, {args.people:,} people)")
    print("  rule                                              true pairs  compared")
    for i, rule in enumerate(PREDICTION_BLOCKING):
        codes = block_pairs(keys[f"blk_{i}"], n)
        hit = np.isin(true_codes, codes)
        every.append(codes)
        print(f"  {i:>2} {'+'.join(rule):<46} {int(hit.sum()):>10,} {len(codes):>9,}")
        reached |= hit
    compared = np.unique(np.concatenate(every))
    print(f"  all rules: {int(reached.sum()):,} of {len(true_codes):,} true pairs "
          f"({reached.mean():.4f}), {len(compared):,} record pairs compared")
    # Pairs only one rule reaches: what each rule adds over the others.
    for i, codes in enumerate(every):
        rest = np.unique(np.concatenate([c for j, c in enumerate(every) if j != i]))
        only = np.isin(true_codes, codes) & ~np.isin(true_codes, rest)
        if only.any():
            print(f"  rule {i:>2} alone reaches {int(only.sum()):,} true pairs")
    missed = true_codes[~reached]
    left, right = missed // n, missed % n
    raw = records.set_index("record_id")
    cols = ["source_id", "full_name", "given_name", "family_name"]
    for a, b in list(zip(left, right, strict=True))[: args.show]:
        print("-" * 78)
        for r in (a, b):
            rid = features.loc[r, "record_id"]
            text = " | ".join(str(raw.loc[rid, c]) for c in cols)
            keys_text = " ".join(f"{c}={features.loc[r, c]}" for c in SHOWN)
            print(f"  {rid} {text}\n      {keys_text}")
    print(f"CPU {time.process_time() - tick:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
