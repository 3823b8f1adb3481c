"""The person page: records side by side, claims with their sources, acts, evidence,
review decisions; split and merge are review decisions (ledgered, as through the API)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access.dossier import CLAIMS_PAGE, RECORDS_PAGE, Dossier, person_dossier
from dadkhahi.access.policy import Permission
from dadkhahi.domain.errors import NotFoundError, UserError, ValidationError
from dadkhahi.services import lists_linkage
from dadkhahi.web.i18n import ascii_digits, language
from dadkhahi.web.nav import N_
from dadkhahi.web.pages.common import (
    LangDep,
    VisitorDep,
    page_router,
    permitted,
    signed_in,
)
from dadkhahi.web.pages.labels import COMPARISONS
from dadkhahi.web.render import render
from dadkhahi.web.security import read_form, visitor

router = page_router()

#: Fields of a record shown side by side, in order, with their labels.
FIELDS = (
    ("full_name", N_("Name")),
    ("given_name", N_("Given name")),
    ("family_name", N_("Family name")),
    ("father_name", N_("Father's name")),
    ("birth_date", N_("Born")),
    ("death_date", N_("Date of death")),
    ("city", N_("City")),
    ("province", N_("Province")),
    ("prison", N_("Prison")),
    ("notes", N_("Notes")),
)
DECISIONS = {"same": N_("same person"), "different": N_("different persons")}
ROLES = {
    "victim": N_("victim"), "perpetrator_ordered": N_("ordered it"),
    "perpetrator_carried_out": N_("carried it out"), "perpetrator_took_part": N_("took part"),
    "perpetrator_commission_member": N_("commission member"), "signed": N_("signed the order"),
    "interrogated": N_("interrogated"), "guarded": N_("guarded"),
    "transported": N_("transported"), "buried": N_("buried"),
    "sat_on_commission": N_("sat on the commission"), "witness": N_("witness"),
    "source": N_("source"),
}
ACT_TYPES = {
    "execution": N_("execution"), "extrajudicial_killing": N_("extrajudicial killing"),
    "enforced_disappearance": N_("enforced disappearance"), "torture": N_("torture"),
    "arbitrary_detention": N_("arbitrary detention"), "unmarked_burial": N_("unmarked burial"),
    "destruction_of_graves": N_("destruction of graves"), "sham_trial": N_("sham trial"),
    "persecution_of_family": N_("persecution of family"),
}
SENSITIVITY = {"public": N_("public"), "restricted": N_("restricted"),
               "protected": N_("protected")}


def _cited(dossier: Dossier) -> dict[str, list[tuple[str, int]]]:
    """Each claim's sources in the order its supports first name them, with how many of
    its supports cite each. A claim about a person of many records is supported by
    hundreds of records of one list: the list is shown once with that number, not once a
    record (a page of the 500-record person listed one source 1,160 times)."""
    cited: dict[str, list[tuple[str, int]]] = {}
    for claim in dossier.claims:
        counts: dict[str, int] = {}
        for support in claim["support"]:
            source = str(support["source_id"])
            counts[source] = counts.get(source, 0) + 1
        cited[str(claim["id"])] = list(counts.items())
    return cited


def _shown_fields(dossier: Dossier) -> list[tuple[str, str]]:
    present = {k for rec in dossier.records for k, v in rec["normalized"].items() if v}
    return [(key, label) for key, label in FIELDS if key in present]


def _start(request: Request, name: str) -> int:
    """Where a page of the person's records or claims starts (``?records=``,
    ``?claims=``: digits in any script; anything else is the first page)."""
    given = ascii_digits(request.query_params.get(name, "")).strip()
    return int(given) if given.isdigit() and len(given) < 7 else 0


async def _page(request: Request, lang: str, person_id: str,
                errors: dict[str, str] | None = None, notice: str | None = None,
                status: int = 200) -> Response:
    current = await visitor(request)
    store = request.app.state.store
    dossier, pending = await run_in_threadpool(
        lambda: person_dossier(store, current.principal, person_id,
                               records_from=_start(request, "records"),
                               claims_from=_start(request, "claims")))
    if pending.objects:
        await run_in_threadpool(pending.record, store, current.principal)
    can_decide = current.principal.can(Permission.REVIEW) or current.principal.can(
        Permission.ANALYSE)
    return render(request, "person.html", {
        "d": dossier, "fields": _shown_fields(dossier), "cited": _cited(dossier),
        "decisions": DECISIONS,
        "roles": ROLES, "act_types": ACT_TYPES, "sensitivity": SENSITIVITY,
        "can_decide": can_decide, "errors": errors or {}, "notice": notice,
        "comparisons": COMPARISONS,
        "records_page": RECORDS_PAGE, "claims_page": CLAIMS_PAGE,
    }, current, lang, status)


@router.get("/persons/{person_id}")
async def person(request: Request, lang: LangDep, current: VisitorDep,
                 person_id: str) -> Response:
    """One person: everything linked to them that the visitor may see (audited)."""
    return await _page(request, lang, person_id)


@router.post("/persons/{person_id}/decisions")
async def decide(request: Request, lang: LangDep, person_id: str) -> Response:
    """Split a wrong link (two records are different persons) or merge a missed one (a
    record of this person and one of another are the same): a review decision, recorded
    in the ledger with the signed-in user as actor; it takes effect when decisions are
    applied or linkage runs again."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.REVIEW, Permission.ANALYSE)
    tr = language(lang).gettext
    record_a = ascii_digits(form.get("record_a", ""))
    record_b = ascii_digits(form.get("record_b", ""))
    decision = form.get("decision", "")
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = tr("Choose same person or different persons.")
    if not record_a:
        errors["record_a"] = tr("Choose a record.")
    if not record_b:
        errors["record_b"] = tr("Enter or choose the other record.")
    elif record_b == record_a:
        errors["record_b"] = tr("Choose two different records.")
    if not errors:
        try:
            await run_in_threadpool(lists_linkage.decide_for, request.app.state.store,
                                    current.principal, record_a, record_b, decision,
                                    form.get("note") or None)
        except NotFoundError:
            errors["record_b"] = tr("There is no such record, or you may not see it.")
        except UserError:
            errors["decision"] = tr("This decision could not be recorded.")
    if errors:
        return await _page(request, lang, person_id, errors=errors, status=422)
    return RedirectResponse(f"/{lang}/persons/{person_id}?decided=1", status_code=303)


