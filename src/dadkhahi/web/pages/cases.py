"""Cases: the visitor's cases, and one case's evidence matrix with its gaps; forms to open
a case, charge a suspect (a framework's crime under a mode of liability) and link a fact
to an element of a charge.

A case is read by its team only (:mod:`dadkhahi.cases.service`, exactly as ``/api/cases``
reads it): anyone else, whatever their role, gets the same "not found" as for a case
that does not exist, and every read is audited. The matrix says "supported by N
independent sources", never "proven". The forms go through the same service functions
as the API's POST routes (visibility, then permission, then the write as a ledger
event); this module only reads the form and words the outcome. Forms carry the CSRF
token every form of the workspace carries (``read_form``).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access.policy import ForbiddenError, Permission
from dadkhahi.cases import service
from dadkhahi.cases.case import Scope
from dadkhahi.domain.errors import UserError
from dadkhahi.domain.vocab import Credibility, Direction, GapStatus, Reliability
from dadkhahi.http.downloads import disposition
from dadkhahi.web.i18n import ascii_digits, language
from dadkhahi.web.nav import N_, register, team
from dadkhahi.web.pages import common
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router, permitted, signed_in
from dadkhahi.web.render import render
from dadkhahi.web.security import Visitor, read_form, visitor

router = page_router()
register("/cases", N_("Cases"), team)

DIRECTIONS = {"incriminating": N_("incriminating"), "exculpatory": N_("exculpatory"),
              "mixed": N_("mixed")}


RELIABILITY = {str(r): str(r) for r in Reliability}
CREDIBILITY = {str(c): str(c) for c in Credibility}
FACT_KINDS = {"act": N_("act"), "involvement": N_("involvement"), "claim": N_("claim")}
#: Between a framework's ID and a crime's or mode's in one option's value.
SEP = "::"
#: Cases on one page of their list, and its order (when each was opened).
CASES_SHOWN = 50
CASE_LIST = common.Listing({"-created_at": N_("newest first"), "created_at": N_("oldest first")},
                    "-created_at")


def _ids(text: str) -> tuple[str, ...]:
    """IDs typed into one field, separated by spaces or commas."""
    return tuple(x for x in ascii_digits(text).replace(",", " ").split() if x)


async def _cases_page(request: Request, lang: str, current: Visitor,
                      errors: dict[str, str] | None = None,
                      entered: dict[str, str] | None = None, status: int = 200) -> Response:
    asked = CASE_LIST.asked(request)
    found, next_cursor = await run_in_threadpool(lambda: service.cases_page(
        request.app.state.store, current.principal, sort=asked.sort, cursor=asked.cursor,
        limit=CASES_SHOWN))
    return render(request, "cases.html", {
        "cases": found, "asked": asked, "listing": CASE_LIST,
        "page": {"next_cursor": next_cursor},
        "may_open": current.principal.can(Permission.REVIEW),
        "errors": errors or {}, "entered": entered or {}}, current, lang, status)


@router.get("/cases")
async def cases(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The cases whose team the visitor is on, and the form to open one."""
    signed_in(request, current, lang)
    return await _cases_page(request, lang, current)


@router.post("/cases")
async def open_case(request: Request, lang: LangDep) -> Response:
    """Open a case (sealed) over suspects, acts and places the visitor can see."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.REVIEW)
    tr = language(lang).gettext
    entered = {k: form.get(k, "") for k in ("title", "suspects", "acts", "places",
                                            "period_from", "period_to")}
    scope = Scope(_ids(entered["suspects"]), _ids(entered["acts"]), _ids(entered["places"]),
                  ascii_digits(entered["period_from"]).strip() or None,
                  ascii_digits(entered["period_to"]).strip() or None)
    if not entered["title"].strip():
        return await _cases_page(request, lang, current, {"title": tr("Give the case a title.")},
                                 entered, 422)
    try:
        opened = await run_in_threadpool(service.open_case, request.app.state.store,
                                         current.principal, entered["title"].strip(), scope)
    except ForbiddenError:
        raise
    except UserError:
        return await _cases_page(request, lang, current, {"form": tr(
            "The case could not be opened: check that every ID names a person, act or place "
            "you can see, and that the dates are YYYY-MM-DD.")}, entered, 422)
    return RedirectResponse(f"/{lang}/cases/{opened['id']}?done=opened", status_code=303)


def _elements(matrix: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each (charge, element) once, in matrix order: the choices a link can go to."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for r in matrix:
        seen.setdefault((r["charge_id"], r["element_id"]), r)
    return list(seen.values())


async def _case_page(request: Request, lang: str, current: Visitor, case_id: str,
                     errors: dict[str, str] | None = None,
                     entered: dict[str, str] | None = None, status: int = 200) -> Response:
    store = request.app.state.store

    def gather() -> dict[str, Any]:
        # The crimes' and elements' words in the page's language (each framework states
        # them in both).
        matrix = service.case_matrix(store, current.principal, case_id, language=lang)
        gaps = service.case_gaps(store, current.principal, case_id, language=lang)
        return {"case": matrix, "gaps": gaps}

    shown = await run_in_threadpool(gather)
    done = request.query_params.get("done")
    # The page's read of the case is audited once (cases.read, above).
    bundles = await run_in_threadpool(lambda: service.case_bundles(
        store, current.principal, case_id, audited=False))
    return render(request, "case.html", {
        **shown, **_bundles_context(case_id, bundles), "directions": DIRECTIONS,
        "elements": _elements(shown["case"]["matrix"]),
        "choices": service.charge_choices(), "sep": SEP, "fact_kinds": FACT_KINDS,
        "reliability": RELIABILITY, "credibility": CREDIBILITY,
        "may_edit": current.principal.can(Permission.REVIEW), "errors": errors or {},
        "entered": entered or {}, "done": done if done in DONE else None, "done_notes": DONE,
        "gap_statuses": GAP_STATUSES},
        current, lang, status)


#: What the notice after a change says, by the change.
DONE = {"opened": N_("The case was opened."), "charged": N_("The charge was added."),
        "linked": N_("The fact was linked."), "marked": N_("The gap was marked."),
        "bundle": N_("The court bundle was queued: it is written by the worker, and offered "
                     "for download here when it is done.")}
#: A gap's marks as shown (``GapStatus``).
GAP_STATUSES = {"investigating": N_("Being investigated"), "unobtainable": N_("Unobtainable"),
                "accepted": N_("Accepted as missing")}
#: Bundle jobs' states as shown.
BUNDLE_STATES = {"queued": N_("Queued"), "running": N_("Running"), "succeeded": N_("Done"),
                 "failed": N_("Failed"), "cancelled": N_("Cancelled")}


def _bundles_context(case_id: str, bundles: list[dict[str, Any]]) -> dict[str, Any]:
    return {"case_id": case_id, "bundles": bundles, "bundle_states": BUNDLE_STATES,
            "bundles_busy": any(b["state"] in ("queued", "running") for b in bundles)}


@router.get("/cases/{case_id}/bundles")
async def bundles(request: Request, lang: LangDep, current: VisitorDep,
                  case_id: str) -> Response:
    """The case's court bundles alone (htmx polls them while one is unfinished)."""
    signed_in(request, current, lang)
    # A poll re-reads the list the case page showed (and audited): not audited again.
    found = await run_in_threadpool(lambda: service.case_bundles(
        request.app.state.store, current.principal, case_id, audited=False))
    return render(request, "case_bundles.html", _bundles_context(case_id, found), current,
                  lang)


