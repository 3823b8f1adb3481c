"""Cases: the visitor's cases, and one case's evidence matrix with its gaps.

A case is read by its team only (:mod:`dadkhahi.cases.service`, exactly as ``/api/cases``
reads it): anyone else, whatever their role, gets the same "not found" as for a case
that does not exist, and every read is audited. The matrix says "supported by N
independent sources", never "proven".
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.cases import service
from dadkhahi.web.nav import N_, register, team
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router, signed_in
from dadkhahi.web.render import render

router = page_router()
register("/cases", N_("Cases"), team)

DIRECTIONS = {"incriminating": N_("incriminating"), "exculpatory": N_("exculpatory"),
              "mixed": N_("mixed")}


@router.get("/cases")
async def cases(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The cases whose team the visitor is on."""
    signed_in(request, current, lang)
    found = await run_in_threadpool(service.my_cases, request.app.state.store,
                                    current.principal)
    return render(request, "cases.html", {"cases": found}, current, lang)


@router.get("/cases/{case_id}")
async def case(request: Request, lang: LangDep, current: VisitorDep,
               case_id: str) -> Response:
    """A case's charges, each element with the facts linked to it and their sources,
    and the elements below the threshold of independent sources (the gaps)."""
    signed_in(request, current, lang)
    store = request.app.state.store

    def gather() -> dict[str, Any]:
        matrix = service.case_matrix(store, current.principal, case_id)
        gaps = service.case_gaps(store, current.principal, case_id)
        return {"case": matrix, "gaps": gaps}

    shown = await run_in_threadpool(gather)
    return render(request, "case.html", {**shown, "directions": DIRECTIONS}, current, lang)
