"""Where the false merges come from: a study of one saved run of SYNTHETIC lists.

``bench_common_names.py --people N --save DIR`` writes the lists with their
truth, the scored pairs and the clusters of a run. This script reads them back
(no linking) and sorts every wrong pair of records (two records of one
predicted person that are two true people) by how the run joined them:

* **direct**: the two were linked to each other (scored at or above the run's
  threshold), by probability band, and whether the pair is a **lone pair** (a
  predicted person of exactly these two records) or sits in a larger cluster;
* **transitive**: not linked to each other, joined only through other records.

For the direct links of each band it also prints the share of *right* links,
and what the two records have in common besides the name (father, birth year,
city, the same day of death) and how common their name is, so a rule can be
weighed against the true links it would cut. Every person is invented.

    .venv/bin/python benchmarks/linkage/study_merges.py --save DIR --people 40000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dadkhahi.linkage.clusters import ordered_pairs
from dadkhahi.linkage.features import record_features

BANDS = (0.0, 0.5, 0.9, 1.01)
BAND_NAMES = ("p < 0.5", "0.5 <= p < 0.9", "p >= 0.9")


def load(save: Path, people: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Records (with truth), scored pairs and clusters of a saved run."""
    records = pd.read_pickle(save / f"{people}-records.pkl")
    pairs = pd.read_pickle(save / f"{people}-pairs.pkl")
    clusters = pd.read_pickle(save / f"{people}-clusters.pkl")
    return records, pairs, clusters


def features_of(records: pd.DataFrame) -> pd.DataFrame:
    """The linker's own features of the records, in record-id order (as ``link`` has them)."""
    ordered = records.drop(columns=["true_person_id"]).assign(
        record_id=records["record_id"].astype(str))
    ordered = ordered.sort_values("record_id", kind="stable").reset_index(drop=True)
    return record_features(ordered)


def pair_facts(pairs: pd.DataFrame, records: pd.DataFrame, clusters: pd.DataFrame,
               features: pd.DataFrame) -> pd.DataFrame:
    """Each scored pair with its truth, its cluster facts and its corroborating fields."""
    truth = records.set_index(records["record_id"].astype(str))["true_person_id"]
    source = records.set_index(records["record_id"].astype(str))["source_id"]
    cluster = clusters.set_index(clusters["record_id"].astype(str))["cluster_id"]
    size = cluster.map(cluster.value_counts())
    p = ordered_pairs(pairs[["record_id_l", "record_id_r", "match_probability"]]).copy()
    left, right = p["record_id_l"], p["record_id_r"]
    p["true"] = truth.loc[left].to_numpy() == truth.loc[right].to_numpy()
    p["together"] = cluster.loc[left].to_numpy() == cluster.loc[right].to_numpy()
    p["cluster_size"] = size.loc[left].to_numpy()
    p["same_list"] = source.loc[left].to_numpy() == source.loc[right].to_numpy()
    f = features.set_index("record_id")
    fl, fr = f.loc[left], f.loc[right]

    def same(column: str) -> np.ndarray:
        a, b = fl[column].astype(object).to_numpy(), fr[column].astype(object).to_numpy()
        known = pd.notna(a) & pd.notna(b)
        out = np.zeros(len(a), dtype=bool)
        out[known] = a[known] == b[known]
        return out

    def num(side: pd.DataFrame, column: str) -> np.ndarray:
        return pd.to_numeric(side[column], errors="coerce").to_numpy(dtype="float64")

    p["father"] = same("father_canon") | same("father_skel")
    birth_gap = np.fmax(num(fl, "birth_lo") - num(fr, "birth_hi"),
                        num(fr, "birth_lo") - num(fl, "birth_hi"))
    p["birth"] = birth_gap <= 1
    p["city"] = same("city_key")
    day_l, day_r = num(fl, "death_lo"), num(fr, "death_lo")
    exact_l = day_l == num(fl, "death_hi")
    exact_r = day_r == num(fr, "death_hi")
    p["death_day"] = exact_l & exact_r & (day_l == day_r)
    p["corroborated"] = p["father"] | p["birth"] | p["death_day"]
    name = (features["given_skel"].astype(str) + " " + features["family_skel"].astype(str))
    name_count = name.map(name.value_counts())
    count = pd.Series(name_count.to_numpy(), index=features["record_id"])
    p["name_records"] = np.minimum(count.loc[left].to_numpy(), count.loc[right].to_numpy())
    # Rivals: other records of the partner's list that either record is linked to.
    both = pd.DataFrame({
        "x": np.concatenate([left.to_numpy(), right.to_numpy()]),
        "list_y": np.concatenate([source.loc[right].to_numpy(), source.loc[left].to_numpy()]),
    })
    per = both.groupby(["x", "list_y"]).size()
    rivals_l = per.loc[pd.MultiIndex.from_arrays([left, source.loc[right]])].to_numpy() - 1
    rivals_r = per.loc[pd.MultiIndex.from_arrays([right, source.loc[left]])].to_numpy() - 1
    p["rivals"] = rivals_l + rivals_r
    p["band"] = pd.cut(p["match_probability"], BANDS, right=False, labels=BAND_NAMES)
    return p


