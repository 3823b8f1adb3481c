"""Erasure of protected evidence: an item, a list, a source (issue 11).

A witness who asks for erasure must leave nothing readable behind, by anyone holding the
home's keys: every data key under which anything of what is erased was sealed is
destroyed (one ``key.destroyed`` event each, one transaction), its encrypted files are
deleted, its full-text index rows removed, and the database is scrubbed
(``store.erase.scrub``). The ledger keeps every event, hash and proof.

What goes with what:

* **an item**: its file, name and file key; each derivative (recursively); every
  custody entry of these; every verification of its capture time and place; the
  metadata its public copy left out; the mentions and
  proposals found in its text; every protected claim they support; the act versions
  whose account cites them (as for a source, below).
* **a list** (and a list's file, which *is* the list): every version's file (as an
  item, above); each import's column names; every record (its cells); the list's
  description (kind, provinces, period), in every event that ever carried it; what
  linkage made of its records: protected claims they support, notes of decisions on
  them, the sealed label of a protected person holding one of them; the act versions
  whose account cites a record (as for a source, below).
* **a source**: its own fields (title, citation …, as every change sealed them); every
  item, list and testimony (every interview it ever had, segments, translations) of it;
  every protected claim and involvement it supports (one withdrawn since too: its
  event still holds its payload); every version of an act whose account (the claim each
  version of an act rests on, ``ACT_ACCOUNT``) cites it, and every later version of that
  act: the act's description and date were written from the source, and a later
  version carries forward what it did not change, so it goes too (conservative: a
  version citing only other sources may still repeat the erased words), with the
  accounts of those later versions (they repeat the date carried forward). The act then
  reads as erased and cannot be corrected (``facts.edits.change_act``); its involvements
  from other sources stay.
* **with any of these**: the case links of each fact erased (an act, a claim, an
  involvement, one withdrawn since too: its ``involvement.added`` event names its keys):
  a lawyer's note on how the fact proves an element may quote the erased words. A case
  reads such a link as erased (``cases.case.Case.erased_links``). With each link erased,
  every gap mark of its case on the same charge and element, earlier ones too: a mark's
  note names the element, not the fact, yet may quote the erased witness (the case
  counts them, ``cases.case.Case.erased_marks``). A link or mark of an unsealed case is
  in clear and stays (such a case links public facts only, which no erasure reaches;
  revision 0006 erased the links of facts not public made before 4e19ea7, with the
  marks on their elements). The rule is ``store.case_erasure``'s, which revision 0005
  also applies to what erasures before it left readable.

Sealed payloads are found by their ``key_id`` in the rows and in the events that
carried them, so a payload an event sealed (a description superseded since) goes too.
An act revision 0004 raised (recorded before 2701f0e, in clear) whose raised version's
key goes has its words as first written redacted from its earlier events, in the same
transaction (``store.redact``: one ``event.redacted`` each, leaf hashes kept).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, or_, select

from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.vocab import ACT_ACCOUNT, EntityKind
from dadkhahi.intake.evidence import derivatives_in
from dadkhahi.intake.list_description import resolve_list
from dadkhahi.search.index import remove_items as remove_index_rows
from dadkhahi.search.index import remove_testimonies as remove_passage_rows
from dadkhahi.store import case_erasure
from dadkhahi.store import schema as s
from dadkhahi.store.case_erasure import sealed_by_events, sealed_key_ids
from dadkhahi.store.erase import destroy_keys, scrub
from dadkhahi.store.redact import SOURCE_ERASED, erased_acts_in_clear, redact_events
from dadkhahi.store.store import Store


def _keys(payloads: Iterable[Any]) -> list[str]:
    return [k for p in payloads for k in sealed_key_ids(p)]


#: Events that sealed the whole of a testimony (with its witness), or of a source: each
#: change sealed it anew under a key of its own, which only the ledger's events name
#: once the row holds a newer one.
TESTIMONY_EVENTS = ("testimony.recorded", "testimony.interview_changed")
SOURCE_EVENTS = ("source.registered", "source.language_changed")


def event_keys(conn: Connection, types: Sequence[str], ids: Sequence[str]) -> list[str]:
    """Keys of every payload that events of ``types`` about the objects ``ids`` (their
    data's ``id``) sealed."""
    return [k for _, keys in sealed_by_events(conn, types, ids) for k in keys]


def _withdrawn_involvement_keys(conn: Connection, source_id: str) -> list[str]:
    """Keys of the involvements citing the source that were withdrawn since: their rows
    are gone (``involvement.withdrawn``), and only the events that added them still name
    their sealed payloads (the locator in the source above all)."""
    e = s.ledger_events.c
    withdrawn = {json.loads(body)["data"]["id"] for body in conn.execute(
        select(e.body).where(e.type == "involvement.withdrawn")).scalars()}
    if not withdrawn:
        return []
    keys: list[str] = []
    for body in conn.execute(select(e.body).where(e.type == "involvement.added")
                             .order_by(e.idx)).scalars():
        if source_id.encode() not in body:  # a cheap test first
            continue
        data = json.loads(body)["data"]
        if data["id"] in withdrawn and any(
                x.get("source_id") == source_id for x in data.get("support") or ()):
            keys += sealed_key_ids(data)
    return keys


def _act_version_keys(conn: Connection, cited: ColumnElement[bool]) -> list[str]:
    """Keys of the act versions written from what is erased (see the module docstring):
    for each act with an account whose support meets ``cited`` (a condition on
    ``claim_support``: the source, an item, a list's records), the version that account
    was recorded with (the ``act.created`` or ``act.changed`` event just before it, in its
    transaction) and every later one (an ``act.raised`` version too: revision 0004
    sealed an old act's words anew, ``store.act_levels``), with the later versions'
    accounts. Read from the ledger: an earlier version's payload is in its event only."""
    c, cs = s.claims.c, s.claim_support.c
    accounts: dict[str, str] = {str(i): str(a) for i, a in conn.execute(
        select(c.id, c.entity_id).where(
            c.entity_kind == str(EntityKind.ACT), c.property == ACT_ACCOUNT,
            c.id.in_(select(cs.claim_id).where(cited))))}
    acts = set(accounts.values())
    if not acts:
        return []
    # Every account of those acts: a later version's account repeats the kind and date
    # it carried forward, so it goes with the version.
    every: dict[str, str] = {str(i): str(a) for i, a in conn.execute(
        select(c.id, c.entity_id).where(
            c.entity_kind == str(EntityKind.ACT), c.property == ACT_ACCOUNT,
            c.entity_id.in_(acts)))}
    names = [a.encode() for a in acts]
    # Each act's versions' keys, in ledger order, its account's with each.
    versions: dict[str, list[list[str]]] = {}
    first: dict[str, int] = {}  # each act's first version written from what is erased
    e = s.ledger_events.c
    for kind, body in conn.execute(select(e.type, e.body).where(
            e.type.in_(("act.created", "act.changed", "act.raised", "claim.added")))
            .order_by(e.idx)):
        if not any(n in body for n in names):  # a cheap test first
            continue
        data = json.loads(body)["data"]
        if kind != "claim.added":
            if data["id"] in acts:
                versions.setdefault(data["id"], []).append(list(sealed_key_ids(data)))
        elif data["id"] in every and every[data["id"]] in versions:
            told = versions[every[data["id"]]]
            told[-1] += sealed_key_ids(data)
            if data["id"] in accounts:
                first.setdefault(every[data["id"]], len(told) - 1)
    return [k for act, at in first.items() for version in versions[act][at:] for k in version]


def _item_keys(conn: Connection, item_ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """Keys sealing anything of the items and their derivatives, and those items' IDs."""
    ids = list(
        dict.fromkeys(
            [*item_ids, *(str(d["id"]) for i in item_ids for d in derivatives_in(conn, i))]
        )
    )
    keys = _keys(
        conn.execute(
            select(s.items.c.sealed).where(s.items.c.id.in_(ids)).order_by(s.items.c.ledger_index)
        ).scalars()
    )
    keys += _keys(
        conn.execute(
            select(s.custody.c.sealed)
            .where(s.custody.c.item_id.in_(ids))
            .order_by(s.custody.c.ledger_index)
        ).scalars()
    )
    keys += _keys(
        conn.execute(
            select(s.claims.c.sealed)
            .where(
                s.claims.c.id.in_(
                    select(s.claim_support.c.claim_id).where(s.claim_support.c.item_id.in_(ids))
                )
            )
            .order_by(s.claims.c.ledger_index)
        ).scalars()
    )
    # What its public copy left out, and where and when it was made as a verifier found it
    # (intake.capture_checks).
    for kept in (s.item_metadata, s.capture_verifications):
        keys += _keys(
            conn.execute(
                select(kept.c.sealed).where(kept.c.item_id.in_(ids))
                .order_by(kept.c.ledger_index)
            ).scalars()
        )
    # What the item's text names, and the claims proposed from it (dadkhahi.mentions).
    for table in (s.mentions, s.proposals):
        keys += _keys(
            conn.execute(
                select(table.c.sealed)
                .where(table.c.item_id.in_(ids))
                .order_by(table.c.ledger_index, table.c.seq)
            ).scalars()
        )
    # The acts told from them (their description and date are the items' words).
    keys += _act_version_keys(conn, s.claim_support.c.item_id.in_(ids))
    return keys, ids


def _list_keys(conn: Connection, list_ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """Keys sealing anything of the lists (see the module docstring), and their files."""
    li, rec = s.list_imports.c, s.records.c
    imports = conn.execute(
        select(li.id, li.item_id).where(li.list_id.in_(list_ids)).order_by(li.ledger_index)
    ).all()
    import_ids = [str(r.id) for r in imports]
    keys = _keys(conn.execute(select(s.lists.c.sealed).where(s.lists.c.id.in_(list_ids))).scalars())
    keys += _keys(
        conn.execute(
            select(li.sealed).where(li.id.in_(import_ids)).order_by(li.ledger_index)
        ).scalars()
    )
    # Every event that carried the list's description, header or records: its import
    # events and its list.described events (a description replaced since is in them only).
    names = [i.encode() for i in (*import_ids, *list_ids)]
    for body in conn.execute(
        select(s.ledger_events.c.body)
        .where(s.ledger_events.c.type.in_(("records.imported", "list.described")))
        .order_by(s.ledger_events.c.idx)
    ).scalars():
        if not any(n in body for n in names):
            continue  # cheap test first: most events name none of them
        data = json.loads(body)["data"]
        if data.get("import_id") in import_ids or data.get("list_id") in list_ids:
            keys += list(sealed_key_ids(data))
    records = select(rec.id).where(rec.import_id.in_(import_ids)).scalar_subquery()
    keys += _keys(
        conn.execute(
            select(rec.sealed).where(rec.import_id.in_(import_ids)).order_by(rec.ledger_index)
        ).scalars()
    )
    # What linkage and review made of the records.
    keys += _keys(
        conn.execute(
            select(s.claims.c.sealed)
            .where(
                s.claims.c.id.in_(
                    select(s.claim_support.c.claim_id).where(
                        s.claim_support.c.record_id.in_(records)
                    )
                )
            )
            .order_by(s.claims.c.ledger_index)
        ).scalars()
    )
    d = s.link_decisions.c
    keys += _keys(
        conn.execute(
            select(d.sealed)
            .where(or_(d.record_a.in_(records), d.record_b.in_(records)))
            .order_by(d.ledger_index)
        ).scalars()
    )
    keys += _keys(
        conn.execute(
            select(s.persons.c.sealed)
            .where(
                s.persons.c.id.in_(
                    select(s.person_records.c.person_id).where(
                        s.person_records.c.record_id.in_(records)
                    )
                )
            )
            .order_by(s.persons.c.ledger_index)
        ).scalars()
    )
    keys += _act_version_keys(conn, s.claim_support.c.record_id.in_(records))
    item_keys, items = _item_keys(conn, [str(r.item_id) for r in imports])
    return keys + item_keys, items


def _source_keys(conn: Connection, source_id: str) -> tuple[list[str], list[str]]:
    """Keys sealing anything of the source (see the module docstring), and its files."""
    keys = _keys(
        conn.execute(select(s.sources.c.sealed).where(s.sources.c.id == source_id)).scalars()
    )
    list_ids = [
        str(x)
        for x in conn.execute(
            select(s.lists.c.id)
            .where(s.lists.c.source_id == source_id)
            .order_by(s.lists.c.ledger_index)
        ).scalars()
    ]
    list_keys, list_items = _list_keys(conn, list_ids)
    item_keys, items = _item_keys(
        conn,
        [
            str(x)
            for x in conn.execute(
                select(s.items.c.id)
                .where(s.items.c.source_id == source_id)
                .order_by(s.items.c.ledger_index)
            ).scalars()
        ],
    )
    keys += list_keys + item_keys
    keys += event_keys(conn, SOURCE_EVENTS, [source_id])
    keys += _withdrawn_involvement_keys(conn, source_id)
    keys += _act_version_keys(conn, s.claim_support.c.source_id == source_id)
    keys += event_keys(conn, TESTIMONY_EVENTS, [str(x) for x in conn.execute(
        select(s.testimonies.c.id).where(s.testimonies.c.source_id == source_id)).scalars()])
    for table in (s.testimonies, s.testimony_segments, s.segment_translations):
        keys += _keys(
            conn.execute(
                select(table.c.sealed)
                .where(table.c.source_id == source_id)
                .order_by(table.c.ledger_index)
            ).scalars()
        )
    keys += _keys(
        conn.execute(
            select(s.claims.c.sealed)
            .where(
                s.claims.c.id.in_(
                    select(s.claim_support.c.claim_id).where(
                        s.claim_support.c.source_id == source_id
                    )
                )
            )
            .order_by(s.claims.c.ledger_index)
        ).scalars()
    )
    keys += _keys(
        conn.execute(
            select(s.involvements.c.sealed)
            .where(
                s.involvements.c.id.in_(
                    select(s.involvement_support.c.involvement_id).where(
                        s.involvement_support.c.source_id == source_id
                    )
                )
            )
            .order_by(s.involvements.c.ledger_index)
        ).scalars()
    )
    return keys, list(dict.fromkeys([*list_items, *items]))


def _destroy(
    store: Store, keys: Sequence[str], items: Sequence[str], reason: str, actor: str, what: str,
    testimonies: Sequence[str] = (),
) -> list[int]:
    """Destroy the keys not destroyed yet, remove the index rows of the items and of the
    testimonies' passages and the items' encrypted files, scrub; NotFoundError if nothing
    was left to destroy."""
    if not keys:
        raise ValidationError(f"{what} holds no sealed data to erase (it is not protected)")
    with store.reading() as conn:
        destroyed = set(conn.execute(select(s.erasures.c.key_id)).scalars())
    with store.transaction(actor) as tx:
        # The case links of the facts erased now (or before, when a fact was erased
        # before links went with it), and the gap marks on those links' elements, in the
        # same transaction.
        keys = [*keys, *case_erasure.erased_with(store.keys, tx.conn, {*keys, *destroyed},
                                                 destroyed)]
        indices = destroy_keys(tx, [k for k in keys if k not in destroyed], reason)
        # An act revision 0004 raised, its raised version erased now (or before): its words
        # as first written are still in clear in its earlier events, which are redacted.
        redact_events(tx, erased_acts_in_clear(tx.conn, {*keys, *destroyed}), SOURCE_ERASED)
        # The full-text index rows of the items and their text (dadkhahi.search.index).
        remove_index_rows(tx.conn, list(items))
        remove_passage_rows(tx.conn, list(testimonies))
    for erased in items:
        store.blobs.remove_sealed(erased)
    # The tables to rewrite follow from the marks the transaction wrote (keys destroyed:
    # data_keys; events redacted: REDACTED_TABLES), with any a failed scrub left.
    scrub(store)
    if not indices:
        raise NotFoundError(f"{what} was already erased")
    return indices


def erase_item(store: Store, item_id: str, reason: str, actor: str) -> int:
    """Erase a protected item and everything of it (see the module docstring); a list's
    file erases its list (:func:`erase_list`). Returns the index of the first
    ``key.destroyed`` event (the item's own, for an item that is no list's file)."""
    with store.reading() as conn:
        item = conn.execute(select(s.items.c.sealed).where(s.items.c.id == item_id)).first()
        if item is None:
            raise NotFoundError(f"no item {item_id!r}")
        if not item.sealed:
            raise ValidationError(f"item {item_id} holds no sealed data to erase")
        list_id = conn.execute(
            select(s.list_imports.c.list_id).where(s.list_imports.c.item_id == item_id).limit(1)
        ).scalar()
        if list_id is None:
            keys, items = _item_keys(conn, [item_id])
    if list_id is not None:
        # The records, the header and the description say what the file said.
        return erase_list(store, str(list_id), reason, actor)[0]
    return _destroy(store, keys, items, reason, actor, f"item {item_id}")[0]


def erase_list(store: Store, list_ref: str, reason: str, actor: str) -> list[int]:
    """Erase a protected list, every version of it and what was made of it (see the
    module docstring). ``list_ref`` as :func:`resolve_list` takes it, exactly (no prefix).
    Returns the ``key.destroyed`` events' indices."""
    with store.reading() as conn:
        listed = resolve_list(conn, list_ref, prefix=False)
        keys, items = _list_keys(conn, [str(listed["id"])])
    return _destroy(store, keys, items, reason, actor, f"list {listed['id']}")


def erase_source(store: Store, source_id: str, reason: str, actor: str) -> list[int]:
    """Erase a protected source and everything of it (see the module docstring).
    Returns the ``key.destroyed`` events' indices, the source's own first."""
    with store.reading() as conn:
        row = conn.execute(select(s.sources.c.sealed).where(s.sources.c.id == source_id)).first()
        if row is None:
            raise NotFoundError(f"no source {source_id!r}")
        if not row.sealed:
            raise ValidationError("this source holds no sealed fields to erase")
        keys, items = _source_keys(conn, source_id)
        testimonies = [str(x) for x in conn.execute(select(s.testimonies.c.id).where(
            s.testimonies.c.source_id == source_id)).scalars()]
    return _destroy(store, keys, items, reason, actor, f"source {source_id}", testimonies)


__all__ = ["SOURCE_EVENTS", "TESTIMONY_EVENTS", "erase_item", "erase_list", "erase_source",
           "event_keys", "sealed_key_ids"]
