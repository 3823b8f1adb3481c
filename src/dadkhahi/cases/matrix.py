"""The evidence matrix and the gap report, derived from a case's links.

For every element of every charge: the facts linked to it, the evidence behind each
fact (sources and items), which way each points, and how many *independent* sources
support the element (sources joined by a provenance link count once). The words are
"supported by N independent sources", never "proven": that is a court's finding, and
courts such as the ICC do not require corroboration. The threshold that turns a thin
element into a gap is a setting of the report, not a rule of law.

A linked involvement can be withdrawn from its act after it was linked (named in error,
or to be stated anew in another role): the link stays, marked withdrawn with the time of
the withdrawal, is counted as support of nothing, and its element is listed among the
gaps whatever its count, so the team links the restated fact or lets the element go.
Nothing of what the involvement stated is read: its payload goes with its sources'
erasure (``intake.erasure``) and must not come back through a case; the link goes with
it then (its note may quote the erased words), and reads as erased, no longer withdrawn.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.cases.case import Case, Link
from dadkhahi.cases.frameworks import Framework, find_framework, frameworks
from dadkhahi.domain.protected import open_locators
from dadkhahi.domain.safe_text import spreadsheet_cell
from dadkhahi.domain.sources import REDACTED
from dadkhahi.domain.vocab import Direction
from dadkhahi.intake.provenance import count_independent, independent_groups
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: Independent sources an element needs before the gap report stops listing it.
DEFAULT_THRESHOLD = 2


@dataclass(frozen=True)
class Evidence:
    """One piece of support of a fact: a source, and the item (file) if there is one."""

    source_id: str
    item_id: str | None
    locator: str | None
    #: The record cited, if any (its row is proven alone in a court bundle).
    record_id: str | None = None


@dataclass(frozen=True)
class Withdrawal:
    """A linked involvement withdrawn from its act since: when, and the event that did it
    (``involvement.withdrawn``; no reason is recorded with a withdrawal)."""

    at: str
    event: int


@dataclass
class ElementRow:
    """One element of one charge, with what is linked to it."""

    charge_id: str
    suspect_id: str
    suspect: str
    framework_id: str
    crime_id: str
    crime: str
    mode_id: str
    number: int
    element_id: str
    element: str
    links: list[tuple[Link, list[Evidence]]] = field(default_factory=list)
    independent: int = 0
    counter: int = 0
    #: The links whose fact was withdrawn since (by link ID): support of nothing.
    withdrawn: dict[str, Withdrawal] = field(default_factory=dict)

    def counted(self) -> list[tuple[Link, list[Evidence]]]:
        """The links whose fact stands (a withdrawn one supports and counters nothing)."""
        return [(lk, ev) for lk, ev in self.links if lk.id not in self.withdrawn]

    def status(self, threshold: int) -> str:
        """What the matrix says of this element, in words (never "proven")."""
        supporting = [lk for lk, _ in self.counted() if lk.direction != Direction.EXCULPATORY]
        if not supporting:
            base = "no fact linked"
        else:
            n = self.independent
            base = f"supported by {n} independent source{'s' if n != 1 else ''}"
            if n < threshold:
                base += f" (below the threshold of {threshold})"
        if self.counter:
            base += f"; {self.counter} exculpatory or mixed link{'s' if self.counter != 1 else ''}"
        if self.withdrawn:
            n = len(self.withdrawn)
            base += f"; {n} linked fact{'s' if n != 1 else ''} withdrawn since, not counted"
        return base

    def standing(self, threshold: int) -> dict[str, Any]:
        """What :meth:`status` says, as values a page words in its own language."""
        supporting = any(lk.direction != Direction.EXCULPATORY for lk, _ in self.counted())
        return {"linked": supporting, "independent": self.independent,
                "below": supporting and self.independent < threshold,
                "threshold": threshold, "counter": self.counter,
                "withdrawn": len(self.withdrawn)}

    def is_gap(self, threshold: int) -> bool:
        """Below the threshold, or resting in part on a fact withdrawn since (the team
        links the restated fact, or lets the element go)."""
        return self.independent < threshold or bool(self.withdrawn)

    def element_label(self) -> str:
        """``element 2 (contextual: attack): The conduct was committed …``: the element's
        number in the charge and its words, as the Elements of Crimes number and state
        them. A contextual element says which (``mark-gap --element ctx:attack``); an ID
        that is neither is shown as it is; an ID that is the number is not repeated."""
        ident = self.element_id
        tag = ("" if ident == str(self.number)
               else f" (contextual: {ident.removeprefix('ctx:')})" if ident.startswith("ctx:")
               else f" ({ident})")
        return f"element {self.number}{tag}: {self.element}"

    def gap_line(self, threshold: int) -> str:
        """``Murder (7(1)(a)) — suspect X — element 1: The perpetrator killed one or more
        persons. — no fact linked``: the crime with its ID in the framework (two charges
        of murder under different frameworks stay apart), the element, its status."""
        return (f"{self.crime} ({self.crime_id}) — {self.suspect} — {self.element_label()} — "
                f"{self.status(threshold)}")


def fact_evidence(store: Store, conn: Connection, kind: str, fact_id: str) -> list[Evidence]:
    """The sources and items behind a fact, in their stated order.

    An involvement and a claim carry their own support; an act is supported by the
    claims made about it. A record cited without its item points to the record's file.
    A protected fact's locators are sealed with it: opened here for the case team.
    """
    if kind == "involvement":
        t, owner_table = s.involvement_support.c, s.involvements
        rows = conn.execute(select(t.involvement_id.label("owner"), t.seq, t.source_id,
                                   t.item_id, t.record_id, t.locator)
                            .where(t.involvement_id == fact_id).order_by(t.seq)).mappings().all()
    else:
        t2, c, owner_table = s.claim_support.c, s.claims.c, s.claims
        if kind == "claim":
            where = t2.claim_id == fact_id
        else:
            where = t2.claim_id.in_(select(c.id).where(c.entity_kind == "act",
                                                       c.entity_id == fact_id))
        rows = conn.execute(select(t2.claim_id.label("owner"), t2.seq, t2.source_id,
                                   t2.item_id, t2.record_id, t2.locator)
                            .where(where).order_by(t2.ledger_index, t2.seq)).mappings().all()
    owners = sorted({str(r["owner"]) for r in rows})
    sealed = dict(conn.execute(select(owner_table.c.id, owner_table.c.sealed).where(
        owner_table.c.id.in_(owners), owner_table.c.sealed.is_not(None))).all()) if owners else {}
    out: list[Evidence] = []
    for owner in dict.fromkeys(str(r["owner"]) for r in rows):
        payload = store.keys.unseal(conn, sealed[owner], owner) if owner in sealed else None
        for r in open_locators([dict(r) for r in rows if str(r["owner"]) == owner], payload):
            item_id = r["item_id"]
            if item_id is None and r["record_id"] is not None:
                item_id = conn.execute(select(s.records.c.item_id)
                                       .where(s.records.c.id == r["record_id"])
                                       ).scalar_one_or_none()
            record_id = r["record_id"]
            out.append(Evidence(str(r["source_id"]), None if item_id is None else str(item_id),
                                r["locator"], None if record_id is None else str(record_id)))
    return out


def withdrawals(conn: Connection, links: Sequence[Link]) -> dict[str, Withdrawal]:
    """The links (by link ID) whose involvement was withdrawn from its act since it was
    linked: its row is gone, and only its ``involvement.withdrawn`` event says when. Only
    that event's time and index are read (never the event that added the involvement:
    what it stated is erased with its sources). The events are read from the oldest such
    link's own event on (a fact is linked while it stands), none when no row is missing."""
    linked = [lk for lk in links if lk.fact_kind == "involvement"]
    ids = {lk.fact_id for lk in linked}
    if not ids:
        return {}
    standing = set(conn.execute(select(s.involvements.c.id).where(
        s.involvements.c.id.in_(sorted(ids)))).scalars())
    gone = [lk for lk in linked if lk.fact_id not in standing]
    if not gone:
        return {}
    wanted = {lk.fact_id for lk in gone}
    e = s.ledger_events.c
    found: dict[str, Withdrawal] = {}
    for idx, body in conn.execute(
            select(e.idx, e.body).where(e.idx > min(lk.ledger_index for lk in gone),
                                        e.type == "involvement.withdrawn").order_by(e.idx)):
        event = json.loads(bytes(body))
        if event["data"]["id"] in wanted:
            found[event["data"]["id"]] = Withdrawal(str(event["time"]), int(idx))
    return {lk.id: found[lk.fact_id] for lk in gone if lk.fact_id in found}


