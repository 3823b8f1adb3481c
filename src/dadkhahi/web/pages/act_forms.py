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

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access.policy import Permission
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import ConflictError, NotFoundError, UserError
from dadkhahi.domain.vocab import ActType, InvolvementRole, Sensitivity
from dadkhahi.search.persons import MAX_QUERY
from dadkhahi.services import facts, objects, person_search
from dadkhahi.store.store import Store
from dadkhahi.store.versions import VersionMismatchError
from dadkhahi.web.i18n import ascii_digits, language
from dadkhahi.web.nav import N_
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router, permitted
from dadkhahi.web.pages.facts import labels
from dadkhahi.web.pages.forms import choices, cited_errors, read_date, support_of
from dadkhahi.web.pages.persons import ACT_TYPES, ROLES
from dadkhahi.web.pages.search import Shown, show
from dadkhahi.web.render import render
from dadkhahi.web.security import read_form, visitor

router = page_router()


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
    when = read_date(form, errors, tr)
    if not errors:
        try:
            created = await run_in_threadpool(
                objects.record_act, request.app.state.store, current.principal,
                ActType(form["type"]), support_of(form),
                place_id=form.get("place_id") or None, date=when,
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


#: What the act page says of an act whose payload was erased, and why it has no
#: correction form (a correction posted all the same is refused with it, 409).
ERASED_ACT = N_("This act was erased: what was recorded of it is gone, and it cannot "
                "change.")
#: The act form's fields are named with this prefix on the act page, whose other form
#: (who was involved) has fields of the same names.
EDIT = "edit_"


def _edit_entered(act: dict[str, Any]) -> dict[str, str]:
    """The correction form filled with the act as it reads now. A date stored without the
    source's words is offered as its day when it is one; an interval that no words give
    rides in ``keep_date`` (kept when the date field is left empty)."""
    earliest, latest = act.get("date_earliest"), act.get("date_latest")
    words = act.get("date_text") or (earliest if earliest and earliest == latest else "")
    entered = {f"{EDIT}type": act.get("type") or "", f"{EDIT}date": words or "",
               f"{EDIT}place_id": act.get("place_id") or "",
               f"{EDIT}description": act.get("description") or "",
               "version": str(act.get("version", ""))}
    if (earliest or latest) and not words:
        entered["keep_date"] = f"{earliest or ''}/{latest or ''}"
    return entered


async def act_page(request: Request, lang: str, current: Any, act_id: str, *,
                   template: str = "act.html", entered: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None, status: int = 200,
                   picks: list[Shown] | None = None,
                   edit_entered: dict[str, str] | None = None,
                   edit_errors: dict[str, str] | None = None) -> Response:
    """The act page (or a part of it alone, for htmx: ``_act_who.html``, who was
    involved; ``_act_facts.html``, the act and its claims), with the forms to correct
    the act (none for an erased act: it cannot change) and to name someone in it or
    withdraw them for those who may add facts (and
    the persons the picker found, when it was asked without JavaScript). ``edit_entered``
    and ``edit_errors``: what the correction form holds (the act as it reads now by
    default) and its errors, after a refused correction."""
    store: Store = request.app.state.store
    may_add = current.principal.can(Permission.ADD_FACTS)

    def gather() -> dict[str, Any]:
        shown, pending = facts.act_view(store, current.principal, act_id)
        pending.record(store, current.principal)
        if may_add:
            shown.update(choices(store, current.principal))
        return shown

    view = await run_in_threadpool(gather)
    correction = {"entered": edit_entered or _edit_entered(view["act"]),
                  "errors": edit_errors or {}}
    return render(request, template, {
        **view, **labels(), "may_add": may_add, "errors": errors or {},
        "entered": entered or {"sensitivity": "restricted"}, "picks": picks,
        "max_query": MAX_QUERY, "edit": correction, "oob": template != "act.html",
        "erased_act": ERASED_ACT},
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


def _kept_date(text: str) -> DateRange | None:
    """The stored interval the correction form carried unchanged (``keep_date``)."""
    earliest, _, latest = text.partition("/")
    try:
        return DateRange(date.fromisoformat(earliest) if earliest else None,
                         date.fromisoformat(latest) if latest else None, None)
    except ValueError:
        return None


@router.post("/acts/{act_id}/change")
async def change_act(request: Request, lang: LangDep, act_id: str) -> Response:
    """Correct the act (what happened, when, where, its description) as a source tells
    it: the API's service (``PATCH /api/acts/{id}``), the act's change and a claim citing
    the source in one ledger transaction under the signed-in user, refused when someone
    changed the act since the page was read. With htmx the act's part of the page is
    answered in place."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ADD_FACTS)
    tr = language(lang).gettext
    fields = {k.removeprefix(EDIT): v for k, v in form.items() if k.startswith(EDIT)}
    errors = cited_errors({**fields, "sensitivity": "public"}, tr)
    if fields.get("type") not in ACT_TYPES:
        errors["type"] = tr("Choose what happened.")
    when = read_date(fields, errors, tr)
    if when is None and not fields.get("date") and form.get("keep_date"):
        when = _kept_date(form["keep_date"])
    version = ascii_digits(form.get("version", ""))
    status = 422
    if not errors:
        try:
            await run_in_threadpool(
                objects.change_act, request.app.state.store, current.principal, act_id,
                ActType(fields["type"]), support_of(fields),
                place_id=fields.get("place_id") or None, date=when,
                description=fields.get("description") or None,
                expected_version=int(version) if version.isdigit() else -1)
        except VersionMismatchError:
            errors["form"] = tr("Someone changed this since you opened the page: the form "
                                "now shows what is recorded; make your change again.")
            form, status = {}, 409
        except NotFoundError:
            # The act itself the visitor may not see: the act page's "not found" below.
            errors["source_id"] = tr("There is no such source or place, or you may not "
                                     "see it.")
        except ConflictError:  # its payload was erased (facts.edits.change_act)
            errors["form"] = tr(ERASED_ACT)
            form, status = {}, 409
        except UserError:
            errors["form"] = tr("Nothing was changed: the act already reads so.")
    fragment = request.headers.get("hx-request") == "true"
    if errors:
        return await act_page(request, lang, current, act_id,
                              template="_act_facts.html" if fragment else "act.html",
                              edit_entered=form or None,
                              edit_errors={k if k == "form" else f"{EDIT}{k}": v
                                           for k, v in errors.items()},
                              status=200 if fragment else status)
    if fragment:  # the act in place, its claims (one more) out of band
        return await act_page(request, lang, current, act_id, template="_act_change.html")
    return RedirectResponse(f"/{lang}/acts/{act_id}", status_code=303)


@router.post("/acts/{act_id}/involvements/{involvement_id}/withdraw")
async def withdraw_involvement(request: Request, lang: LangDep, act_id: str,
                               involvement_id: str) -> Response:
    """Withdraw a person or organisation named in the act (in error, or to name them in
    another role): the API's service (``DELETE /api/involvements/{id}``), one ledger
    event under the signed-in user; with htmx the section is answered in place."""
    await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ADD_FACTS)
    await run_in_threadpool(objects.withdraw_involvement, request.app.state.store,
                            current.principal, involvement_id, act_id=act_id)
    if request.headers.get("hx-request") == "true":
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
