"""What an erasure takes of the cases, and what revision 0005 takes that earlier ones left.

The rule, in one place (``intake.erasure`` calls :func:`erased_with` in every erasure's
transaction; revision 0005 calls :func:`sweep`):

* a sealed case link whose fact (act, involvement, claim; an involvement withdrawn
  since is found in its ``involvement.added`` event) is sealed under a destroyed key
  goes: the lawyer's note on how the fact proves the element may quote the erased words;
* with each link erased, every gap mark of its case on the same charge and element
  written before the link's erasure goes too (:func:`gap_mark_keys`): a mark's note names
  the element, not the fact, yet may quote what the erased witness said. A mark written
  after the link's erasure reads as normal. A link or mark of an unsealed case is in
  clear and stays (such a case links public facts only, which no erasure reaches).

Erasures between 0cdcbf4 (links went with their fact) and 65d827a (marks went with the
link) erased the link but left the marks readable, and erasures before 0cdcbf4 left the
link readable as well. :func:`sweep` destroys both in the home's ledger. The element of a
link erased then is sealed under the link's destroyed key: no one can read it any more,
so every mark of that case and charge written before the link's erasure goes (any
element of the charge may be the link's: a mark of another element is lost with them,
the lesser harm than a witness's words left readable). Links erased from the home's
first erasure that destroyed a mark's key on (its code had 65d827a's rule, and so had
every later erasure) are left as those erasures left them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, select

from dadkhahi.ledger.checkpoint import NoteSigner
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.sealed import KeyRing

#: Who the ledger says destroyed the keys the sweep destroys (a pseudonym of it).
ACTOR = "dadkhahi upgrade 0005"
#: The reasons of the sweep's ``key.destroyed`` events (clear: they name no one), by
#: which the upgrade counts what it erased (:func:`swept_since`).
LINK_REASON = ("a case link to a fact an erasure before 0cdcbf4 erased, left readable "
               "(revision 0005)")
MARK_REASON = ("a gap mark on the element of a case link an erasure erased, left readable "
               "by an erasure before 65d827a (revision 0005)")


def sealed_key_ids(value: Any) -> Iterator[str]:
    """The ``key_id`` of every sealed payload inside a JSON value, in document order."""
    if isinstance(value, dict):
        if isinstance(value.get("key_id"), str) and "ct" in value:
            yield value["key_id"]
        for v in value.values():
            yield from sealed_key_ids(v)
    elif isinstance(value, list):
        for v in value:
            yield from sealed_key_ids(v)


def sealed_by_events(conn: Connection, types: Sequence[str], ids: Iterable[str]
                     ) -> Iterator[tuple[str, list[str]]]:
    """Each event of ``types`` about one of the objects ``ids`` (its data's ``id``), in
    ledger order: that object's ID and the keys of the payloads the event sealed."""
    wanted = set(ids)
    if not wanted:
        return
    for body in conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.type.in_(types)).order_by(s.ledger_events.c.idx)).scalars():
        # A cheap test first: most events name another object.
        if any(str(x).encode() in body for x in wanted):
            data = json.loads(body)["data"]
            if data.get("id") in wanted:
                yield data["id"], list(sealed_key_ids(data))


#: The tables of what a case link can link (``cases.case.FACT_KINDS``).
LINKED_FACTS = {"act": s.acts, "involvement": s.involvements, "claim": s.claims}


class ErasedLink(NamedTuple):
    """A case link erased (or being erased): what its gap marks are found by."""

    #: The link's data key.
    key_id: str
    case_id: str
    charge_id: str
    #: The element it was on; None when no one can read it (its key already destroyed).
    element_id: str | None
    #: The ledger index of its erasure (a mark from it on stays); None: being erased now.
    erased_at: int | None = None