def suspect_labels(store: Store, conn: Connection, person_ids: Sequence[str]) -> dict[str, str]:
    """Each suspect's label (a protected person's sealed label, opened for the case team)."""
    p = s.persons.c
    out: dict[str, str] = {}
    for pid, label, sealed in conn.execute(select(p.id, p.label, p.sealed)
                                           .where(p.id.in_(list(person_ids)))):
        if label == REDACTED and sealed:
            payload = store.keys.unseal(conn, sealed, str(pid))
            label = payload["label"] if payload else "[erased]"
        out[str(pid)] = str(label)
    return out


def element_rows(
    store: Store, conn: Connection, case: Case, *,
    available: Sequence[Framework] | None = None, language: str = "en",
) -> list[ElementRow]:
    """Every element of every charge, in charge then element order, with its links."""
    fws = frameworks() if available is None else available
    labels = suspect_labels(store, conn, [c.suspect_id for c in case.charges])
    evidence = {lk.id: fact_evidence(store, conn, lk.fact_kind, lk.fact_id)
                for lk in case.links}
    withdrawn = withdrawals(conn, case.links)
    all_sources = {e.source_id for ev in evidence.values() for e in ev}
    groups = independent_groups(conn, all_sources)
    rows: list[ElementRow] = []
    for charge in case.charges:
        fw = find_framework(charge.framework_id, fws)
        crime = fw.crime(charge.crime_id)
        for number, element in enumerate(fw.elements_of(charge.crime_id), start=1):
            row = ElementRow(
                charge.id, charge.suspect_id, labels.get(charge.suspect_id, charge.suspect_id),
                fw.id, crime.id, crime.title.in_language(language), charge.mode_id, number,
                element.id, element.text.in_language(language))
            for lk in case.links:
                if lk.charge_id == charge.id and lk.element_id == element.id:
                    row.links.append((lk, evidence[lk.id]))
                    if lk.id in withdrawn:
                        row.withdrawn[lk.id] = withdrawn[lk.id]
            supporting = {e.source_id for lk, ev in row.counted()
                          if lk.direction != Direction.EXCULPATORY for e in ev}
            row.independent = count_independent(groups, supporting)
            row.counter = sum(1 for lk, _ in row.counted()
                              if lk.direction != Direction.INCRIMINATING)
            rows.append(row)
    return rows


