"""The one person search over HTTP, as the search page has it
(:mod:`dadkhahi.services.person_search`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from dadkhahi.api.deps import PrincipalDep, StoreDep
from dadkhahi.api.models import PersonSearchIn, PersonSearchOut
from dadkhahi.domain.errors import ValidationError
from dadkhahi.services import person_search

router = APIRouter(prefix="/api", tags=["search"])


@router.post("/persons/search", response_model=PersonSearchOut)
async def persons_search(body: PersonSearchIn, store: StoreDep,
                         principal: PrincipalDep) -> Any:
    """Persons whose records carry a name, in any script, best first, with why each hit
    matched, narrowed by the search page's filters (list, province, prison, date of death
    in either calendar, sex, affiliation); ``suggest`` answers as the page's
    search-as-you-type (no protected hit, no filters). Only what you may see is
    searched; anyone may ask (public records for visitors). The name is in the body so
    it never reaches a URL or an access log."""
    filters = body.filters()
    if body.suggest:
        if filters:
            raise ValidationError(f"{next(iter(filters))}: filters narrow an explicit "
                                  "search, not suggestions")
        found = await run_in_threadpool(lambda: person_search.suggestions(
            store, principal, body.name, limit=body.limit, min_score=body.min_score))
    else:
        found = await run_in_threadpool(lambda: person_search.search(
            store, principal, body.name, filters, limit=body.limit,
            min_score=body.min_score))
    return found.as_dict()
