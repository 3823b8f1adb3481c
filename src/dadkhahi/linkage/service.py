"""Linkage as a service of the store: run, decide, review, apply, export, count.

* :func:`run_linkage` loads every list record, passes the human decisions to the
  model as labels (they train it and are hard constraints in its clustering),
  and records the outcome as one ``link.run`` event (see
  :mod:`dadkhahi.linkage.persons` for what it holds). The scored pairs are kept
  in ``HOME/linkage/<run>-pairs.parquet``, a cache outside the ledger, so that
  decisions can be applied without training the model again.
* :func:`decide` records one human decision (``link.decided``) at once.
* :func:`apply_decisions` re-clusters the cached pairs of the last model run with
  every decision so far and records it as a ``link.run`` of kind ``decisions``.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd
from sqlalchemy import select

from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.linkage.clusters import DEFAULT_THRESHOLD
from dadkhahi.linkage.persons import build_claims, person_rows, plan_persons
from dadkhahi.linkage.store_io import (
    MODEL_FIELDS,
    latest_run,
    linkage_claims,
    load_assignment,
    load_decisions,
    load_records,
)
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, utc_now

Linker = Callable[..., Any]
Progress = Callable[[str], None]
DECISIONS = ("same", "different")


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


def _review_rows(review: pd.DataFrame) -> list[list[Any]]:
    """Review pairs as [a, b, probability in ppm, weight in thousandths] (integers)."""
    if review.empty:
        return []
    weights = (
        review["match_weight"] if "match_weight" in review else pd.Series([None] * len(review))
    )
    return [
        [str(a), str(b), round(float(p) * 1e6),
         None if w is None or not math.isfinite(w) else round(float(w) * 1e3)]
        for a, b, p, w in zip(review["record_id_l"], review["record_id_r"],
                              review["match_probability"], weights, strict=True)
    ]


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


def run_linkage(
    store: Store,
    actor: str,
    *,
    backend: str = "duckdb",
    threshold: float | None = None,
    linker: Linker | None = None,
    progress: Progress | None = None,
    synthetic: bool = False,
) -> RunReport:
    """Link every list record and record the persons (see the module docstring).

    ``threshold``: match probability at which a pair links (default
    :data:`~dadkhahi.linkage.clusters.DEFAULT_THRESHOLD`). ``linker`` defaults to
    :func:`dadkhahi.linkage.run.link`; tests pass a stand-in with the same signature
    and result shape.
    """
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    say = progress or (lambda _m: None)
    started_at, tick = utc_now(), time.perf_counter()
    say("loading records")
    records = load_records(store)
    if records.empty:
        raise UserError("no list records to link: import lists first (dadkhahi lists import)")
    with store.reading() as conn:
        labels = load_decisions(conn)
    if linker is None:
        # Imported here: Splink and its dependencies load only when a run needs them.
        from dadkhahi.linkage.run import link

        linker = cast(Linker, link)
    say(f"linking {len(records):,} records ({backend})")
    model_input = records[["record_id", "source_id", *MODEL_FIELDS]]
    result = linker(
        model_input, labels=labels if len(labels) else None, backend=backend, threshold=threshold
    )
    run_id = f"run_{secrets.token_hex(10)}"
    cache = _pairs_cache(store, run_id)
    cache.parent.mkdir(parents=True, exist_ok=True)
    result.pairs.to_parquet(cache, index=False)
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
    }
    return _record_run(
        store,
        actor,
        meta,
        result.clusters,
        _review_rows(result.review_candidates),
        records,
        tick,
        synthetic,
        len(result.conflicts),
    )


def apply_decisions(store: Store, actor: str, *, progress: Progress | None = None) -> RunReport:
    """Re-cluster the last model run's pairs with every human decision, without retraining."""
    from dadkhahi.linkage.clusters import cluster_pairs

    say = progress or (lambda _m: None)
    started_at, tick = utc_now(), time.perf_counter()
    with store.reading() as conn:
        model_run = latest_run(conn, "model")
        labels = load_decisions(conn)
    if model_run is None:
        raise UserError("no linkage run yet: run dadkhahi link run first")
    cache = _pairs_cache(store, model_run["id"])
    if not cache.is_file():
        raise UserError(
            f"the pairs of run {model_run['id']} are not cached here ({cache}); "
            "run dadkhahi link run again"
        )
    say("re-clustering with decisions")
    records = load_records(store)
    pairs = pd.read_parquet(cache)
    # The same list rule as the model run (link() with its defaults).
    clustering = cluster_pairs(
        records["record_id"], pairs, float(model_run["threshold"]),
        labels if len(labels) else None, sources=records["source_id"],
    )
    meta = {
        "id": f"run_{secrets.token_hex(10)}",
        "kind": "decisions",
        "backend": model_run["backend"],
        "threshold": float(model_run["threshold"]),
        "started_at": started_at,
        "pairs": len(pairs),
        "decisions": len(labels),
        "stats": {"model_run": model_run["id"], "conflicts": len(clustering.conflicts)},
        "model": None,
    }
    return _record_run(
        store, actor, meta, clustering.clusters, [], records, tick, False, len(clustering.conflicts)
    )


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
        new_persons = person_rows(changes, records, tx.seal, synthetic=synthetic)
        retire = linkage_claims(tx.conn, changes.changed)
        claims = build_claims(changes.final, records, changes.changed)
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
            "records": len(changes.final),
            "persons": persons,
            "pairs": int(meta["pairs"]),
            "decisions": int(meta["decisions"]),
            "stats_json": _json_text(meta["stats"]),
            "model_json": _json_text(meta["model"]),
            "review": review,
            "new_persons": new_persons,
            "assign": changes.assign,
            "move": changes.move,
            "claims": claims,
            "supports": supports,
            "retire": retire,
        }
        index = tx.emit("link.run", data)
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
    decision on the same pair replaces an earlier one.
    """
    if decision not in DECISIONS:
        raise UserError(f"decision must be 'same' or 'different', not {decision!r}")
    a, b = sorted((record_a, record_b))
    if a == b:
        raise UserError("a record is always the same person as itself")
    with store.transaction(actor) as tx:
        found = set(
            tx.conn.execute(select(s.records.c.id).where(s.records.c.id.in_([a, b]))).scalars()
        )
        missing = [r for r in (a, b) if r not in found]
        if missing:
            raise NotFoundError(f"no record {missing[0]!r}")
        decision_id = f"dec_{secrets.token_hex(10)}"
        tx.emit(
            "link.decided",
            {
                "id": decision_id,
                "record_a": a,
                "record_b": b,
                "decision": decision,
                "actor": actor,
                "note": note,
                "run_id": run_id,
                "probability": None if probability is None else round(float(probability), 6),
                "decided_at": utc_now(),
            },
        )
    return decision_id
