"""The store's linkage, and M partitions drawn around it, as capture histories.

Reads what the last linkage run left (the persons, the scored pairs it kept
in its cache and review queue, the human decisions). When the run has a
recorded audit (``link audit record``), the partitions are drawn from the
audit's measured error rates per stratum (:mod:`dadkhahi.linkage.audit_draws`):
what is known of the linkage's error on these lists. Without one, the match
probabilities are calibrated on the decided pairs
(:mod:`dadkhahi.linkage.calibration`) and partitions drawn per connected
component (:mod:`dadkhahi.linkage.draws`). Each partition becomes one row per
person, as :func:`dadkhahi.linkage.views.capture_histories` does for the
store's own partition.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from sqlalchemy import select

from dadkhahi.domain.errors import UserError
from dadkhahi.linkage.audit import LINK_STRATA, audit_population, latest_audit_result
from dadkhahi.linkage.audit_draws import audited_partitions
from dadkhahi.linkage.calibration import Calibration, calibrate
from dadkhahi.linkage.clusters import chain_apart
from dadkhahi.linkage.draws import (
    DrawSettings,
    PartitionDraws,
    draw_partitions,
    draw_weights,
    fit_offset,
    weighed_probabilities,
)
from dadkhahi.linkage.service import ClusterInputs, _pairs_cache, cluster_inputs
from dadkhahi.linkage.store_io import latest_run, load_decisions
from dadkhahi.linkage.views import _import_order, histories_of, linked_records, list_labels
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store


@dataclass(frozen=True)
class LinkageDraws:
    """The store's partition and drawn ones, each as one row per person."""

    fixed: pd.DataFrame
    drawn: tuple[pd.DataFrame, ...]
    calibration: Calibration
    settings: DrawSettings
    run_id: str
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: The recorded audit the draws come from (its rates per stratum), None when
    #: they come from calibrated pair probabilities.
    audit: dict[str, Any] | None = None
    #: The drawn partitions themselves, record by record.
    partitions: PartitionDraws | None = None


def candidate_pairs(store: Store, run_id: str) -> pd.DataFrame:
    """The pairs a model run scored and kept: its cache (links) and its review queue.

    Columns ``record_id_l``, ``record_id_r``, ``match_probability``; a pair in
    both keeps the cache's probability (full precision).
    """
    cache = _pairs_cache(store, run_id)
    if not cache.is_file():
        raise UserError(
            f"the scored pairs of linkage run {run_id} are not cached in this home "
            f"({cache}): run dadkhahi link run again, or estimate with "
            "--no-linkage-uncertainty"
        )
    cached = pd.read_parquet(cache)[["record_id_l", "record_id_r", "match_probability"]]
    lr = s.link_review.c
    with store.reading() as conn:
        rows = conn.execute(
            select(lr.record_a, lr.record_b, lr.probability).where(lr.run_id == run_id)
        ).all()
    review = pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability"])
    both = pd.concat([cached, review], ignore_index=True) if len(review) else cached
    return both.drop_duplicates(["record_id_l", "record_id_r"], keep="first").reset_index(
        drop=True)


def calibration_of(pairs: pd.DataFrame, decisions: pd.DataFrame, seed: int,
                   threshold: float | None = None) -> Calibration:
    """Calibrate the pairs' probabilities on every decided pair the run scored."""
    decided = decisions.merge(pairs, on=["record_id_l", "record_id_r"], how="inner")
    return calibrate(decided["match_probability"].to_numpy(),
                     (decided["decision"] == "same").to_numpy(), seed=seed,
                     threshold=threshold)


#: Draws per trial offset while centring (a probe, not the draws the estimate uses).
PROBE = DrawSettings(draws=8, burnin=10, thin=2)


def _centre(
    settings: DrawSettings, draw: Callable[[DrawSettings], PartitionDraws],
    pairs: pd.DataFrame, decisions: pd.DataFrame, calibration: Calibration, persons: int,
) -> tuple[DrawSettings, dict[str, Any]]:
    """Settings with the offset that centres the draws (see :func:`fit_offset`).

    Scores summed over every pair in a person count each weak pair against
    it, so calibrated pair probabilities alone split people the pairs
    support only together; the offset puts that right from what is known.
    With decided pairs, the share of them the draws put together must equal
    the share decided "same"; without, the draws must hold as many persons
    as the run's own partition (they then spread around it, unbiased only as
    far as the run is).
    """
    probe = replace(PROBE, seed=settings.seed, unscored=settings.unscored,
                    max_component=settings.max_component)
    decided = decisions.merge(pairs[["record_id_l", "record_id_r"]],
                              on=["record_id_l", "record_id_r"], how="inner")
    if calibration.fitted and len(decided):

        def together(offset: float) -> float:
            d = draw(replace(probe, offset=offset))
            index = pd.Index(d.record_ids)
            a = index.get_indexer(decided["record_id_l"])
            b = index.get_indexer(decided["record_id_r"])
            ok = (a >= 0) & (b >= 0)
            return float((d.labels[:, a[ok]] == d.labels[:, b[ok]]).mean())

        target = float((decided["decision"] == "same").mean())
        offset = fit_offset(together, target)
        how = {"on": "decided pairs put together", "target": target}
    else:

        def fewer(offset: float) -> float:
            return -float(draw(replace(probe, offset=offset)).persons().mean())

        offset = fit_offset(fewer, -float(persons))
        how = {"on": "persons of the run's partition", "target": persons}
    return replace(settings, offset=offset), {**how, "offset": round(offset, 6)}


