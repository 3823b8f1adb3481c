"""Testimonies: the list of those the visitor may see, and one testimony with its
interview, consents, segments (direct or hearsay) and their translations; and the
changes the API allows, from forms: record a testimony, change its interview, record
consent for a recipient (or its withdrawal), add a segment, keep a translation beside a
segment.

Thin over ``services.testimonies`` (the API's service): a testimony is listed and shown
only as the one disclosure rule lets its source go to the visitor, so anyone else gets
the same "not found" as for a testimony that does not exist (a form posted to it too,
before the role is looked at); protected testimonies listed or shown are audited by the
service, and every change is a ledger event under the signed-in user, as through the
API. Forms carry the CSRF token, post and redirect, and show a mistake beside its
field. Paths carry IDs only (never a witness's name or the pseudonym); what is typed
travels in form bodies; the list's place is a number in the query.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access.policy import Permission
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.testimonies import (
    INTERVIEW_LISTS,
    INTERVIEW_TEXTS,
    MAX_LANGUAGE,
    SegmentSpec,
    TestimonySpec,
)
from dadkhahi.persian.dates import DateParseError, parse_date
from dadkhahi.services import testimonies as service
from dadkhahi.store.versions import VersionMismatchError
from dadkhahi.web.i18n import ascii_digits, language
from dadkhahi.web.nav import N_, holding, register
from dadkhahi.web.pages import common
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router, permitted, signed_in
from dadkhahi.web.pages.persons import SENSITIVITY
from dadkhahi.web.render import render
from dadkhahi.web.security import read_form, visitor

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

#: Whether the testimony was read back to the witness.
READ_BACK = {"": N_("not recorded"), "yes": N_("yes"), "no": N_("no")}
#: What the page says after a change (a code in the address, never text typed).
DONE = {"interview": N_("The interview is recorded as shown."),
        "consent": N_("The consent was recorded."),
        "segment": N_("The segment was added."),
        "translation": N_("The translation was kept beside the segment.")}
#: Where the page opens after each change.
ANCHORS = {"interview": "interview-heading", "consent": "consent-heading",
           "segment": "segments-heading", "translation": "segments-heading"}

#: Testimonies on one page of their list.
TESTIMONIES_SHOWN = service.PAGE_SIZE
#: The list's controls: its sensitivity, its order (the pseudonym's or when recorded).
TESTIMONY_LIST = common.Listing(
    {"-created_at": N_("newest first"), "created_at": N_("oldest first"),
     "pseudonym": N_("pseudonym"), "-pseudonym": N_("pseudonym, last first")},
    "-created_at", {"sensitivity": (N_("Sensitivity"), SENSITIVITY)})


@router.get("/testimonies")
async def list_testimonies(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The testimonies whose source may go to the visitor, filtered by sensitivity,
    sorted (newest first by default), paged in SQL."""
    signed_in(request, current, lang)
    asked = TESTIMONY_LIST.asked(request)
    level = asked.filters.get("sensitivity")
    found = await run_in_threadpool(lambda: service.list_for(
        request.app.state.store, current.principal, sort=asked.sort, cursor=asked.cursor,
        limit=TESTIMONIES_SHOWN, sensitivity=Sensitivity(level) if level else None))
    return render(request, "testimonies.html", {
        **found, "asked": asked, "listing": TESTIMONY_LIST, "sensitivity": SENSITIVITY,
        "may_add": current.principal.can(Permission.ADD_EVIDENCE),
    }, current, lang)


def _lines(text: str) -> list[str]:
    """A list typed one entry a line (empty lines left out)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _seconds(text: str) -> float | None:
    """A time code in seconds, in any digits (None if empty); ValueError if not one."""
    if not text:
        return None
    value = float(ascii_digits(text).replace("٫", ".").replace(",", "."))
    if not math.isfinite(value) or value < 0:  # "nan" and "inf" are floats too
        raise ValueError(text)
    return value


def _day(text: str) -> str | None:
    """A day typed in either calendar, in any digits, as ISO 8601 (None if empty);
    ValueError if it is not one day."""
    if not text:
        return None
    try:
        found = parse_date(ascii_digits(text))
    except DateParseError:
        raise ValueError(text) from None
    if found.earliest != found.latest:
        raise ValueError(text)
    return found.earliest.isoformat()


def _interview(form: dict[str, str]) -> dict[str, Any]:
    """The interview's fields as a form types them (the new testimony's and the change's):
    text (empty for none), lists one entry a line, read back as yes, no or not recorded."""
    return {**{name: form.get(name) or None for name in INTERVIEW_TEXTS},
            **{name: _lines(form.get(name, "")) for name in INTERVIEW_LISTS},
            "read_back": {"yes": True, "no": False}.get(form.get("read_back", ""))}


def _interview_form(shown: dict[str, Any]) -> dict[str, str]:
    """The interview as the change form shows it at first, with the version it names."""
    read_back = shown.get("read_back")
    return {**{name: str(shown.get(name) or "") for name in INTERVIEW_TEXTS},
            **{name: "\n".join(shown.get(name) or []) for name in INTERVIEW_LISTS},
            "read_back": "" if read_back is None else "yes" if read_back else "no",
            "version": str(shown["version"])}


def _interview_errors(form: dict[str, str], tr: Callable[[str], str]) -> dict[str, str]:
    """The interview form's mistakes (the rules of ``intake.testimonies``)."""
    errors: dict[str, str] = {}
    if form.get("read_back", "") not in READ_BACK:
        errors["read_back"] = tr("Choose one of the list.")
    if len(form.get("language", "").strip()) > MAX_LANGUAGE:
        errors["language"] = tr("A language code is at most 35 characters (such as en or fa).")
    return errors


