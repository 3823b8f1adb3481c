"""The dashboard: what the ledger holds, as this visitor may see it, and its acts by
month, prison and province, each a chart drawn on the server with its table beside it."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access.overview import BREAKDOWNS, ActCounts, acts_by, overview
from dadkhahi.access.policy import Principal
from dadkhahi.access.small_counts import SMALL_CELL
from dadkhahi.http.requests import run_read
from dadkhahi.store.store import Store
from dadkhahi.web.charts import bars_svg
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
    # The acts first: the overview's count of them is the breakdowns' (kept), not counted
    # again on the event loop.
    acts = await run_in_threadpool(_acts, store, current.principal)
    found = await run_read(store, overview, store, current.principal)
    return render(request, "dashboard.html",
                  {"overview": found, "counted": COUNTED, "small_cell": SMALL_CELL,
                   "breakdowns": _tables(acts)}, current, lang)


#: The headings of the breakdowns, and what a row without a key is.
HEADINGS = {"month": (N_("Acts by month"), N_("Month"), N_("no date shown")),
            "prison": (N_("Acts by prison"), N_("Prison"), N_("not at a prison")),
            "province": (N_("Acts by province"), N_("Province"), N_("province not known"))}
#: The chart is an image: matplotlib's inline styles apply inside it, nothing else.
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _acts(store: Store, principal: Principal) -> ActCounts:
    counts, pending = acts_by(store, principal)
    pending.record(store, principal)  # a protected place's name read: audited
    return counts


def _month(key: str) -> tuple[str, str]:
    """The first and last day of a month ``YYYY-MM``."""
    year, month = (int(x) for x in key.split("-"))
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1).isoformat(), dt.date(year, month, last).isoformat()


def _tables(acts: ActCounts) -> list[dict[str, Any]]:
    """Each breakdown's rows (numbered as the chart's bars), for the template: a month as
    its span of days, a place by its name as the reader may see it."""
    out = []
    for name in BREAKDOWNS:
        table = getattr(acts, name)
        rows: list[dict[str, Any]] = []
        for key, n in table.shown:
            row: dict[str, Any] = {"key": key, "count": n}
            if key is not None and name == "month":
                row["span"] = _month(key)
            elif key is not None:
                row["place"] = acts.places.get(key)
            rows.append(row)
        heading, column, empty = HEADINGS[name]
        out.append({"name": name, "heading": heading, "column": column, "empty": empty,
                    "rows": rows, "other": table.other, "total": table.total})
    return out


@router.get("/dashboard/chart.svg")
async def chart(request: Request, lang: LangDep, current: VisitorDep,
                of: str = "month") -> Response:
    """The chart of one breakdown (``of``: month, prison or province): the same rows as
    the page's table, in its order (a merged 'other' row last)."""
    if of not in BREAKDOWNS:
        raise HTTPException(status_code=404)
    name = of
    acts = await run_in_threadpool(_acts, request.app.state.store, current.principal)
    table = getattr(acts, name)
    counts = [n for _, n in table.shown] + ([table.other] if table.other is not None else [])
    svg = await run_in_threadpool(bars_svg, counts, lang)
    return Response(svg, media_type="image/svg+xml", headers={
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": CHART_POLICY})
