"""A summary of what one ledger holds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store


@dataclass(frozen=True)
class Summary:
    origin: str
    size: int
    root_hex: str
    checkpoint_size: int | None
    counts: dict[str, int]


def summarize(store: Store) -> Summary:
    """Log size, root, latest checkpoint and row counts of the main tables."""
    with store.reading() as conn:
        size, origin = ledger_log.head(conn)
        latest = ledger_log.latest_checkpoint(conn)
        counts = {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (s.sources, s.items, s.records, s.persons, s.places, s.acts, s.claims)
        }
        return Summary(
            origin=origin,
            size=size,
            root_hex=ledger_log.root(conn, size).hex(),
            checkpoint_size=None if latest is None else latest[0],
            counts=counts,
        )