@router.get("/testimonies/new")
async def new_testimony(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The form of a new testimony: the title and the interview (all sealed when
    protected, as the API records it)."""
    permitted(request, current, lang, Permission.ADD_EVIDENCE)
    return _new_page(request, lang, current, {"sensitivity": "protected"}, {})


def _new_page(request: Request, lang: str, current: Any, entered: dict[str, str],
              errors: dict[str, str], status: int = 200) -> Response:
    return render(request, "testimony_new.html", {
        "entered": entered, "errors": errors, "sensitivity": SENSITIVITY,
        "read_back": READ_BACK}, current, lang, status)


@router.post("/testimonies")
async def add_testimony(request: Request, lang: LangDep) -> Response:
    """Record the testimony (protected by default; its source granted to you when
    protected), then show it."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ADD_EVIDENCE)
    tr = language(lang).gettext
    errors: dict[str, str] = {}
    if not form.get("title"):
        errors["title"] = tr("Give the testimony a title (it is sealed like the rest).")
    if form.get("sensitivity") not in SENSITIVITY:
        errors["sensitivity"] = tr("Choose a sensitivity.")
    errors.update(_interview_errors(form, tr))
    if errors:
        return _new_page(request, lang, current, form, errors, 422)
    spec = TestimonySpec(
        title=form["title"], witness_name=form.get("witness_name") or None,
        witness_contact=form.get("witness_contact") or None, **_interview(form),
        sensitivity=Sensitivity(form["sensitivity"]))
    made = await run_in_threadpool(service.add_for, request.app.state.store,
                                   current.principal, spec)
    return RedirectResponse(f"/{lang}/testimonies/{made['testimony_id']}", status_code=303)


@router.get("/testimonies/{testimony_id}")
async def show_testimony(request: Request, lang: LangDep, current: VisitorDep,
                         testimony_id: str, done: str | None = None) -> Response:
    """One testimony: the interview, consent per recipient, and the segments in order
    with their translations beside them (and the forms to add to them, for those who
    may add evidence)."""
    return await _page(request, lang, current, testimony_id, done=done)


async def _page(request: Request, lang: str, current: Any, testimony_id: str, *,
                done: str | None = None, form: str = "", entered: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, status: int = 200) -> Response:
    """The testimony page; after a refused change, the form named ``form`` holds what
    was entered and the mistakes beside its fields."""
    signed_in(request, current, lang)
    shown = await run_in_threadpool(service.show_for, request.app.state.store,
                                    current.principal, testimony_id)
    return render(request, "testimony.html", {
        "t": shown, "recipients": RECIPIENTS, "consent": CONSENT, "knowledge": KNOWLEDGE,
        "sensitivity": SENSITIVITY, "done": DONE.get(done or ""), "read_back": READ_BACK,
        "interview": _interview_form(shown),
        "may_edit": current.principal.can(Permission.ADD_EVIDENCE),
        "form": form, "entered": entered or {}, "errors": errors or {},
    }, current, lang, status)


async def _change(request: Request, lang: str, testimony_id: str, name: str,
                  check: Callable[[dict[str, str], Callable[[str], str]], dict[str, str]],
                  write: Callable[[Any, Any, dict[str, str]], object]) -> Response:
    """One change from a form of the testimony page: the form read (CSRF first), the
    role (as every form of the workspace: refused whatever the testimony, so nothing is
    told about it), the fields checked, then the service, which tells a testimony the
    visitor may not see "not found"; the page again with the mistakes beside the fields
    (read through the service too: "not found" as well), or back to the page saying
    what was done. A change made by someone else since the page was read (its version)
    is refused, the form showing what is recorded now."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ADD_EVIDENCE)
    store = request.app.state.store
    tr = language(lang).gettext
    errors = check(form, tr)
    status = 422
    if not errors:
        try:
            await run_in_threadpool(write, store, current.principal, form)
        except ValidationError:
            errors["form"] = tr("This could not be recorded: check the fields.")
        except VersionMismatchError:
            errors["form"] = tr("Someone changed this since you opened the page: the form "
                                "now shows what is recorded; make your change again.")
            form = {}
            status = 409
    if errors:
        return await _page(request, lang, current, testimony_id, form=name, entered=form,
                           errors=errors, status=status)
    return RedirectResponse(f"/{lang}/testimonies/{testimony_id}?done={name}#{ANCHORS[name]}",
                            status_code=303)


@router.post("/testimonies/{testimony_id}/interview")
async def change_interview(request: Request, lang: LangDep, testimony_id: str) -> Response:
    """Change the interview's circumstances to what the form holds (one ledger event,
    none when nothing changed; sealed as the testimony is), if no one changed it since
    the page was read."""
    def write(store: Any, principal: Any, form: dict[str, str]) -> object:
        version = ascii_digits(form.get("version", ""))
        return service.interview_for(store, principal, testimony_id, _interview(form),
                                     int(version) if version.isdigit() else -1)

    return await _change(request, lang, testimony_id, "interview", _interview_errors, write)


def _consent_errors(form: dict[str, str], tr: Callable[[str], str]) -> dict[str, str]:
    """The consent form's mistakes (the rules of ``intake.testimonies.set_consent``)."""
    errors: dict[str, str] = {}
    kind = form.get("recipient_kind", "")
    if kind not in RECIPIENTS:
        errors["recipient_kind"] = tr("Choose who the consent is for.")
    elif kind not in ("team", "public") and not form.get("recipient"):
        errors["recipient"] = tr("Name the partner, mechanism or court.")
    status = form.get("status", "")
    if status not in CONSENT:
        errors["status"] = tr("Choose given, refused or withdrawn.")
    if status == "given" and not form.get("how"):
        errors["how"] = tr("Say how consent was given (signed form, recorded orally…).")
    if _lines(form.get("disclosed", "")) and status != "withdrawn":
        errors["disclosed"] = tr("What was already disclosed is listed with a withdrawal "
                                 "only.")
    try:
        _day(form.get("date", ""))
    except ValueError:
        errors["date"] = tr("Not a day: write it as 1399/02/10 or 2020-04-29.")
    return errors


