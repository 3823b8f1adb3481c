"""Mentions and proposed claims on a user's behalf (the API's; the CLI acts as operator).

The same order as every change: the document must be visible (else "not found"), then
the role must allow it. Mentions and proposals are seen exactly as far as their original
item is (the one visibility rule on ``items``); protected ones are audited when shown.
Finding mentions and accepting a proposal add facts (``add_facts``); rejecting one is a
review (``review``). The subject a reviewer names, and the person or organisation they
link an attributed party to, must be visible to them too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from dadkhahi.access import reads
from dadkhahi.access.audit import ObjectRef, record_reads
from dadkhahi.access.dossier import visible_by_ids
from dadkhahi.access.policy import Permission, Principal, params, require, visible
from dadkhahi.domain.errors import NotFoundError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.mentions import review
from dadkhahi.mentions.finder import find_mentions
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

_ENTITY_TABLES = {"person": s.persons, "place": s.places, "organization": s.organizations,
                  "act": s.acts}
_LIMIT = 500
#: Organisations offered at once for an attributed party (the reviewer's visible ones).
PARTY_CHOICES = 200


def _audit(store: Store, principal: Principal, action: str, rows: list[dict[str, Any]],
           kind: str) -> None:
    touched: list[ObjectRef] = [(kind, str(r["id"])) for r in rows
                                if r["sensitivity"] == str(Sensitivity.PROTECTED)]
    record_reads(store, principal, action, touched)


def find_for(store: Store, principal: Principal, item_id: str, *,
             again: bool = False) -> dict[str, Any]:
    """Find the mentions in a visible item's text and propose claims (``add_facts``)."""
    with store.reading() as conn:
        item = reads.visible_row(conn, principal, s.items, item_id, "item")
    require(principal, Permission.ADD_FACTS)
    run = find_mentions(store, str(item["id"]), principal.name, again=again)
    return mentions_for(store, principal, run.item_id) | {"existing": run.existing}


def mentions_for(store: Store, principal: Principal, item_id: str) -> dict[str, Any]:
    """The mentions found in a visible item's text (the newest run), in text order."""
    with store.reading() as conn:
        item = reads.visible_row(conn, principal, s.items, item_id, "item")
        rows = review.mentions_of(store, conn, item_id)
    # Reading what a protected text names is reading the text: the item is audited too.
    _audit(store, principal, "mentions of", [item], "item")
    _audit(store, principal, "mentions of", rows, "mention")
    return {"item_id": item_id, "mentions": [_shown(r) for r in rows]}


def proposals_for(store: Store, principal: Principal, *, item_id: str | None = None,
                  status: str | None = "pending") -> dict[str, Any]:
    """Proposals on the documents the caller may see, oldest first."""
    seen = s.proposals.c.item_id.in_(reads_visible_items(principal))
    stmt = review.proposals_statement(item_id=item_id, status=status, where=seen)
    with store.reading() as conn:
        rows = review.read_proposals(store, conn, stmt, params(principal), _LIMIT)
    _audit(store, principal, "proposals", rows, "proposal")
    return {"proposals": [_shown(r) for r in rows]}


def reads_visible_items(principal: Principal) -> Select[Any]:
    """Subquery of the item IDs the principal may see."""
    return select(s.items.c.id).where(visible(principal, s.items))


def _visible_proposal(store: Store, principal: Principal, proposal_id: str) -> dict[str, Any]:
    with store.reading() as conn:
        row = conn.execute(
            review.proposals_statement(status=None, where=s.proposals.c.id == proposal_id)
            .where(s.proposals.c.item_id.in_(reads_visible_items(principal))),
            params(principal)).mappings().first()
    if row is None:
        raise NotFoundError(f"no proposal {proposal_id!r}")
    return dict(row)


