"""Recording acts from a page: a new act as a source tells it, and who was involved in it.

Every write goes through :mod:`dadkhahi.services.objects` with the signed-in user as the
principal, exactly as ``POST /api/acts`` and ``POST /api/involvements`` do: what is cited
must be visible (else "not found"), the role must allow adding facts, the write is one
ledger event. An act carries a claim citing its source (its kind and date as the source
words them); each person or organisation involved is an allegation with its own source.
Forms post and redirect, so they work without JavaScript; with htmx the "who was
involved" form swaps its section in place. Its person picker is the one person search:
as you type (htmx) it offers unprotected persons only, like the search page's
suggestions; its "Find" button (the same form posted to the picker, no JavaScript
needed) offers every person the visitor may see, the search auditing protected ones.
The name travels in the form body only.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import reads
from dadkhahi.access.policy import Permission, Principal
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.vocab import ActType, InvolvementRole, Sensitivity
from dadkhahi.facts.entities import Support
from dadkhahi.persian.dates import DateParseError, parse_date
from dadkhahi.search.persons import MAX_QUERY
from dadkhahi.services import facts, objects, person_search
from dadkhahi.store.store import Store
from dadkhahi.web.i18n import ascii_digits, language
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router, permitted
from dadkhahi.web.pages.facts import labels
from dadkhahi.web.pages.persons import ACT_TYPES, ROLES, SENSITIVITY
from dadkhahi.web.pages.search import Shown, show
from dadkhahi.web.render import render
from dadkhahi.web.security import read_form, visitor

router = page_router()
#: Sources, places and organisations offered in a form's lists (the visitor's visible ones).
CHOICES = 200


def choices(store: Store, principal: Principal,
            resources: tuple[str, ...] = ("sources", "places", "organizations"),
            ) -> dict[str, list[dict[str, Any]]]:
    """The sources, places and organisations the visitor may cite or name (audited, as
    every list read is), as ``<resource>_listed``."""
    out = {}
    sorts = {"sources": "title", "places": "name", "organizations": "name"}
    for resource in resources:
        sort = sorts[resource]
        page, pending = reads.read_page(store, principal, reads.RESOURCES[resource],
                                        reads.PageQuery(sort=sort, limit=CHOICES))
        pending.record(store, principal)
        out[f"{resource}_listed"] = page.data
    return out


def typed_date(text: str) -> DateRange | None:
    """A date typed in either calendar with any digits, its words kept (None if empty)."""
    if not text:
        return None
    found = parse_date(ascii_digits(text))
    return DateRange(found.earliest, found.latest, text)


def read_date(form: dict[str, str], errors: dict[str, str], tr: Any,
              name: str = "date") -> DateRange | None:
    """The date typed in field ``name`` (None if empty); when it is not a date, the
    error beside the field in ``errors``."""
    try:
        return typed_date(form.get(name, ""))
    except DateParseError:
        errors[name] = tr("Not a date: write it as 1367/05/12, Mordad 1367 or "
                          "1988-08-03.")
        return None


def support_of(form: dict[str, str]) -> Support:
    """The source (and where in it) a form cites."""
    return Support(ascii_digits(form.get("source_id", "")),
                   locator=form.get("locator") or None)


def cited_errors(form: dict[str, str], tr: Any) -> dict[str, str]:
    """Errors of the fields every sourced form shares: the source and the sensitivity."""
    errors: dict[str, str] = {}
    if not form.get("source_id"):
        errors["source_id"] = tr("Choose the source that says so.")
    if form.get("sensitivity") not in SENSITIVITY:
        errors["sensitivity"] = tr("Choose a sensitivity.")
    return errors


async def _new_page(request: Request, lang: str, current: Any, entered: dict[str, str],
                    errors: dict[str, str], status: int = 200) -> Response:
    store: Store = request.app.state.store
    listed = await run_in_threadpool(choices, store, current.principal)
    return render(request, "act_new.html", {**listed, **labels(), "entered": entered,
                                            "errors": errors}, current, lang, status)


@router.get("/acts/new")
async def new_act(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The form of a new act: what happened, when (either calendar), where, the source."""
    permitted(request, current, lang, Permission.ADD_FACTS)
    return await _new_page(request, lang, current, {"sensitivity": "restricted"}, {})


