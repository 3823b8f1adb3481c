"""The tamper-evident log over HTTP: checkpoints, key, events, proofs, export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse, StreamingResponse

from dadkhahi.access import reads
from dadkhahi.api.deps import PrincipalDep, StoreDep
from dadkhahi.api.errors import ApiError
from dadkhahi.ledger.proofs import make_consistency_bundle
from dadkhahi.services import ledger
from dadkhahi.store import ledger_log

router = APIRouter(prefix="/api/ledger", tags=["ledger"])


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(store: StoreDep) -> str:
    """The latest signed checkpoint (C2SP signed note); hashes only, public."""
    with store.reading() as conn:
        latest = ledger_log.latest_checkpoint(conn)
    if latest is None:
        raise ApiError(404, "no checkpoint has been signed yet")
    return latest[1]


@router.post("/checkpoint", response_class=PlainTextResponse)
def sign_checkpoint(store: StoreDep, principal: PrincipalDep) -> str:
    """Sign a checkpoint of the whole log now."""
    return ledger.sign_checkpoint(store, principal)


@router.get("/key", response_class=PlainTextResponse)
def verifier_key(store: StoreDep) -> str:
    """The verifier key to check checkpoints and proofs offline."""
    return store.verifier_key() + "\n"


def _event_json(event: ledger_log.StoredEvent) -> dict[str, Any]:
    return {"index": event.index, "leaf_hash": event.leaf_hash.hex(), "type": event.type,
            "event": json.loads(event.body)}


@router.get("/events/{index}", response_model=dict[str, Any],
            responses={404: {"description": "No such event, or not visible to you"}})
def event(index: Annotated[int, Path(ge=0, le=2**53)], store: StoreDep,
          principal: PrincipalDep) -> Any:
    """One event, if you may see what it is about."""
    return _event_json(reads.read_event(store, principal, index))


@router.get("/events/{index}/proof", response_model=dict[str, Any],
            responses={404: {"description": "No such event, or not visible to you"}})
def inclusion(index: Annotated[int, Path(ge=0, le=2**53)], store: StoreDep,
              principal: PrincipalDep) -> Any:
    """An offline-verifiable inclusion proof of one event against the latest checkpoint."""
    return ledger.inclusion_bundle(store, principal, index)


@router.get("/consistency", response_model=dict[str, Any])
def consistency(
    store: StoreDep,
    old: Annotated[int, Query(ge=1, le=2**53, description="Size of the older checkpoint")],
    new: Annotated[int | None, Query(ge=1, le=2**53, description="Newer size")] = None,
) -> Any:
    """Proof that the log only grew between two signed checkpoints (hashes only, public)."""
    with store.reading() as conn:
        latest = ledger_log.latest_checkpoint(conn)
        if latest is None:
            raise ApiError(404, "no checkpoint has been signed yet")
        newer = new if new is not None else latest[0]
        old_note = ledger_log.checkpoint_at(conn, old)
        new_note = ledger_log.checkpoint_at(conn, newer)
        proof = ledger_log.consistency_proof(conn, old, newer)
    return make_consistency_bundle(old_note, new_note, proof)


@router.get("/export", response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}}}})
def export(store: StoreDep, principal: PrincipalDep) -> StreamingResponse:
    """Every event as JSON Lines; events you may not see are withheld but keep their leaf
    hash, so the export still checks against signed checkpoints."""
    def lines() -> Iterator[bytes]:
        for line in reads.export_events(store, principal):
            yield (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")

    return StreamingResponse(lines(), media_type="application/x-ndjson")
