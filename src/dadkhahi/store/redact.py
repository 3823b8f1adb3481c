"""Redaction of stored ledger events: words in clear that no erasure could reach.

Two kinds of events hold identifying words in clear, in their hash-chained bodies:

* an act recorded before 2701f0e from a more protected source: its words as first
  written are in its ``act.created``/``act.changed`` events, before revision 0004 raised
  it (``store.act_levels``: an ``act.raised`` event carrying the whole act, sealed under
  a new key when protected). Once that key is destroyed (the source's erasure), the
  earlier clear bodies are redacted (:func:`erased_acts_in_clear`);
* a link of an unsealed case to a restricted or protected fact, made before 4e19ea7
  (its note may quote the fact, and the case keeps it in clear in its row and its
  ``case.linked`` event): the link is erased (its row's ``link`` emptied, its event
  redacted; the case counts it in ``erased_links``, :func:`clear_links_of_protected`).

:func:`redact_events` replaces each body by its redacted form (``ledger.redaction``) and
keeps the stored leaf hash, so the tree, the proofs and every signed checkpoint stay
as they were; one ``event.redacted`` event each, in the same transaction, says which
event, under which leaf hash, which fields, and why (no value). ``ledger verify``
accepts a redacted body only so named. The old bytes are then scrubbed from the
database's files (``store.erase.scrub`` with ``ledger_events``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select, update

from dadkhahi.domain.protected import CLEAR_FIELDS
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.ledger.checkpoint import NoteSigner
from dadkhahi.ledger.redaction import REDACTION_EVENT, kept_digest, redact_body, redacted_fields
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.erase import REDACTED_TABLES, mark_scrub_due
from dadkhahi.store.sealed import KeyRing
from dadkhahi.store.store import Transaction, upgrade_transaction

#: Reason codes an ``event.redacted`` carries.
SOURCE_ERASED = "source-erased"
CLEAR_LINK = "clear-link-of-restricted-fact"
#: An estimate's release naming a list withheld from its audience (revision 0008,
#: ``analysis.release_redaction``).
WITHHELD_LIST_NAMED = "withheld-list-named"
#: The act events whose clear bodies carry an act's words.
_ACT_VERSIONS = ("act.created", "act.changed")


def redact_events(tx: Transaction, targets: Mapping[int, Sequence[str]], reason: str
                  ) -> list[int]:
    """Redact ``fields`` of each stored event ``index`` of ``targets`` (already written):
    its body replaced by the redacted form, its leaf hash kept, one ``event.redacted``
    (index, original leaf hash, type, fields, ``reason``) each. An event whose fields are
    redacted already is left. Returns the ``event.redacted`` events' indices. The caller
    updates the rows the event projected (a replay of the redacted body must give them)
    and scrubs after commit (the scrub is marked due here)."""
    tx.flush()  # the events to redact may have been emitted in this transaction
    done: list[int] = []
    for index in sorted(targets):
        event = ledger_log.get_event(tx.conn, index)
        earlier = redacted_fields(event.body)
        if set(targets[index]) <= set(earlier):
            continue
        # What the body keeps is committed in the event.redacted (the marker, which
        # names that event, is left out of the digest), so it cannot change unseen later.
        kept = kept_digest(redact_body(event.body, targets[index], 0, reason))
        by = tx.emit(REDACTION_EVENT, {
            "index": index, "type": event.type, "leaf_hash": event.leaf_hash.hex(),
            "fields": sorted({*targets[index], *earlier}), "reason": reason, "kept": kept})
        tx.conn.execute(update(s.ledger_events).where(s.ledger_events.c.idx == index).values(
            body=redact_body(event.body, targets[index], by, reason)))
        done.append(by)
    if done:
        # The old bodies (and the rows the caller empties) are dead bytes until scrubbed.
        mark_scrub_due(tx.conn, REDACTED_TABLES, done[-1])
    return done


def act_words(data: Mapping[str, Any]) -> list[str]:
    """The fields of an act event in clear that a protected act seals (its description,
    date and date text; ``CLEAR_FIELDS["act"]`` keeps its kind and place, which the
    raised event shows too), those holding a value."""
    return sorted(k for k, v in data.items()
                  if k not in CLEAR_FIELDS["act"] and k != "sealed" and v is not None)


def erased_acts_in_clear(conn: Connection, gone: set[str]) -> dict[int, list[str]]:
    """The clear ``act.created``/``act.changed`` events (index → fields to redact) of each
    act whose ``act.raised`` version is sealed under a key in ``gone`` (destroyed): the
    words first written, before the raise. Read from the ledger (no column says which
    events are clear); the act's row holds the raised version, so no row changes."""
    e = s.ledger_events.c
    raised: dict[str, int] = {}
    for index, body in conn.execute(select(e.idx, e.body).where(e.type == "act.raised")
                                    .order_by(e.idx)):
        data = json.loads(body)["data"]
        key = (data.get("sealed") or {}).get("key_id")
        if key in gone:
            raised.setdefault(str(data["id"]), int(index))
    if not raised:
        return {}
    names = [a.encode() for a in raised]
    found: dict[int, list[str]] = {}
    for index, body in conn.execute(select(e.idx, e.body).where(
            e.type.in_(_ACT_VERSIONS), e.idx < max(raised.values())).order_by(e.idx)):
        if not any(n in body for n in names):  # a cheap test first
            continue
        data = json.loads(body)["data"]
        if data["id"] in raised and index < raised[data["id"]] and not data.get("sealed"):
            words = [k for k in act_words(data) if k not in redacted_fields(body)]
            if words:
                found[int(index)] = words
    return found