@router.post("/acts")
async def create_act(request: Request, lang: LangDep) -> Response:
    """Record the act and its sourced claim (one ledger transaction), then show it."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ADD_FACTS)
    tr = language(lang).gettext
    errors = cited_errors(form, tr)
    if form.get("type") not in ACT_TYPES:
        errors["type"] = tr("Choose what happened.")
    date = read_date(form, errors, tr)
    if not errors:
        try:
            created = await run_in_threadpool(
                objects.record_act, request.app.state.store, current.principal,
                ActType(form["type"]), support_of(form),
                place_id=form.get("place_id") or None, date=date,
                description=form.get("description") or None,
                sensitivity=Sensitivity(form["sensitivity"]))
        except NotFoundError:
            errors["source_id"] = tr("There is no such source or place, or you may not "
                                     "see it.")
        except UserError:
            errors["sensitivity"] = tr("This act could not be recorded with this "
                                       "sensitivity and source.")
    if errors:
        return await _new_page(request, lang, current, form, errors, 422)
    return RedirectResponse(f"/{lang}/acts/{created['id']}", status_code=303)


async def act_page(request: Request, lang: str, current: Any, act_id: str, *,
                   template: str = "act.html", entered: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None, status: int = 200,
                   picks: list[Shown] | None = None) -> Response:
    """The act page (or its "who was involved" section alone, for htmx), with the form
    to name someone in it for those who may add facts (and the persons the picker found,
    when it was asked without JavaScript)."""
    store: Store = request.app.state.store
    may_add = current.principal.can(Permission.ADD_FACTS)

    def gather() -> dict[str, Any]:
        shown, pending = facts.act_view(store, current.principal, act_id)
        pending.record(store, current.principal)
        if may_add:
            shown.update(choices(store, current.principal))
        return shown

    view = await run_in_threadpool(gather)
    return render(request, template, {
        **view, **labels(), "may_add": may_add, "errors": errors or {},
        "entered": entered or {"sensitivity": "restricted"}, "picks": picks,
        "max_query": MAX_QUERY},
        current, lang, status)


@router.get("/acts/{act_id}")
async def act(request: Request, lang: LangDep, current: VisitorDep, act_id: str) -> Response:
    """One act: who did what to whom, where and when, with the sources of each part."""
    return await act_page(request, lang, current, act_id)


@router.post("/acts/{act_id}/involvements")
async def add_involvement(request: Request, lang: LangDep, act_id: str) -> Response:
    """Name a person (by ID) or an organisation in the act, in a factual role, as a
    source says; with htmx the section is answered in place."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ADD_FACTS)
    tr = language(lang).gettext
    errors = cited_errors(form, tr)
    # An identifier typed wins over a person chosen in the picker.
    person_id = ascii_digits(form.get("person_id", "")) or form.get("person_pick") or None
    organization_id = form.get("organization_id") or None
    if form.get("role") not in ROLES:
        errors["role"] = tr("Choose a role.")
    if (person_id is None) == (organization_id is None):
        errors["person_id"] = tr("Enter a person's identifier or choose an organisation "
                                 "(one of them).")
    if not errors:
        try:
            await run_in_threadpool(
                objects.create_involvement, request.app.state.store, current.principal,
                act_id, InvolvementRole(form["role"]), person_id=person_id,
                organization_id=organization_id,
                sensitivity=Sensitivity(form["sensitivity"]), support=[support_of(form)])
        except NotFoundError:
            errors["person_id"] = tr("There is no such person, organisation or source, or "
                                     "you may not see it.")
        except UserError:
            errors["sensitivity"] = tr("This could not be recorded with this sensitivity "
                                       "and source.")
    fragment = request.headers.get("hx-request") == "true"
    if errors:
        return await act_page(request, lang, current, act_id, entered=form, errors=errors,
                              template="_act_who.html" if fragment else "act.html",
                              status=422 if not fragment else 200)
    if fragment:
        return await act_page(request, lang, current, act_id, template="_act_who.html")
    return RedirectResponse(f"/{lang}/acts/{act_id}#who-heading", status_code=303)


@router.post("/acts/{act_id}/persons")
async def pick_person(request: Request, lang: LangDep, act_id: str) -> Response:
    """The act form's person picker: the persons a name finds, to choose from. With htmx
    (as you type) the choices alone; without JavaScript (the "Find" button) the act page
    again, with what was entered kept and the choices in the form."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ADD_FACTS)
    store: Store = request.app.state.store
    name = form.get("person_name", "")[:MAX_QUERY]
    fragment = request.headers.get("hx-request") == "true"
    picks = show(await run_in_threadpool(lambda: person_search.person_picks(
        store, current.principal, "act", act_id, name, explicit=not fragment)))
    if fragment:
        return render(request, "_person_picks.html", {"picks": picks, "entered": {}},
                      current, lang)
    return await act_page(request, lang, current, act_id, entered=form, picks=picks)
