"""Estimates: the recorded estimates of the total with their intervals, methods, seeds
and releases, a chart of them drawn on the server with its data table beside it, and a
form that queues an estimate of the store as a job (analysts).

Which estimates a reader sees is the estimate service's rule
(:func:`dadkhahi.services.estimates.stored_estimates`); queueing is the job service's
(:func:`dadkhahi.services.jobs.enqueue_estimate`), exactly as ``/api/estimates/runs``
does it. The page never runs an estimate itself: the worker does.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access.policy import Permission
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.services import estimates, jobs
from dadkhahi.web.charts import bars_svg, estimates_svg
from dadkhahi.web.i18n import ascii_digits, language
from dadkhahi.web.nav import N_, register
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router, permitted
from dadkhahi.web.render import render
from dadkhahi.web.security import read_form, visitor

router = page_router()
register("/estimates", N_("Estimates"))

#: Methods offered, in the order of the list, with what they are.
METHODS = {
    "lcmcr": N_("Bayesian latent-class model (LCMCR), the default"),
    "loglinear": N_("log-linear model, chosen by AIC"),
    "loglinear-bic": N_("log-linear model, chosen by BIC"),
    "loglinear-avg": N_("log-linear models averaged (AIC weights)"),
    "loglinear-avg-bic": N_("log-linear models averaged (BIC weights)"),
    "lp": N_("Lincoln-Petersen (two lists)"),
    "chao": N_("Chao's lower bound"),
}
STRATA = {"": N_("no strata"), "province": N_("province"), "city": N_("city"),
          "prison": N_("prison"), "period": N_("period")}
AUDIENCES = {"public": N_("the public"), "team": N_("the team"), "partner": N_("a partner"),
             "court": N_("a court"), "un_mechanism": N_("a UN mechanism")}
#: Estimates shown (and drawn) on the page.
SHOWN = 20
#: The chart is an image: its own policy lets matplotlib's inline styles apply inside
#: it, and nothing else (no script, no request, sandboxed).
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


#: What an estimator's diagnostics are called on the page (others by their key).
DIAGNOSTICS = {
    "iterations": N_("Sweeps of the chains"), "max_iterations": N_("Sweeps at most"),
    "chains": N_("Chains"), "converged": N_("Converged"), "rhat": N_("R-hat"),
    "ess": N_("Effective sample size"), "min_ess": N_("Effective sample size wanted"),
    "max_classes": N_("Latent classes at most"),
    "occupied_classes_mean": N_("Latent classes occupied (mean)"),
    "alpha_mean": N_("Concentration (mean)"), "seed": N_("Seed"),
    "posterior_mean": N_("Posterior mean"), "posterior_sd": N_("Posterior standard deviation"),
    "warm_start": N_("Started from an earlier run"), "criterion": N_("Criterion"),
    "selected_model": N_("Model selected"), "selected_df": N_("Its degrees of freedom"),
    "se": N_("Standard error"), "interval_method": N_("Interval method"),
    "multinomial_estimate": N_("Multinomial estimate"), "search": N_("Models searched"),
    "estimand": N_("What is estimated"),
}


def _detail_id(request: Request, rows: list[dict[str, Any]]) -> str | None:
    """The estimate whose diagnostics are shown: ``?estimate=`` if it is on the page,
    else the newest."""
    wanted = request.query_params.get("estimate")
    ids = [str(r["id"]) for r in rows]
    return wanted if wanted in ids else (ids[0] if ids else None)


async def _page(request: Request, lang: str, errors: dict[str, str] | None = None,
                entered: dict[str, str] | None = None, status: int = 200) -> Response:
    current = await visitor(request)
    store = request.app.state.store
    rows = await run_in_threadpool(estimates.stored_estimates, store, current.principal,
                                   SHOWN)
    chosen = _detail_id(request, rows)
    detail = None if chosen is None else await run_in_threadpool(
        estimates.estimate_detail, store, current.principal, chosen)
    return render(request, "estimates.html", {
        "detail": detail, "diagnostic_labels": DIAGNOSTICS,
        "detail_row": None if chosen is None else [str(r["id"]) for r in rows].index(chosen) + 1,
        "rows": rows, "methods": METHODS, "strata": STRATA, "audiences": AUDIENCES,
        "may_run": current.principal.can(Permission.ANALYSE), "errors": errors or {},
        "entered": entered or {"method": "lcmcr", "by": "", "seed": "1", "level": "95"},
    }, current, lang, status)


@router.get("/estimates")
async def page(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The estimates the visitor may see, drawn and tabled; the form to queue one."""
    return await _page(request, lang)


@router.get("/estimates/chart.svg")
async def chart(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The chart of the page's estimates (the same rows, in the same order)."""
    rows = await run_in_threadpool(estimates.stored_estimates, request.app.state.store,
                                   current.principal, SHOWN)
    svg = await run_in_threadpool(estimates_svg, rows, lang)
    return Response(svg, media_type="image/svg+xml", headers={
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": CHART_POLICY})


@router.get("/estimates/overlap.svg")
async def overlap_chart(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The overlap of each pair of lists of one estimate (``?estimate=``), a bar per row
    of the table beside it (a suppressed small overlap drawn as nothing)."""
    chosen = request.query_params.get("estimate", "")
    detail = await run_in_threadpool(estimates.estimate_detail, request.app.state.store,
                                     current.principal, chosen)
    if detail is None or detail["capture"] is None:
        raise NotFoundError("no such estimate")
    counts = [n or 0 for _, _, n in detail["capture"]["overlaps"]]
    svg = await run_in_threadpool(bars_svg, counts, lang)
    return Response(svg, media_type="image/svg+xml", headers={
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": CHART_POLICY})


def _checked(form: dict[str, str], lang: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's settings, or an error per field (digits in any script are accepted)."""
    tr = language(lang).gettext
    errors: dict[str, str] = {}
    method = form.get("method", "")
    if method not in METHODS:
        errors["method"] = tr("Choose a method.")
    by = form.get("by", "")
    if by not in STRATA:
        errors["by"] = tr("Choose a stratum, or none.")
    seed_text, level_text = ascii_digits(form.get("seed", "")).strip(), ascii_digits(
        form.get("level", "")).strip()
    seed = int(seed_text) if seed_text.isdigit() and int(seed_text) < 2**31 else None
    if seed is None:
        errors["seed"] = tr("The seed is a whole number from 0 to 2147483647.")
    try:
        level = float(level_text) / 100
    except ValueError:
        level = 0.0
    if not 0.5 < level < 1:
        errors["level"] = tr("The interval's level is a percentage above 50 and below 100.")
    return {"method": method, "by": by or None, "seed": seed, "level": level}, errors


@router.post("/estimates")
async def run(request: Request, lang: LangDep) -> Response:
    """Queue an estimate of the store's linked lists; the jobs page shows its progress."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ANALYSE)
    entered = {k: form.get(k, "") for k in ("method", "by", "seed", "level")}
    settings, errors = _checked(form, lang)
    if not errors:
        try:
            await run_in_threadpool(
                jobs.enqueue_estimate, request.app.state.store, current.principal,
                settings["method"], by=settings["by"], seed=settings["seed"],
                level=settings["level"], iterations=None, chains=None, draws=None)
        except UserError:
            errors["method"] = language(lang).gettext("The estimate could not be queued.")
    if errors:
        return await _page(request, lang, errors, entered, 422)
    return RedirectResponse(f"/{lang}/jobs", status_code=303)
