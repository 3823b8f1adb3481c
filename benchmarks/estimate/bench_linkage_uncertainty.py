"""Coverage of the estimate with true, fixed and uncertain linkage (issue 13).

Runs the simulation stated in advance in ``linkage_uncertainty_design.md``
(read it first): SYNTHETIC populations of invented people, lists written by
the namesake generator, linkage by the project's own linker, and LCMCR on
the true persons, on the linker's partition, and on M partitions drawn from
the calibrated linkage (pooled). Each population's row is appended to a JSON
lines file as soon as it is done, so a long run can stop and go on with
``--first``; ``--summarise`` prints the table from such files.

    nice -n 19 .venv/bin/python benchmarks/estimate/bench_linkage_uncertainty.py \\
        --runs 3 --out build/lu.jsonl                      # a first look
    nice -n 19 .venv/bin/python benchmarks/estimate/bench_linkage_uncertainty.py \\
        --first 4 --runs 47 --out build/lu.jsonl           # the rest, when quiet
    .venv/bin/python benchmarks/estimate/bench_linkage_uncertainty.py --summarise build/lu.jsonl
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "linkage"))

from generate import generate, load_config
from metrics import score

from dadkhahi.analysis.estimates import partition_options
from dadkhahi.analysis.linkage_draws import draws_of
from dadkhahi.estimate import EstimateResult, Options, estimate, histories_to_table
from dadkhahi.estimate.pooled import estimate_over_partitions
from dadkhahi.estimate.table import documented
from dadkhahi.linkage import link
from dadkhahi.linkage.audit import LINK_STRATA, NON_LINK_STRATA
from dadkhahi.linkage.audit_draws import audited_partitions
from dadkhahi.linkage.clusters import DEFAULT_THRESHOLD, chain_apart
from dadkhahi.linkage.draws import DrawSettings
from dadkhahi.linkage.features import record_features
from dadkhahi.linkage.views import histories_of

N = 2000
CLASS_SIZES = (1400, 600)
PROBS = ((0.10, 0.15, 0.10, 0.20, 0.15), (0.40, 0.50, 0.45, 0.50, 0.40))
DEPENDENCE = 0.25  # list 2 given list 1: p2 + 0.25
BANDS = (0.02, 0.1, 0.5, 0.9, 0.99, 1.0000001)
AUDIT_PER_BAND = 40
LCMCR = Options(iterations=5000, chains=4, max_iterations=20_000)


def capture_design(rng: np.random.Generator, dependence: float = DEPENDENCE,
                   scale: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Who is on which list (N x 5, bool) and each person's class (design, section 2).

    ``dependence=0`` is the stop-35 variant (design, "Amendment (stop 35)"): lists 1
    and 2 independent given the class. The same random numbers are drawn either
    way, so only some people's membership of list 2 differs. ``scale`` multiplies
    both classes (``study_lu_bias.py --large``).
    """
    cls = np.repeat(np.arange(len(CLASS_SIZES)), np.asarray(CLASS_SIZES) * scale)
    p = np.asarray(PROBS)[cls]
    seen = rng.random(p.shape) < p
    p1, p2 = p[:, 0], p[:, 1]
    given = np.minimum(p2 + dependence, 1.0)
    otherwise = (p2 - p1 * given) / (1 - p1)
    seen[:, 1] = rng.random(len(cls)) < np.where(seen[:, 0], given, otherwise)
    return seen, cls


