"""Provenance links between sources, and which sources are independent of each other.

Five articles from one movement's outlets are one voice, not five: a source derived
from another, citing it, compiled by the same person or taken in the same interview
session does not corroborate it. Each link is a ``source.linked`` event; sources are
independent unless a chain of links joins them (:func:`independent_groups`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.domain.errors import UserError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.vocab import Sensitivity, SourceKind, SourceLinkKind
from dadkhahi.intake.sources import get_source
from dadkhahi.store import schema as s
from dadkhahi.store.store import Transaction

_ORDER = (Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.PROTECTED)


def strictest(levels: Iterable[str]) -> Sensitivity:
    """The most protected of the given sensitivity levels (public if none)."""
    return max((Sensitivity(v) for v in levels), key=_ORDER.index, default=Sensitivity.PUBLIC)


def link_sources(
    tx: Transaction, source_ref: str, other_ref: str, kind: SourceLinkKind,
    note: str | None = None,
) -> str:
    """Record that ``source_ref`` depends on ``other_ref`` (derived from it, cites it, …).

    The link is as protected as the more protected of the two sources: it tells that
    both exist. A source linked to itself is refused, and so is "same interview
    session" between sources that are not both testimonies.
    """
    one, other = get_source(tx.conn, source_ref), get_source(tx.conn, other_ref)
    if one["id"] == other["id"]:
        raise UserError("a source cannot be linked to itself")
    if kind is SourceLinkKind.SAME_INTERVIEW_SESSION and not (
            one["kind"] == other["kind"] == SourceKind.TESTIMONY):
        raise UserError("same_interview_session links two testimonies")
    link_id = new_id("sourcelink")
    tx.emit("source.linked", {
        "id": link_id, "source_id": one["id"], "other_source_id": other["id"],
        "kind": str(kind), "note": note,
        "sensitivity": str(strictest([one["sensitivity"], other["sensitivity"]])),
    })
    return link_id


def independent_groups(conn: Connection, source_ids: Iterable[str]) -> dict[str, str]:
    """Each given source mapped to a representative of its dependence group.

    Two sources fall in one group when a chain of provenance links (through any
    sources, given or not) joins them; the representative is the group's smallest ID,
    so the answer never depends on the order of the input.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    sl = s.source_links.c
    for a, b in conn.execute(select(sl.source_id, sl.other_source_id)):
        ra, rb = find(str(a)), find(str(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {sid: find(sid) for sid in source_ids}


def count_independent(groups: Mapping[str, str], source_ids: Iterable[str]) -> int:
    """How many independent sources are among ``source_ids`` (one per group)."""
    return len({groups.get(sid, sid) for sid in source_ids})


def source_links(conn: Connection, source_id: str) -> list[dict[str, Any]]:
    """The provenance links from or to one source, oldest first."""
    sl = s.source_links.c
    rows = conn.execute(
        select(s.source_links)
        .where((sl.source_id == source_id) | (sl.other_source_id == source_id))
        .order_by(sl.ledger_index)).mappings()
    return [dict(r) for r in rows]


__all__ = ["count_independent", "independent_groups", "link_sources", "source_links",
           "strictest"]