def linkage_draws(
    store: Store, settings: DrawSettings, by: str | None = None, language: str = "en",
    records: pd.DataFrame | None = None,
) -> LinkageDraws:
    """Capture histories of the store's partition and of ``settings.draws`` drawn ones.

    ``records`` (from :func:`~dadkhahi.linkage.views.linked_records`) limits
    the estimate to these records (the eligible ones); default all. The
    decided pairs both constrain the draws and calibrate them.
    """
    frame = linked_records(store) if records is None else records
    frame = frame.dropna(subset=["person_id"])
    if frame.empty:
        raise UserError("no linked records: run dadkhahi link run first")
    with store.reading() as conn:
        run = latest_run(conn, "model")
        decisions = load_decisions(conn)
    if run is None:
        raise UserError("no linkage run yet: run dadkhahi link run first")
    pairs = candidate_pairs(store, str(run["id"]))
    labels = list_labels(store, _import_order(frame))
    with store.reading() as conn:
        audited = latest_audit_result(conn, str(run["id"]))
        older = conn.execute(select(s.link_audit_results.c.id).limit(1)).first() \
            if audited is None else None
    inputs = cluster_inputs(store, run, decisions)
    apart = _chain_apart(inputs, float(run["threshold"]))
    if audited is not None:
        return audit_draws_of(inputs, run, audited, store, frame, labels, pairs, decisions,
                              apart, settings, by, language)
    # Records the run's chain check kept apart stay apart in every draw, as a
    # person's "different" would keep them (but they calibrate nothing).
    ids = inputs.ids
    kept_apart = pd.DataFrame({"record_id_l": apart["record_id_l"].map(ids),
                               "record_id_r": apart["record_id_r"].map(ids),
                               "decision": "different"})
    constraints = pd.concat([kept_apart, decisions], ignore_index=True) if len(apart) \
        else decisions
    drawn = draws_of(frame, labels, pairs, constraints, decisions, settings,
                     float(run["threshold"]), str(run["id"]), by, language)
    stale = () if older is None else (
        "the recorded link audit is of an earlier linkage run, not of the last one: the "
        "drawn linkages come from calibrated pair probabilities (audit the last run: "
        "dadkhahi link audit draw)",)
    return replace(drawn, stats={**drawn.stats, "chain_apart": len(apart)},
                   warnings=(*drawn.warnings, *stale))


def _chain_apart(inputs: ClusterInputs, threshold: float) -> pd.DataFrame:
    """The pairs (link keys) the run's chain check kept apart."""
    _, apart = chain_apart(inputs.records["link_key"], inputs.pairs, threshold,
                           inputs.labels if len(inputs.labels) else None, inputs.features,
                           sources=inputs.records["source_key"])
    return apart


def audit_summary(audited: Mapping[str, Any]) -> dict[str, Any]:
    """What the estimate records of the audit its draws come from."""
    return {
        "result_id": audited["id"], "audit_id": audited["audit_id"],
        "precision": audited["precision"], "recall": audited["recall"],
        "labelled": audited["labelled"], "strata": {
            h: {"population": v["population"], "labelled": v["labelled"], "same": v["same"]}
            for h, v in audited["strata"].items()},
    }


