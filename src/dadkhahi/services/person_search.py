"""The one person search for every face: filters, suggestions and person pickers.

:func:`dadkhahi.search.persons.search_persons` is the only search. What the faces add
on top lives here, once: an explicit search narrowed by filters on the matched records
(:func:`search`: read under the one visibility rule and audited), search-as-you-type
that leaves protected persons and records out (:func:`suggestions`), and the person
picker of a form about an act or an item (that object visible first, else "not
found"). The search page and ``POST /api/persons/search`` call the same two functions;
they keep only the display.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any, Literal

from sqlalchemy import Table, select

from dadkhahi.access import reads
from dadkhahi.access.policy import Principal, params, visible
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.persian import DateParseError, label_key, parse_date
from dadkhahi.search.persons import (
    DEFAULT_MIN_SCORE,
    MAX_LIMIT,
    MAX_QUERY,
    PersonHit,
    PersonSearch,
    search_persons,
)
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: The filters an explicit search may be narrowed by (the search page's form fields).
FILTERS = ("list", "province", "prison", "date_from", "date_to", "sex", "affiliation")
#: The values of the ``sex`` filter (a record's normalised ``sex``).
SEXES = ("m", "f")
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


def death_bound(text: str) -> tuple[date, date] | None:
    """A date of death as a filter types it, in either calendar and any digits, as its
    interval (None when empty); :class:`DateParseError` if it is not a date."""
    if not text.strip():
        return None
    found = parse_date(text)
    return found.earliest, found.latest


def search(store: Store, principal: Principal, name: str, asked: Mapping[str, str], *,
           limit: int, min_score: float = DEFAULT_MIN_SCORE) -> PersonSearch:
    """An explicit search (every hit the principal may see, the protected ones audited)
    narrowed by the :data:`FILTERS` in ``asked`` (empty or absent: not asked; dates of
    death in either calendar, the earliest of ``date_from`` to the latest of
    ``date_to``). A filter that is not valid is a :class:`ValidationError` naming it,
    before anything is searched."""
    unknown = sorted(set(asked) - set(FILTERS))
    if unknown:
        raise ValidationError(f"{unknown[0]}: not a filter (choose among "
                              f"{', '.join(FILTERS)})")
    if asked.get("sex") and asked["sex"] not in SEXES:
        raise ValidationError(f"sex: one of {', '.join(SEXES)}")
    span: list[date | None] = [None, None]
    for i, field in enumerate(("date_from", "date_to")):
        try:
            found = death_bound(asked.get(field) or "")
        except DateParseError:
            raise ValidationError(f"{field}: not a date (write 1367/05/12 or "
                                  "1988-08-03)") from None
        if found is not None:
            span[i] = found[i]
    hits = search_persons(store, principal, name, limit=limit, min_score=min_score)
    kept = filtered(store, principal, hits.hits, {k: v or "" for k, v in asked.items()},
                    (span[0], span[1]))
    return replace(hits, hits=tuple(kept))


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


def _found(store: Store, principal: Principal, name: str, limit: int,
           min_score: float = DEFAULT_MIN_SCORE) -> PersonSearch | None:
    """The search's answer for what is being typed: none for fewer than two characters
    or a name without letters (typing is not an error)."""
    if len(name.strip()) < 2:
        return None
    try:
        return search_persons(store, principal, name[:MAX_QUERY], limit=limit,
                              min_score=min_score)
    except ValidationError:
        return None


def suggestions(store: Store, principal: Principal, name: str, *, limit: int,
                min_score: float = DEFAULT_MIN_SCORE) -> PersonSearch:
    """Search-as-you-type: at most ``limit`` hits for ``name``, none protected; nothing
    for fewer than two characters or a name without letters. ``candidates`` counts the
    hits offered only: the search's own count takes in protected records, which only an
    explicit, audited search tells of."""
    found = _found(store, principal, name, min(limit * 2, MAX_LIMIT), min_score)
    if found is None:
        return PersonSearch(query=name.strip(), hits=(), candidates=0)
    hits = tuple(unprotected(store, found.hits)[:limit])
    return replace(found, hits=hits, candidates=len(hits), more=False)


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
    search = _found(store, principal, name, PICKS * 2)
    found = () if search is None else search.hits
    hits = list(found) if explicit else unprotected(store, found)
    return [h for h in hits if h.person_id][:PICKS]