def wrong_pairs(records: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """Every pair of records in one predicted cluster that are two true people."""
    frame = clusters.assign(record_id=clusters["record_id"].astype(str)).merge(
        records.assign(record_id=records["record_id"].astype(str))[
            ["record_id", "true_person_id"]], on="record_id")
    multi = frame.groupby("cluster_id")["true_person_id"].transform("nunique") > 1
    frame = frame[multi]
    joined = frame.merge(frame, on="cluster_id", suffixes=("_l", "_r"))
    joined = joined[(joined["record_id_l"] < joined["record_id_r"])
                    & (joined["true_person_id_l"] != joined["true_person_id_r"])]
    return joined[["cluster_id", "record_id_l", "record_id_r"]].reset_index(drop=True)


def report(records: pd.DataFrame, pairs: pd.DataFrame, clusters: pd.DataFrame) -> None:
    """Print the study."""
    features = features_of(records)
    facts = pair_facts(pairs, records, clusters, features)
    wrong = wrong_pairs(records, clusters)
    keyed = wrong.merge(facts, on=["record_id_l", "record_id_r"], how="left")
    direct = keyed[keyed["match_probability"].notna()]
    print(f"wrong pairs {len(wrong):,} in {wrong['cluster_id'].nunique():,} clusters; "
          f"transitive (not linked to each other) {len(keyed) - len(direct):,}; "
          f"direct {len(direct):,}")
    for band in BAND_NAMES:
        d = direct[direct["band"] == band]
        lone = d[d["cluster_size"] == 2]
        print(f"  direct {band}: {len(d):,} (lone pairs {len(lone):,}, same list "
              f"{int(d['same_list'].sum()):,}, corroborated {int(d['corroborated'].sum()):,})")
    sizes = clusters["cluster_id"].value_counts()
    truth = records.set_index(records["record_id"].astype(str))["true_person_id"]
    wrong_clusters = wrong["cluster_id"].unique()
    people = clusters[clusters["cluster_id"].isin(wrong_clusters)].assign(
        t=lambda c: c["record_id"].astype(str).map(truth)).groupby("cluster_id")["t"].nunique()
    print(f"wrongly merged clusters {len(wrong_clusters):,}: {int((people == 2).sum()):,} of two "
          f"people, {int((sizes.loc[wrong_clusters] == 2).sum()):,} of two records")
    linked = facts[facts["together"]]
    print("links kept (pairs linked to each other and in one cluster): right share by kind")
    print("  band            lone  corroborated  name records   links   right  share")
    for band in BAND_NAMES:
        for lone in (True, False):
            for corroborated in (True, False):
                for common in (False, True):
                    d = linked[(linked["band"] == band) & ((linked["cluster_size"] == 2) == lone)
                               & (linked["corroborated"] == corroborated)
                               & ((linked["name_records"] > 10) == common)]
                    if len(d):
                        print(f"  {band:<15} {'yes' if lone else 'no':<5} "
                              f"{'yes' if corroborated else 'no':<13} "
                              f"{'> 10' if common else '<= 10':<13} {len(d):>7,} "
                              f"{int(d['true'].sum()):>7,}  {d['true'].mean():.3f}")
    print("  band            rivals   links   right  share")
    for band in BAND_NAMES:
        for rivals in (0, 1, 2):
            d = linked[(linked["band"] == band)
                       & ((linked["rivals"] == rivals) if rivals < 2 else (linked["rivals"] >= 2))]
            if len(d):
                print(f"  {band:<15} {rivals if rivals < 2 else '2+':<6} {len(d):>7,} "
                      f"{int(d['true'].sum()):>7,}  {d['true'].mean():.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, required=True, help="folder of a saved run")
    parser.add_argument("--people", type=int, required=True, help="population size of the run")
    args = parser.parse_args(argv)
    report(*load(args.save, args.people))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
