"""The one person search over HTTP (:mod:`dadkhahi.search.persons`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from dadkhahi.api.deps import PrincipalDep, StoreDep
from dadkhahi.api.models import PersonSearchIn, PersonSearchOut
from dadkhahi.search.persons import search_persons

router = APIRouter(prefix="/api", tags=["search"])


@router.post("/persons/search", response_model=PersonSearchOut)
async def persons_search(body: PersonSearchIn, store: StoreDep,
                         principal: PrincipalDep) -> Any:
    """Persons whose records carry a name, in any script, best first, with why each hit
    matched. Only what you may see is searched; anyone may ask (public records for
    visitors). The name is in the body so it never reaches a URL or an access log."""
    found = await run_in_threadpool(search_persons, store, principal, body.name,
                                    limit=body.limit, min_score=body.min_score)
    return found.as_dict()