def accept_for(store: Store, principal: Principal, proposal_id: str,
               entity: str | None = None, attributed_to: str | None = None) -> dict[str, Any]:
    """Accept a visible proposal (``add_facts``); ``entity`` (KIND:ID) names its subject,
    ``attributed_to`` (person or organization, KIND:ID) the party the text says made the
    statement. Both must be visible to the caller (else "not found"), as must the party
    the finder named when none is given. The statement's pending repeats in the same
    source are accepted with it only from documents the caller may see."""
    _visible_proposal(store, principal, proposal_id)
    chosen = review.parse_entity(entity) if entity else None
    party = review.parse_party(attributed_to) if attributed_to else None
    with store.reading() as conn:
        named = (review.get_proposal(store, conn, proposal_id).get("value") or {}
                 ).get("attributed_party")
        found = None if party is not None or not isinstance(named, dict) else (
            str(named.get("kind")), str(named.get("id")))
        for kind, entity_id in (x for x in (chosen, party, found) if x is not None):
            reads.visible_row(conn, principal, _ENTITY_TABLES[kind], entity_id, kind)
    require(principal, Permission.ADD_FACTS)
    done = review.accept(store, proposal_id, principal.name, entity=chosen, party=party,
                         repeats_within=(reads_visible_items(principal), params(principal)))
    # IDs only: the claim itself is read (and audited) at /api/claims/{id}.
    return {"proposal_id": proposal_id, "claim_id": done["claim_id"],
            "claim_sensitivity": done["sensitivity"], "repeats": done["repeats"]}


def reject_for(store: Store, principal: Principal, proposal_id: str) -> dict[str, Any]:
    """Reject a visible proposal (``review``)."""
    _visible_proposal(store, principal, proposal_id)
    require(principal, Permission.REVIEW)
    return review.reject(store, proposal_id, principal.name)


def _subjects(proposal: dict[str, Any], mentions: list[dict[str, Any]]) -> list[str]:
    """Subjects a reviewer may give a proposal (KIND:ID): the persons its name may be,
    and the places the item's text names (a count's subject is often its place)."""
    found = [f"person:{c['person_id']}" for c in proposal.get("candidates") or []
             if c.get("person_id")]
    if proposal["property"] == "victim_count":
        found += [f"place:{m['value']['place_id']}" for m in mentions
                  if m["kind"] == "place" and (m.get("value") or {}).get("place_id")]
    own = (f"{proposal['entity_kind']}:{proposal['entity_id']}"
           if proposal.get("entity_id") else None)
    return list(dict.fromkeys(f for f in found if f != own))


def subjects_for(store: Store, principal: Principal, proposals: list[dict[str, Any]],
                 mentions: list[dict[str, Any]]) -> dict[str, list[tuple[str, str, str]]]:
    """The subjects a reviewer may choose for each proposal (of :func:`proposals_for`,
    with the item's :func:`mentions_for`), by proposal ID: (KIND:ID, ID, name) of the
    persons and places it may be about that the caller may see, by the one visibility
    rule (a candidate found by a reviewer with a grant is not named, nor its ID offered,
    to one without it); the protected ones named are audited."""
    wanted = {str(p["id"]): _subjects(p, mentions) for p in proposals}
    ids: dict[str, set[str]] = {"person": set(), "place": set()}
    for subject in (x for found in wanted.values() for x in found):
        kind, _, entity_id = subject.partition(":")
        ids[kind].add(entity_id)
    audited: list[ObjectRef] = []
    with store.reading() as conn:
        named = {kind: visible_by_ids(conn, store, principal, f"{kind}s", found, audited)
                 for kind, found in ids.items()}
    record_reads(store, principal, "text page subjects", audited)
    out: dict[str, list[tuple[str, str, str]]] = {}
    for proposal_id, found in wanted.items():
        out[proposal_id] = []
        for subject in found:
            kind, _, entity_id = subject.partition(":")
            row = named[kind].get(entity_id)
            if row is not None:
                out[proposal_id].append((subject, entity_id, str(
                    row.get("label") or row.get("name") or entity_id)))
    return out


def party_choices(store: Store, principal: Principal,
                  proposals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The organisations the party a proposal's text names may be linked to, when the
    caller may accept it (``add_facts``) and one waiting for review names a party: those
    the caller may see, by name (audited, as every list read is); else none."""
    if not principal.can(Permission.ADD_FACTS) or not any(
            p["status"] == "pending" and (p.get("value") or {}).get("attributed_to")
            for p in proposals):
        return []
    page, pending = reads.read_page(store, principal, reads.RESOURCES["organizations"],
                                    reads.PageQuery(sort="name", limit=PARTY_CHOICES))
    pending.record(store, principal)
    return page.data


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("sealed", "ledger_index")}
