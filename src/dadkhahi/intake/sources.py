"""Registering sources: the first event for anything that comes in."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.domain.errors import NotFoundError, ValidationError
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


#: What a change of a source's fields leaves as it is (its identity and the system's own).
_KEPT = frozenset({"id", "kind", "sensitivity", "created_at", "sealed", "ledger_index"})


def change_language(tx: Transaction, source_id: str, language: str | None) -> int:
    """Emit ``source.language_changed``: the source's language is now ``language`` (None:
    not known). A testimony is a source, so a change of its interview's language is its
    source's too. A protected source's fields are sealed again, all in one payload under
    a key of its own (its row keeps one payload); the payload it replaces stays in the
    ledger's events, where erasure finds it (``intake.erasure``)."""
    row = tx.conn.execute(select(s.sources).where(s.sources.c.id == source_id)
                          ).mappings().one()
    data: dict[str, Any] = {"id": source_id, "sensitivity": row["sensitivity"],
                            "language": language}
    if row["sensitivity"] == str(Sensitivity.PROTECTED):
        opened = tx.keys.open_row(tx.conn, dict(row))
        if opened.get("erased"):
            raise ValidationError("this source was erased: its language cannot change")
        kept = {k: v for k, v in opened.items() if k not in _KEPT and k != "erased"}
        data = tx.seal_protected("source", {**kept, **data}, source_id)
    return tx.emit("source.language_changed", data)


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
