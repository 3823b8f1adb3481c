"""Reading facts on a user's behalf: acts, organisations, the perpetrator registry, the
timeline.

Everything is read under the one disclosure rule (:func:`dadkhahi.access.policy.visible`,
which is :mod:`dadkhahi.access.disclosure` for the signed-in user): an act, involvement,
person, organisation, place, claim or source the reader may not see is absent, sealed
fields are opened only for those who may see them, and every protected object returned
is listed in the :class:`~dadkhahi.access.reads.PendingAudit` the caller writes before
answering. The registry (:func:`dadkhahi.facts.registry.perpetrator_registry`) is read
at every level, then each of its statements is kept only if its person, its claim or
involvement, and each source it cites may be disclosed to the reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    literal_column,
    or_,
    select,
)

from dadkhahi.access.audit import ObjectRef
from dadkhahi.access.disclosure import generation
from dadkhahi.access.dossier import visible_by_ids, visible_rows
from dadkhahi.access.policy import Principal, params, visible_for
from dadkhahi.access.reads import (
    RESOURCES,
    PendingAudit,
    keyset_page,
    read_object,
    render_rows,
)
from dadkhahi.domain.protected import REDACTED
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.facts.entities import POSITION
from dadkhahi.facts.registry import named_persons, perpetrator_registry
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: Every level: the registry is read whole, then cut to what the reader may be shown.
_ALL_LEVELS = frozenset(str(level) for level in Sensitivity)
#: Most rows of one kind shown on an act or organisation page.
MAX_ROWS = 500
#: Entries of the timeline on one page.
TIMELINE_PAGE = 100


def _involvement_sources(store: Store, conn: Any, principal: Principal,
                         involvement_ids: set[str], audited: list[ObjectRef]
                         ) -> dict[str, list[dict[str, Any]]]:
    """The visible sources behind each involvement, in the order they were cited."""
    if not involvement_ids:
        return {}
    sup = s.involvement_support.c
    rows = conn.execute(select(sup.involvement_id, sup.source_id)
                        .where(sup.involvement_id.in_(sorted(involvement_ids)))
                        .order_by(sup.involvement_id, sup.seq)).all()
    sources = visible_by_ids(conn, store, principal, "sources",
                             {str(r.source_id) for r in rows}, audited)
    out: dict[str, list[dict[str, Any]]] = {}
    for inv_id, source_id in rows:
        if str(source_id) in sources:
            out.setdefault(str(inv_id), []).append(sources[str(source_id)])
    return out


def _claim_sources(store: Store, conn: Any, principal: Principal,
                   claims: list[dict[str, Any]], audited: list[ObjectRef]
                   ) -> dict[str, dict[str, Any]]:
    ids = {str(sup["source_id"]) for c in claims for sup in c.get("support", [])}
    return visible_by_ids(conn, store, principal, "sources", ids, audited)


def act_view(store: Store, principal: Principal, act_id: str) -> tuple[dict[str, Any],
                                                                        PendingAudit]:
    """One act with its place, who was involved (persons and organisations, with the
    sources of each involvement) and the claims about it; NotFoundError if not visible."""
    act, pending = read_object(store, principal, RESOURCES["acts"], act_id)
    audited: list[ObjectRef] = list(pending.objects)
    i, c = s.involvements.c, s.claims.c
    with store.reading() as conn:
        inv_rows = visible_rows(conn, principal, s.involvements, i.act_id == act_id,
                                order=(i.ledger_index,), limit=MAX_ROWS)
        involvements, refs = render_rows(store, conn, principal, RESOURCES["involvements"],
                                         inv_rows)
        audited += refs
        persons = visible_by_ids(conn, store, principal, "persons",
                                 {str(x["person_id"]) for x in involvements
                                  if x.get("person_id")}, audited)
        orgs = visible_by_ids(conn, store, principal, "organizations",
                              {str(x["organization_id"]) for x in involvements
                               if x.get("organization_id")}, audited)
        places = visible_by_ids(conn, store, principal, "places",
                                {str(act["place_id"])} if act.get("place_id") else set(),
                                audited)
        inv_sources = _involvement_sources(store, conn, principal,
                                           {str(x["id"]) for x in involvements}, audited)
        claim_rows = visible_rows(conn, principal, s.claims, c.entity_kind == "act",
                                  c.entity_id == act_id, order=(c.property, c.ledger_index),
                                  limit=MAX_ROWS)
        claims, refs = render_rows(store, conn, principal, RESOURCES["claims"], claim_rows)
        audited += refs
        sources = _claim_sources(store, conn, principal, claims, audited)
    view = {"act": act, "involvements": involvements, "persons": persons,
            "organizations": orgs, "place": places.get(str(act.get("place_id"))),
            "involvement_sources": inv_sources, "claims": claims, "sources": sources}
    return view, PendingAudit("read act page", audited)


def organization_view(store: Store, principal: Principal, organization_id: str
                      ) -> tuple[dict[str, Any], PendingAudit]:
    """One organisation: the acts it is named in, the positions held in it (position
    claims naming it) with their persons, and the claims about it."""
    org, pending = read_object(store, principal, RESOURCES["organizations"],
                               organization_id)
    audited: list[ObjectRef] = list(pending.objects)
    i, c = s.involvements.c, s.claims.c
    with store.reading() as conn:
        inv_rows = visible_rows(conn, principal, s.involvements,
                                i.organization_id == organization_id,
                                order=(i.ledger_index,), limit=MAX_ROWS)
        involvements, refs = render_rows(store, conn, principal, RESOURCES["involvements"],
                                         inv_rows)
        audited += refs
        acts = visible_by_ids(conn, store, principal, "acts",
                              {str(x["act_id"]) for x in involvements}, audited)
        inv_sources = _involvement_sources(store, conn, principal,
                                           {str(x["id"]) for x in involvements}, audited)
        # Positions are claims about persons whose (possibly sealed) value names the
        # organisation: read the visible position claims and keep those naming it.
        position_rows = visible_rows(conn, principal, s.claims, c.entity_kind == "person",
                                     c.property == POSITION, c.status == "asserted",
                                     order=(c.ledger_index,))
        positions, refs = render_rows(store, conn, principal, RESOURCES["claims"],
                                      position_rows)
        positions = [p for p in positions if isinstance(p.get("value"), dict)
                     and p["value"].get("organization_id") == organization_id]
        audited += [r for r in refs if r[1] in {str(p["id"]) for p in positions}]
        holders = visible_by_ids(conn, store, principal, "persons",
                                 {str(p["entity_id"]) for p in positions}, audited)
        claim_rows = visible_rows(conn, principal, s.claims,
                                  c.entity_kind == "organization",
                                  c.entity_id == organization_id,
                                  order=(c.property, c.ledger_index), limit=MAX_ROWS)
        claims, refs = render_rows(store, conn, principal, RESOURCES["claims"], claim_rows)
        audited += refs
        sources = _claim_sources(store, conn, principal, claims + positions, audited)
    for position in positions:
        position["sources"] = [sources[str(sup["source_id"])] for sup in position["support"]
                               if str(sup["source_id"]) in sources]
    view = {"organization": org, "involvements": involvements, "acts": acts,
            "involvement_sources": inv_sources, "positions": positions,
            "holders": holders, "claims": claims, "sources": sources}
    return view, PendingAudit("read organization page", audited)


@dataclass
class RegistryEntry:
    """One named person as the reader may see the registry's statements about them."""

    person: dict[str, Any]
    #: Position claims (value: office, organization_id, place_id), each with ``sources``.
    positions: list[dict[str, Any]] = field(default_factory=list)
    #: Involvements in an alleged role, each with its ``act`` and ``sources``.
    acts: list[dict[str, Any]] = field(default_factory=list)


