"""Linkage as a service of the store: run, decide, review, apply, export, count.

* :func:`run_linkage` loads every list record, passes the human decisions to the
  model as labels (they train it and are hard constraints in its clustering),
  and records the outcome as one ``link.run`` event (see
  :mod:`dadkhahi.linkage.persons` for what it holds). The model sees each record
  under its link key (:func:`~dadkhahi.linkage.store_io.link_keys`: the list file's
  hash and the row number), never under its random id, so two homes holding the
  same lists and decisions get the same persons and the same review queue. The
  event's ``provenance`` holds the seed, settings, software versions and the
  hashes of the input (lists, model input, decisions). The scored pairs are kept
  in ``HOME/linkage/<run>-pairs.parquet``, a cache outside the ledger, so that
  decisions can be applied without training the model again.
* :func:`decide` records one human decision (``link.decided``) at once.
* :func:`apply_decisions` re-clusters the cached pairs of the last model run with
  every decision so far and records it as a ``link.run`` of kind ``decisions``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import platform
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import select

from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.files import open_private, private_dir
from dadkhahi.domain.protected import REDACTED
from dadkhahi.domain.vocab import LINK_DECISIONS, Sensitivity
from dadkhahi.linkage.clusters import DEFAULT_THRESHOLD
from dadkhahi.linkage.field_weights import field_names, pair_rows, spanning_links
from dadkhahi.linkage.persons import build_claims, person_rows, plan_persons, relabelled_rows
from dadkhahi.linkage.store_io import (
    MODEL_FIELDS,
    latest_run,
    linkage_claims,
    load_assignment,
    load_decisions,
    load_records,
    stale_linkage_persons,
)
from dadkhahi.store import link_rows
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, Transaction, utc_now

Linker = Callable[..., Any]
Progress = Callable[[str], None]
DECISIONS = LINK_DECISIONS


@dataclass(frozen=True)
class RunReport:
    """What one linkage run found and changed."""

    run_id: str
    kind: str
    records: int
    persons: int
    new_persons: int
    reused_persons: int
    assigned: int
    moved: int
    claims_added: int
    claims_retired: int
    pairs: int
    review: int
    decisions: int
    conflicts: int
    seconds: float
    ledger_index: int


def _finite(value: Any) -> Any:
    """JSON the ledger accepts: no NaN or infinities (they become null), no NumPy types."""
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def _pairs_cache(store: Store, run_id: str) -> Path:
    return store.home.path / "linkage" / f"{run_id}-pairs.parquet"


def _review_rows(review: pd.DataFrame, fields: list[str]) -> list[list[Any]]:
    """Review pairs as [a, b, probability in ppm, weight in thousandths] (integers) and,
    when the run weighed its fields, each field's weight (see ``linkage.field_weights``)."""
    return pair_rows(review, fields)


def _links(pairs: pd.DataFrame, clusters: pd.DataFrame, ids: pd.Series,
           fields: list[str]) -> list[list[Any]]:
    """The links holding each person together (on link keys, so the same tree in every
    home), as rows between record ids with each field's weight."""
    tree = spanning_links(pairs, clusters)
    return pair_rows(_to_ids(tree, ids), fields) if len(tree) else []


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(_finite(value), sort_keys=True,
                                                 allow_nan=False)