def _picked(request: Request, form: dict[str, str] | None = None) -> list[str]:
    """The records picked to split off (``pick``, repeated), in the order given."""
    if form is None:
        return [ascii_digits(x) for x in request.query_params.getlist("pick")][:2_000]
    return [ascii_digits(x) for x in form.get("picks", "").split() if x][:2_000]


async def _split_page(request: Request, lang: str, person_id: str, picked: list[str],
                      status: int | None = None) -> Response:
    current = await visitor(request)
    # Signed in, then the service: "not found" for a person the visitor may not see
    # comes before "forbidden" for one who may not review.
    signed_in(request, current, lang)
    tr = language(lang).gettext
    try:
        preview = await run_in_threadpool(lists_linkage.split_preview,
                                          request.app.state.store, current.principal,
                                          person_id, picked)
    except ValidationError:
        # The person page again, the error beside the records to pick (a GET form asks
        # again with 200; a refused confirmation is 422).
        return await _page(request, lang, person_id, errors={
            "pick": tr("Pick some of this person's records to split off, not none or all "
                       "(at most 2,000 decisions at once).")}, status=status or 200)
    return render(request, "split.html", {
        "person_id": person_id, "p": preview, "fields": FIELDS,
    }, current, lang, status or 200)


@router.get("/persons/{person_id}/split")
async def split_preview(request: Request, lang: LangDep, current: VisitorDep,
                        person_id: str) -> Response:
    """The persons a split would give, before anything is recorded (reviewers)."""
    return await _split_page(request, lang, person_id, _picked(request))


@router.post("/persons/{person_id}/split")
async def split(request: Request, lang: LangDep, person_id: str) -> Response:
    """Confirm a previewed split: a "different" decision between each record split off
    and each that stays, all in one transaction, with the signed-in user as actor."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.REVIEW, Permission.ANALYSE)
    picked = _picked(request, form)
    try:
        await run_in_threadpool(lists_linkage.split_for, request.app.state.store,
                                current.principal, person_id, picked,
                                form.get("note") or None)
    except (ValidationError, NotFoundError):
        return await _split_page(request, lang, person_id, picked, status=422)
    return RedirectResponse(f"/{lang}/persons/{person_id}?decided=1", status_code=303)
