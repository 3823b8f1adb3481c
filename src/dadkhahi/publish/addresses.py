"""Stable addresses: a victim page once published keeps answering, across relinking.

Linkage keeps a person's ID when its cluster survives a rerun (``linkage.persons``):
on a merge one ID keeps the records and the other is left with none; on a split the
largest part keeps the ID and the others get new IDs. Each run records how many
records went from which person to which (``person_lineage``), and each recorded build
the persons it published first (``publication_addresses``). From the two, a build
knows for every address ever published where its reader should go now:

* the person is published: its page, as before;
* the person was withdrawn: its tombstone, as before;
* its records went elsewhere (a merge): a redirect page to the person holding most
  of them now, followed across runs, if that person is published (or a tombstone);
* otherwise (held back for review, or its records now on a page not published): a
  nameless page saying the record is under review, never a broken link.

A victim split off an earlier page names that page ("split from"), which still holds
the largest part.

List pages (a province, a prison, a month, a letter, a detail missing) come and go
with the victims on them: a relinking or a review can empty one. Each recorded build
also names the list pages it published first (``publication_pages``), and a build
leaves a redirect page to the lists at every such address it no longer has
(:meth:`dadkhahi.publish.site.Site.emptied_pages`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from dadkhahi.store import schema as s

#: Lineage steps followed at most (a chain of merges across runs).
_MAX_STEPS = 64


@dataclass(frozen=True)
class Addresses:
    """What a build does with the addresses published before."""

    #: Old person ID → the published person (or tombstone) its address opens now.
    redirects: dict[str, str] = field(default_factory=dict)
    #: Old person IDs whose record is not published now: a nameless page.
    reviewing: list[str] = field(default_factory=list)
    #: Published person → earlier published persons it was split from.
    split_from: dict[str, list[str]] = field(default_factory=dict)
    #: Published persons and tombstones no recorded build published before.
    new: list[str] = field(default_factory=list)
    #: List pages (paths under a language's folder) any recorded build published.
    pages: frozenset[str] = frozenset()


def resolve(conn: Connection, published: set[str], withdrawn: set[str]) -> Addresses:
    """Where every address published before leads in this build."""
    ever = {str(r[0]) for r in conn.execute(select(s.publication_addresses.c.person_id))}
    pages = frozenset(str(r[0]) for r in conn.execute(select(s.publication_pages.c.path)))
    shown = published | withdrawn
    new = sorted(shown - ever)
    if not ever:
        return Addresses(new=new, pages=pages)
    holding = {str(r[0]) for r in conn.execute(
        select(s.person_records.c.person_id).distinct())}
    lin = s.person_lineage.c
    # from person → [(run's ledger index, records, to person)], latest run first.
    out: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    into: dict[str, set[str]] = defaultdict(set)
    for a, b, n, idx in conn.execute(
            select(lin.from_person, lin.to_person, lin.records, lin.ledger_index)):
        out[str(a)].append((int(idx), int(n), str(b)))
        into[str(b)].add(str(a))
    for edges in out.values():
        # The latest run first, then the most records, then the smaller ID.
        edges.sort(key=lambda e: (-e[0], -e[1], e[2]))

    redirects: dict[str, str] = {}
    reviewing: list[str] = []
    for old in sorted(ever - shown):
        now = _follow(old, out, holding)
        if now is not None and now != old and now in shown:
            redirects[old] = now
        else:
            reviewing.append(old)
    split_from = {
        pid: sorted(src for src in into[pid] if src in ever and src in holding and src != pid)
        for pid in sorted(published) if pid in into}
    return Addresses(redirects, reviewing, {k: v for k, v in split_from.items() if v}, new,
                     pages)


def _follow(pid: str, out: dict[str, list[tuple[int, int, str]]],
            holding: set[str]) -> str | None:
    """The person holding most of ``pid``'s records now (``pid`` if it still has any)."""
    seen = {pid}
    after = -1
    for _ in range(_MAX_STEPS):
        if pid in holding:
            return pid
        # Only moves at or after the run that brought us here: older ones are history.
        step = next(((idx, b) for idx, _n, b in out.get(pid, []) if idx >= after), None)
        if step is None or step[1] in seen:
            return None
        after, pid = step
        seen.add(pid)
    return None


__all__ = ["Addresses", "resolve"]
