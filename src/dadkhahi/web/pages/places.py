"""Places: an offline map of prisons, cities and burial sites with their status, and a
page per place with the acts, persons and claims tied to it.

The map is Leaflet over Natural Earth country outlines (world-atlas, through the assets
mechanism); there is no tile server and nothing is loaded from another origin. The
places shown are handed to the map script as a JSON data block (not executed, so the
CSP's ``script-src 'self'`` holds) and listed in a table beside it for screen readers
and for pages read without JavaScript.
"""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import reads
from dadkhahi.domain.errors import NotFoundError
from dadkhahi.services import objects
from dadkhahi.store.store import Store
from dadkhahi.web.nav import N_, register
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router
from dadkhahi.web.pages.persons import ACT_TYPES, ROLES, SENSITIVITY
from dadkhahi.web.render import render
from dadkhahi.web.security import visitor

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
#: Places on one map (the list below it is paged like every list).
MAP_LIMIT = 500


def _read(store: Store, principal: Any, resource: str, query: reads.PageQuery
          ) -> reads.Page:
    page, pending = reads.read_page(store, principal, reads.RESOURCES[resource], query)
    pending.record(store, principal)
    return page


def _data_block(places: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The places with coordinates, for the map script (rendered with ``tojson``, which
    escapes ``<``, ``>`` and ``&``: the data block stays inert)."""
    return [{"id": p["id"], "name": (p.get("name_fa") if lang == "fa" else None)
             or p.get("name"), "kind": p["kind"], "status": p.get("status") or "unknown",
             "lat": p["latitude"], "lon": p["longitude"]}
            for p in places if p.get("latitude") is not None
            and p.get("longitude") is not None]


@router.get("/places")
async def places(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The map and the list of places the visitor may see, filtered by kind and status."""
    asked = {k: v for k, v in request.query_params.items()
             if (k == "kind" and v in PLACE_KINDS) or (k == "status" and v in STATUSES)}
    store: Store = request.app.state.store
    page = await run_in_threadpool(_read, store, current.principal, "places",
                                   reads.PageQuery(filters=asked, sort="name",
                                                   limit=MAP_LIMIT, count=True))
    return render(request, "places.html", {
        "page": page, "asked": asked, "kinds": PLACE_KINDS, "statuses": STATUSES,
        "data": _data_block(page.data, lang),
    }, current, lang)


@router.get("/places/{place_id}")
async def place(request: Request, lang: LangDep, current: VisitorDep,
                place_id: str) -> Response:
    """One place: what it is, its status, the acts there and the persons in them, and
    the claims about it with their sources."""
    store: Store = request.app.state.store
    principal = (await visitor(request)).principal

    def gather() -> dict[str, Any]:
        found = reads.get_object(store, principal, reads.RESOURCES["places"], place_id)
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
        history = objects.place_status_history(store, principal, place_id)
        return {"place": found, "acts": acts, "involved": involved, "persons": persons,
                "claims": claims, "children": children, "status_history": history}

    shown = await run_in_threadpool(gather)
    return render(request, "place.html", {
        **shown, "kinds": PLACE_KINDS, "statuses": STATUSES, "act_types": ACT_TYPES,
        "roles": ROLES, "sensitivity": SENSITIVITY,
        "data": _data_block([shown["place"]], lang),
    }, current, lang)
