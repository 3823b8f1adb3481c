"""The overview of a ledger as one reader may see it (the workspace's dashboard).

Counts come from :func:`dadkhahi.access.reads.count_visible`, so they follow the
one visibility policy. Someone outside the team (anonymous, viewer) sees counts
of public records only, and a small count is suppressed (shown as "fewer than 5"),
by the one small-number rule of :mod:`dadkhahi.access.small_counts`.

An estimate is shown only after it was released (an ``estimate.released`` event) to
an audience the reader belongs to: the public, or, for team members, the team.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from dadkhahi.access.policy import Principal
from dadkhahi.access.reads import count_visible
from dadkhahi.access.small_counts import is_small
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: What the overview counts (governed tables), as the dashboard shows them.
COUNTED = ("persons", "lists", "records", "sources", "items", "places", "acts")
#: Audiences whose releases a reader sees.
PUBLIC_AUDIENCES = ("public",)
TEAM_AUDIENCES = ("public", "team")


def suppressed(count: int, principal: Principal) -> int | None:
    """``count``, or None when it is small and the reader is outside the team."""
    if not principal.team and is_small(count):
        return None
    return count


@dataclass(frozen=True)
class Overview:
    """What the dashboard shows."""

    counts: dict[str, int | None]
    events: int
    origin: str
    checkpoint_size: int | None
    checkpoint_at: str | None
    verified: dict[str, Any] | None
    estimate: dict[str, Any] | None


def overview(store: Store, principal: Principal) -> Overview:
    """Counts, ledger head, latest checkpoint and verification, latest released estimate."""
    counts = {k: suppressed(v, principal)
              for k, v in count_visible(store, principal, COUNTED).items()}
    audiences = TEAM_AUDIENCES if principal.team else PUBLIC_AUDIENCES
    j, e, r, c = s.jobs.c, s.estimates.c, s.estimate_releases.c, s.ledger_checkpoints.c
    with store.reading() as conn:
        size, origin = ledger_log.head(conn)
        latest = conn.execute(select(c.size, c.created_at).order_by(c.size.desc())
                              .limit(1)).first()
        checked = conn.execute(
            select(j.finished_at, j.state, j.result).where(j.kind == "ledger.verify",
                                                           j.finished_at.is_not(None))
            .order_by(j.finished_at.desc(), j.id.desc()).limit(1)).mappings().first()
        released = conn.execute(
            select(e.id, e.method, e.estimand, e.documented, e.estimate, e.low, e.high,
                   e.level, e.computed_at, r.audience, r.released_at)
            .join(s.estimate_releases, r.estimate_id == e.id)
            .where(r.audience.in_(audiences))
            .order_by(r.released_at.desc(), r.id.desc()).limit(1)).mappings().first()
    return Overview(
        counts=counts, events=size, origin=origin,
        checkpoint_size=int(latest.size) if latest else None,
        checkpoint_at=str(latest.created_at) if latest else None,
        verified=dict(checked) if checked else None,
        estimate=dict(released) if released else None,
    )