def registry_page(
    store: Store, principal: Principal, *, descending: bool = False,
    cursor: str | None = None, limit: int = 50,
) -> tuple[list[RegistryEntry], dict[str, dict[str, Any]], dict[str, dict[str, Any]],
           PendingAudit, str | None]:
    """One page of the registry: the persons it names that the reader may see, in the
    order they were recorded (``descending``: last first; the ID breaking ties), paged in
    SQL, each as :func:`registry_for` shows it; and the next page's cursor. (Not by label:
    a protected person's label is sealed, so no statement can sort by it.)"""
    p = s.persons.c
    stmt = select(p.id, p.ledger_index).where(
        p.id.in_(named_persons(_ALL_LEVELS)), visible_for(principal.team, s.persons))
    with store.reading() as conn:
        rows, next_cursor = keyset_page(store, conn, stmt, p.ledger_index, p.id,
                                        descending=descending, cursor=cursor, limit=limit,
                                        bound=params(principal))
    order = {str(r["id"]): n for n, r in enumerate(rows)}
    entries, orgs, places, pending = registry_for(store, principal, person_ids=list(order))
    entries.sort(key=lambda e: order[str(e.person["id"])])
    return entries, orgs, places, pending, next_cursor


def registry_for(store: Store, principal: Principal, person_ids: list[str] | None = None,
                 ) -> tuple[list[RegistryEntry], dict[str, dict[str, Any]],
                            dict[str, dict[str, Any]], PendingAudit]:
    """The perpetrator registry as the reader may see it (of ``person_ids`` when given):
    (entries, organisations and places named by positions, audit). A statement is kept
    only if the reader may be shown its person, its claim or involvement (and so its
    act), and a source is cited only if the reader may be shown it; an entry left with
    no statement is dropped."""
    audited: list[ObjectRef] = []
    with store.reading() as conn:
        entries = perpetrator_registry(conn, _ALL_LEVELS, store.keys, person_ids)
        persons = visible_by_ids(conn, store, principal, "persons",
                                 {e.person_id for e in entries}, audited)
        claims = visible_by_ids(conn, store, principal, "claims",
                                {p.fact_id for e in entries for p in e.positions}, audited)
        involvements = visible_by_ids(conn, store, principal, "involvements",
                                      {a.fact_id for e in entries for a in e.acts}, audited)
        acts = visible_by_ids(conn, store, principal, "acts",
                              {str(x["act_id"]) for x in involvements.values()}, audited)
        inv_sources = _involvement_sources(store, conn, principal, set(involvements),
                                           audited)
        claim_sources = _claim_sources(store, conn, principal, list(claims.values()),
                                       audited)
        values = [c["value"] for c in claims.values() if isinstance(c.get("value"), dict)]
        orgs = visible_by_ids(conn, store, principal, "organizations",
                              {str(v["organization_id"]) for v in values
                               if v.get("organization_id")}, audited)
        places = visible_by_ids(conn, store, principal, "places",
                                {str(v["place_id"]) for v in values if v.get("place_id")},
                                audited)
    shown: list[RegistryEntry] = []
    for entry in entries:
        person = persons.get(entry.person_id)
        if person is None:
            continue
        found = RegistryEntry(person)
        for position in entry.positions:
            claim = claims.get(position.fact_id)
            if claim is not None:
                found.positions.append({**claim, "sources": [
                    claim_sources[str(sup["source_id"])] for sup in claim["support"]
                    if str(sup["source_id"]) in claim_sources]})
        for alleged in entry.acts:
            inv = involvements.get(alleged.fact_id)
            if inv is not None and str(inv["act_id"]) in acts:
                found.acts.append({**inv, "act": acts[str(inv["act_id"])],
                                   "sources": inv_sources.get(alleged.fact_id, [])})
        if found.positions or found.acts:
            shown.append(found)
    shown.sort(key=lambda e: (str(e.person["label"]), str(e.person["id"])))
    return shown, orgs, places, PendingAudit("read perpetrator registry", audited)


