"""The linkage review queue: two records side by side, decided from the keyboard.

``s`` same person, ``d`` different persons, ``n`` not sure (the pair goes to another
reviewer), ``u`` undo the last decision (a superseding decision that returns the pair to
what was in force before, never a deletion). A pair someone decided before (an unsure
reviewer, a decision a new list version sent back) shows that decision. Pairs, their
visibility (both records or nothing), progress, decisions and undo are the linkage
service's (:mod:`dadkhahi.services.lists_linkage`), exactly as ``/api/linkage/review``
and ``/api/linkage/decisions`` use them. Forms post back and redirect, so the queue works
without JavaScript; the keys are a script file.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access.policy import Permission
from dadkhahi.domain.errors import UserError
from dadkhahi.services import lists_linkage
from dadkhahi.web.i18n import language
from dadkhahi.web.nav import N_, holding, register
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router, permitted
from dadkhahi.web.pages.labels import COMPARISONS
from dadkhahi.web.pages.persons import DECISIONS, FIELDS
from dadkhahi.web.render import render
from dadkhahi.web.security import read_form, visitor

router = page_router()
register("/review", N_("Review queue"), holding(Permission.REVIEW, Permission.ANALYSE))

#: Decisions a reviewer records here, and every decision as shown.
CHOICES = ("same", "different", "unsure")
SHOWN = {**DECISIONS, "unsure": N_("not sure (for another reviewer)"),
         "withdrawn": N_("withdrawn (undone)")}


@router.get("/review")
async def queue(request: Request, lang: LangDep, current: VisitorDep,
                error: str | None = None) -> Response:
    """The next undecided pair the visitor may see (both records), with progress."""
    permitted(request, current, lang, Permission.REVIEW, Permission.ANALYSE)
    store = request.app.state.store
    pairs = await run_in_threadpool(lists_linkage.review_for, store, current.principal, 1)
    progress = await run_in_threadpool(lists_linkage.review_progress, store,
                                       current.principal)
    pair = pairs[0] if pairs else None
    rows = []
    if pair is not None:
        left, right = pair["left"]["normalized"], pair["right"]["normalized"]
        rows = [(label, left.get(key) or "", right.get(key) or "",
                 (left.get(key) or "") != (right.get(key) or ""))
                for key, label in FIELDS if left.get(key) or right.get(key)]
    tr = language(lang).gettext
    return render(request, "review.html", {
        "pair": pair, "rows": rows, "progress": progress, "decisions": SHOWN,
        "comparisons": COMPARISONS,
        "may_apply": current.principal.can(Permission.ANALYSE),
        "error": tr("That decision could not be recorded. Reload the queue.") if error
        else None,
    }, current, lang)


@router.post("/review")
async def decide(request: Request, lang: LangDep) -> Response:
    """Record same / different / not sure for the pair shown, or undo the visitor's last
    decision."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.REVIEW, Permission.ANALYSE)
    store = request.app.state.store
    decision = form.get("decision", "")
    record_a, record_b = form.get("record_a", ""), form.get("record_b", "")
    if decision != "undo" and (decision not in CHOICES or not record_a or not record_b):
        return RedirectResponse(f"/{lang}/review?error=1", status_code=303)
    try:
        if decision == "undo":
            await run_in_threadpool(lists_linkage.undo_last_for, store, current.principal)
        else:
            await run_in_threadpool(lists_linkage.decide_for, store, current.principal,
                                    record_a, record_b, decision, form.get("note") or None)
    except UserError:
        return RedirectResponse(f"/{lang}/review?error=1", status_code=303)
    return RedirectResponse(f"/{lang}/review", status_code=303)