@router.post("/testimonies/{testimony_id}/consents")
async def set_consent(request: Request, lang: LangDep, testimony_id: str) -> Response:
    """Record the witness's consent (given or refused) for one recipient, or its
    withdrawal listing what had already been disclosed."""
    def write(store: Any, principal: Any, form: dict[str, str]) -> object:
        return service.consent_for(
            store, principal, testimony_id, form["recipient_kind"],
            form.get("recipient") or None, form["status"], date=_day(form.get("date", "")),
            how=form.get("how") or None, informed_defence=form.get("informed_defence") == "1",
            disclosed=_lines(form.get("disclosed", "")))

    return await _change(request, lang, testimony_id, "consent", _consent_errors, write)


def _segment_errors(form: dict[str, str], tr: Callable[[str], str]) -> dict[str, str]:
    """The segment form's mistakes (the rules of ``intake.testimonies.add_segments``)."""
    errors: dict[str, str] = {}
    if not form.get("text"):
        errors["text"] = tr("Type the segment's text as transcribed.")
    if form.get("knowledge") not in KNOWLEDGE:
        errors["knowledge"] = tr("Choose how the witness knows it.")
    times: dict[str, float | None] = {}
    for name in ("start", "end"):
        try:
            times[name] = _seconds(form.get(name, ""))
        except ValueError:
            errors[name] = tr("Seconds of the recording, 0 or more (such as 12.5).")
    start, end = times.get("start"), times.get("end")
    if start is not None and end is not None and end < start:
        errors["end"] = tr("The end comes before the start.")
    return errors


@router.post("/testimonies/{testimony_id}/segments")
async def add_segment(request: Request, lang: LangDep, testimony_id: str) -> Response:
    """Add a segment after the testimony's last one, marked direct or hearsay (its text
    kept as typed, never changed afterwards)."""
    def write(store: Any, principal: Any, form: dict[str, str]) -> object:
        return service.segments_for(store, principal, testimony_id, [SegmentSpec(
            form["text"], form["knowledge"], _seconds(form.get("start", "")),
            _seconds(form.get("end", "")), form.get("note") or None)])

    return await _change(request, lang, testimony_id, "segment", _segment_errors, write)


def _translation_errors(form: dict[str, str], tr: Callable[[str], str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not form.get("language"):
        errors["language"] = tr("Give the translation's language (a code such as en or fa).")
    if not form.get("text"):
        errors["text"] = tr("Type the translation.")
    return errors


@router.post("/testimonies/{testimony_id}/segments/{segment_id}/translations")
async def add_translation(request: Request, lang: LangDep, testimony_id: str,
                          segment_id: str) -> Response:
    """Keep a translation beside a segment (the segment's own text never changes)."""
    def write(store: Any, principal: Any, form: dict[str, str]) -> object:
        return service.translation_for(store, principal, testimony_id, segment_id,
                                       form["language"], form["text"],
                                       form.get("translator") or None)

    def check(form: dict[str, str], tr: Callable[[str], str]) -> dict[str, str]:
        # Which segment's form to show the mistakes in.
        form["segment_id"] = segment_id
        return _translation_errors(form, tr)

    return await _change(request, lang, testimony_id, "translation", check, write)
