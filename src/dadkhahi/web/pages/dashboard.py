"""The dashboard: what the ledger holds, as this visitor may see it."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from dadkhahi.access.overview import overview
from dadkhahi.access.small_counts import SMALL_CELL
from dadkhahi.http.requests import run_read
from dadkhahi.web.nav import N_, register
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router
from dadkhahi.web.render import render

router = page_router()
register("/", N_("Dashboard"))

#: The counts shown, in order, with their labels.
COUNTED = (
    ("persons", N_("Documented persons")),
    ("lists", N_("Lists")),
    ("records", N_("Records")),
    ("sources", N_("Sources")),
    ("items", N_("Evidence items")),
    ("places", N_("Places")),
    ("acts", N_("Acts")),
)


@router.get("/")
async def dashboard(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """Counts, the latest released estimate, the ledger's checkpoint and verification."""
    store = request.app.state.store
    found = await run_read(store, overview, store, current.principal)
    return render(request, "dashboard.html",
                  {"overview": found, "counted": COUNTED, "small_cell": SMALL_CELL},
                  current, lang)