def audit_draws_of(
    inputs: ClusterInputs, run: Mapping[str, Any], audited: Mapping[str, Any], store: Store,
    frame: pd.DataFrame, labels: dict[str, str], pairs: pd.DataFrame,
    decisions: pd.DataFrame, apart: pd.DataFrame, settings: DrawSettings,
    by: str | None = None, language: str = "en",
) -> LinkageDraws:
    """Capture histories of partitions drawn from a recorded audit's rates.

    See :mod:`dadkhahi.linkage.audit_draws`. The drawn partitions cover every
    record the run linked; ``frame`` (the eligible records) takes its persons
    from them. ``apart``: the pairs the run's chain check kept apart.
    """
    tick = time.perf_counter()
    threshold = float(run["threshold"])
    keys = inputs.records.set_index("record_id")["link_key"]
    population = audit_population(store, run)
    candidates = pd.DataFrame({
        "record_id_l": population["record_id_l"].map(keys),
        "record_id_r": population["record_id_r"].map(keys),
        "stratum": population["stratum"],
        "linked": population["stratum"].isin(LINK_STRATA),
    }).dropna(subset=["record_id_l", "record_id_r"])
    counts = {h: (int(v["labelled"]), int(v["same"])) for h, v in audited["strata"].items()
              if int(v.get("population") or 0) > 0}
    drawn = audited_partitions(
        inputs.records["link_key"], inputs.records["source_key"], inputs.pairs, threshold,
        candidates, counts, decisions=inputs.labels, apart=apart, settings=settings)
    calibration = calibration_of(pairs, decisions, settings.seed, threshold)
    fixed = histories_of(frame, labels, by, language)
    person_of = pd.DataFrame(drawn.labels.T, index=drawn.record_ids)
    at = frame["record_id"].map(keys).to_numpy()
    tables = []
    for m in range(drawn.labels.shape[0]):
        assigned = frame.assign(person_id=[f"draw_{i}" for i in person_of[m].reindex(at)])
        tables.append(histories_of(assigned.reset_index(drop=True), labels, by, language))
    persons = [len(t) for t in tables]
    unlabelled = sorted(h for h, (n, _) in counts.items() if n == 0)
    warnings = tuple(
        f"the audit labelled no pair of stratum {h!r}: its rate is drawn from "
        "Beta(1/2, 1/2), which widens the interval (label more pairs: dadkhahi link audit)"
        for h in unlabelled)
    stats = {
        **drawn.stats,
        "from": "audit", "audit_result": audited["id"], "chain_apart": len(apart),
        "persons_fixed": len(fixed), "persons_drawn_min": int(min(persons)),
        "persons_drawn_max": int(max(persons)),
        "seconds": round(time.perf_counter() - tick, 3),
    }
    return LinkageDraws(fixed, tuple(tables), calibration, settings, str(run["id"]), stats,
                        warnings, audit_summary(audited), drawn)


def draws_of(
    frame: pd.DataFrame, labels: dict[str, str], pairs: pd.DataFrame,
    decisions: pd.DataFrame, reviewed: pd.DataFrame, settings: DrawSettings,
    threshold: float, run_id: str, by: str | None = None, language: str = "en",
) -> LinkageDraws:
    """:func:`linkage_draws` on data already read: records with their ``person_id``
    (the run's partition), list names, the run's scored pairs, the decisions that
    constrain the draws and the reviewed pairs (``decision``) that calibrate them
    (a blind audit's answers need not be decisions).
    """
    tick = time.perf_counter()
    # Calibrated at the probability the run's clustering weighed each pair (its
    # rivals included), as the partition held fixed was built.
    weighed = weighed_probabilities(frame["record_id"], frame["source_id"], pairs, threshold,
                                    decisions)
    calibration = calibration_of(pairs.assign(match_probability=weighed), reviewed,
                                 settings.seed, threshold)
    pairs = pairs.assign(calibrated=draw_weights(pairs["match_probability"].to_numpy(),
                                                 weighed, calibration))
    start = frame[["record_id", "person_id"]].rename(columns={"person_id": "cluster_id"})
    # The same in two homes (record ids are random): the record's link key (its
    # list file's hash and its row, see dadkhahi.linkage.store_io.link_keys).
    stable = frame[["link_key"]].reset_index(drop=True)

    def draw(how: DrawSettings) -> PartitionDraws:
        return draw_partitions(frame["record_id"], frame["source_id"], pairs, start,
                               decisions=decisions, settings=how,
                               order=stable)

    settings, centring = _centre(settings, draw, pairs, reviewed, calibration,
                                 int(frame["person_id"].nunique()))
    drawn = draw(settings)
    fixed = histories_of(frame, labels, by, language)
    by_record = frame.set_index(frame["record_id"].astype(str))
    tables = []
    for row in drawn.labels:
        assigned = by_record.loc[drawn.record_ids].assign(
            person_id=[f"draw_{i}" for i in row])
        tables.append(histories_of(assigned.reset_index(drop=True), labels, by, language))
    persons = drawn.persons()
    stats = {
        **drawn.stats,
        "centring": centring,
        "persons_fixed": len(fixed),
        "persons_drawn_min": int(persons.min()),
        "persons_drawn_max": int(persons.max()),
        "candidate_pairs": len(pairs),
        "seconds": round(time.perf_counter() - tick, 3),
    }
    return LinkageDraws(fixed, tuple(tables), calibration, settings, run_id, stats,
                        drawn.warnings, partitions=drawn)