def gap_report(rows: Sequence[ElementRow], threshold: int = DEFAULT_THRESHOLD) -> list[str]:
    """One line per element below the threshold or linked to a fact withdrawn since, in
    matrix order."""
    return [r.gap_line(threshold) for r in rows if r.is_gap(threshold)]


#: Columns of ``matrix.csv`` (one row per link; an element without links gets one row).
MATRIX_COLUMNS = (
    "charge_id", "suspect", "framework", "crime", "mode_of_liability", "element_number",
    "element_id", "element", "status", "link_id", "fact_kind", "fact_id", "direction",
    "reliability", "credibility", "how", "linked_by", "linked_at", "sources", "items",
    "withdrawn_at",
)


def matrix_records(rows: Sequence[ElementRow], threshold: int = DEFAULT_THRESHOLD,
                   exhibit_numbers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The matrix as flat rows (one per link, or one per element without links)."""
    numbers = exhibit_numbers or {}
    out: list[dict[str, Any]] = []
    for r in rows:
        head = {"charge_id": r.charge_id, "suspect": r.suspect, "framework": r.framework_id,
                "crime": r.crime, "mode_of_liability": r.mode_id, "element_number": r.number,
                "element_id": r.element_id, "element": r.element, "status": r.status(threshold)}
        empty = dict.fromkeys(MATRIX_COLUMNS[9:], "")
        if not r.links:
            out.append({**head, **empty})
        for lk, ev in r.links:
            items = sorted({numbers.get(e.item_id, e.item_id) for e in ev if e.item_id})
            out.append({**head, "link_id": lk.id, "fact_kind": lk.fact_kind,
                        "fact_id": lk.fact_id, "direction": lk.direction,
                        "reliability": lk.reliability, "credibility": lk.credibility,
                        "how": lk.how, "linked_by": lk.linked_by, "linked_at": lk.linked_at,
                        "sources": " ".join(sorted({e.source_id for e in ev})),
                        "items": " ".join(items),
                        # When its fact was withdrawn since (counted as nothing), else "".
                        "withdrawn_at": r.withdrawn[lk.id].at if lk.id in r.withdrawn
                        else ""})
    return out


def matrix_csv(records: Sequence[dict[str, Any]]) -> str:
    """The matrix as CSV text; cells that a spreadsheet would run as formulas are quoted
    with a leading apostrophe (as ``link export`` does)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MATRIX_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for rec in records:
        writer.writerow({k: spreadsheet_cell(rec[k]) for k in MATRIX_COLUMNS})
    return buf.getvalue()


__all__ = ["DEFAULT_THRESHOLD", "MATRIX_COLUMNS", "ElementRow", "Evidence", "Withdrawal",
           "element_rows", "fact_evidence", "gap_report", "matrix_csv", "matrix_records",
           "suspect_labels", "withdrawals"]
