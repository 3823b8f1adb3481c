"""Acts, the perpetrator registry, organisations and the timeline.

What each page shows is read by :mod:`dadkhahi.services.facts` under the one disclosure
rule, and every protected object shown is written to the audit trail before the page
is answered. The registry speaks in the language of allegation ("named as having
signed the order for … by 2 sources"), never of findings: guilt is for a court.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import reads
from dadkhahi.access.policy import Permission, Principal
from dadkhahi.persian.dates import DateParseError, parse_date
from dadkhahi.services import facts
from dadkhahi.store.store import Store
from dadkhahi.web.i18n import ascii_digits, language
from dadkhahi.web.nav import N_, register
from dadkhahi.web.pages.common import LangDep, Listing, VisitorDep, page_router
from dadkhahi.web.pages.persons import ACT_TYPES, ROLES, SENSITIVITY
from dadkhahi.web.render import render
from dadkhahi.web.security import Visitor

router = page_router()
register("/acts", N_("Acts"))
register("/timeline", N_("Timeline"))
register("/perpetrators", N_("Named officials"))
register("/organizations", N_("Organisations"))

#: How each alleged role reads ("named as having …"), as facts.registry words it.
ALLEGATIONS = {
    "perpetrator_ordered": N_("named as having ordered"),
    "perpetrator_carried_out": N_("named as having carried out"),
    "perpetrator_took_part": N_("named as having taken part in"),
    "perpetrator_commission_member": N_("named as a member of the commission behind"),
    "signed": N_("named as having signed the order for"),
    "interrogated": N_("named as having interrogated a victim of"),
    "guarded": N_("named as having guarded the victims of"),
    "transported": N_("named as having transported the victims of"),
    "buried": N_("named as having buried the victims of"),
    "sat_on_commission": N_("named as having sat on the commission behind"),
}
#: Claimed properties with a name of their own (others are shown as their key).
PROPERTIES = {
    "position": N_("office held"), "death_date": N_("date of death"),
    "birth_date": N_("date of birth"), "arrest_date": N_("date of arrest"),
    "burial_place": N_("place of burial"), "name": N_("name"),
    "account": N_("what the source says happened"),
}
#: Acts on one page of the list.
ACTS_PAGE = 50
#: The order of a list by when its rows were recorded (the ledger's order; the ID breaks
#: ties, as in every list).
RECORDED = {"-ledger_index": N_("recorded last first"),
            "ledger_index": N_("recorded first first")}
ACT_LIST = Listing({"type": N_("kind of act"), **RECORDED}, "type", {
    "type": (N_("Kind of act"), ACT_TYPES), "sensitivity": (N_("Sensitivity"), SENSITIVITY)})
#: Persons on one page of the registry, and its order (when each was recorded: a
#: protected person's label is sealed, so no statement sorts by it).
REGISTRY_SHOWN = 50
REGISTRY_LIST = Listing(RECORDED, "ledger_index")
ORGANIZATION_LIST = Listing(
    {"name": N_("name"), "-name": N_("name, last first"), **RECORDED}, "name",
    {"sensitivity": (N_("Sensitivity"), SENSITIVITY)})


def labels() -> dict[str, Any]:
    """The words of kinds, roles, sensitivities, allegations and properties the facts
    pages show (translated when shown)."""
    return {"act_types": ACT_TYPES, "roles": ROLES, "sensitivity": SENSITIVITY,
            "allegations": ALLEGATIONS, "properties": PROPERTIES}


def _read_page(store: Store, principal: Principal, resource: str, query: reads.PageQuery
               ) -> reads.Page:
    page, pending = reads.read_page(store, principal, reads.RESOURCES[resource], query)
    pending.record(store, principal)
    return page


def _audited(store: Store, principal: Principal,
             view: Callable[[Store, Principal, str], tuple[dict[str, Any], reads.PendingAudit]],
             object_id: str) -> dict[str, Any]:
    """One object's view, its protected objects written to the audit trail first."""
    shown, pending = view(store, principal, object_id)
    pending.record(store, principal)
    return shown


