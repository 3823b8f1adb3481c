"""Places: an offline map of prisons, cities and burial sites with their status, and a
page per place with the acts, persons and claims tied to it.

The map is the memorial's: one script (``assets/static/map/map.js``) over Natural Earth
country outlines (world-atlas), both from the assets mechanism; there is no tile server
and nothing is loaded from another origin. It takes its data as the memorial does, from
classic scripts calling a global callback (:mod:`dadkhahi.assets.maps`): the outlines
are a fingerprinted asset, the places a script this router answers per request
(``.../map-data.js``, the same read and filters as the page, JSON inside, so
``script-src 'self'`` holds and no value becomes code). The places are listed in a table
beside the map for screen readers and for pages read without JavaScript.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import reads
from dadkhahi.access.policy import Permission
from dadkhahi.assets import maps
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.vocab import PlaceStatus, Sensitivity
from dadkhahi.services import objects
from dadkhahi.store.store import Store
from dadkhahi.web.i18n import language
from dadkhahi.web.nav import N_, register
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router, permitted
from dadkhahi.web.pages.forms import choices, cited_errors, read_date, support_of
from dadkhahi.web.pages.persons import ACT_TYPES, ROLES, SENSITIVITY
from dadkhahi.web.render import render
from dadkhahi.web.security import Visitor, read_form, visitor

router = page_router()
register("/places", N_("Places"))

PLACE_KINDS = {
    "country": N_("country"), "province": N_("province"), "city": N_("city"),
    "prison": N_("prison"), "burial_site": N_("burial site"), "court": N_("court"),
    "other": N_("other"),
}
STATUSES = {
    "intact": N_("intact"), "damaged": N_("damaged"), "destroyed": N_("destroyed"),
    "built_over": N_("built over"), "unknown": N_("unknown"),
}
#: What a source may state of a site ("unknown" is the absence of a statement).
STATED_STATUSES = {k: v for k, v in STATUSES.items() if k != "unknown"}
#: Places on one map (the list below it is paged like every list).
MAP_LIMIT = 500


def _read(store: Store, principal: Any, resource: str, query: reads.PageQuery
          ) -> reads.Page:
    page, pending = reads.read_page(store, principal, reads.RESOURCES[resource], query)
    pending.record(store, principal)
    return page


def _map_data(places: list[dict[str, Any]], lang: str) -> Response:
    """The places with coordinates as the map script reads them: a classic script calling
    ``dadkhahiPlaces`` (JSON inside). Only this origin may load it as a script
    (``Cross-Origin-Resource-Policy``), and it is never cached, like the pages."""
    data = [{"id": p["id"], "name": (p.get("name_fa") if lang == "fa" else None)
             or p.get("name"), "kind": p["kind"], "status": p.get("status") or "unknown",
             "lat": p["latitude"], "lon": p["longitude"]}
            for p in places if p.get("latitude") is not None
            and p.get("longitude") is not None]
    return Response(maps.places_script(data), media_type="text/javascript; charset=utf-8",
                    headers={"Cross-Origin-Resource-Policy": "same-origin"})


def _asked(request: Request) -> dict[str, str]:
    """The list's filters: codes of kind and status only, never free text."""
    return {k: v for k, v in request.query_params.items()
            if (k == "kind" and v in PLACE_KINDS) or (k == "status" and v in STATUSES)}


def _list(store: Store, principal: Any, asked: dict[str, str]) -> reads.Page:
    return _read(store, principal, "places", reads.PageQuery(
        filters=asked, sort="name", limit=MAP_LIMIT, count=True))