def quiet_splink() -> None:
    """Let only Splink's errors through (its training log is for developers).

    Splink's Linker re-enables INFO logging on the "splink" logger unless that
    logger already has a handler: give it one that only passes errors.
    """
    logger = logging.getLogger("splink")
    if any(getattr(h, "_dadkhahi_quiet", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.ERROR)
    handler._dadkhahi_quiet = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.propagate = False


#: Packages whose versions can change a linkage result (recorded with every run).
_VERSIONED = ("dadkhahi", "splink", "duckdb", "pandas", "numpy", "scipy", "pyarrow")


def software_versions(backend: str) -> dict[str, str]:
    """Versions of Python and of the packages a run's result depends on."""
    names = (*_VERSIONED, "pyspark") if backend == "spark" else _VERSIONED
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def _sha256_frame(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's CSV text (header included, no index)."""
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()


def _keyed_labels(labels: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    """Decisions between record ids as decisions between link keys (smaller key left)."""
    left = labels["record_id_l"].map(keys)
    right = labels["record_id_r"].map(keys)
    known = left.notna() & right.notna()  # a decision on an erased record stays out
    keyed = pd.DataFrame({
        "record_id_l": left[known].where(left[known] < right[known], right[known]),
        "record_id_r": right[known].where(left[known] < right[known], left[known]),
        "decision": labels["decision"][known],
    })
    return keyed.sort_values(["record_id_l", "record_id_r"], kind="stable").reset_index(drop=True)


def provenance(
    records: pd.DataFrame,
    model_input: pd.DataFrame,
    labels: pd.DataFrame,
    settings: Mapping[str, Any],
    backend: str,
) -> dict[str, Any]:
    """What a run's result is a function of: seed and settings, software, input hashes.

    ``model_input`` and ``labels`` are in link-key space (the same in every home), so
    two homes holding the same lists and decisions record the same hashes.
    """
    lists = (
        records.groupby("list_sha256", sort=True)["record_id"].size().rename("records")
        .reset_index().rename(columns={"list_sha256": "sha256"})
    )
    return {
        "settings": dict(settings),
        "software": software_versions(backend),
        "inputs": {
            "lists": lists.to_dict("records"),
            "model_input_sha256": _sha256_frame(model_input),
            "decisions_sha256": _sha256_frame(labels),
            "records": len(model_input),
            "decisions": len(labels),
        },
    }


def run_linkage(
    store: Store,
    actor: str,
    *,
    backend: str = "duckdb",
    threshold: float | None = None,
    seed: int | None = None,
    linker: Linker | None = None,
    progress: Progress | None = None,
    synthetic: bool = False,
    verbose: bool = False,
) -> RunReport:
    """Link every list record and record the persons (see the module docstring).

    ``threshold``: match probability at which a pair links (default
    :data:`~dadkhahi.linkage.clusters.DEFAULT_THRESHOLD`). ``seed``: seeds the
    model's sampling (default :data:`~dadkhahi.linkage.run.DEFAULT_SEED`); it is
    recorded with the run. ``linker`` defaults to :func:`dadkhahi.linkage.run.link`;
    tests pass a stand-in with the same signature and result shape. ``verbose``: on
    Spark, its logging and progress bars (quiet otherwise).
    """
    # Imported here: Splink and its dependencies load only when a run needs them.
    from dadkhahi.linkage.run import DEFAULT_SEED, PARAMETER_DIGITS, WEIGHT_DECIMALS

    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    seed = DEFAULT_SEED if seed is None else int(seed)
    say = progress or (lambda _m: None)
    started_at, tick = utc_now(), time.perf_counter()
    say("loading records")
    records = load_records(store)
    if records.empty:
        raise UserError("no list records to link: import lists first (dadkhahi lists import)")
    with store.reading() as conn:
        labels = load_decisions(conn)
    if linker is None:
        from dadkhahi.linkage.run import link

        linker = cast(Linker, link)
    say(f"linking {len(records):,} records ({backend})")
    keys = records.set_index("record_id")["link_key"]
    model_input = records[["link_key", "source_key", *MODEL_FIELDS]].rename(
        columns={"link_key": "record_id", "source_key": "source_id"}
    ).reset_index(drop=True)
    keyed_labels = _keyed_labels(labels, keys)
    settings = {
        "backend": backend, "threshold": threshold, "seed": seed,
        "parameter_digits": PARAMETER_DIGITS, "weight_decimals": WEIGHT_DECIMALS,
    }
    spark_options = {"verbose": verbose} if backend == "spark" else {}
    result = linker(
        model_input, labels=keyed_labels if len(keyed_labels) else None, backend=backend,
        threshold=threshold, seed=seed, **spark_options,
    )
    ids = pd.Series(records["record_id"].to_numpy(), index=records["link_key"].to_numpy())
    run_id = f"run_{secrets.token_hex(10)}"
    cache = _pairs_cache(store, run_id)
    private_dir(cache.parent)
    # Owner-only whatever the process's umask: the pairs name records of every list, and
    # a caller of this library (a benchmark, a notebook) may not have set a private one.
    with open_private(cache, "wb") as out:
        _to_ids(result.pairs, ids).to_parquet(out, index=False)
    say("recording persons")
    meta = {
        "id": run_id,
        "kind": "model",
        "backend": backend,
        "threshold": threshold,
        "started_at": started_at,
        "pairs": len(result.pairs),
        "decisions": len(labels),
        "stats": {**dict(result.stats), "conflicts": len(result.conflicts)},
        "model": dict(result.model),
        "provenance": provenance(records, model_input, keyed_labels, settings, backend),
    }
    clusters = pd.DataFrame({
        "record_id": result.clusters["record_id"].map(ids).to_numpy(),
        "cluster_id": result.clusters["cluster_id"].map(ids).to_numpy(),
    })
    fields = field_names(result.pairs)
    meta["fields"] = fields
    meta["links"] = _links(result.pairs, result.clusters, ids, fields)
    return _record_run(
        store,
        actor,
        meta,
        clusters,
        _review_rows(_to_ids(result.review_candidates, ids), fields),
        records,
        tick,
        synthetic,
        len(result.conflicts),
    )


def _to_ids(pairs: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """Pairs between link keys as pairs between record ids, the smaller id left.

    Row order is kept (a review queue's order is its meaning).
    """
    left = pairs["record_id_l"].map(ids).to_numpy()
    right = pairs["record_id_r"].map(ids).to_numpy()
    swap = left > right
    return pairs.assign(record_id_l=np.where(swap, right, left),
                        record_id_r=np.where(swap, left, right))


@dataclass(frozen=True)
class ClusterInputs:
    """What the last model run's clustering reads, on link keys (the same in every home)."""

    records: pd.DataFrame  # load_records: record_id, link_key, source_key, fields
    ids: pd.Series  # record id by link key
    pairs: pd.DataFrame  # the run's cached pairs: record_id_l/r are link keys
    labels: pd.DataFrame  # every decision in force, on link keys
    features: pd.DataFrame  # record_features of the model input (the chain check reads them)


def cluster_inputs(store: Store, model_run: Mapping[str, Any],
                   labels: pd.DataFrame) -> ClusterInputs:
    """The inputs to re-cluster ``model_run``'s cached pairs (UserError if not cached)."""
    from dadkhahi.linkage.features import record_features

    cache = _pairs_cache(store, model_run["id"])
    if not cache.is_file():
        raise UserError(
            f"the pairs of run {model_run['id']} are not cached here ({cache}); "
            "run dadkhahi link run again"
        )
    records = load_records(store)
    keys = records.set_index("record_id")["link_key"]
    ids = pd.Series(records["record_id"].to_numpy(), index=records["link_key"].to_numpy())
    pairs = pd.read_parquet(cache)
    pairs = pairs.assign(record_id_l=pairs["record_id_l"].map(keys),
                         record_id_r=pairs["record_id_r"].map(keys)).dropna(
        subset=["record_id_l", "record_id_r"])
    model_input = records[["link_key", "source_key", *MODEL_FIELDS]].rename(
        columns={"link_key": "record_id", "source_key": "source_id"})
    return ClusterInputs(records, ids, pairs, _keyed_labels(labels, keys),
                         record_features(model_input))


def apply_decisions(store: Store, actor: str, *, progress: Progress | None = None) -> RunReport:
    """Re-cluster the last model run's pairs with every human decision, without retraining."""
    from dadkhahi.linkage.clusters import cluster_with_chain_check

    say = progress or (lambda _m: None)
    started_at, tick = utc_now(), time.perf_counter()
    with store.reading() as conn:
        model_run = latest_run(conn, "model")
        labels = load_decisions(conn)
    if model_run is None:
        raise UserError("no linkage run yet: run dadkhahi link run first")
    inputs = cluster_inputs(store, model_run, labels)
    say("re-clustering with decisions")
    records, ids, pairs, keyed_labels = (inputs.records, inputs.ids, inputs.pairs,
                                         inputs.labels)
    # The same list rule as the model run (link() with its defaults), on link keys so
    # ties break alike in every home.
    clustering, _, _ = cluster_with_chain_check(
        records["link_key"], pairs, float(model_run["threshold"]),
        keyed_labels if len(keyed_labels) else None, inputs.features,
        sources=records["source_key"],
    )
    clusters = pd.DataFrame({
        "record_id": clustering.clusters["record_id"].map(ids).to_numpy(),
        "cluster_id": clustering.clusters["cluster_id"].map(ids).to_numpy(),
    })
    fields = field_names(pairs)
    meta = {
        "fields": fields,
        "links": _links(pairs, clustering.clusters, ids, fields),
        "id": f"run_{secrets.token_hex(10)}",
        "kind": "decisions",
        "backend": model_run["backend"],
        "threshold": float(model_run["threshold"]),
        "started_at": started_at,
        "pairs": len(pairs),
        "decisions": len(labels),
        "stats": {"model_run": model_run["id"], "conflicts": len(clustering.conflicts)},
        "model": None,
        "provenance": {
            "settings": {"threshold": float(model_run["threshold"]),
                         "model_run": model_run["id"]},
            "software": software_versions(str(model_run["backend"])),
            "inputs": {"decisions_sha256": _sha256_frame(keyed_labels),
                       "decisions": len(keyed_labels)},
        },
    }
    return _record_run(
        store, actor, meta, clusters, [], records, tick, False, len(clustering.conflicts)
    )


def seal_claims(tx: Transaction, claims: list[list[Any]]) -> list[list[Any]]:
    """Compact linkage claims (``persons.build_claims``) as the event carries them: a
    protected claim's value and dates sealed under its own data key, as
    ``facts.entities.add_claim`` seals one (``CLEAR_FIELDS["claim"]``), the payload
    appended as a tenth element."""
    out: list[list[Any]] = []
    for claim in claims:
        cid, pid, prop, value, level, lo, hi, text, cited = claim
        if level != str(Sensitivity.PROTECTED):
            out.append(claim)
            continue
        sealed = tx.seal_protected("claim", {
            "id": cid, "entity_kind": "person", "entity_id": pid, "property": prop,
            "value": value, "date_earliest": lo, "date_latest": hi, "date_text": text,
            "sensitivity": level, "status": "asserted"}, cid, placeholders={"value": REDACTED})
        out.append([cid, pid, prop, sealed["value"], level, sealed["date_earliest"],
                    sealed["date_latest"], sealed["date_text"], cited, sealed["sealed"]])
    return out


def _record_run(
    store: Store,
    actor: str,
    meta: dict[str, Any],
    clusters: pd.DataFrame,
    review: list[list[Any]],
    records: pd.DataFrame,
    tick: float,
    synthetic: bool,
    conflicts: int,
) -> RunReport:
    clusters = clusters.astype({"record_id": str, "cluster_id": str})
    clusters = clusters[clusters["record_id"].isin(set(records["record_id"]))]
    with store.transaction(actor) as tx:
        # Read the current assignment under the write lock: no other run can interleave.
        changes = plan_persons(clusters, load_assignment(tx.conn))
        stale = stale_linkage_persons(tx.conn)
        changes.changed = sorted(set(changes.changed) | set(stale))
        new_persons = person_rows(changes, records, tx.seal, synthetic=synthetic)
        relabel = relabelled_rows(changes, records, tx.seal)
        retire = linkage_claims(tx.conn, changes.changed)
        claims = seal_claims(tx, build_claims(changes.final, records, changes.changed))
        cited = {rec for claim in claims for rec in claim[8]}
        where = records[records["record_id"].isin(cited)]
        supports = {
            rec: [src, item] for rec, src, item in
            zip(where["record_id"], where["source_id"], where["item_id"], strict=True)
        }
        persons = int(changes.final["person_id"].nunique())
        data = {
            "id": meta["id"],
            "kind": meta["kind"],
            "backend": meta["backend"],
            "threshold_ppm": round(float(meta["threshold"]) * 1e6),
            "started_at": meta["started_at"],
            "finished_at": utc_now(),
            link_rows.RECORD_COUNT: len(changes.final),
            "persons": persons,
            "pairs": int(meta["pairs"]),
            "decisions": int(meta["decisions"]),
            "stats_json": _json_text(meta["stats"]),
            "model_json": _json_text(meta["model"]),
            "provenance_json": _json_text(meta.get("provenance")),
            # One row per decision, committed by a Merkle root: a court bundle proves
            # one record's link without disclosing the rest of the run.
            "records": link_rows.decision_rows(new_persons, changes.assign, changes.move,
                                               claims, supports, retire, review,
                                               changes.lineage, meta.get("links", ()),
                                               relabel),
        }
        if meta.get("fields"):
            # The comparisons whose weights review and link rows carry, in their order.
            data["weight_fields"] = list(meta["fields"])
        index = tx.emit("link.run", data, batch=True)
    store.checkpoint()
    return RunReport(
        run_id=meta["id"],
        kind=meta["kind"],
        records=len(changes.final),
        persons=persons,
        new_persons=len(new_persons),
        reused_persons=changes.reused,
        assigned=len(changes.assign),
        moved=len(changes.move),
        claims_added=len(claims),
        claims_retired=len(retire),
        pairs=int(meta["pairs"]),
        review=len(review),
        decisions=int(meta["decisions"]),
        conflicts=conflicts,
        seconds=time.perf_counter() - tick,
        ledger_index=index,
    )


def decide(
    store: Store,
    actor: str,
    record_a: str,
    record_b: str,
    decision: str,
    *,
    note: str | None = None,
    run_id: str | None = None,
    probability: float | None = None,
) -> str:
    """Record that two records are (or are not) the same person; returns the decision id.

    Takes effect on the next :func:`run_linkage` or :func:`apply_decisions`; a later
    decision on the same pair replaces an earlier one. ``unsure`` (the reviewer cannot
    tell: the pair goes to another reviewer) and ``withdrawn`` (an undo with nothing
    earlier to return to) leave no decision in force on the pair: the model's score
    decides it again until someone says same or different.
    """
    if decision not in DECISIONS:
        raise UserError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    with store.transaction(actor) as tx:
        return _decided(tx, record_a, record_b, decision, note, run_id, probability)


def decide_many(store: Store, actor: str, pairs: list[tuple[str, str]], decision: str, *,
                note: str | None = None) -> list[str]:
    """Record the same decision on several pairs in one transaction (all or none), one
    ``link.decided`` event each, as :func:`decide` records one: a split of a person is a
    "different" between each record split off and each record that stays."""
    if decision not in DECISIONS:
        raise UserError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if not pairs:
        raise UserError("no pair to decide")
    with store.transaction(actor) as tx:
        return [_decided(tx, a, b, decision, note, None, None) for a, b in pairs]


def _decided(tx: Transaction, record_a: str, record_b: str, decision: str, note: str | None,
             run_id: str | None, probability: float | None) -> str:
    a, b = sorted((record_a, record_b))
    if a == b:
        raise UserError("a record is always the same person as itself")
    r = s.records.c
    found = dict(tx.conn.execute(select(r.id, r.sensitivity).where(r.id.in_([a, b]))).all())
    missing = [x for x in (a, b) if x not in found]
    if missing:
        raise NotFoundError(f"no record {missing[0]!r}")
    decision_id = f"dec_{secrets.token_hex(10)}"
    data: dict[str, Any] = {
        "id": decision_id,
        "record_a": a,
        "record_b": b,
        "decision": decision,
        # The reviewer by the ledger's pseudonym (store.actors), as the event's own
        # actor: a decision is kept for ever and must name no team member.
        "actor": tx.actor,
        "note": note,
        "run_id": run_id,
        "probability": None if probability is None else round(float(probability), 6),
        "decided_at": utc_now(),
    }
    if str(Sensitivity.PROTECTED) in found.values():
        # A note on a protected record may name the person: sealed, like the record.
        data = tx.seal_protected("link_decision", data, decision_id)
    tx.emit("link.decided", data)
    return decision_id

