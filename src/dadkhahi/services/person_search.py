"""The one person search as the pages use it: filters, suggestions and person pickers.

:func:`dadkhahi.search.persons.search_persons` is the only search (``POST
/api/persons/search`` calls it as it is). What the pages add on top lives here, once:
narrowing an explicit search by filters on the matched records (read under the one
visibility rule and audited), leaving protected persons and records out of anything
offered as you type, and the person picker of a form about an act or an item (that
object visible first, else "not found"). The pages keep only the display.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy import Table, select

from dadkhahi.access import reads
from dadkhahi.access.policy import Principal, params, visible
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.persian import label_key
from dadkhahi.search.persons import MAX_QUERY, PersonHit, search_persons
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: The filters an explicit search may be narrowed by (the search page's form fields).
FILTERS = ("list", "province", "prison", "date_from", "date_to", "sex", "affiliation")
#: Persons a person picker offers at once.
PICKS = 8
#: What a picker's form may be about: kind → its table (the kind names it in "not found").
PICKED_FOR: dict[str, Table] = {"act": s.acts, "item": s.items}


def _passes(norm: dict[str, Any], source_id: str, asked: dict[str, str],
            died: tuple[date | None, date | None]) -> bool:
    if asked.get("list") and source_id != asked["list"]:
        return False
    for name, key_name, kind in (("province", "province_key", "place"),
                                 ("prison", "prison_key", "place"),
                                 ("affiliation", "affiliation_key", "org")):
        if asked.get(name) and norm.get(key_name) != label_key(asked[name], kind):
            return False
    if asked.get("sex") and norm.get("sex") != asked["sex"]:
        return False
    low, high = died
    if low is not None or high is not None:
        if not norm.get("death_earliest"):
            return False
        earliest = date.fromisoformat(str(norm["death_earliest"]))
        latest = date.fromisoformat(str(norm.get("death_latest") or norm["death_earliest"]))
        if (low is not None and latest < low) or (high is not None and earliest > high):
            return False
    return True


def filtered(store: Store, principal: Principal, hits: tuple[PersonHit, ...],
             asked: dict[str, str], died: tuple[date | None, date | None]
             ) -> list[PersonHit]:
    """Hits with at least one matched record that meets every filter: ``asked`` holds
    the :data:`FILTERS` as typed (empty = not asked), ``died`` the date-of-death
    interval already parsed. The records are read under the one visibility rule and
    their protected ones audited ("search persons"), as the search itself audits them."""
    if not any(asked.get(f) for f in FILTERS):
        return list(hits)
    ids = [r.record_id for h in hits for r in h.records]
    with store.reading() as conn:
        rows = [dict(r) for r in conn.execute(
            select(s.records).where(s.records.c.id.in_(ids), visible(principal, s.records)),
            params(principal)).mappings()]
        shown, audited = reads.render_rows(store, conn, principal, reads.RESOURCES["records"],
                                           rows)
    reads.PendingAudit("search persons", audited).record(store, principal)
    by_id = {str(r["id"]): r for r in shown}
    return [h for h in hits if any(
        r.record_id in by_id and _passes(by_id[r.record_id].get("normalized") or {},
                                         r.source_id, asked, died) for r in h.records)]


def unprotected(store: Store, hits: tuple[PersonHit, ...] | list[PersonHit]
                ) -> list[PersonHit]:
    """Hits whose person and records are not protected: what is offered as you type
    (never a protected hit, whoever types)."""
    persons = [h.person_id for h in hits if h.person_id]
    records = [r.record_id for h in hits for r in h.records]
    protected = str(Sensitivity.PROTECTED)
    with store.reading() as conn:
        hidden = set(conn.execute(select(s.persons.c.id).where(
            s.persons.c.id.in_(persons), s.persons.c.sensitivity == protected)).scalars())
        hidden |= set(conn.execute(select(s.records.c.id).where(
            s.records.c.id.in_(records), s.records.c.sensitivity == protected)).scalars())
    return [h for h in hits if h.person_id not in hidden
            and not any(r.record_id in hidden for r in h.records)]


def _found(store: Store, principal: Principal, name: str, limit: int
           ) -> tuple[PersonHit, ...]:
    """The search's hits for what is being typed: none for fewer than two characters
    or a name without letters (typing is not an error)."""
    if len(name.strip()) < 2:
        return ()
    try:
        return search_persons(store, principal, name[:MAX_QUERY], limit=limit).hits
    except ValidationError:
        return ()


def suggestions(store: Store, principal: Principal, name: str, *, limit: int
                ) -> list[PersonHit]:
    """Search-as-you-type: at most ``limit`` hits for ``name``, none protected; nothing
    for fewer than two characters or a name without letters."""
    return unprotected(store, _found(store, principal, name, limit * 2))[:limit]


def person_picks(store: Store, principal: Principal, about: Literal["act", "item"],
                 object_id: str,
                 name: str, *, explicit: bool) -> list[PersonHit]:
    """The persons a form's picker offers for ``name``, the form being about the
    ``about`` (a key of :data:`PICKED_FOR`) ``object_id``: that object must be visible
    (else NotFoundError, as its page). Linked hits only (a form names a person, not a
    record). As you type (``explicit`` false) no protected hit, as the search page's
    suggestions; asked explicitly (a Find button) every hit the visitor may see, the
    search auditing the protected ones."""
    with store.reading() as conn:
        reads.visible_row(conn, principal, PICKED_FOR[about], object_id, about)
    found = _found(store, principal, name, PICKS * 2)
    hits = list(found) if explicit else unprotected(store, found)
    return [h for h in hits if h.person_id][:PICKS]
