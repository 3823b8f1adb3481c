"""Reading mentions and proposals, and the review that turns a proposal into a claim.

Nothing found in a text becomes a claim until a person accepts it. Accepting writes the
claim through :func:`dadkhahi.facts.entities.add_claim` (which raises it to the strictest
of its supports, so a claim resting on a protected document is protected) with the
document's source and original item as its support and the sentence's place in the text
as the locator, and a ``proposal.reviewed`` event, in one transaction. Rejecting is a
``proposal.reviewed`` event alone. A proposal is reviewed once.

The party a sentence attributes the statement to (``value.attributed_to``, the words of
the text) may be linked, when accepting, to the person or organisation of the store it
names (``value.attributed_party``: kind and ID): the claim is then that party's statement
as reported by the document, and it is never less protected than the party it names
(a public claim naming a protected organisation would disclose it).

A figure repeated within one source (the same count of the same thing, said by the same
party, on the same date and subject, in several sentences or several of its documents) is
one claim with a support for each place it is said: accepting one of its proposals
accepts its pending repeats into the same claim, each keeping its own locator.

Counts (``victim_count``, ``official_count``, ``grave_count``) are published figures: their
value is checked by :func:`dadkhahi.facts.figures.figure_value` before anything is written,
so an accepted figure is one the published figures (the memorial) can show.

These functions hold no access rule: the command line (the home's operator) calls them
directly, the API through :mod:`dadkhahi.services.mentions`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, select

from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.vocab import EntityKind, Sensitivity
from dadkhahi.facts.entities import Support, add_claim
from dadkhahi.facts.figures import figure_value
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, utc_now

_ENTITY_TABLES = {"person": s.persons, "place": s.places, "organization": s.organizations,
                  "act": s.acts}
#: Proposal states a list may ask for.
STATES = ("pending", "accepted", "rejected")
#: Properties of proposals that state a count: their values are published figures.
COUNT_PROPERTIES = frozenset({"victim_count", "official_count", "grave_count"})


def _opened(store: Store, conn: Connection, row: dict[str, Any]) -> dict[str, Any]:
    return store.keys.open_row(conn, row)


def mentions_of(
    store: Store, conn: Connection, item_id: str, run_id: str | None = None,
) -> list[dict[str, Any]]:
    """The mentions of an item (or of its run ``run_id``): without a run, those of the
    newest run on each of its texts (the extraction, each settled page's transcription),
    in ledger order, then text order."""
    m = s.mentions.c
    if run_id is not None:
        runs = [run_id]
    else:
        newest = (select(m.text_item_id, func.max(m.ledger_index).label("ix"))
                  .where(m.item_id == item_id).group_by(m.text_item_id).subquery())
        runs = list(conn.execute(select(m.run_id).distinct().join(newest, and_(
            newest.c.text_item_id == m.text_item_id, newest.c.ix == m.ledger_index))
            .where(m.item_id == item_id)).scalars())
    if not runs:
        return []
    rows = conn.execute(select(s.mentions).where(m.item_id == item_id, m.run_id.in_(runs))
                        .order_by(m.ledger_index, m.seq)).mappings()
    return [_opened(store, conn, dict(r)) for r in rows]


def proposals_statement(
    *, item_id: str | None = None, status: str | None = "pending",
    where: ColumnElement[bool] | None = None,
) -> Select[Any]:
    """Proposals, oldest first (by ledger order, then their place in the text)."""
    if status is not None and status not in STATES:
        raise ValidationError(f"status {status!r}: choose one of {', '.join(STATES)}")
    p = s.proposals.c
    stmt = select(s.proposals)
    if item_id is not None:
        stmt = stmt.where(p.item_id == item_id)
    if status is not None:
        stmt = stmt.where(p.status == status)
    if where is not None:
        stmt = stmt.where(where)
    return stmt.order_by(p.ledger_index, p.seq)


def read_proposals(
    store: Store, conn: Connection, stmt: Select[Any], bind: dict[str, Any] | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Proposal rows of ``stmt``, sealed fields opened."""
    rows = conn.execute(stmt.limit(limit), bind or {}).mappings()
    return [_opened(store, conn, dict(r)) for r in rows]


def get_proposal(store: Store, conn: Connection, proposal_id: str) -> dict[str, Any]:
    """One proposal, sealed fields opened; NotFoundError if none."""
    row = conn.execute(select(s.proposals).where(s.proposals.c.id == proposal_id)
                       ).mappings().first()
    if row is None:
        raise NotFoundError(f"no proposal {proposal_id!r}")
    return _opened(store, conn, dict(row))


def parse_entity(text: str) -> tuple[str, str]:
    """``person:per_…`` (or a bare ID whose prefix says its kind) as (kind, id)."""
    kind, _, entity_id = text.partition(":")
    if not entity_id:
        prefixes = {"per": "person", "plc": "place", "org": "organization", "act": "act"}
        kind, entity_id = prefixes.get(text[:3], ""), text
    if kind not in _ENTITY_TABLES:
        raise ValidationError(f"entity {text!r}: give KIND:ID with KIND one of "
                              f"{', '.join(_ENTITY_TABLES)}")
    return kind, entity_id


def _pending(row: dict[str, Any]) -> None:
    if row["status"] != "pending":
        raise ValidationError(f"proposal {row['id']} was already {row['status']}")
    if row.get("erased"):
        raise ValidationError(f"proposal {row['id']} was erased with its document")


#: What an attributed party may be linked to.
PARTY_KINDS = ("person", "organization")


def parse_party(text: str) -> tuple[str, str]:
    """``organization:org_…`` or ``person:per_…`` (or a bare ID) as (kind, id)."""
    kind, entity_id = parse_entity(text)
    if kind not in PARTY_KINDS:
        raise ValidationError(f"attributed party {text!r}: a statement is made by a person "
                              "or an organisation (KIND:ID with KIND person or organization)")
    return kind, entity_id


def accept(
    store: Store, proposal_id: str, actor: str, *, entity: tuple[str, str] | None = None,
    party: tuple[str, str] | None = None,
    repeats_within: tuple[Select[Any], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Accept a proposal: the claim it proposes is added, supported by the document.

    ``entity`` (kind, id) names the claim's subject when the proposal has none (an
    ambiguous name, a count with no place) or corrects it. ``party`` (person or
    organization, id) links the party the text attributes the statement to. The pending
    repeats of the statement in the same source, at the same sensitivity, are accepted
    into the same claim (a support each). Returns the proposal's ID, the claim's ID, its
    sensitivity and the IDs of the repeats accepted with it. ``repeats_within`` (a
    subquery of item IDs and its bind parameters) keeps the repeats to those items: the
    documents a caller of the API may see.
    """
    with store.reading() as conn:
        row = get_proposal(store, conn, proposal_id)
        _pending(row)
        value = _value(row)
        level = Sensitivity(row["sensitivity"])
        # The party the finder named (an organisation of the store), unless the reviewer
        # names another: checked, and the claim raised to its level, alike.
        if party is None and value.get("attributed_party"):
            named = value["attributed_party"]
            party = (str(named["kind"]), str(named["id"]))
        if party is not None:
            value["attributed_party"], party_level = _party(conn, row, party)
            level = max((level, party_level), key=_ORDER.index)
        kind, entity_id = entity or (row["entity_kind"], row["entity_id"])
        if not kind or not entity_id:
            candidates = ", ".join(str(c["person_id"]) for c in row.get("candidates") or []
                                   if c.get("person_id")) or "none linked yet"
            raise ValidationError(
                f"proposal {proposal_id} names no single subject: give the entity "
                f"(KIND:ID; candidates: {candidates})")
        table = _ENTITY_TABLES[kind]
        if conn.execute(select(table.c.id).where(table.c.id == entity_id)).first() is None:
            raise NotFoundError(f"no {kind} {entity_id!r}")
        repeats = _repeats(store, conn, row, repeats_within)
    when = None
    if row["date_earliest"] or row["date_latest"]:
        when = DateRange(_day(row["date_earliest"]), _day(row["date_latest"]), row["date_text"])
    support = [Support(str(r["source_id"]), item_id=str(r["item_id"]), locator=r["locator"])
               for r in (row, *repeats)]
    with store.transaction(actor) as tx:
        claim_id = add_claim(tx, EntityKind(kind), entity_id, str(row["property"]),
                             value, support, date=when, sensitivity=level)
        for done in (row, *repeats):
            tx.emit("proposal.reviewed", {"id": done["id"], "status": "accepted",
                                          "claim_id": claim_id, "at": utc_now()})
    with store.reading() as conn:
        level = conn.execute(select(s.claims.c.sensitivity).where(
            s.claims.c.id == claim_id)).scalar_one()
    return {"proposal_id": proposal_id, "claim_id": claim_id, "sensitivity": str(level),
            "repeats": [str(r["id"]) for r in repeats]}


def _value(row: dict[str, Any]) -> dict[str, Any]:
    """The claim's value: a count's checked as a published figure (a proposal made before
    figures were proposed as such says ``count``: read as ``approximately``)."""
    value = dict(row["value"] or {})
    if row["property"] not in COUNT_PROPERTIES:
        return value
    if "count" in value:
        value["approximately"] = value.pop("count")
    try:
        return figure_value(value)
    except ValidationError as e:
        raise ValidationError(f"proposal {row['id']}: {e}") from None


def _same_statement(row: dict[str, Any]) -> tuple[Any, ...]:
    # The sensitivity too: a repeat in a more protected document of the source would
    # raise the claim above what the reviewer accepted.
    return (row["property"], row["entity_kind"], row["entity_id"], row["date_earliest"],
            row["date_latest"], row["sensitivity"],
            json.dumps(row["value"] or {}, sort_keys=True, ensure_ascii=False))


def _repeats(store: Store, conn: Connection, row: dict[str, Any],
             within: tuple[Select[Any], dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The other pending proposals of the row's source stating the same thing (property,
    proposed subject, value, date, sensitivity), in ledger order: one claim, several
    locators."""
    p = s.proposals.c
    stmt = select(s.proposals).where(
        p.source_id == row["source_id"], p.status == "pending", p.id != row["id"])
    if within is not None:
        stmt = stmt.where(p.item_id.in_(within[0]))
    others = conn.execute(stmt.order_by(p.ledger_index, p.seq),
                          {} if within is None else within[1]).mappings()
    key = _same_statement(row)
    out = []
    for other in others:
        opened = _opened(store, conn, dict(other))
        if not opened.get("erased") and _same_statement(opened) == key:
            out.append(opened)
    return out


_ORDER = [Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.PROTECTED]


def _party(conn: Connection, row: dict[str, Any], party: tuple[str, str]
           ) -> tuple[dict[str, str], Sensitivity]:
    """The party link of an accepted claim and the party's sensitivity."""
    if not (row.get("value") or {}).get("attributed_to"):
        raise ValidationError(f"proposal {row['id']} attributes its statement to no party "
                              "in the text: there is no party to link")
    kind, party_id = party
    if kind not in PARTY_KINDS:
        raise ValidationError(f"an attributed party is a person or an organization, not {kind}")
    table = _ENTITY_TABLES[kind]
    found = conn.execute(select(table.c.sensitivity).where(table.c.id == party_id)
                         ).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no {kind} {party_id!r}")
    return {"kind": kind, "id": party_id}, Sensitivity(found)


def reject(store: Store, proposal_id: str, actor: str) -> dict[str, Any]:
    """Reject a proposal (it stays, marked rejected; no claim is made)."""
    with store.reading() as conn:
        _pending(get_proposal(store, conn, proposal_id))
    with store.transaction(actor) as tx:
        tx.emit("proposal.reviewed", {"id": proposal_id, "status": "rejected",
                                      "claim_id": None, "at": utc_now()})
    return {"proposal_id": proposal_id, "status": "rejected"}


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def describe(row: dict[str, Any], places: Sequence[dict[str, Any]] = ()) -> str:
    """One line saying what a proposal claims (for the command line)."""
    subject = (f"{row['entity_kind']} {row['entity_id']}" if row.get("entity_id")
               else "subject to choose")
    value = row.get("value") or {}
    if row["property"] == "executed":
        what = "was executed" + (f" at place {value['place_id']}" if value.get("place_id")
                                 else "")
    elif row["property"] in COUNT_PROPERTIES:
        number = value.get("approximately", value.get("count"))
        shown = (f"more than {value['at_least']:,}" if value.get("at_least") is not None
                 else f"{number:,}" if isinstance(number, int) else "?")
        what = f"counts {shown} {value.get('what') or 'people'}"
    else:
        what = f"{row['property']} = {value}"
    when = f" on {row['date_text']}" if row.get("date_text") else ""
    said = f", according to {value['attributed_to']}" if value.get("attributed_to") else ""
    return f"the text says {subject} {what}{when}{said}"
