"""Everything about one person that a reader may see, read in a few batched statements.

The person page (and any other face) shows: the records linked to the person side
by side with their sources, every claim with its supporting sources and their
Admiralty ratings (conflicting claims together), the acts the person is involved
in, the evidence items behind the claims and records, and the review decisions on
the person's records. Each part is read under :func:`dadkhahi.access.policy.visible`,
so a record, claim, act or item the reader may not see is simply absent; sealed
fields are opened for those who may see them, and every protected object shown is
listed for the audit trail (the caller writes it before answering).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, and_, or_, select

from dadkhahi.access.audit import ObjectRef
from dadkhahi.access.policy import Principal, params, visible, visible_ref
from dadkhahi.access.reads import RESOURCES, PendingAudit, read_object, render_rows
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: Records side by side on one page of a person (each is a column of the table).
RECORDS_PAGE = 20
#: Claims on one page; a property's claims (conflicting ones together) are not split
#: across two pages unless that property alone has more.
CLAIMS_PAGE = 100


@dataclass(frozen=True)
class Dossier:
    """One person as a reader may see them."""

    person: dict[str, Any]
    records: list[dict[str, Any]]
    sources: dict[str, dict[str, Any]]
    claims: list[dict[str, Any]]
    #: Claimed properties with more than one distinct value among the visible claims.
    conflicts: frozenset[str]
    involvements: list[dict[str, Any]]
    acts: dict[str, dict[str, Any]]
    items: dict[str, dict[str, Any]]
    decisions: list[dict[str, Any]]
    #: The links of the latest linkage run from this page's records to records the reader
    #: may see, each with its match weight per field (``person_links``), strongest first.
    links: list[dict[str, Any]] = field(default_factory=list)
    #: Where this page's records and claims start in the visible ones (their order), and
    #: where the next page's do (None: nothing after these).
    records_from: int = 0
    records_next: int | None = None
    claims_from: int = 0
    claims_next: int | None = None
    audited: list[ObjectRef] = field(default_factory=list)


def visible_rows(conn: Connection, principal: Principal, table: Table, *where: Any,
          order: tuple[Any, ...] = (), limit: int | None = None,
          offset: int = 0) -> list[dict[str, Any]]:
    stmt = select(table).where(visible(principal, table), *where).order_by(*order)
    if limit is not None:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    return [dict(r) for r in conn.execute(stmt, params(principal)).mappings()]


def visible_by_ids(conn: Connection, store: Store, principal: Principal, resource: str,
            ids: set[str], audited: list[ObjectRef]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    table = RESOURCES[resource].table
    rows = visible_rows(conn, principal, table, table.c.id.in_(sorted(ids)))
    shown, refs = render_rows(store, conn, principal, RESOURCES[resource], rows)
    audited += refs
    return {str(r["id"]): r for r in shown}


def _whole_properties(rows: list[dict[str, Any]], start: int
                      ) -> tuple[list[dict[str, Any]], int | None]:
    """A page of claims (``rows``: up to one more than a page, from ``start``) that ends
    with a property's last claim, and where the next page starts."""
    if len(rows) <= CLAIMS_PAGE:
        return rows, None
    page = rows[:CLAIMS_PAGE]
    going_on = rows[CLAIMS_PAGE]["property"]
    kept = [r for r in page if r["property"] != going_on]
    if kept and page[-1]["property"] == going_on:
        page = kept
    return page, start + len(page)


