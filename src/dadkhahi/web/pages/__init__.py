"""Page routers, in the order of the navigation bar."""

from __future__ import annotations

from fastapi import APIRouter

from dadkhahi.web.pages import (
    act_forms,
    admin,
    auth,
    cases,
    dashboard,
    documents,
    estimates,
    facts,
    imports,
    jobs,
    persons,
    places,
    review,
    search,
    sources,
    testimonies,
    transcriptions,
)

#: Every page router; the app includes them, the access matrix walks their routes.
ROUTERS: tuple[APIRouter, ...] = (dashboard.router, search.router, documents.router,
                                  sources.router,
                                  imports.router, places.router,
                                  act_forms.router, facts.router,
                                  estimates.router,
                                  review.router, transcriptions.router, testimonies.router,
                                  persons.router, jobs.router, cases.router, admin.router,
                                  auth.router)