@router.get("/cases/{case_id}/bundles/{job_id}")
async def bundle_file(request: Request, lang: LangDep, current: VisitorDep, case_id: str,
                      job_id: str) -> Response:
    """A finished court bundle (a tar of the bag), as an attachment; the download is
    audited before it starts."""
    signed_in(request, current, lang)
    path = await run_in_threadpool(service.bundle_download, request.app.state.store,
                                   current.principal, case_id, job_id)
    return FileResponse(path, media_type="application/x-tar", headers={
        "Content-Disposition": disposition(path.name, "bundle.tar"),
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


@router.get("/cases/{case_id}")
async def case(request: Request, lang: LangDep, current: VisitorDep,
               case_id: str) -> Response:
    """A case's charges, each element with the facts linked to it and their sources,
    and the elements below the threshold of independent sources (the gaps)."""
    signed_in(request, current, lang)
    return await _case_page(request, lang, current, case_id)


@router.post("/cases/{case_id}")
async def change_case(request: Request, lang: LangDep, case_id: str) -> Response:
    """Charge a suspect, link a fact to an element of a charge, mark a gap, or queue the
    court bundle (``action``)."""
    form = await read_form(request)
    current = await visitor(request)
    signed_in(request, current, lang)
    store = request.app.state.store
    # Not on the team: the same 404 as a case that does not exist, before any form check.
    await run_in_threadpool(service.case_matrix, store, current.principal, case_id)
    tr = language(lang).gettext
    action = form.get("action", "")
    entered = dict(form)
    entered.pop("csrf", None)
    try:
        if action == "bundle":
            # The recipient travels in the form's body only: sealed in the job, never in
            # an address or a log line.
            await run_in_threadpool(
                service.request_bundle, store, current.principal, case_id,
                form.get("recipient", ""), form.get("encrypt_to", "").strip() or None)
            return RedirectResponse(f"/{lang}/cases/{case_id}?done=bundle", status_code=303)
        if action == "charge":
            framework, _, crime = form.get("crime", "").partition(SEP)
            mode = form.get("mode", "")  # the crime's framework says if it has this mode
            await run_in_threadpool(service.charge, store, current.principal, case_id,
                                    form.get("suspect_id", ""), framework, crime, mode)
        elif action == "mark_gap":
            charge_id, _, element_id = form.get("gap", "").partition(SEP)
            await run_in_threadpool(
                service.mark, store, current.principal, case_id, charge_id, element_id,
                GapStatus(form.get("gap_status", "")), form.get("note", "").strip())
        elif action == "link":
            charge_id, _, element_id = form.get("element", "").partition(SEP)
            await run_in_threadpool(lambda: service.link(
                store, current.principal, case_id, charge_id, element_id,
                form.get("fact_kind", ""), ascii_digits(form.get("fact_id", "")).strip(),
                reliability=Reliability(form.get("reliability", "")),
                credibility=Credibility(form.get("credibility", "")),
                how=form.get("how", "").strip(),
                direction=Direction(form.get("direction", ""))))
        else:
            raise UserError("unknown action")
    except ForbiddenError:
        raise
    except (UserError, ValueError):
        what = {"charge": tr("The charge could not be added: choose a suspect of the case, "
                             "a crime and a mode of liability of the same framework."),
                "link": tr("The fact could not be linked: give the ID of an act, "
                           "involvement or claim you can see, and say how it proves the "
                           "element."),
                "mark_gap": tr("The gap could not be marked: choose a gap and what is done "
                               "about it, and write a note."),
                "bundle": tr("The bundle could not be queued: name its recipient, and give "
                             "an age recipient (age1…) or an SSH public key to encrypt it "
                             "to, or none.")}.get(action, tr("That could not be done."))
        return await _case_page(request, lang, current, case_id, {action or "form": what},
                                entered, 422)
    done = {"charge": "charged", "mark_gap": "marked"}.get(action, "linked")
    return RedirectResponse(f"/{lang}/cases/{case_id}?done={done}", status_code=303)
