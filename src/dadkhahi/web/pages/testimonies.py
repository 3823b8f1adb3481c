"""Testimonies: the list of those the visitor may see, and one testimony with its
interview, consents, segments (direct or hearsay) and their translations.

Thin over ``services.testimonies`` (the API's service): a testimony is listed and shown
only as the one disclosure rule lets its source go to the visitor, so anyone else gets
the same "not found" as for a testimony that does not exist; protected testimonies
listed or shown are audited by the service. Paths carry IDs only (never a witness's
name or the pseudonym); the list's place is a number in the query.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access.policy import Permission
from dadkhahi.services import testimonies as service
from dadkhahi.web.nav import N_, holding, register
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router, signed_in
from dadkhahi.web.pages.persons import SENSITIVITY
from dadkhahi.web.render import render

router = page_router()
# Testimonies are protected by default: the entry is for the team that handles them
# (the pages check again, through the disclosure rule).
register("/testimonies", N_("Testimonies"), holding(Permission.ADD_EVIDENCE,
                                                    Permission.REVIEW))

#: Who a consent is for, in words.
RECIPIENTS = {"team": N_("the documentation team"), "partner": N_("a partner"),
              "un_mechanism": N_("a UN mechanism"), "court": N_("a court"),
              "public": N_("the public")}
#: A consent's state, in words.
CONSENT = {"given": N_("given"), "refused": N_("refused"), "withdrawn": N_("withdrawn")}
#: How the witness knows what a segment says.
KNOWLEDGE = {"direct": N_("seen or lived by the witness"),
             "hearsay": N_("heard from others")}

Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/testimonies")
async def list_testimonies(request: Request, lang: LangDep, current: VisitorDep,
                         offset: Offset = 0) -> Response:
    """The testimonies whose source may go to the visitor, newest first, paged."""
    signed_in(request, current, lang)
    found = await run_in_threadpool(service.list_for, request.app.state.store,
                                    current.principal, offset=offset)
    return render(request, "testimonies.html", {
        **found, "page_size": service.PAGE_SIZE, "sensitivity": SENSITIVITY,
    }, current, lang)


@router.get("/testimonies/{testimony_id}")
async def show_testimony(request: Request, lang: LangDep, current: VisitorDep,
                         testimony_id: str) -> Response:
    """One testimony: the interview, consent per recipient, and the segments in order
    with their translations beside them."""
    signed_in(request, current, lang)
    shown = await run_in_threadpool(service.show_for, request.app.state.store,
                                    current.principal, testimony_id)
    return render(request, "testimony.html", {
        "t": shown, "recipients": RECIPIENTS, "consent": CONSENT, "knowledge": KNOWLEDGE,
        "sensitivity": SENSITIVITY,
    }, current, lang)
