"""Lists and single objects of every kind, creation, and status changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import reads
from dadkhahi.access.policy import ANONYMOUS
from dadkhahi.api.deps import PrincipalDep, StoreDep, VersionDep, read_as_asker
from dadkhahi.api.models import (
    ActChangeIn,
    ActIn,
    ClaimIn,
    ClaimStatusIn,
    FindIn,
    InvolvementIn,
    OrganizationIn,
    Page,
    PersonIn,
    PlaceIn,
    PlaceStatusIn,
    RecordIn,
)
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.facts.entities import Support
from dadkhahi.http.models import SourceIn
from dadkhahi.http.requests import etag
from dadkhahi.services import objects as svc
from dadkhahi.store import ledger_log

router = APIRouter(prefix="/api")

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such object, or not visible to you"}}


def _filter_params(resource: reads.Resource) -> list[dict[str, Any]]:
    return [{"name": f, "in": "query", "required": False, "schema": {"type": "string"}}
            for f in resource.filters if f not in TYPED_FILTERS]


async def _audit(pending: reads.PendingAudit, store: StoreDep, principal: PrincipalDep) -> None:
    if pending.objects:
        await run_in_threadpool(pending.record, store, principal)


# The two read routes are ``async``: a single object or a page read by key is a short
# indexed read that never waits for a lock, so it runs as ``run_read`` says (on the
# event loop on SQLite, sparing the request a hop to a worker thread). Searches, counts,
# other sorts and filters may scan, so they go to a thread rather than hold up every
# other request; so does the audit write, which may wait for the write lock, and which
# is awaited before the answer leaves. Each looks up who is asking on the connection it
# reads with (``read_as_asker``): one hop and one pooled connection for both.


#: Filters whose value is typed, not a code or an object's ID (a list's own record ID is
#: sealed with a protected record, and may be an identity number): taken in a find's
#: body only, as a search's words are.
TYPED_FILTERS = frozenset({"external_id"})


async def _page_of(request: Request, store: StoreDep, resource: reads.Resource,
                   query: reads.PageQuery) -> JSONResponse:
    principal, (page, pending) = await read_as_asker(
        request, store, reads.by_key(resource, query),
        lambda: reads.page_reading(store, resource, query),
        lambda conn, who: reads.read_page(store, who, resource, query, conn))
    await _audit(pending, store, principal)
    # Rows are plain JSON already: skip re-validating them against the model.
    return JSONResponse({"data": page.data, "next_cursor": page.next_cursor,
                         "total": page.total})


def _add_list_and_get(resource: reads.Resource) -> None:
    async def list_objects(
        request: Request,
        store: StoreDep,
        limit: Annotated[int, Query(ge=1, le=reads.MAX_PAGE)] = reads.DEFAULT_PAGE,
        cursor: Annotated[str | None, Query(max_length=2048)] = None,
        sort: Annotated[str, Query(max_length=64, pattern="^-?[a-z_]+$")] = "id",
        count: bool = False,
    ) -> Any:
        typed = sorted({"q", *TYPED_FILTERS} & set(request.query_params))
        if typed:
            # A search's words may be a witness's name: an address is kept by proxies,
            # browsers' histories and clients' logs, which no erasure reaches.
            raise ValidationError(f"{', '.join(typed)}: what is typed to find goes in the "
                                  f"body, never in the address: POST /api/{resource.name}/find")
        filters = {k: v for k, v in request.query_params.items()
                   if k in resource.filters and k not in TYPED_FILTERS}
        return await _page_of(request, store, resource, reads.PageQuery(
            filters=filters, sort=sort, limit=limit, cursor=cursor, count=count))

    async def find_objects(body: FindIn, request: Request, store: StoreDep) -> Any:
        unknown = sorted(set(body.filters) - set(resource.filters))
        if unknown:
            raise ValidationError(f"filters: {resource.name} are filtered by "
                                  f"{', '.join(resource.filters)}")
        return await _page_of(request, store, resource, reads.PageQuery(
            filters=dict(body.filters), q=body.q, sort=body.sort, limit=body.limit,
            cursor=body.cursor, count=body.count))

    async def get_object(request: Request, object_id: str, store: StoreDep) -> Any:
        principal, (obj, pending) = await read_as_asker(
            request, store, True, lambda: reads.object_reading(store, resource),
            lambda conn, who: reads.read_object(store, who, resource, object_id, conn=conn))
        await _audit(pending, store, principal)
        return JSONResponse(obj, headers={"ETag": etag(int(obj["version"]))})

    router.add_api_route(
        f"/{resource.name}", list_objects, methods=["GET"], response_model=Page,
        summary=f"List {resource.name}", tags=[resource.name],
        operation_id=f"list_{resource.name}",
        description=f"Filters: {', '.join(resource.filters)}. Sort by: "
        f"{', '.join(resource.sorts)} (prefix '-' for descending). "
        + (f"Search {', '.join(resource.search)} with POST /api/{resource.name}/find "
           "(the words in the body)." if resource.search else "")
        + (" Filter by " + ", ".join(sorted(TYPED_FILTERS & set(resource.filters)))
           + f" with POST /api/{resource.name}/find." if TYPED_FILTERS & set(resource.filters)
           else ""),
        openapi_extra={"parameters": _filter_params(resource)},
    )
    if resource.search or TYPED_FILTERS & set(resource.filters):
        router.add_api_route(
            f"/{resource.name}/find", find_objects, methods=["POST"], response_model=Page,
            summary=f"Search {resource.name}", tags=[resource.name],
            operation_id=f"find_{resource.name}",
            description=(f"The {resource.name} whose {', '.join(resource.search)} contain "
                         "`q`, " if resource.search else f"The {resource.name} ")
            + "as the list pages them (filters, sort, cursor, count in the body too).")
    router.add_api_route(
        f"/{resource.name}/{{object_id}}", get_object, methods=["GET"],
        response_model=dict[str, Any], summary=f"One {resource.kind}", tags=[resource.name],
        operation_id=f"get_{resource.kind}", responses=_NOT_FOUND,
    )


for _resource in reads.RESOURCES.values():
    _add_list_and_get(_resource)


@router.get("/status", tags=["status"])
def status(store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    """Ledger size and how many objects of each kind you can see."""
    with store.reading() as conn:
        size, origin = ledger_log.head(conn)
    return {"origin": origin, "events": size,
            "counts": reads.count_visible(store, principal or ANONYMOUS)}


@router.post("/sources", status_code=201, tags=["sources"], response_model=dict[str, Any])
def create_source(body: SourceIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Register a source; a protected one has its identifying fields sealed."""
    spec = SourceSpec(**body.model_dump())
    return svc.create_source(store, principal, spec)