def erased_case_links(keys: KeyRing, conn: Connection, gone: set[str]) -> list[ErasedLink]:
    """The readable case links whose fact is erased (its row sealed under a key in
    ``gone``: destroyed now or before), in ledger order. The sealed links are opened at
    once to find their facts, read in one statement per kind of fact. An involvement
    withdrawn since has no row: it is found in the ``involvement.added`` event that sealed
    it (one pass over those events, only when such a link exists). A link in clear (an
    unsealed case) has no key to destroy and stays."""
    lk = s.case_links.c
    rows = [(str(i), str(case), str(charge), sealed) for i, case, charge, sealed in
            conn.execute(select(lk.id, lk.case_id, lk.charge_id, lk.sealed).where(
                lk.sealed.is_not(None)).order_by(lk.ledger_index))
            if sealed["key_id"] not in gone]
    bodies = [(row, body) for row, body in zip(
        rows, keys.unseal_many(conn, [(sealed, i) for i, _, _, sealed in rows]),
        strict=True) if body is not None and body.get("fact_kind") in LINKED_FACTS]
    # The keys each linked fact's row is sealed under, one statement per kind of fact.
    fact_keys: dict[tuple[str, str], list[str]] = {}
    for kind, table in LINKED_FACTS.items():
        ids = sorted({str(b["fact_id"]) for _, b in bodies if b["fact_kind"] == kind})
        for fact_id, sealed in (conn.execute(select(table.c.id, table.c.sealed).where(
                table.c.id.in_(ids))) if ids else ()):
            fact_keys[(kind, str(fact_id))] = list(sealed_key_ids(sealed))
    # Each link still readable, in ledger order, with the keys its fact was sealed under
    # (None: the fact is an involvement withdrawn since, its keys read from its event).
    links: list[tuple[ErasedLink, str, list[str] | None]] = []
    for (_, case_id, charge_id, sealed), body in bodies:
        link = ErasedLink(str(sealed["key_id"]), case_id, charge_id, str(body["element_id"]))
        fact = (str(body["fact_kind"]), str(body["fact_id"]))
        if fact in fact_keys:
            links.append((link, fact[1], fact_keys[fact]))
        elif fact[0] == "involvement":
            links.append((link, fact[1], None))
    withdrawn = [fact for _, fact, keys in links if keys is None]
    added: dict[str, list[str]] = {}
    for involvement, sealed_keys in sealed_by_events(conn, ("involvement.added",), withdrawn):
        added.setdefault(involvement, []).extend(sealed_keys)
    return [link for link, fact, keys in links
            if any(k in gone for k in (added.get(fact, []) if keys is None else keys))]


def gap_mark_keys(keys: KeyRing, conn: Connection, links: Sequence[ErasedLink],
                  gone: set[str]) -> list[str]:
    """Keys of the gap marks that go with the case links erased, in ledger order: every
    mark of a link's case on its charge and element (any element of the charge when the
    link's is unknown), earlier ones too (the ledger keeps each, sealed under its own
    key), written before the link's erasure; a mark of another element stays. Each mark
    of those charges whose key is not in ``gone`` is opened to read its element (sealed
    with its note)."""
    on: dict[tuple[str, str], list[ErasedLink]] = {}
    for link in links:
        on.setdefault((link.case_id, link.charge_id), []).append(link)
    if not on:
        return []
    g = s.case_gap_marks.c
    marks = [(str(i), (str(case), str(charge)), int(index), sealed)
             for i, case, charge, index, sealed in conn.execute(
                 select(g.id, g.case_id, g.charge_id, g.ledger_index, g.sealed).where(
                     g.charge_id.in_(sorted({charge for _, charge in on})),
                     g.sealed.is_not(None)).order_by(g.ledger_index))
             if sealed["key_id"] not in gone]
    bodies = keys.unseal_many(conn, [(sealed, i) for i, _, _, sealed in marks])
    return [str(sealed["key_id"]) for (_, where, index, sealed), body
            in zip(marks, bodies, strict=True)
            if body is not None and any(
                link.element_id in (None, body["element_id"])
                and (link.erased_at is None or index < link.erased_at)
                for link in on.get(where, ()))]


def erased_with(keys: KeyRing, conn: Connection, gone: set[str], destroyed: set[str]
                ) -> list[str]:
    """What an erasure destroying ``gone`` takes of the cases (module docstring): the keys
    of the case links whose fact is sealed under one of ``gone`` (the keys destroyed now
    and before), then of the gap marks on their elements whose key is not in
    ``destroyed`` (destroyed before)."""
    links = erased_case_links(keys, conn, gone)
    return [*(link.key_id for link in links), *gap_mark_keys(keys, conn, links, destroyed)]


#: Events read at once when walking back over an erasure's events.
_PAGE = 200