def person_dossier(store: Store, principal: Principal, person_id: str, *,
                   records_from: int = 0, claims_from: int = 0
                   ) -> tuple[Dossier, PendingAudit]:
    """The person and one page of what hangs on them (records from ``records_from``,
    claims from ``claims_from``, in their visible order); NotFoundError if the person is
    not visible. Only what the page shows is read whole and audited."""
    person, pending = read_object(store, principal, RESOURCES["persons"], person_id)
    audited: list[ObjectRef] = list(pending.objects)
    r, pr, c, i = s.records.c, s.person_records.c, s.claims.c, s.involvements.c
    with store.reading() as conn:
        linked = select(pr.record_id).where(pr.person_id == person_id)
        rows = visible_rows(conn, principal, s.records, r.id.in_(linked),
                     order=(r.source_id, r.import_id, r.row_number, r.id),
                     limit=RECORDS_PAGE + 1, offset=records_from)
        records_next = records_from + RECORDS_PAGE if len(rows) > RECORDS_PAGE else None
        records, refs = render_rows(store, conn, principal, RESOURCES["records"],
                                    rows[:RECORDS_PAGE])
        audited += refs
        claim_rows, claims_next = _whole_properties(visible_rows(
            conn, principal, s.claims, c.entity_kind == "person", c.entity_id == person_id,
            order=(c.property, c.ledger_index, c.id), limit=CLAIMS_PAGE + 1,
            offset=claims_from), claims_from)
        claims, refs = render_rows(store, conn, principal, RESOURCES["claims"], claim_rows)
        audited += refs
        inv_rows = visible_rows(conn, principal, s.involvements, i.person_id == person_id,
                         order=(i.ledger_index,))
        involvements, refs = render_rows(store, conn, principal, RESOURCES["involvements"],
                                         inv_rows)
        audited += refs
        source_ids = {str(x["source_id"]) for x in records}
        source_ids |= {str(sup["source_id"]) for cl in claims for sup in cl["support"]}
        item_ids = {str(x["item_id"]) for x in records if x.get("item_id")}
        item_ids |= {str(sup["item_id"]) for cl in claims for sup in cl["support"]
                     if sup.get("item_id")}
        sources = visible_by_ids(conn, store, principal, "sources", source_ids, audited)
        items = visible_by_ids(conn, store, principal, "items", item_ids, audited)
        acts = visible_by_ids(conn, store, principal, "acts",
                       {str(x["act_id"]) for x in involvements}, audited)
        record_ids = [str(x["id"]) for x in records]
        decisions = _decisions(conn, record_ids)
        links = _links(conn, principal, record_ids)
    values: dict[str, set[str]] = {}
    for claim in claims:
        values.setdefault(str(claim["property"]), set()).add(repr(claim.get("value")))
    conflicts = frozenset(p for p, v in values.items() if len(v) > 1)
    dossier = Dossier(person, records, sources, claims, conflicts, involvements, acts, items,
                      decisions, links, records_from, records_next, claims_from,
                      claims_next, audited)
    return dossier, PendingAudit("read person page", audited)


def _decisions(conn: Connection, record_ids: list[str]) -> list[dict[str, Any]]:
    """Review decisions between two of these (visible) records, newest first."""
    if not record_ids:
        return []
    d = s.link_decisions.c
    shown = set(record_ids)
    rows = conn.execute(
        select(d.id, d.record_a, d.record_b, d.decision, d.actor, d.decided_at, d.note)
        .where(or_(d.record_a.in_(record_ids), d.record_b.in_(record_ids)))
        .order_by(d.decided_at.desc(), d.id)).mappings()
    # A decision naming a record the reader cannot see is left out entirely.
    return [dict(x) for x in rows if x["record_a"] in shown and x["record_b"] in shown]


def _links(conn: Connection, principal: Principal, record_ids: list[str]
           ) -> list[dict[str, Any]]:
    """The latest linkage run's links from one of these (visible, shown) records to a
    record the reader may see, on this page or another (a large person's records come
    a page at a time): a link naming a record the reader may not see is left out, as its
    weights say how that record's values compare."""
    if not record_ids:
        return []
    lr, pl = s.link_runs.c, s.person_links.c
    latest = select(lr.id).order_by(lr.ledger_index.desc()).limit(1).scalar_subquery()
    rows = conn.execute(
        select(pl.record_a, pl.record_b, pl.probability, pl.weight, pl.fields)
        .where(pl.run_id == latest, or_(
            and_(pl.record_a.in_(record_ids), visible_ref(principal, s.records, pl.record_b)),
            and_(pl.record_b.in_(record_ids), visible_ref(principal, s.records, pl.record_a))))
        .order_by(pl.weight.desc(), pl.record_a, pl.record_b), params(principal)).mappings()
    return [dict(x) for x in rows]