def _level(level: str) -> ColumnElement[str]:
    """A level as an SQL constant, as the rule writes its own (what lets the engine see
    at once that a level the reader may not see holds nothing for them); our own enum's
    words only."""
    if level not in {str(x) for x in Sensitivity} or not level.isidentifier():
        raise ValueError(f"not a level: {level!r}")
    return literal_column(f"'{level}'", Text)


@cache
def _walk(table: str, team: bool, level: str, shape: tuple[bool, bool, bool],
          rule_build: int) -> Select[Any]:
    """The statement of one level's walk (:func:`_dated_rows`): ``shape`` says whether an
    earliest day, a latest day and a previous page's key are given (bound as
    ``earliest``, ``latest``, ``after_date``/``after_id``; the page as ``want``). Built
    once per shape and build of the rule (``rule_build``): building it and its cache key
    anew for each statement cost more than running it (13 statements a page)."""
    t = s.metadata.tables[table]
    earliest, latest, after = shape
    walk: list[Any] = [t.c.sensitivity == _level(level),
                       t.c.date_earliest.is_not(None), t.c.date_earliest != REDACTED,
                       visible_for(team, t)]
    if earliest:
        walk.append(or_(t.c.date_latest.is_(None), t.c.date_latest >= bindparam("earliest")))
    if latest:
        walk.append(t.c.date_earliest <= bindparam("latest"))
    if after:
        walk.append(or_(t.c.date_earliest > bindparam("after_date"),
                        and_(t.c.date_earliest == bindparam("after_date"),
                             t.c.id > bindparam("after_id"))))
    return (select(t).where(*walk).order_by(t.c.date_earliest, t.c.id)
            .limit(bindparam("want")))