def _erased_exactly_from(conn: Connection, destroyed: dict[str, int]) -> int | None:
    """The ledger index from which the home's erasures took the gap marks themselves: the
    first event of the first erasure that destroyed a mark's key (its code had 65d827a's
    rule, and so had every erasure after it); None if none did. An erasure's
    ``key.destroyed`` events are written together, by one actor for one reason."""
    g = s.case_gap_marks.c
    mark_keys = {str(sealed["key_id"]) for sealed in conn.execute(
        select(g.sealed).where(g.sealed.is_not(None))).scalars()}
    first = min((destroyed[k] for k in mark_keys if k in destroyed), default=None)
    if first is None:
        return None
    e = s.ledger_events.c

    def who(body: bytes) -> tuple[str, str]:
        event = json.loads(body)
        return str(event["actor"]), str(event["data"]["reason"])

    erasure = who(conn.execute(select(e.body).where(e.idx == first)).scalar_one())
    start = first
    while start > 0:  # back over the erasure's earlier events, a page at a time
        page = conn.execute(select(e.idx, e.type, e.body).where(e.idx < start)
                            .order_by(e.idx.desc()).limit(_PAGE)).all()
        for index, kind, body in page:
            if kind != "key.destroyed" or who(body) != erasure:
                return start
            start = int(index)
        if len(page) < _PAGE:
            break
    return start


def left_readable(keys: KeyRing, conn: Connection) -> tuple[list[str], list[str]]:
    """What earlier erasures left readable (module docstring): the keys of the case links
    whose fact an erasure before 0cdcbf4 erased, and of the gap marks on the elements of
    those links and of the links erased before 65d827a's rule, each in ledger order."""
    destroyed = {str(k): int(i) for k, i in conn.execute(
        select(s.erasures.c.key_id, s.erasures.c.ledger_index))}
    gone = set(destroyed)
    stale = erased_case_links(keys, conn, gone)
    exact = _erased_exactly_from(conn, destroyed)
    lk = s.case_links.c
    erased = [ErasedLink(key, str(case), str(charge), None, destroyed[key])
              for case, charge, key in (
                  (case, charge, str(sealed["key_id"])) for case, charge, sealed in
                  conn.execute(select(lk.case_id, lk.charge_id, lk.sealed).where(
                      lk.sealed.is_not(None)).order_by(lk.ledger_index)))
              if key in destroyed and (exact is None or destroyed[key] < exact)]
    return ([link.key_id for link in stale],
            gap_mark_keys(keys, conn, [*stale, *erased], gone))


def sweep(conn: Connection, keys: Callable[[], KeyRing] | None,
          signer: Callable[[], NoteSigner] | None) -> tuple[int, int]:
    """Destroy, in this (migration's) transaction, what :func:`left_readable` finds: one
    ``key.destroyed`` event each and a signed checkpoint after them. ``keys`` and
    ``signer`` are the home's (``Store.open`` hands them to the migration); a home with
    sealed case links (the only ones the sweep may open) is not upgraded without them.
    Returns how many links and marks were erased."""
    from dadkhahi.domain.errors import UserError
    from dadkhahi.store.erase import destroy_keys
    from dadkhahi.store.store import Transaction, utc_now

    sealed = conn.execute(select(func.count()).select_from(s.case_links).where(
        s.case_links.c.sealed.is_not(None))).scalar_one()
    if not sealed or conn.execute(select(s.erasures.c.key_id).limit(1)).first() is None:
        return 0, 0  # no sealed link, or nothing ever erased: nothing left readable
    if keys is None or signer is None:
        raise UserError(
            f"this home holds {sealed} sealed case link(s), which the upgrade checks "
            "with the home's keys for what earlier erasures left readable: open it with "
            "dadkhahi (any command) to upgrade it")
    links, marks = left_readable(keys(), conn)
    if not links and not marks:
        return 0, 0
    size, _ = ledger_log.head(conn, lock=True)
    tx = Transaction(conn, ACTOR, size, keys)
    destroy_keys(tx, links, LINK_REASON)
    destroy_keys(tx, marks, MARK_REASON)
    tx.flush()
    ledger_log.sign_checkpoint(conn, signer(), utc_now())
    return len(links), len(marks)


def swept_since(conn: Connection, since: int) -> tuple[int, int]:
    """How many case links and gap marks the sweep's ``key.destroyed`` events from ledger
    index ``since`` on erased (their reason is clear): what the upgrade that wrote them
    tells the one opening the home."""
    e = s.ledger_events.c
    reasons = [json.loads(body)["data"]["reason"] for body in conn.execute(
        select(e.body).where(e.type == "key.destroyed", e.idx >= since)).scalars()]
    return reasons.count(LINK_REASON), reasons.count(MARK_REASON)


__all__ = ["ACTOR", "LINKED_FACTS", "LINK_REASON", "MARK_REASON", "ErasedLink",
           "erased_case_links", "erased_with", "gap_mark_keys", "left_readable",
           "sealed_by_events", "sealed_key_ids", "sweep", "swept_since"]