@router.get("/acts")
async def acts(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """Acts the visitor may see, filtered by type and sensitivity, sorted, paged."""
    return await _listed(request, lang, current, "acts", ACT_LIST, "acts.html",
                         {"may_add": current.principal.can(Permission.ADD_FACTS)})


async def _listed(request: Request, lang: str, current: Visitor, resource: str,
                  listing: Listing, template: str, extra: dict[str, Any]) -> Response:
    """A list page of a resource: its controls asked, a page read in SQL (keyset)."""
    asked = listing.asked(request)
    store: Store = request.app.state.store
    page = await run_in_threadpool(_read_page, store, current.principal, resource,
                                   reads.PageQuery(filters=asked.filters, sort=asked.sort,
                                                   limit=ACTS_PAGE, cursor=asked.cursor,
                                                   count=True))
    return render(request, template, {"page": page, "asked": asked, "listing": listing,
                                      **labels(), **extra}, current, lang)


@router.get("/perpetrators")
async def perpetrators(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The registry of named officials: positions and acts, each with its sources."""
    store: Store = request.app.state.store

    asked = REGISTRY_LIST.asked(request)

    def gather() -> dict[str, Any]:
        entries, orgs, places, pending, next_cursor = facts.registry_page(
            store, current.principal, descending=asked.sort.startswith("-"),
            cursor=asked.cursor, limit=REGISTRY_SHOWN)
        pending.record(store, current.principal)
        return {"entries": entries, "organizations": orgs, "places": places,
                "page": {"next_cursor": next_cursor}}

    shown = await run_in_threadpool(gather)
    return render(request, "perpetrators.html", {**shown, **labels(), "asked": asked,
                                                 "listing": REGISTRY_LIST}, current, lang)


@router.get("/organizations")
async def organizations(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """Organisations (commissions, courts, ministries) the visitor may see, filtered by
    sensitivity, sorted, paged."""
    return await _listed(request, lang, current, "organizations", ORGANIZATION_LIST,
                         "organizations.html", {})


@router.get("/organizations/{organization_id}")
async def organization(request: Request, lang: LangDep, current: VisitorDep,
                       organization_id: str) -> Response:
    """One organisation: acts it is named in, positions held in it, claims about it."""
    view = await run_in_threadpool(_audited, request.app.state.store, current.principal,
                                   facts.organization_view, organization_id)
    return render(request, "organization.html", {**view, **labels()}, current, lang)


def _bound(text: str, end: str) -> str | None:
    """The first (``start``) or last (``end``) day of a date typed in either calendar."""
    found = parse_date(ascii_digits(text))
    day = found.earliest if end == "start" else found.latest
    return None if day is None else day.isoformat()


@router.get("/timeline")
async def timeline(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """Dated acts and events, oldest first, each in both calendars; partial dates keep
    their span and the words of the source."""
    tr = language(lang).gettext
    q = request.query_params
    asked = {k: q[k] for k in ("from", "to") if q.get(k)}
    errors: dict[str, str] = {}
    bounds: dict[str, str | None] = {"from": None, "to": None}
    for key, end in (("from", "start"), ("to", "end")):
        if key in asked:
            try:
                bounds[key] = _bound(asked[key], end)
            except DateParseError:
                errors[key] = tr("Not a date: write it as 1367/05/12, Mordad 1367 or "
                                 "1988-08-03.")
    after_date, after_id = q.get("after_date"), q.get("after_id")
    after = (after_date, after_id) if after_date and after_id else None
    store: Store = request.app.state.store

    def gather() -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
        entries, next_key, pending = facts.timeline_for(
            store, current.principal, earliest=bounds["from"], latest=bounds["to"],
            after=after)
        pending.record(store, current.principal)
        return entries, next_key

    entries, next_key = await run_in_threadpool(gather)
    return render(request, "timeline.html", {
        "entries": entries, "next_key": next_key, "asked": asked, "errors": errors,
        **labels()}, current, lang, 422 if errors else 200)