@cache
def _sealed(table: str, team: bool, level: str, rule_build: int) -> Select[Any]:
    """The rows of one level whose dates are sealed, that the reader may see (built once
    per build of the rule, as :func:`_walk`)."""
    t = s.metadata.tables[table]
    return select(t).where(t.c.sensitivity == _level(level),
                           t.c.date_earliest == REDACTED, visible_for(team, t))


def _dated_rows(conn: Any, principal: Principal, t: Table, earliest: str | None,
                latest: str | None, after: tuple[str, str] | None, want: int
                ) -> list[dict[str, Any]]:
    """Up to ``want`` rows of ``t`` (acts or claims) with a date in clear that the
    principal may see, overlapping the span (ISO days), in (earliest date, id) order
    after the key ``after``.

    One statement per level, each walking that level's rows along the table's partial
    index ``ix_<table>_dated_<level>`` in (date, id) order with the rule in the
    statement, stopping at ``want`` rows shown; the levels' pages are merged here.
    The level fixed in the statement meets the rule's own test of the row's level, so a
    level the reader may see nothing of ends before its first row (SQLite propagates the
    constant into the rule's comparison and finds it false; PostgreSQL finds the two
    equalities contradictory). Walked along the date alone, with the rule checked on
    each round of keys, a viewer who may see few rows had every dated row walked:
    1,855.9 ms CPU a page at 120,000 dated rows (``benchmarks/web/bench_pages.py
    --reader viewer``).
    """
    shape = (bool(earliest), bool(latest), after is not None)
    bound = {**params(principal), "want": want, "earliest": earliest, "latest": latest,
             "after_date": after[0] if after else None, "after_id": after[1] if after else None}
    rows: list[dict[str, Any]] = []
    for level in Sensitivity:
        walk = _walk(t.name, principal.team, str(level), shape, generation())
        rows += [dict(r) for r in conn.execute(walk, bound).mappings()]
    rows.sort(key=lambda r: (str(r["date_earliest"]), str(r["id"])))
    return rows[:want]


def _sealed_rows(conn: Any, principal: Principal, t: Table) -> list[dict[str, Any]]:
    """Every row of ``t`` with sealed dates that the principal may see, each level's
    along its index."""
    return [dict(r) for level in Sensitivity for r in conn.execute(
        _sealed(t.name, principal.team, str(level), generation()),
        params(principal)).mappings()]