def audit(pairs: pd.DataFrame, person: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """A blind audit: AUDIT_PER_BAND pairs at random from each band, labelled by the truth."""
    band = np.digitize(pairs["match_probability"].to_numpy(), BANDS) - 1
    picked: list[int] = []
    for b in range(len(BANDS) - 1):
        inside = np.flatnonzero(band == b)
        take = min(AUDIT_PER_BAND, len(inside))
        picked.extend(rng.choice(inside, size=take, replace=False).tolist())
    chosen = pairs.iloc[sorted(picked)]
    same = (chosen["record_id_l"].map(person).to_numpy()
            == chosen["record_id_r"].map(person).to_numpy())
    return chosen[["record_id_l", "record_id_r"]].assign(
        decision=np.where(same, "same", "different")).reset_index(drop=True)


def audit_strata(pairs: pd.DataFrame, person: pd.Series, threshold: float) -> pd.DataFrame:
    """The audit's population as ``link audit`` draws it (``audit.audit_population``).

    Links: every pair of records of one predicted person, by the pair's probability
    (``chained`` when it was not scored at the threshold); non-links: the scored
    pairs the partition keeps apart, at the threshold or more and below it.
    """
    members = person.rename("person_id").rename_axis("record_id").reset_index()
    both = members.merge(members, on="person_id", suffixes=("_l", "_r"))
    links = both[both["record_id_l"] < both["record_id_r"]][["record_id_l", "record_id_r"]]
    links = links.merge(pairs, on=["record_id_l", "record_id_r"], how="left")
    prob = links["match_probability"]
    links["stratum"] = np.select([prob >= 0.99, prob >= 0.9, prob >= threshold],
                                 list(LINK_STRATA[:3]), default=LINK_STRATA[3])
    apart = pairs[pairs["record_id_l"].map(person).to_numpy()
                  != pairs["record_id_r"].map(person).to_numpy()].copy()
    apart["stratum"] = np.where(apart["match_probability"] >= threshold, NON_LINK_STRATA[0],
                                NON_LINK_STRATA[1])
    out = pd.concat([links, apart], ignore_index=True)
    return out.assign(linked=out["stratum"].isin(LINK_STRATA)).reset_index(drop=True)


def audit_counts(population: pd.DataFrame, truth: pd.Series,
                 rng: np.random.Generator) -> dict[str, tuple[int, int]]:
    """A blind audit of AUDIT_PER_BAND pairs per stratum, labelled by the truth."""
    counts = {}
    for stratum in (*LINK_STRATA, *NON_LINK_STRATA):
        inside = population[population["stratum"] == stratum]
        if not len(inside):
            continue
        take = inside.iloc[np.sort(rng.choice(len(inside), size=min(AUDIT_PER_BAND, len(inside)),
                                              replace=False))]
        same = (take["record_id_l"].map(truth).to_numpy()
                == take["record_id_r"].map(truth).to_numpy())
        counts[stratum] = (len(take), int(same.sum()))
    return counts


def _summary(result: EstimateResult) -> dict[str, Any]:
    low, high = result.interval
    return {"estimate": result.estimate, "low": low, "high": high,
            "covers": bool(low <= N <= high), "documented": result.documented,
            "converged": bool(result.diagnostics.get("converged", True))}


def one_population(r: int, draws: int, knobs: dict[str, Any],
                   draws_from: str = "calibration",
                   dependence: float = DEPENDENCE) -> dict[str, Any]:
    """Everything the design reports for population ``r``."""
    tick = time.perf_counter()
    seen, _ = capture_design(np.random.default_rng(r), dependence)
    df = generate(N, 5, r, captured=seen, **knobs)
    records = df.drop(columns=["true_person_id"])
    person = df.set_index("record_id")["true_person_id"]
    lists = sorted(df["source_id"].unique())
    labels = {s: s for s in lists}
    order = {s: i for i, s in enumerate(lists)}

    t_link = time.perf_counter()
    result = link(records)
    seconds_link = time.perf_counter() - t_link
    predicted = result.clusters.rename(columns={"cluster_id": "person_id"})
    quality = score(df[["record_id", "true_person_id"]], predicted,
                    lists=df[["record_id", "source_id"]])
    pairs = pd.concat([result.pairs[["record_id_l", "record_id_r", "match_probability"]],
                       result.review_candidates[["record_id_l", "record_id_r",
                                                 "match_probability"]]], ignore_index=True)
    pairs = pairs.drop_duplicates(["record_id_l", "record_id_r"]).reset_index(drop=True)

    frame = records.merge(predicted, on="record_id").assign(
        ledger_index=lambda f: f["source_id"].map(order), link_key=lambda f: f["record_id"],
        row_number=0, id_number=None)
    truth_frame = frame.assign(person_id=frame["record_id"].map(person).astype(str))
    options = replace(LCMCR, seed=1000 + r)

    def table(persons: pd.DataFrame) -> pd.DataFrame:
        return histories_to_table(persons, list(persons.attrs["lists"]))

    t_est = time.perf_counter()
    arm_true = estimate(table(histories_of(truth_frame, labels)), "lcmcr", options=options)
    empty = pd.DataFrame(columns=["record_id_l", "record_id_r", "decision"])
    audit_info: dict[str, Any] | None = None
    calibration: dict[str, Any] | None = None
    centring: dict[str, Any] | None = None
    # The pairs the run's chain check kept apart stay apart in every draw, as
    # `estimate --linkage-uncertainty` keeps them (analysis.linkage_draws).
    _, apart = chain_apart(records["record_id"], result.pairs, DEFAULT_THRESHOLD, None,
                           record_features(records), sources=records["source_id"])
    if draws_from == "audit":
        # What `estimate --linkage-uncertainty` does with a recorded audit of the run:
        # partitions drawn from the audit's rates per stratum (linkage.audit_draws).
        # The calibrated draws are not made: nothing here uses them.
        fixed_persons = histories_of(frame, labels)
        predicted_person = predicted.set_index("record_id")["person_id"]
        population = audit_strata(pairs, predicted_person, DEFAULT_THRESHOLD)
        counts = audit_counts(population, person, np.random.default_rng(2000 + r))
        t_draw = time.perf_counter()
        parts = audited_partitions(records["record_id"], records["source_id"], result.pairs,
                                   DEFAULT_THRESHOLD, population, counts, apart=apart,
                                   settings=DrawSettings(draws=draws, seed=1000 + r))
        seconds_draws = time.perf_counter() - t_draw
        by_record = pd.DataFrame(parts.labels.T, index=parts.record_ids)
        drawn_tables = [
            table(histories_of(frame.assign(person_id=[
                f"draw_{i}" for i in by_record[m].reindex(frame["record_id"]).to_numpy()]),
                labels))
            for m in range(parts.labels.shape[0])]
        audit_info = {"counts": counts, "persons_run": int(predicted["person_id"].nunique()),
                      **parts.stats}
    else:
        reviewed = audit(pairs, person, np.random.default_rng(1000 + r))
        t_draw = time.perf_counter()
        kept_apart = apart.assign(decision="different") if len(apart) else empty
        drawn = draws_of(frame, labels, pairs, kept_apart, reviewed,
                         DrawSettings(draws=draws, seed=1000 + r), DEFAULT_THRESHOLD,
                         f"population {r}")
        seconds_draws = time.perf_counter() - t_draw
        fixed_persons = drawn.fixed
        drawn_tables = [table(t) for t in drawn.drawn]
        calibration = drawn.calibration.as_json()
        centring = drawn.stats["centring"]
    per_partition = partition_options(options, draws)

    def run(t: pd.DataFrame, seed: int, fixed: EstimateResult | None) -> EstimateResult:
        if fixed is None:
            return estimate(t, "lcmcr", options=options)
        return estimate(t, "lcmcr", options=replace(per_partition, seed=seed,
                                                     start=fixed.state))

    pooled = estimate_over_partitions(table(fixed_persons), drawn_tables, run, 1000 + r)
    seconds_estimate = time.perf_counter() - t_est
    link_info = pooled.diagnostics["linkage"]
    fixed_result = link_info["fixed"]
    arm_fixed = {"estimate": fixed_result["estimate"], "low": fixed_result["interval"][0],
                 "high": fixed_result["interval"][1],
                 "covers": bool(fixed_result["interval"][0] <= N <= fixed_result["interval"][1]),
                 "documented": fixed_result["documented"]}
    return {
        "run": r,
        "population": N,
        "records": len(df),
        "true_documented": int(df["true_person_id"].nunique()),
        "linkage": {"precision": quality.pairwise_precision,
                    "recall": quality.pairwise_recall,
                    "bcubed_f1": quality.bcubed_f1,
                    "persons": int(predicted["person_id"].nunique()),
                    "capture_history_error": quality.capture_history_error},
        "calibration": calibration,
        "centring": centring,
        # Persons documented in each drawn partition (rows files before stop 35 held the
        # number of capture patterns here, 31 each: see benchmarks/README.md).
        "drawn_persons": [documented(t) for t in drawn_tables],
        "true": _summary(arm_true),
        "fixed": arm_fixed,
        "uncertain": {**_summary(pooled), "width_share": link_info["width_share"],
                      "variance_share": link_info["variance_share"],
                      "per_partition": link_info["estimate_per_partition"],
                      "documented_per_partition": link_info["documented_per_partition"]},
        "draws": draws,
        "draws_from": draws_from,
        "dependence": dependence,
        "audit": audit_info,
        "seconds": {"link": seconds_link, "estimate": seconds_estimate, "draws": seconds_draws,
                    "total": time.perf_counter() - tick},
    }


def code_under_test() -> dict[str, Any]:
    """Which dadkhahi ran: its source folder, commit (and whether it was changed) and threshold.

    Recorded in every row because the package imported is the one on ``sys.path``
    (``PYTHONPATH``, else the editable install), not necessarily this script's checkout.
    """
    import dadkhahi

    folder = Path(dadkhahi.__file__).resolve().parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else "unknown"

    return {"source": str(folder), "commit": git("rev-parse", "HEAD"),
            "changed": bool(git("status", "--porcelain", "--", ".")),
            "threshold": DEFAULT_THRESHOLD}


def summarise(rows: list[dict[str, Any]]) -> str:
    """The design's table: coverage (SE), relative bias, median width per arm."""
    sources = sorted({row.get("draws_from", "calibration") for row in rows})
    # Rows before stop 35 do not record it: they ran the stated design's dependence.
    dependences = sorted({row.get("dependence", DEPENDENCE) for row in rows})
    out = [f"{len(rows)} populations of {N:,}; M = {rows[0]['draws'] if rows else '?'}; "
           f"partitions drawn from {', '.join(sources)}; lists 1-2 dependence "
           + ", ".join(f"{d:g}" for d in dependences)
           + ("  (MIXED: not one study)" if len(dependences) > 1 else "")]
    # Rows of different code or thresholds are not one study: say so before any figure.
    codes = sorted({(str(row["code"]["commit"])[:10]
                     + ("+changes" if row["code"]["changed"] else ""), row["code"]["threshold"])
                    if "code" in row else ("not recorded", "?") for row in rows}, key=str)
    out.append("  code: " + "; ".join(f"{c} at threshold {t}" for c, t in codes)
               + ("  (MIXED: not one study)" if len(codes) > 1 else ""))
    for arm in ("true", "fixed", "uncertain"):
        cover = np.array([row[arm]["covers"] for row in rows], dtype=float)
        est = np.array([row[arm]["estimate"] for row in rows], dtype=float)
        width = np.array([row[arm]["high"] - row[arm]["low"] for row in rows], dtype=float)
        se = math.sqrt(cover.mean() * (1 - cover.mean()) / max(len(cover), 1))
        out.append(
            f"  {arm:<9} coverage {cover.mean():.3f} (SE {se:.3f}, {int(cover.sum())}/"
            f"{len(cover)})  relative bias {np.mean((est - N) / N):+.4f}  "
            f"median width {np.median(width):,.0f}"
        )
    shares = [row["uncertain"]["width_share"] for row in rows
              if row["uncertain"]["width_share"] is not None]
    if shares:
        out.append(f"  width share due to linkage: median {np.median(shares):.3f}")
    precision = [row["linkage"]["precision"] for row in rows]
    recall = [row["linkage"]["recall"] for row in rows]
    out.append(f"  linkage: pairwise precision {np.mean(precision):.3f}, recall "
               f"{np.mean(recall):.3f}; persons found / documented "
               f"{np.mean([r['linkage']['persons'] / r['true_documented'] for r in rows]):.3f}")
    seconds = [row["seconds"]["total"] for row in rows]
    out.append(f"  time per population: median {np.median(seconds):.0f} s, total "
               f"{sum(seconds) / 60:.1f} min")
    true_cov = np.mean([row["true"]["covers"] for row in rows])
    unc_cov = np.mean([row["uncertain"]["covers"] for row in rows])
    bias = np.mean([(row["uncertain"]["estimate"] - N) / N for row in rows])
    passed = (unc_cov >= 0.90 or abs(unc_cov - true_cov) <= 0.03) and abs(bias) <= 0.05
    out.append(f"  pass (design, section 'Pass'): {'yes' if passed else 'no'}"
               + ("" if len(rows) >= 50 else f" (only {len(rows)} of the 50 populations)"))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--first", type=int, default=1, help="seed of the first population")
    parser.add_argument("--draws", type=int, default=20, help="M, partitions drawn")
    parser.add_argument("--out", type=Path, default=Path("build/linkage_uncertainty.jsonl"))
    parser.add_argument("--summarise", nargs="*", type=Path)
    parser.add_argument("--draws-from", choices=["calibration", "audit"], default="calibration",
                        help="partitions drawn from the calibrated probabilities, or from a "
                             "simulated blind audit's rates per stratum (AUDIT_PER_BAND pairs "
                             "each), as estimate --linkage-uncertainty does with a recorded audit")
    parser.add_argument("--independent-lists", action="store_true",
                        help="the stop-35 variant: lists 1 and 2 independent given the class "
                             "(design, 'Amendment (stop 35)'); rows record dependence 0")
    args = parser.parse_args(argv)
    if args.summarise:
        rows = [json.loads(line) for p in args.summarise
                for line in p.read_text().splitlines() if line.strip()]
        print(summarise(rows))
        return 0
    logging.getLogger("splink").setLevel(logging.ERROR)
    knobs = load_config("namesake").get("knobs", {})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    code = code_under_test()
    rows = []
    for r in range(args.first, args.first + args.runs):
        row = {**one_population(r, args.draws, knobs, args.draws_from,
                                0.0 if args.independent_lists else DEPENDENCE), "code": code}
        rows.append(row)
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        print(f"population {r}: true {row['true']['covers']}, fixed {row['fixed']['covers']}, "
              f"uncertain {row['uncertain']['covers']} ({row['seconds']['total']:.0f} s)",
              flush=True)
    print(summarise(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
