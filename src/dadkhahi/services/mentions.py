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
    statement. Both must be visible to the caller (else "not found")."""
    _visible_proposal(store, principal, proposal_id)
    chosen = review.parse_entity(entity) if entity else None
    party = review.parse_party(attributed_to) if attributed_to else None
    with store.reading() as conn:
        for kind, entity_id in (x for x in (chosen, party) if x is not None):
            reads.visible_row(conn, principal, _ENTITY_TABLES[kind], entity_id, kind)
    require(principal, Permission.ADD_FACTS)
    done = review.accept(store, proposal_id, principal.name, entity=chosen, party=party)
    # IDs only: the claim itself is read (and audited) at /api/claims/{id}.
    return {"proposal_id": proposal_id, "claim_id": done["claim_id"],
            "claim_sensitivity": done["sensitivity"]}


def reject_for(store: Store, principal: Principal, proposal_id: str) -> dict[str, Any]:
    """Reject a visible proposal (``review``)."""
    _visible_proposal(store, principal, proposal_id)
    require(principal, Permission.REVIEW)
    return review.reject(store, proposal_id, principal.name)


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("sealed", "ledger_index")}
