"""Audit of a linkage run: a blind, seeded sample of links and non-links, labelled by people.

Issue 13 ("measured error on real lists"). :func:`draw_audit` draws a random sample
of the last model run's pairs, stratified by match-probability band, and records
it (``link.audit_drawn``: the run, the seed, each stratum's size and the pairs
drawn). The sample goes out as a CSV that shows both records of each pair side by
side and nothing of the model: no probability, no band, no "linked", in a seeded
random order, so reviewers judge blind. The strata:

* links (two records the run put in one person): scored at 0.99 or more, at 0.9 to
  0.99, below 0.9 (from the run's threshold), and *chained* (one person only
  through other records: the pair itself was not scored at the threshold);
* non-links near the threshold (two records in different persons): scored at the
  threshold or more but kept apart by the clustering's rules, and scored below the
  threshold in the run's review band (the least certain pairs the run kept).

:func:`record_audit` reads the labelled CSVs back (one per reviewer, or one with
several reviewers' rows: the issue asks for two different people where the team
has them), and records (``link.audited``) per stratum the pairs labelled "same"
and "different" with a Wilson interval (statsmodels), the agreement between
reviewers, and the run's estimated pairwise precision and recall with 95%
intervals. A pair the reviewers disagree on, or marked "unsure", counts in no
estimate (and is reported). Precision weights each link stratum by its size;
recall is the estimated true links among the links over those plus the
estimated true links among the audited non-links, so it covers only non-links in
the review band: pairs never compared or scored lower are not in it, and it is an
upper bound on recall (the result says so). The combined intervals are percentiles
of seeded draws from each stratum's Jeffreys posterior Beta(k + 1/2, n - k + 1/2),
weighted by the stratum sizes; a stratum with pairs but no labels draws from
Beta(1/2, 1/2), so what was not looked at widens the interval.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.files import open_private, private_dir
from dadkhahi.domain.safe_text import spreadsheet_cell
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.linkage.store_io import latest_run, load_records, source_titles
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, utc_now

#: Link strata (the pair's probability band) and non-link strata, in report order.
LINK_STRATA = ("link ≥0.99", "link 0.9–0.99", "link <0.9", "link chained")
NON_LINK_STRATA = ("non-link ≥threshold", "non-link <threshold")
STRATA = LINK_STRATA + NON_LINK_STRATA
LABELS = ("same", "different", "unsure")
#: Draws of the stratum posteriors behind the combined intervals.
POSTERIOR_DRAWS = 20_000
LEVEL = 0.95
#: Fields shown side by side in the audit CSV (normalised values), by column name.
SHOWN = (
    ("name", ("given_name", "family_name")),
    ("full_name", ("full_name",)),
    ("father", ("father_name",)),
    ("sex", ("sex",)),
    ("birth_year", ("birth_year",)),
    ("age", ("age",)),
    ("death", ("death_date",)),
    ("city", ("city",)),
    ("province", ("province",)),
    ("prison", ("prison",)),
    ("affiliation", ("affiliation",)),
)


@dataclass(frozen=True)
class AuditDraw:
    """What :func:`draw_audit` drew and wrote."""

    audit_id: str
    run_id: str
    pairs: int
    strata: dict[str, dict[str, int]]  # stratum -> population, drawn
    ledger_index: int
    #: Pairs on the sheet showing a record of a protected list (a witness's name, in
    #: clear): the sheet goes only to reviewers granted those lists.
    protected_pairs: int = 0


def _pairs_of_persons(assignment: pd.DataFrame) -> pd.DataFrame:
    """Every pair of records that share a person (record_id_l < record_id_r)."""
    merged = assignment.merge(assignment, on="person_id", suffixes=("_l", "_r"))
    merged = merged[merged["record_id_l"] < merged["record_id_r"]]
    return merged[["record_id_l", "record_id_r"]].reset_index(drop=True)


def audit_population(store: Store, run: Mapping[str, Any]) -> pd.DataFrame:
    """Every pair of each stratum: record_id_l, record_id_r, probability, stratum.

    Links are the pairs of the persons the store holds now (the partition the
    run kept, after its chain check and every rule); non-links are the run's
    scored pairs (its cache and review queue) that the partition keeps apart.
    """
    threshold = float(run["threshold"])
    with store.reading() as conn:
        p = s.person_records.c
        assignment = pd.DataFrame(conn.execute(select(p.record_id, p.person_id)).all(),
                                  columns=["record_id", "person_id"])
        lr = s.link_review.c
        review = pd.DataFrame(
            conn.execute(select(lr.record_a, lr.record_b, lr.probability)
                         .where(lr.run_id == run["id"])).all(),
            columns=["record_id_l", "record_id_r", "probability"])
    cache = store.home.path / "linkage" / f"{run['id']}-pairs.parquet"
    if cache.is_file():
        strong = pd.read_parquet(cache)[["record_id_l", "record_id_r", "match_probability"]]
        strong = strong.rename(columns={"match_probability": "probability"})
    else:
        strong = review.iloc[0:0]
    scored = (pd.concat([f for f in (strong, review) if len(f)], ignore_index=True)
              if len(strong) or len(review) else review)
    scored = scored.dropna(subset=["probability"])
    scored = scored.drop_duplicates(["record_id_l", "record_id_r"], keep="first")
    person = assignment.set_index("record_id")["person_id"]
    links = _pairs_of_persons(assignment).merge(scored, on=["record_id_l", "record_id_r"],
                                                how="left")
    prob = links["probability"]
    links["stratum"] = np.select(
        [prob >= 0.99, prob >= 0.9, prob >= threshold],
        list(LINK_STRATA[:3]), default=LINK_STRATA[3])
    apart = scored[scored["record_id_l"].map(person).to_numpy()
                   != scored["record_id_r"].map(person).to_numpy()].copy()
    apart["stratum"] = np.where(apart["probability"] >= threshold, NON_LINK_STRATA[0],
                                NON_LINK_STRATA[1])
    both: pd.DataFrame = pd.concat([links, apart], ignore_index=True)
    return both


def draw_audit(
    store: Store, actor: str, out: Path, *, size: int = 200, seed: int = 1
) -> AuditDraw:
    """Draw a blind stratified sample of the last model run's pairs, write it to ``out``.

    About ``size`` pairs, split evenly over the strata that have pairs (a stratum
    smaller than its share gives all it has). Candidates are ordered by the records'
    link keys (the same in two homes holding the same lists) before the seeded draw.
    """
    if size < 1:
        raise UserError("an audit needs at least one pair (--size)")
    with store.reading() as conn:
        run = latest_run(conn, "model")
    if run is None:
        raise UserError("no linkage run yet: run dadkhahi link run first")
    candidates = audit_population(store, run)
    records = load_records(store)
    key = records.set_index("record_id")["link_key"]
    candidates = candidates.assign(
        key_l=candidates["record_id_l"].map(key), key_r=candidates["record_id_r"].map(key)
    ).dropna(subset=["key_l", "key_r"])
    swap = candidates["key_l"] > candidates["key_r"]
    first = candidates["key_l"].where(~swap, candidates["key_r"])
    second = candidates["key_r"].where(~swap, candidates["key_l"])
    candidates = candidates.assign(first=first, second=second).sort_values(
        ["stratum", "first", "second"], kind="stable")
    rng = np.random.default_rng(seed)
    present = [h for h in STRATA if (candidates["stratum"] == h).any()]
    if not present:
        raise UserError("the last run linked nothing and kept no pairs near its threshold: "
                        "nothing to audit")
    share = max(1, size // len(present))
    drawn, strata = [], {}
    for stratum in STRATA:
        pool = candidates[candidates["stratum"] == stratum]
        take = min(share, len(pool))
        picked = pool.iloc[np.sort(rng.choice(len(pool), size=take, replace=False))] \
            if take else pool
        strata[stratum] = {"population": len(pool), "drawn": take}
        drawn.append(picked)
    sample = pd.concat(drawn, ignore_index=True)
    sample = sample.iloc[rng.permutation(len(sample))].reset_index(drop=True)  # blind order
    audit_id = f"aud_{secrets.token_hex(10)}"
    protected = _write_sheet(store, out, audit_id, sample)
    with store.transaction(actor) as tx:
        index = tx.emit("link.audit_drawn", {
            "id": audit_id, "run_id": run["id"], "seed": int(seed), "size": int(size),
            "strata": strata,
            "pairs": [[str(a), str(b), str(h)] for a, b, h in zip(
                sample["record_id_l"], sample["record_id_r"], sample["stratum"], strict=True)],
            "actor": tx.actor, "drawn_at": utc_now(),  # the pseudonym (store.actors)
        })
    return AuditDraw(audit_id, str(run["id"]), len(sample), strata, index, protected)


def _shown(record: dict[str, Any], keys: tuple[str, ...]) -> str:
    norm = record.get("normalized") or {}
    return " ".join(str(norm[k]) for k in keys if norm.get(k) not in (None, ""))


def _write_sheet(store: Store, out: Path, audit_id: str, sample: pd.DataFrame) -> int:
    """The reviewers' sheet: both records of each pair, nothing of the model; returns how
    many pairs show a record of a protected list (opened: the reviewer must read it)."""
    from dadkhahi.linkage.views import record_view

    header = ["audit_id", "pair", "record_a", "record_b", "list_a", "list_b"]
    for name, _ in SHOWN:
        header += [f"{name}_a", f"{name}_b"]
    header += ["decision", "reviewer", "note"]
    rows = []
    protected = 0
    with store.reading() as conn:
        titles = source_titles(conn)
        for number, (a, b) in enumerate(
                zip(sample["record_id_l"], sample["record_id_r"], strict=True), start=1):
            left = record_view(store, conn, str(a), titles)
            right = record_view(store, conn, str(b), titles)
            protected += str(Sensitivity.PROTECTED) in (str(left["sensitivity"]),
                                                        str(right["sensitivity"]))
            row: list[str] = [audit_id, str(number), str(a), str(b),
                              str(left["source_title"]), str(right["source_title"])]
            for _, keys in SHOWN:
                row += [_shown(left, keys), _shown(right, keys)]
            rows.append([*row, "", "", ""])
    private_dir(out.parent)
    with open_private(out, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        # Cells a spreadsheet would run as formulas are written with a leading '.
        writer.writerows([[spreadsheet_cell(c) for c in row] for row in rows])
    return protected


@dataclass(frozen=True)
class AuditResult:
    """What :func:`record_audit` estimated and recorded."""

    audit_id: str
    strata: dict[str, dict[str, Any]]
    precision: dict[str, float | None]  # estimate, low, high
    recall: dict[str, float | None]
    labelled: int
    disputed: int
    unsure: int
    reviewers: list[str]
    agreement: float | None
    ledger_index: int


def _read_labels(paths: Sequence[Path], audit: dict[str, Any]) -> pd.DataFrame:
    """Labelled rows of the sheets: pair number, reviewer, decision (bad input: UserError)."""
    rows = []
    n_pairs = len(audit["pairs"])
    for path in paths:
        try:
            handle = path.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise UserError(f"{path}: cannot read ({exc.strerror})") from None
        with handle:
            reader = csv.DictReader(handle)
            missing = {"audit_id", "pair", "decision", "reviewer"} - set(reader.fieldnames or [])
            if missing:
                raise UserError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
            for line, row in enumerate(reader, start=2):
                decision = (row["decision"] or "").strip().lower()
                if not decision:
                    continue  # not reviewed
                where = f"{path}, line {line}"
                if (row["audit_id"] or "").strip().lstrip("'") != audit["id"]:
                    raise UserError(f"{where}, field audit_id: not audit {audit['id']}")
                if decision not in LABELS:
                    raise UserError(f"{where}, field decision: {decision!r} is not one of "
                                    f"{', '.join(LABELS)}")
                try:
                    pair = int(row["pair"])
                except (TypeError, ValueError):
                    raise UserError(f"{where}, field pair: not a pair number") from None
                if not 1 <= pair <= n_pairs:
                    raise UserError(f"{where}, field pair: {pair} is not a pair of this audit "
                                    f"(1 to {n_pairs})")
                drawn = audit["pairs"][pair - 1]
                if "record_a" in row and (row["record_a"], row["record_b"]) != (drawn[0],
                                                                                  drawn[1]):
                    raise UserError(f"{where}, field record_a/record_b: not the records of "
                                    f"pair {pair}")
                reviewer = (row["reviewer"] or "").strip()
                if not reviewer:
                    raise UserError(f"{where}, field reviewer: empty (who labelled the pair?)")
                rows.append((pair, reviewer, decision))
    frame = pd.DataFrame(rows, columns=["pair", "reviewer", "decision"])
    if frame.empty:
        raise UserError("no labelled pairs in the file(s): fill in the decision column")
    twice = frame.duplicated(["pair", "reviewer"], keep=False)
    if twice.any():
        pair, reviewer = frame[twice].iloc[0][["pair", "reviewer"]]
        raise UserError(f"pair {pair} is labelled twice by {reviewer}")
    return frame


def _wilson(k: int, n: int) -> tuple[float | None, float | None]:
    from statsmodels.stats.proportion import proportion_confint

    if n == 0:
        return None, None
    low, high = proportion_confint(k, n, alpha=1 - LEVEL, method="wilson")
    return float(low), float(high)


def _interval(draws: np.ndarray) -> dict[str, float | None]:
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return {"low": round(float(low), 6), "high": round(float(high), 6)}


def record_audit(
    store: Store, actor: str, audit_id: str, paths: Sequence[Path], *, seed: int = 1
) -> AuditResult:
    """Read labelled sheets of an audit, estimate precision and recall, record them."""
    with store.reading() as conn:
        a = s.link_audits.c
        row = conn.execute(select(s.link_audits).where(a.id == audit_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no audit {audit_id!r}")
    audit = dict(row)
    labels = _read_labels(paths, audit)
    stratum_of = {k + 1: str(p[2]) for k, p in enumerate(audit["pairs"])}
    per_pair = labels[labels["decision"] != "unsure"].groupby("pair")["decision"]
    verdict = per_pair.agg(lambda d: d.iloc[0] if d.nunique() == 1 else "disputed")
    agreement = None
    multiple = per_pair.size()[per_pair.size() > 1]
    if len(multiple):
        agreement = round(float((verdict.loc[multiple.index] != "disputed").mean()), 6)
    settled = verdict[verdict != "disputed"]
    rng = np.random.default_rng(seed)
    strata: dict[str, dict[str, Any]] = {}
    true_links = np.zeros(POSTERIOR_DRAWS)
    links = 0
    missed = np.zeros(POSTERIOR_DRAWS)
    for stratum in STRATA:
        population = int(audit["strata"].get(stratum, {}).get("population", 0))
        in_h = settled[[stratum_of[p] == stratum for p in settled.index]]
        n, k = len(in_h), int((in_h == "same").sum())
        low, high = _wilson(k, n)
        strata[stratum] = {"population": population, "labelled": n, "same": k,
                           "share_same": None if n == 0 else round(k / n, 6),
                           "low": None if low is None else round(low, 6),
                           "high": None if high is None else round(high, 6)}
        if population == 0:
            continue
        share = rng.beta(k + 0.5, n - k + 0.5, size=POSTERIOR_DRAWS)
        if stratum in LINK_STRATA:
            true_links += population * share
            links += population
        else:
            missed += population * share
    precision: dict[str, float | None] = {"estimate": None, "low": None, "high": None}
    recall: dict[str, float | None] = {"estimate": None, "low": None, "high": None}
    link_n = sum(strata[h]["labelled"] for h in LINK_STRATA)
    if links and link_n:
        point = sum(strata[h]["population"] * (strata[h]["share_same"] or 0.0)
                    for h in LINK_STRATA if strata[h]["labelled"]) / sum(
            strata[h]["population"] for h in LINK_STRATA if strata[h]["labelled"])
        precision = {"estimate": round(point, 6), **_interval(true_links / links)}
        found = point * links
        lost = sum(strata[h]["population"] * (strata[h]["share_same"] or 0.0)
                   for h in NON_LINK_STRATA if strata[h]["labelled"])
        recall = {"estimate": round(found / (found + lost), 6) if found + lost else None,
                  **_interval(true_links / np.maximum(true_links + missed, 1e-12))}
    reviewers = sorted(labels["reviewer"].unique().tolist())
    result = {
        "id": f"aur_{secrets.token_hex(10)}", "audit_id": audit_id, "run_id": audit["run_id"],
        "seed": int(seed), "level": LEVEL, "strata": strata,
        "precision": precision, "recall": recall,
        "recall_scope": "links and non-links in the run's review band only: an upper bound",
        "labelled": len(settled), "disputed": int((verdict == "disputed").sum()),
        "unsure": int((labels["decision"] == "unsure").sum()),
        "reviewers": len(reviewers), "agreement": agreement,
        "recorded_at": utc_now(),
    }
    with store.transaction(actor) as tx:
        # Who recorded it by the ledger's pseudonym, as the event's own actor.
        index = tx.emit("link.audited", {**result, "actor": tx.actor})
    return AuditResult(audit_id, strata, precision, recall, result["labelled"],
                       result["disputed"], result["unsure"], reviewers, agreement, index)


def latest_audit_result(conn: Connection, run_id: str) -> dict[str, Any] | None:
    """The last audit recorded (``link.audited``) of linkage run ``run_id``, or None."""
    r = s.link_audit_results.c
    row = conn.execute(select(s.link_audit_results).where(r.run_id == run_id)
                       .order_by(r.ledger_index.desc()).limit(1)).mappings().first()
    return None if row is None else dict(row)