@router.get("/places")
async def places(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The map and the list of places the visitor may see, filtered by kind and status."""
    asked = _asked(request)
    store: Store = request.app.state.store
    page = await run_in_threadpool(_list, store, current.principal, asked)
    query = urlencode(sorted(asked.items()))
    return render(request, "places.html", {
        "page": page, "asked": asked, "kinds": PLACE_KINDS, "statuses": STATUSES,
        "map_data": f"/{lang}/places/map-data.js" + (f"?{query}" if query else ""),
    }, current, lang)


@router.get("/places/map-data.js")
async def places_map_data(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The places of the list page's map (the same read and filters as the page)."""
    store: Store = request.app.state.store
    page = await run_in_threadpool(_list, store, current.principal, _asked(request))
    return _map_data(page.data, lang)


@router.get("/places/{place_id}/map-data.js")
async def place_map_data(request: Request, lang: LangDep, current: VisitorDep,
                         place_id: str) -> Response:
    """One place for its page's map (404 when the visitor may not see it)."""
    store: Store = request.app.state.store
    found = await run_in_threadpool(reads.get_object, store, current.principal,
                                    reads.RESOURCES["places"], place_id)
    return _map_data([found], lang)


@router.get("/places/{place_id}")
async def place(request: Request, lang: LangDep, current: VisitorDep,
                place_id: str) -> Response:
    """One place: what it is, its status over time (with a form to state a new one for
    those who may add facts), the acts there and the persons in them, and the claims
    about it with their sources."""
    return await _place_page(request, lang, current, place_id)


async def _place_page(request: Request, lang: str, current: Visitor, place_id: str, *,
                      template: str = "place.html", entered: dict[str, str] | None = None,
                      errors: dict[str, str] | None = None, status: int = 200) -> Response:
    """The place page, or its status section alone (``_place_status.html``, for htmx)."""
    store: Store = request.app.state.store
    principal = current.principal
    may_add = principal.can(Permission.ADD_FACTS)

    def gather() -> dict[str, Any]:
        found = reads.get_object(store, principal, reads.RESOURCES["places"], place_id)
        listed = choices(store, principal, ("sources",)) if may_add else {}
        history = objects.place_status_history(store, principal, place_id)
        if template != "place.html":
            return {"place": found, "status_history": history, **listed}
        acts = _read(store, principal, "acts", reads.PageQuery(
            filters={"place_id": place_id}, limit=200)).data
        involved: dict[str, list[dict[str, Any]]] = {}
        persons: dict[str, dict[str, Any]] = {}
        for act in acts:
            rows = _read(store, principal, "involvements", reads.PageQuery(
                filters={"act_id": str(act["id"])}, limit=200)).data
            involved[str(act["id"])] = rows
            for row in rows:
                pid = row.get("person_id")
                if pid and pid not in persons:
                    with contextlib.suppress(NotFoundError):  # visible act, hidden person
                        persons[pid] = reads.get_object(store, principal,
                                                        reads.RESOURCES["persons"], pid)
        claims = _read(store, principal, "claims", reads.PageQuery(
            filters={"entity_kind": "place", "entity_id": place_id}, limit=200)).data
        children = _read(store, principal, "places", reads.PageQuery(
            filters={"parent_id": place_id}, limit=200)).data
        return {"place": found, "acts": acts, "involved": involved, "persons": persons,
                "claims": claims, "children": children, "status_history": history,
                **listed}

    shown = await run_in_threadpool(gather)
    return render(request, template, {
        **shown, "kinds": PLACE_KINDS, "statuses": STATUSES, "stated": STATED_STATUSES,
        "act_types": ACT_TYPES, "roles": ROLES, "sensitivity": SENSITIVITY,
        "may_add": may_add, "errors": errors or {},
        "entered": entered or {"sensitivity": shown["place"]["sensitivity"]},
        "map_data": f"/{lang}/places/{place_id}/map-data.js",
    }, current, lang, status)


@router.post("/places/{place_id}/statuses")
async def add_status(request: Request, lang: LangDep, place_id: str) -> Response:
    """State the place's status (intact, damaged, destroyed, built over) when it held,
    as a source says: a claim in the ledger under the signed-in user, through the same
    service as the command line's ``places status``; the place's current status follows
    the latest accepted one. With htmx the status section is answered in place."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ADD_FACTS)
    store: Store = request.app.state.store
    # A place the visitor may not see is "not found", whatever the form says.
    await run_in_threadpool(reads.get_object, store, current.principal,
                            reads.RESOURCES["places"], place_id)
    tr = language(lang).gettext
    errors = cited_errors(form, tr)
    if form.get("status") not in STATED_STATUSES:
        errors["status"] = tr("Choose the status the source states.")
    date = read_date(form, errors, tr)
    if not errors:
        try:
            await run_in_threadpool(
                objects.add_place_status, store, current.principal, place_id,
                PlaceStatus(form["status"]), [support_of(form)], date=date,
                sensitivity=Sensitivity(form["sensitivity"]))
        except NotFoundError:
            errors["source_id"] = tr("There is no such source, or you may not see it.")
        except UserError:
            errors["sensitivity"] = tr("This could not be recorded with this sensitivity "
                                       "and source.")
    fragment = request.headers.get("hx-request") == "true"
    template = "_place_status.html" if fragment else "place.html"
    if errors:
        return await _place_page(request, lang, current, place_id, template=template,
                                 entered=form, errors=errors,
                                 status=200 if fragment else 422)
    if fragment:
        return await _place_page(request, lang, current, place_id, template=template)
    return RedirectResponse(f"/{lang}/places/{place_id}#status-heading", status_code=303)
