"""Acts recorded less protected than the sources they are told from, raised (revision 0004).

Since 2701f0e an act recorded from a source is raised to that source's level (its
description and date are the source's words) and a correction may not cite a source
more protected than the act. Acts recorded before kept the level asked: an act recorded
"restricted" from a protected testimony showed the witness's words to restricted readers
and had no key of its own for the testimony's erasure to destroy. :func:`raise_told_acts`
finds them (an account claim, ``ACT_ACCOUNT``, citing a source, record or item stricter
than the act) and records, for each, one ``act.raised`` event: the whole act at the
strictest level it rests on, sealed under a new key of the act's when that level is
protected. The projection sets the row from it, so a replay of the ledger (``ledger
verify``) gives the raised level too; the erasure of the source finds the event as the
act's latest version (``intake.erasure``) and destroys its key.

What the raise does not take back: the act's words as they were written in clear before
it, in the bodies of its ``act.created`` and ``act.changed`` events. Readers of events see
them only if they may see the act now (``access.reads.EVENT_OBJECTS``: the raised row
decides); the erasure that destroys the raised version's key redacts them from those
bodies, leaf hashes kept (``store.redact``; revision 0006 for erasures before it).
Backups and anything exported before keep them (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, and_, select

from dadkhahi.domain.vocab import ACT_ACCOUNT, EntityKind, Sensitivity, strictest
from dadkhahi.ledger.checkpoint import NoteSigner
from dadkhahi.store import schema as s
from dadkhahi.store.sealed import KeyRing

#: Who the ledger says raised the acts (a pseudonym of it, as of every actor).
ACTOR = "dadkhahi upgrade 0004"
#: The act's fields every version of it carries (as ``act.changed`` does).
_FIELDS = ("type", "place_id", "date_earliest", "date_latest", "date_text", "description")


def acts_to_raise(conn: Connection) -> list[tuple[str, Sensitivity, bool]]:
    """Each act less protected than a source, record or item one of its accounts cites,
    with the level it must have (the strictest of them) and whether one of them was
    erased already (its key destroyed), in ledger order of the act."""
    a, c, cs = s.acts.c, s.claims.c, s.claim_support.c
    cited = (s.sources, s.records, s.items)
    rows = conn.execute(
        select(a.id, a.ledger_index, a.sensitivity,
               *(t.c.sensitivity for t in cited), *(t.c.sealed for t in cited))
        .join(s.claims, and_(c.entity_kind == str(EntityKind.ACT), c.entity_id == a.id,
                             c.property == ACT_ACCOUNT))
        .join(s.claim_support, cs.claim_id == c.id)
        .join(s.sources, s.sources.c.id == cs.source_id)
        .outerjoin(s.records, s.records.c.id == cs.record_id)
        .outerjoin(s.items, s.items.c.id == cs.item_id)
        .where(a.sensitivity != str(Sensitivity.PROTECTED))).all()
    sealed = {str(x["key_id"]) for r in rows for x in r[6:] if x}
    kept = set(conn.execute(select(s.data_keys.c.id).where(
        s.data_keys.c.id.in_(sorted(sealed)))).scalars()) if sealed else set()
    wanted: dict[str, tuple[int, Sensitivity, bool]] = {}
    current: dict[str, Sensitivity] = {}
    for r in rows:
        act_id, index, level = str(r[0]), int(r[1]), Sensitivity(r[2])
        current[act_id] = level
        _, seen, erased = wanted.get(act_id, (index, level, False))
        wanted[act_id] = (index, strictest(seen, *(Sensitivity(x) for x in r[3:6] if x)),
                          erased or any(x and str(x["key_id"]) not in kept for x in r[6:]))
    return [(act_id, level, erased) for act_id, (_, level, erased) in
            sorted(wanted.items(), key=lambda kv: (kv[1][0], kv[0]))
            if level != current[act_id]]


def raise_told_acts(conn: Connection, keys: Callable[[], KeyRing] | None,
                    signer: Callable[[], NoteSigner] | None) -> int:
    """Raise every act of :func:`acts_to_raise` in this (migration's) transaction: one
    ``act.raised`` event each and a signed checkpoint after them. An act raised to
    protected whose source (record, item) was erased before has its new key destroyed at
    once (``key.destroyed``), as that erasure would have done had the act been sealed.
    ``keys`` and ``signer`` are the home's (``Store.open`` hands them to the migration);
    a home with acts to raise cannot be upgraded without them. Returns how many acts
    were raised."""
    from dadkhahi.store.erase import destroy_keys
    from dadkhahi.store.store import upgrade_transaction

    found = acts_to_raise(conn)
    if not found:
        return 0
    with upgrade_transaction(conn, ACTOR, keys, signer, f"{len(found)} act(s) less "
                             "protected than their sources", "raises") as tx:
        for act_id, level, erased in found:
            row: dict[str, Any] = dict(conn.execute(
                select(s.acts).where(s.acts.c.id == act_id)).mappings().one())
            data = {"id": act_id, **{k: row[k] for k in _FIELDS}, "sensitivity": str(level)}
            if level is Sensitivity.PROTECTED:
                # Under a new key of the act's: the source's erasure destroys it with the act.
                data = tx.seal_protected("act", data, act_id)
            tx.emit("act.raised", data)
            if erased and data.get("sealed"):
                destroy_keys(tx, [str(data["sealed"]["key_id"])],
                             "the act's source was erased before revision 0004 raised it")
    return len(found)


def raised_since(conn: Connection, since: int) -> tuple[int, int]:
    """How many acts the ``act.raised`` events from ledger index ``since`` on raised, and
    how many of them to protected (the level is a clear field of the event): what the
    upgrade that wrote them tells the one opening the home. Their bodies are read (a
    handful, once per home); no column holds an event's level."""
    e = s.ledger_events.c
    levels = [json.loads(body)["data"]["sensitivity"] for body in conn.execute(
        select(e.body).where(e.type == "act.raised", e.idx >= since)).scalars()]
    return len(levels), levels.count(str(Sensitivity.PROTECTED))


__all__ = ["ACTOR", "acts_to_raise", "raise_told_acts", "raised_since"]
