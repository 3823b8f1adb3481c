"""The overview of a ledger as one reader may see it (the workspace's dashboard).

Counts come from :func:`dadkhahi.access.reads.count_visible` (the acts: from
:func:`acts_by`, under the same rule), so they follow the one visibility policy.
Someone outside the team (anonymous, viewer) sees counts of public records only, and a
small count is suppressed (shown as "fewer than 5"), by the one small-number rule of
:mod:`dadkhahi.access.small_counts`.

An estimate is shown only after it was released (an ``estimate.released`` event) to
an audience the reader belongs to: the public, or, for team members, the team.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, literal, select, union_all

from dadkhahi.access.answers import kept
from dadkhahi.access.audit import ObjectRef
from dadkhahi.access.dossier import visible_by_ids
from dadkhahi.access.policy import Principal, params, visible
from dadkhahi.access.reads import PendingAudit, count_visible
from dadkhahi.access.small_counts import Merged, is_small, merge_small
from dadkhahi.domain.protected import REDACTED
from dadkhahi.domain.vocab import PlaceKind
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: What the overview counts (governed tables), as the dashboard shows them.
COUNTED = ("persons", "lists", "records", "sources", "items", "places", "acts")
#: Audiences whose releases a reader sees.
PUBLIC_AUDIENCES = ("public",)
TEAM_AUDIENCES = ("public", "team")
#: Levels of places followed up from an act's place to find its province.
MAX_PLACE_DEPTH = 4


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
    # Kept per ledger state and reader key, as acts_by (the counts are most of the page).
    # The acts are counted by acts_by, whose breakdowns the dashboard shows beside these
    # counts: its rule runs once per act for both (a count of its own took 8 ms of the
    # 45 ms of SQL counted anew at 20,000 acts and 146,341 records).
    rows = tuple(k for k in COUNTED if k != "acts")
    found = kept(store, principal, "counts", tuple(s.metadata.tables[k] for k in rows),
                 lambda: count_visible(store, principal, rows))
    found = {**found, "acts": _acts_kept(store, principal)[0].acts}
    counts = {k: suppressed(found[k], principal) for k in COUNTED}
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


#: The dashboard's breakdowns of acts, in the order shown.
BREAKDOWNS = ("month", "prison", "province")


@dataclass(frozen=True)
class ActCounts:
    """Acts the reader may see, counted by month, by prison and by province.

    Each is a table as it may be shown (:class:`Merged`: small cells merged for readers
    outside the team); a key is ``"YYYY-MM"`` (months, oldest first) or a place's ID
    (most acts first), None for acts without one (no date in clear, no prison, no
    province). ``places``: the places named, as the reader may see them.
    """

    month: Merged[str | None]
    prison: Merged[str | None]
    province: Merged[str | None]
    places: dict[str, dict[str, Any]]
    #: Every act the reader may see (the months' cells added up before any is merged:
    #: the dashboard's count of acts, suppressed there when small for readers outside
    #: the team).
    acts: int = 0


def acts_by(store: Store, principal: Principal) -> tuple[ActCounts, PendingAudit]:
    """Acts by month, prison and province, under the disclosure rule and the small-number
    rule; a place's province is itself or the nearest province above it. A protected
    act's date is sealed (its column holds a placeholder): it counts as without a month.

    The dashboard and each of its three charts ask for this: the answer is kept per
    ledger state and reader key (:func:`dadkhahi.access.answers.kept`), so the charts
    do not recount (76 ms each at 20,000 acts, ``benchmarks/web/bench_pages.py``). The
    protected places read are audited by the caller on every request, kept or not."""
    counts, audited = _acts_kept(store, principal)
    return counts, PendingAudit("read dashboard", list(audited))


def _acts_kept(store: Store, principal: Principal
               ) -> tuple[ActCounts, tuple[ObjectRef, ...]]:
    return kept(store, principal, "acts_by", (s.acts, s.places),
                lambda: _count_acts(store, principal))


def _count_acts(store: Store, principal: Principal
                ) -> tuple[ActCounts, tuple[ObjectRef, ...]]:
    """:func:`acts_by` counted anew: one statement (30 ms at 20,000 acts), and the
    protected places it read."""
    t = s.acts
    audited: list[ObjectRef] = []
    month = case((t.c.date_earliest == REDACTED, None),
                 else_=func.substr(t.c.date_earliest, 1, 7))
    # The rule runs once per act (a CTE read twice: both engines materialise it); its
    # rows are grouped by place and by month apart: grouped by both, 9,489 groups at
    # 20,000 acts took Python 40 ms to add up.
    shown = select(t.c.place_id.label("place_id"), month.label("month")).where(
        visible(principal, t)).cte("shown")
    by_place = select(literal("place"), shown.c.place_id, func.count()).group_by(
        shown.c.place_id)
    by_month = select(literal("month"), shown.c.month, func.count()).group_by(shown.c.month)
    with store.reading() as conn:
        rows = conn.execute(union_all(by_place, by_month), params(principal)).all()
        places: dict[str, dict[str, Any]] = {}
        wanted = {str(r[1]) for r in rows if r[0] == "place" and r[1] is not None}
        for _ in range(MAX_PLACE_DEPTH):  # the places, then the places above them
            found = visible_by_ids(conn, store, principal, "places", wanted - set(places),
                                   audited)
            places.update(found)
            wanted = {str(p["parent_id"]) for p in found.values() if p.get("parent_id")}
            if not wanted - set(places):
                break

    def province(place_id: str | None) -> str | None:
        for _ in range(MAX_PLACE_DEPTH):
            place = places.get(str(place_id)) if place_id else None
            if place is None:
                return None
            if place.get("kind") == PlaceKind.PROVINCE:
                return str(place["id"])
            place_id = place.get("parent_id")
        return None

    by: dict[str, dict[str | None, int]] = {k: {} for k in BREAKDOWNS}
    for what, key, n in rows:
        if what == "month":
            by["month"][key] = int(n)
            continue
        place = places.get(str(key)) if key else None
        prison = str(key) if place and place.get("kind") == PlaceKind.PRISON else None
        for k, cell in (("prison", prison), ("province", province(key))):
            by[k][cell] = by[k].get(cell, 0) + int(n)

    def table(cells: dict[str | None, int], chronological: bool) -> Merged[str | None]:
        order = sorted(cells.items(), key=(lambda c: (c[0] is None, c[0] or "")) if
                       chronological else (lambda c: (c[0] is None, -c[1], str(c[0]))))
        if not principal.team:
            return merge_small(order)
        return Merged(shown=order, total=sum(cells.values()))

    counts = ActCounts(month=table(by["month"], True), prison=table(by["prison"], False),
                       province=table(by["province"], False), places=places,
                       acts=sum(by["month"].values()))
    return counts, tuple(audited)