_FACT_TABLES = {"act": s.acts, "involvement": s.involvements, "claim": s.claims}


def clear_links_of_protected(conn: Connection) -> dict[str, int]:
    """Each link kept in clear (an unsealed case's) of a fact not public (restricted or
    protected: linked before 4e19ea7 refused it): link ID → its ``case.linked`` event. An
    involvement withdrawn since has no row: its level is read from the event that added
    it (none found: not public, as a fact unknown is treated)."""
    lk = s.case_links.c
    links = [(str(i), int(at), link) for i, at, link in conn.execute(
        select(lk.id, lk.ledger_index, lk.link).where(
            lk.sealed.is_(None), lk.link.is_not(None)).order_by(lk.ledger_index))]
    levels: dict[tuple[str, str], str] = {}
    for kind, table in _FACT_TABLES.items():
        ids = sorted({str(x.get("fact_id")) for _, _, x in links if x.get("fact_kind") == kind})
        if ids:
            levels.update({(kind, str(i)): str(level) for i, level in conn.execute(
                select(table.c.id, table.c.sensitivity).where(table.c.id.in_(ids)))})
    withdrawn = {str(x.get("fact_id")) for _, _, x in links
                 if x.get("fact_kind") == "involvement"
                 and ("involvement", str(x.get("fact_id"))) not in levels}
    if withdrawn:
        e = s.ledger_events.c
        for body in conn.execute(select(e.body).where(e.type == "involvement.added")).scalars():
            data = json.loads(body)["data"]
            if data["id"] in withdrawn:
                levels[("involvement", str(data["id"]))] = str(data["sensitivity"])
    return {i: at for i, at, x in links
            if levels.get((str(x.get("fact_kind")), str(x.get("fact_id"))))
            != Sensitivity.PUBLIC}


