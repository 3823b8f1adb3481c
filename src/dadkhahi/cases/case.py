"""A case: suspects, charges, and the links of facts to the elements of each charge.

Facts stay facts (acts, involvements, positions, each with its sources); the law lives
here. A *charge* is a suspect × a crime of a framework × a mode of liability; a *link*
says that a fact bears on one element of one charge, with who linked it and when, the
analyst's Admiralty assessment, how it proves the element, and which way it points
(incriminating, exculpatory or mixed). Every step is a ledger event.

A case is a grant scope: its team are the users holding a grant on the case's ID, and
only they read it. Title, scope, charges and links are sealed by default (a leaked
case can warn a suspect who travels to a universal-jurisdiction state): the events
carry them encrypted under per-object data keys, the clear columns stay NULL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.access.grants import grant_in
from dadkhahi.access.users import find_user
from dadkhahi.cases.frameworks import Framework, find_framework, frameworks
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.sources import REDACTED
from dadkhahi.domain.vocab import Credibility, Direction, Reliability, Sensitivity
from dadkhahi.store import schema as s
from dadkhahi.store.actors import name_of
from dadkhahi.store.store import Store, utc_now

#: What a fact linked to an element can be.
FACT_KINDS = ("act", "involvement", "claim")
_FACT_TABLES = {"act": s.acts, "involvement": s.involvements, "claim": s.claims}


@dataclass(frozen=True)
class Scope:
    """What a case covers: suspects (person IDs), acts, places, a period (ISO dates)."""

    suspects: tuple[str, ...] = ()
    acts: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    period_from: str | None = None
    period_to: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("suspects", "acts", "places"):
            data[key] = list(data[key])
        return data


@dataclass(frozen=True)
class Charge:
    id: str
    suspect_id: str
    framework_id: str
    crime_id: str
    mode_id: str


@dataclass(frozen=True)
class Link:
    """One fact linked to one element of one charge."""

    id: str
    charge_id: str
    element_id: str
    fact_kind: str
    fact_id: str
    reliability: str
    credibility: str
    how: str
    direction: str
    linked_by: str
    linked_at: str
    ledger_index: int


@dataclass
class Case:
    id: str
    title: str
    scope: Scope
    sealed: bool
    sensitivity: str
    created_at: str
    ledger_index: int
    charges: list[Charge] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    #: The links erased with the fact they linked (``intake.erasure``), by link ID: their
    #: element, fact and note went with their key, so they count and show as nothing else.
    erased_links: list[str] = field(default_factory=list)
    #: The gap marks erased with a link on their element (``intake.erasure``), by mark
    #: ID: their element, status and note went with their key.
    erased_marks: list[str] = field(default_factory=list)

    def charge(self, charge_id: str) -> Charge:
        """The charge with this ID (or unique prefix) in this case."""
        found = [c for c in self.charges if c.id.startswith(charge_id)]
        if len(found) != 1:
            raise NotFoundError(f"case {self.id} has no charge {charge_id!r}"
                                if not found else f"charge {charge_id!r} is ambiguous")
        return found[0]

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "sealed": self.sealed,
                "created_at": self.created_at, "charges": len(self.charges),
                "links": len(self.links), "erased_links": len(self.erased_links),
                "erased_marks": len(self.erased_marks),
                "scope": self.scope.as_dict()}


def _exists(conn: Connection, table: Any, ident: str) -> bool:
    return conn.execute(select(table.c.id).where(table.c.id == ident)).first() is not None


def _sealed_or_clear(store: Store, conn: Connection, row: Mapping[str, Any], clear: str,
                     context: str) -> dict[str, Any]:
    if row["sealed"]:
        payload = store.keys.unseal(conn, row["sealed"], context)
        if payload is None:
            raise NotFoundError(f"{context} was erased")
        return payload
    return dict(row[clear] or {})


def create_case(
    store: Store, actor: str, title: str, scope: Scope, *,
    members: Iterable[str] = (), sealed: bool = True,
) -> str:
    """Open a case; ``members`` (user names or IDs) get a grant on it, in the same write.

    Every suspect, act and place of the scope must exist. Nothing is written if
    anything is wrong.
    """
    if not title.strip():
        raise UserError("a case needs a title")
    with store.transaction(actor) as tx:
        for kind, table, ids in (("person", s.persons, scope.suspects),
                                 ("act", s.acts, scope.acts),
                                 ("place", s.places, scope.places)):
            for ident in ids:
                if not _exists(tx.conn, table, ident):
                    raise NotFoundError(f"no {kind} {ident!r} for the case's scope")
        users = []
        for ref in members:
            user = find_user(tx.conn, ref)
            if user is None:
                raise NotFoundError(f"no user {ref!r} to add to the case's team")
            users.append(str(user["id"]))
        case_id = new_id("case")
        now = utc_now()
        payload = {"title": title, "scope": scope.as_dict()}
        data: dict[str, Any] = {"id": case_id, "sensitivity": str(Sensitivity.PROTECTED),
                                "created_at": now}
        if sealed:
            data["sealed"] = tx.seal(payload, case_id)
            data["title"] = REDACTED
        else:
            data.update(payload)
        tx.emit("case.created", data, time=now)
        for user_id in users:
            grant_in(tx, case_id, user_id)
    return case_id


def _case_row(conn: Connection, case_ref: str) -> dict[str, Any]:
    rows = conn.execute(select(s.cases).where(
        s.cases.c.id.startswith(case_ref, autoescape=True)).limit(2)).mappings().all()
    if len(rows) != 1:
        raise NotFoundError(f"no case {case_ref!r}" if not rows
                            else f"case ID {case_ref!r} is ambiguous")
    return dict(rows[0])


def load_case(store: Store, conn: Connection, case_ref: str) -> Case:
    """A case with its charges and links, unsealed (the caller checked the reader's access)."""
    row = _case_row(conn, case_ref)
    if row["sealed"]:
        head = _sealed_or_clear(store, conn, row, "", str(row["id"]))
    else:
        head = {"title": row["title"], "scope": row["scope"]}
    sc = head["scope"]
    case = Case(
        id=row["id"], title=head["title"], sealed=bool(row["sealed"]),
        scope=Scope(tuple(sc["suspects"]), tuple(sc["acts"]), tuple(sc["places"]),
                    sc.get("period_from"), sc.get("period_to")),
        sensitivity=row["sensitivity"], created_at=row["created_at"],
        ledger_index=int(row["ledger_index"]))
    ch = s.case_charges.c
    for r in conn.execute(select(s.case_charges).where(ch.case_id == case.id)
                          .order_by(ch.ledger_index)).mappings():
        body = _sealed_or_clear(store, conn, dict(r), "charge", str(r["id"]))
        case.charges.append(Charge(id=r["id"], **body))
    lk = s.case_links.c
    names: dict[str, str] = {}
    for r in conn.execute(select(s.case_links).where(lk.case_id == case.id)
                          .order_by(lk.ledger_index)).mappings():
        # Neither sealed nor in clear: a link kept in clear of a fact not public, erased
        # by revision 0006 (``store.redact.erase_clear_links``).
        opened = (store.keys.unseal(conn, r["sealed"], str(r["id"])) if r["sealed"]
                  else None if r["link"] is None else dict(r["link"]))
        if opened is None:
            case.erased_links.append(str(r["id"]))  # erased with its fact
            continue
        # A pseudonym named once per linker (a link written before pseudonyms: its name).
        alias = str(r["linked_by"])
        if alias not in names:
            names[alias] = name_of(conn, store.keys, alias) or "[name erased]"
        case.links.append(Link(id=r["id"], charge_id=r["charge_id"], linked_by=names[alias],
                               linked_at=r["linked_at"], ledger_index=int(r["ledger_index"]),
                               **opened))
    case.erased_marks = erased_marks(conn, case.id)
    return case


def erased_marks(conn: Connection, case_id: str) -> list[str]:
    """The IDs of the case's gap marks whose key was destroyed (erased with a link on their
    element), or kept in clear and emptied with such a link (revision 0006), in ledger
    order: read from the erasures, no mark opened."""
    g = s.case_gap_marks.c
    rows = conn.execute(select(g.id, g.sealed, g.mark).where(g.case_id == case_id)
                        .order_by(g.ledger_index)).all()
    keys = {str(i): str(sealed["key_id"]) for i, sealed, _ in rows if sealed}
    gone = set(conn.execute(select(s.erasures.c.key_id).where(
        s.erasures.c.key_id.in_(set(keys.values())))).scalars()) if keys else set()
    return [str(i) for i, sealed, mark in rows
            if (keys[str(i)] in gone if sealed else mark is None)]


def add_charge(
    store: Store, actor: str, case_ref: str, suspect_id: str, framework_id: str,
    crime_id: str, mode_id: str, *, available: Sequence[Framework] | None = None,
) -> str:
    """Charge a suspect of the case's scope with a framework's crime under a mode of liability."""
    fws = frameworks() if available is None else available
    framework = find_framework(framework_id, fws)
    framework.crime(crime_id)
    framework.mode(mode_id)
    with store.transaction(actor) as tx:
        case = load_case(store, tx.conn, case_ref)
        if suspect_id not in case.scope.suspects:
            raise UserError(f"{suspect_id} is not a suspect in the scope of case {case.id}")
        charge_id = new_id("charge")
        body = {"suspect_id": suspect_id, "framework_id": framework_id, "crime_id": crime_id,
                "mode_id": mode_id}
        data: dict[str, Any] = {"id": charge_id, "case_id": case.id, "created_at": utc_now()}
        if case.sealed:
            data["sealed"] = tx.seal(body, charge_id)
        else:
            data["charge"] = body
        tx.emit("case.charged", data)
    return charge_id


def link_fact(
    store: Store, actor: str, case_ref: str, charge_ref: str, element_id: str,
    fact_kind: str, fact_id: str, *, reliability: Reliability, credibility: Credibility,
    how: str, direction: Direction, available: Sequence[Framework] | None = None,
) -> str:
    """Link a fact (act, involvement or claim) to one element of one charge.

    The element must be one the charge's crime needs (its own, or a shared contextual
    one as ``ctx:<id>``); the fact must exist. The link is an event carrying who linked
    it, when, the assessment and how the fact proves the element.
    """
    if fact_kind not in FACT_KINDS:
        raise UserError(f"a fact is one of {', '.join(FACT_KINDS)}, not {fact_kind!r}")
    if not how.strip():
        raise UserError("say how the fact proves the element (--how)")
    with store.transaction(actor) as tx:
        case = load_case(store, tx.conn, case_ref)
        charge = case.charge(charge_ref)
        check_element(charge, element_id, available)
        table = _FACT_TABLES[fact_kind]
        level = tx.conn.execute(select(table.c.sensitivity).where(table.c.id == fact_id)
                                ).scalar_one_or_none()
        if level is None:
            raise NotFoundError(f"no {fact_kind} {fact_id!r}")
        if not case.sealed and level != Sensitivity.PUBLIC:
            # An unsealed case keeps the link, its note included, in clear in its row and
            # in the hash-chained ``case.linked`` event, which no erasure can reach: a
            # note on a restricted or protected fact may quote it, and would be less
            # protected than the fact it rests on.
            raise UserError(f"this case keeps its links in clear: it links public facts "
                            f"only, and this {fact_kind} is {level}; link it in a sealed "
                            f"case")
        link_id, now = new_id("caselink"), utc_now()
        body = {"element_id": element_id, "fact_kind": fact_kind, "fact_id": fact_id,
                "reliability": str(reliability), "credibility": str(credibility),
                "how": how, "direction": str(direction)}
        # Who linked it, by pseudonym as every actor (``store.actors``): a name in clear
        # beside a case would tell who works on it; the team and a bundle read the name.
        data: dict[str, Any] = {"id": link_id, "case_id": case.id, "charge_id": charge.id,
                                "linked_by": tx.actor, "linked_at": now}
        if case.sealed:
            data["sealed"] = tx.seal(body, link_id)
        else:
            data["link"] = body
        tx.emit("case.linked", data, time=now)
    return link_id


def check_element(charge: Charge, element_id: str,
                  available: Sequence[Framework] | None = None) -> None:
    """Refuse an element the charge's crime does not need (its own, or ``ctx:<id>``)."""
    fws = frameworks() if available is None else available
    elements = find_framework(charge.framework_id, fws).elements_of(charge.crime_id)
    if element_id not in {e.id for e in elements}:
        known = ", ".join(e.id for e in elements)
        raise UserError(f"crime {charge.crime_id} has no element {element_id!r} "
                        f"(it has {known})")


def case_members(conn: Connection, case_id: str) -> set[str]:
    """The user IDs of the case's team (holders of a grant on the case)."""
    g = s.access_grants.c
    return {str(u) for u in conn.execute(select(g.user_id).where(g.scope_id == case_id))
            .scalars()}


def list_cases(store: Store, conn: Connection, user_id: str | None = None) -> list[Case]:
    """Cases, oldest first; with ``user_id``, only the cases whose team that user is on."""
    ids = conn.execute(select(s.cases.c.id).order_by(s.cases.c.ledger_index)).scalars().all()
    if user_id is not None:
        ids = [i for i in ids if user_id in case_members(conn, str(i))]
    return [load_case(store, conn, str(i)) for i in ids]


__all__ = ["FACT_KINDS", "Case", "Charge", "Link", "Scope", "add_charge", "case_members",
           "check_element",
           "create_case", "erased_marks", "link_fact", "list_cases", "load_case"]
