"""Marks on the gaps of a case's evidence: a lawyer's status and note beside an element of
a charge that lacks support (issue 16, the lead's decision).

A mark is a ``case.gap_marked`` event: case, charge, element, a status (investigating,
unobtainable, accepted) and a note, sealed with the case as its title and links are (a
note can name a witness still to be found, or say what the team knows is missing), and
the marker's pseudonym. The latest mark of an element stands; earlier ones stay in the
ledger. A mark is never support: the matrix counts the sources of linked facts only.
An erasure that erases a link of the case erases every mark of the link's element too
(``intake.erasure``: a note may quote the erased witness); the case counts such marks
(``Case.erased_marks``) and the element's gap shows without them.

It is the team's work product: the gap report (``case gaps``, the API, the case page)
shows the mark beside the gap, while the court bundle's matrix lists every unsupported
element as before, without marks, statuses or notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.cases.case import Case, check_element, load_case
from dadkhahi.cases.frameworks import Framework
from dadkhahi.cases.matrix import ElementRow
from dadkhahi.domain.errors import UserError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.vocab import GapStatus
from dadkhahi.store import schema as s
from dadkhahi.store.actors import name_of
from dadkhahi.store.store import Store, utc_now

#: The event that marks a gap.
EVENT = "case.gap_marked"


@dataclass(frozen=True)
class GapMark:
    """The standing mark of one element of one charge."""

    id: str
    charge_id: str
    element_id: str
    status: str
    note: str
    marked_by: str
    marked_at: str
    ledger_index: int

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "note": self.note,
                "marked_by": self.marked_by, "marked_at": self.marked_at}


def mark_gap(store: Store, actor: str, case_ref: str, charge_ref: str, element_id: str,
             status: GapStatus, note: str, *,
             available: Sequence[Framework] | None = None) -> str:
    """Mark an element of a charge: what the team does about its missing support.

    The element must be one the charge's crime needs; a note is required (the status
    alone says too little to a colleague). Returns the mark's ID.
    """
    status = GapStatus(status)
    if not note.strip():
        raise UserError("say what is being done about the gap, or why (the note)")
    with store.transaction(actor) as tx:
        case = load_case(store, tx.conn, case_ref)
        charge = case.charge(charge_ref)
        check_element(charge, element_id, available)
        mark_id, now = new_id("gapmark"), utc_now()
        body = {"element_id": element_id, "status": str(status), "note": note}
        data: dict[str, Any] = {"id": mark_id, "case_id": case.id, "charge_id": charge.id,
                                "marked_by": tx.actor, "marked_at": now}
        if case.sealed:
            data["sealed"] = tx.seal(body, mark_id)
        else:
            data["mark"] = body
        tx.emit(EVENT, data, time=now)
    return mark_id


def gap_marks(store: Store, conn: Connection, case: Case
              ) -> dict[tuple[str, str], GapMark]:
    """The standing mark of each marked (charge, element) of the case (the latest not
    erased)."""
    g = s.case_gap_marks.c
    names: dict[str, str] = {}
    out: dict[tuple[str, str], GapMark] = {}
    for r in conn.execute(select(s.case_gap_marks).where(g.case_id == case.id)
                          .order_by(g.ledger_index)).mappings():
        if r["sealed"]:
            body = store.keys.unseal(conn, r["sealed"], str(r["id"]))
            if body is None:
                # Erased with a link on its element (``intake.erasure``): the case counts
                # it (``Case.erased_marks``); a later mark of the element stands.
                continue
        elif r["mark"] is None:
            # Kept in clear on the element of a link erased by revision 0006
            # (``store.redact.erase_clear_links``): counted as erased too.
            continue
        else:
            body = dict(r["mark"])
        alias = str(r["marked_by"])
        if alias not in names:
            names[alias] = name_of(conn, store.keys, alias) or "[name erased]"
        mark = GapMark(id=str(r["id"]), charge_id=str(r["charge_id"]),
                       element_id=str(body["element_id"]), status=str(body["status"]),
                       note=str(body["note"]), marked_by=names[alias],
                       marked_at=str(r["marked_at"]), ledger_index=int(r["ledger_index"]))
        out[(mark.charge_id, mark.element_id)] = mark
    return out


def gap_entries(rows: Sequence[ElementRow], threshold: int,
                marks: Mapping[tuple[str, str], GapMark]) -> list[dict[str, Any]]:
    """The gap report as data: each element below the threshold, with its mark (or None)
    beside it. For the team only (CLI, API, case page); never for a bundle."""
    out = []
    for r in rows:
        if not r.is_gap(threshold):
            continue
        mark = marks.get((r.charge_id, r.element_id))
        out.append({"charge_id": r.charge_id, "crime": r.crime, "crime_id": r.crime_id,
                    "suspect": r.suspect, "element_number": r.number,
                    "element_id": r.element_id, "element": r.element,
                    "independent_sources": r.independent, "status": r.status(threshold),
                    # The status as values, for a page to word in its own language.
                    "standing": r.standing(threshold), "line": r.gap_line(threshold),
                    "mark": None if mark is None else mark.as_dict()})
    return out


__all__ = ["EVENT", "GapMark", "gap_entries", "gap_marks", "mark_gap"]