@router.post("/records", status_code=201, tags=["records"], response_model=dict[str, Any])
def create_record(body: RecordIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Add one record (what one source says); protected records are sealed."""
    return svc.create_record(
        store, principal, body.source_id, dict(body.verbatim),
        normalized=dict(body.normalized) if body.normalized else None, item_id=body.item_id,
        external_id=body.external_id, sensitivity=body.sensitivity)


@router.post("/persons", status_code=201, tags=["persons"], response_model=dict[str, Any])
def create_person(body: PersonIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Add a person (victim, perpetrator, witness)."""
    return svc.create_person(store, principal, body.label, body.sensitivity,
                                  body.synthetic)


@router.post("/organizations", status_code=201, tags=["organizations"],
             response_model=dict[str, Any])
def create_organization(body: OrganizationIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Add an organisation."""
    return svc.create_organization(store, principal, body.name, body.kind,
                                        body.sensitivity)


@router.post("/places", status_code=201, tags=["places"], response_model=dict[str, Any])
def create_place(body: PlaceIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Add a place to the gazetteer."""
    return svc.create_place(
        store, principal, body.name, body.kind, name_fa=body.name_fa, parent_id=body.parent_id,
        latitude=body.latitude, longitude=body.longitude, status=body.status,
        sensitivity=body.sensitivity)


@router.post("/acts", status_code=201, tags=["acts"], response_model=dict[str, Any])
def create_act(body: ActIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Add an act as the source in ``support`` tells it (required: a claim citing it is
    recorded with the act, which is raised to the source's level when that is stricter);
    who did what to whom comes as involvements."""
    return svc.record_act(
        store, principal, body.type, Support(**body.support.model_dump()),
        place_id=body.place_id, date=body.date.to_range() if body.date else None,
        description=body.description, sensitivity=body.sensitivity)


@router.patch("/acts/{object_id}", tags=["acts"], response_model=dict[str, Any],
              responses={**_NOT_FOUND, 409: {"description": "The act was erased"},
                         412: {"description": "Changed since you read it"},
                         428: {"description": "If-Match missing"}})
def change_act(object_id: str, body: ActChangeIn, version: VersionDep, response: Response,
               store: StoreDep, principal: PrincipalDep) -> Any:
    """Correct an act (kind, place, date, description) as a source tells it; send
    If-Match with the ETag you read. Its persons are changed as involvements."""
    obj = svc.change_act(
        store, principal, object_id, body.type, Support(**body.support.model_dump()),
        place_id=body.place_id, date=body.date.to_range() if body.date else None,
        description=body.description, expected_version=version)
    response.headers["ETag"] = etag(int(obj["version"]))
    return obj


@router.delete("/involvements/{object_id}", status_code=204, tags=["involvements"],
               responses=_NOT_FOUND)
def withdraw_involvement(object_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    """Withdraw a person's or organisation's involvement in an act (the ledger keeps it
    and its withdrawal)."""
    svc.withdraw_involvement(store, principal, object_id)
    return Response(status_code=204)


@router.post("/involvements", status_code=201, tags=["involvements"],
             response_model=dict[str, Any])
def create_involvement(body: InvolvementIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """Tie a person or organisation to an act."""
    return svc.create_involvement(
        store, principal, body.act_id, body.role, person_id=body.person_id,
        organization_id=body.organization_id, sensitivity=body.sensitivity,
        support=[Support(**sup.model_dump()) for sup in body.support])


@router.post("/claims", status_code=201, tags=["claims"], response_model=dict[str, Any])
def create_claim(body: ClaimIn, store: StoreDep, principal: PrincipalDep) -> Any:
    """State one property of an entity with the sources that support it."""
    support = [Support(**sup.model_dump()) for sup in body.support]
    return svc.create_claim(
        store, principal, body.entity_kind, body.entity_id, body.property, body.value, support,
        date=body.date.to_range() if body.date else None, sensitivity=body.sensitivity)


@router.patch("/claims/{object_id}", tags=["claims"], response_model=dict[str, Any],
              responses={**_NOT_FOUND, 412: {"description": "Changed since you read it"},
                         428: {"description": "If-Match missing"}})
def change_claim_status(object_id: str, body: ClaimStatusIn, version: VersionDep,
                        response: Response, store: StoreDep, principal: PrincipalDep) -> Any:
    """Change a claim's status; send If-Match with the ETag you read."""
    obj = svc.change_claim_status(store, principal, object_id, body.status, version)
    response.headers["ETag"] = etag(int(obj["version"]))
    return obj


@router.patch("/places/{object_id}", tags=["places"], response_model=dict[str, Any],
              responses={**_NOT_FOUND, 412: {"description": "Changed since you read it"},
                         428: {"description": "If-Match missing"}})
def change_place_status(object_id: str, body: PlaceStatusIn, version: VersionDep,
                        response: Response, store: StoreDep, principal: PrincipalDep) -> Any:
    """Record a place's new status; send If-Match with the ETag you read."""
    obj = svc.change_place_status(store, principal, object_id, body.status, version)
    response.headers["ETag"] = etag(int(obj["version"]))
    return obj