def clear_marks_on(conn: Connection, links: Mapping[str, int]) -> dict[str, int]:
    """The gap marks kept in clear on the element of each of these links (same case,
    charge and element; earlier ones too): mark ID → its ``case.gap_marked`` event. A
    mark's note names the element, not the fact, yet may quote it (as the erasure takes
    a sealed link's marks, ``intake.erasure``)."""
    if not links:
        return {}
    lk, g = s.case_links.c, s.case_gap_marks.c
    elements = {(str(case), str(charge), str((link or {}).get("element_id")))
                for case, charge, link in conn.execute(select(
                    lk.case_id, lk.charge_id, lk.link).where(lk.id.in_(sorted(links))))}
    charges = sorted({charge for _, charge, _ in elements})
    return {str(i): int(at) for i, at, case, charge, mark in conn.execute(
        select(g.id, g.ledger_index, g.case_id, g.charge_id, g.mark).where(
            g.charge_id.in_(charges), g.sealed.is_(None), g.mark.is_not(None))
        .order_by(g.ledger_index))
        if (str(case), str(charge), str(mark.get("element_id"))) in elements}


def erase_clear_links(tx: Transaction, links: Mapping[str, int]) -> list[int]:
    """Erase links kept in clear (:func:`clear_links_of_protected`) and the gap marks kept
    in clear on their elements (:func:`clear_marks_on`): each row's ``link`` (``mark``)
    emptied (the case reads it as erased, ``cases.case.load_case``, ``cases.gaps``) and
    its event's redacted. Returns the ``event.redacted`` events' indices."""
    marks = clear_marks_on(tx.conn, links)
    if links:
        tx.conn.execute(update(s.case_links).where(s.case_links.c.id.in_(sorted(links)))
                        .values(link=None))
    if marks:
        tx.conn.execute(update(s.case_gap_marks)
                        .where(s.case_gap_marks.c.id.in_(sorted(marks))).values(mark=None))
    return redact_events(tx, {**{at: ["link"] for at in links.values()},
                              **{at: ["mark"] for at in marks.values()}}, CLEAR_LINK)


#: Who the ledger says redacted at the upgrade (a pseudonym of it, as of every actor).
ACTOR = "dadkhahi upgrade 0006"


def redact_at_upgrade(conn: Connection, keys: Callable[[], KeyRing] | None,
                      signer: Callable[[], NoteSigner] | None) -> int:
    """Revision 0006, in its transaction: redact the clear events of every act whose
    raised version's key is destroyed already (erased before this code), and erase every
    link kept in clear of a fact not public; a signed checkpoint after them. ``keys`` and
    ``signer`` are the home's (``Store.open`` hands them), asked for only when there is
    something to redact. Returns how many events were redacted."""
    gone = set(conn.execute(select(s.erasures.c.key_id)).scalars())
    acts = erased_acts_in_clear(conn, gone) if gone else {}
    links = clear_links_of_protected(conn)
    if not acts and not links:
        return 0
    with upgrade_transaction(conn, ACTOR, keys, signer, f"{len(acts) + len(links)} ledger "
                             "event(s) holding words in clear", "redacts") as tx:
        done = redact_events(tx, acts, SOURCE_ERASED) + erase_clear_links(tx, links)
    return len(done)


def redacted_since(conn: Connection, since: int) -> tuple[int, int, int, int]:
    """How many events the ``event.redacted`` events from ledger index ``since`` on
    redacted: of acts whose source was erased, links and gap marks erased, estimate
    releases naming lists withheld from their audience (by reason code and type): what
    the upgrade that wrote them tells the one opening the home (counts only)."""
    e = s.ledger_events.c
    found = [(d["reason"], d["type"]) for d in (json.loads(body)["data"] for body in
             conn.execute(select(e.body).where(e.type == REDACTION_EVENT, e.idx >= since))
             .scalars())]
    return (sum(r == SOURCE_ERASED for r, _ in found),
            found.count((CLEAR_LINK, "case.linked")),
            found.count((CLEAR_LINK, "case.gap_marked")),
            found.count((WITHHELD_LIST_NAMED, "estimate.released")))


__all__ = ["ACTOR", "CLEAR_LINK", "SOURCE_ERASED", "WITHHELD_LIST_NAMED", "act_words",
           "clear_links_of_protected", "clear_marks_on", "erase_clear_links",
           "erased_acts_in_clear", "redact_at_upgrade", "redact_events", "redacted_since"]