def _in_span(row: dict[str, Any], earliest: str | None, latest: str | None,
             after: tuple[str, str] | None) -> bool:
    """The walk's span and the page's key, for a row whose dates were sealed (opened)."""
    first, last = row.get("date_earliest"), row.get("date_latest")
    if first is None or str(first) == REDACTED:
        return False
    if earliest and last is not None and str(last) < earliest:
        return False
    if latest and str(first) > latest:
        return False
    return after is None or (str(first), str(row["id"])) > after


def timeline_for(store: Store, principal: Principal, *, earliest: str | None = None,
                 latest: str | None = None, after: tuple[str, str] | None = None,
                 limit: int = TIMELINE_PAGE
                 ) -> tuple[list[dict[str, Any]], tuple[str, str] | None, PendingAudit]:
    """Dated acts and dated claims (events such as an arrest or a death), oldest first.

    Each entry is ``{"kind": "act"|"claim", "date_earliest", "date_latest", "date_text",
    "row": …}``; partial dates keep their interval and their text. ``earliest`` and
    ``latest`` (ISO days) keep entries whose interval overlaps that span; ``after`` is
    the (date, id) key of the previous page's last entry. Returns (entries, key of the
    next page or None, audit). Ordered by (earliest date, id): no tie is broken at
    random. A protected act's or claim's dates are sealed (its column holds a
    placeholder): those the reader may see are opened and placed by their dates here,
    few as protected rows are, not left to sort after every date in clear.
    """
    audited: list[ObjectRef] = []
    out: list[dict[str, Any]] = []
    with store.reading() as conn:
        for kind, resource in (("act", "acts"), ("claim", "claims")):
            t = RESOURCES[resource].table
            rows = _dated_rows(conn, principal, t, earliest, latest, after, limit + 1)
            sealed = _sealed_rows(conn, principal, t)
            shown, refs = render_rows(store, conn, principal, RESOURCES[resource],
                                      rows + sealed)
            for row in shown:
                if _in_span(row, earliest, latest, after):
                    out.append({"kind": kind, "date_earliest": row["date_earliest"],
                                "date_latest": row.get("date_latest"),
                                "date_text": row.get("date_text"), "row": row})
            audited += refs
        out.sort(key=lambda e: (str(e["date_earliest"]), str(e["row"]["id"])))
        more = len(out) > limit
        out = out[:limit]
        # Only what is shown is audited.
        kept = {("act" if e["kind"] == "act" else "claim", str(e["row"]["id"])) for e in out}
        audited = [r for r in audited if r in kept]
        entities = {k: {str(e["row"]["entity_id"]) for e in out if e["kind"] == "claim"
                        and e["row"]["entity_kind"] == k} for k in ("person", "organization",
                                                                   "place")}
        named = {k: visible_by_ids(conn, store, principal, f"{k}s" if k != "person"
                                   else "persons", ids, audited)
                 for k, ids in entities.items()}
        places = visible_by_ids(conn, store, principal, "places",
                                {str(e["row"]["place_id"]) for e in out
                                 if e["kind"] == "act" and e["row"].get("place_id")},
                                audited)
    for entry in out:
        row = entry["row"]
        if entry["kind"] == "claim":
            entry["about"] = named[str(row["entity_kind"])].get(str(row["entity_id"])) \
                if row["entity_kind"] in named else None
        else:
            entry["place"] = places.get(str(row.get("place_id")))
    next_key = ((str(out[-1]["date_earliest"]), str(out[-1]["row"]["id"]))
                if more and out else None)
    return out, next_key, PendingAudit("read timeline", audited)


__all__ = ["MAX_ROWS", "TIMELINE_PAGE", "RegistryEntry", "act_view", "organization_view",
           "registry_for", "registry_page", "timeline_for"]
