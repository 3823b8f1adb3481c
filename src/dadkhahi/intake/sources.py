"""Registering sources: the first event for anything that comes in."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.domain.errors import NotFoundError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, Transaction, utc_now


def register_source(store: Store, tx: Transaction, spec: SourceSpec) -> str:
    """Emit ``source.registered``; a protected source has every field sealed but its ID,
    kind, sensitivity and creation time (``domain.protected``)."""
    source_id = new_id("source")
    now = utc_now()
    data: dict[str, Any] = {
        k: (str(v) if v is not None else None) for k, v in asdict(spec).items()
    }
    data.update(id=source_id, created_at=now)
    if spec.sensitivity is Sensitivity.PROTECTED:
        data = tx.seal_protected("source", data, source_id)
    tx.emit("source.registered", data, time=now)
    return source_id


def get_source(conn: Connection, source_id: str) -> dict[str, Any]:
    """One source row as a dict; accepts a unique ID prefix."""
    rows = conn.execute(
        select(s.sources).where(s.sources.c.id.startswith(source_id, autoescape=True)).limit(2)
    ).mappings().all()
    if len(rows) != 1:
        raise NotFoundError(
            f"no source {source_id!r}" if not rows else f"source ID {source_id!r} is ambiguous"
        )
    return dict(rows[0])
