"""Documents: full-text search of every extracted text the visitor may see, and an
item's text with what it mentions and the claims proposed from it.

The one document search (:func:`dadkhahi.search.engine.search`, as ``POST /api/search``
runs it): Persian and English words, "quoted phrases" and prefixes*, every word
required; texts the visitor may not see are never searched, and protected texts found
are written to the audit trail by the search itself. The query travels in a POST body
only (it may hold a name), never in a URL. Each hit links to its item (its text and
preview) with the page number, or to a testimony's segment with its number, time code and
language (and whether the words are a translation's), and a snippet of the exact text,
the matches marked. Filters narrow it before anything is ranked, as the API's ``sources``
and ``kind``: the sources offered are those the visitor may see that hold text
(``services.documents.search_sources``; a protected one never listed without the grant),
and the filters alone may be chosen in the address (IDs and a kind, nothing identifying).

The text page (``/items/{id}/text``) reads through the API's services:
``services.documents`` for the text (visible originals only, a protected one audited) and
its extraction, ``services.mentions`` for the mentions and proposals (seen as far as the
item is; reading needs nothing more, accepting ``add_facts``, rejecting ``review``).
Mentions are marked in the page's text by their character spans; after a change the
page says what was done by a code in its address, never by text typed.
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access.policy import Permission, Principal
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.safe_text import safe_display_name
from dadkhahi.intake.documents import LOW_CONFIDENCE
from dadkhahi.search.engine import MAX_SOURCE_FILTERS, Filters, Hit
from dadkhahi.search.engine import search as run_search
from dadkhahi.search.persons import MAX_QUERY
from dadkhahi.search.query import MAX_QUERY_CHARS
from dadkhahi.services import documents as documents_service
from dadkhahi.services import mentions as mentions_service
from dadkhahi.services import person_search
from dadkhahi.store.store import Store
from dadkhahi.web.i18n import language
from dadkhahi.web.nav import N_, register
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router, permitted, signed_in
from dadkhahi.web.pages.search import Shown, show
from dadkhahi.web.render import render
from dadkhahi.web.security import read_form, read_form_lists, visitor

router = page_router()
register("/documents", N_("Documents"))

#: Hits shown for one search.
LIMIT = 50
#: The search's notes (English, from the engine), in words of the page's language.
NOTES = {"prefix searches do not reach protected documents":
         N_("Searches by the start of a word (word*) do not reach protected documents: "
            "search whole words to include them.")}


def snippet_parts(hit: Hit) -> list[tuple[str, bool]]:
    """The hit's snippet cut at its matches: (text, matched) in order, for ``<mark>``."""
    parts: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(hit.highlights):
        if start < at:  # overlapping marks: the earlier one already covers it
            continue
        if start > at:
            parts.append((hit.snippet[at:start], False))
        parts.append((hit.snippet[start:end], True))
        at = end
    if at < len(hit.snippet):
        parts.append((hit.snippet[at:], False))
    return parts


def _notes(notes: list[str]) -> list[str]:
    return [message for note in notes for key, message in NOTES.items()
            if note.startswith(key)]


#: What a search may be narrowed to (``search.engine.Filters.kind``), in words.
SEARCH_KINDS = {"": N_("documents and testimonies"), "document": N_("documents' pages only"),
                "testimony": N_("testimonies' passages only")}


def _filters(tr: Any, sources: list[dict[str, Any]], kind: str, chosen: list[str],
             errors: dict[str, str]) -> Filters | None:
    """The filters asked for, or None with the reason beside its field: a kind of the
    list, sources among those offered (an ID the visitor may not see is refused as one
    that does not exist, and neither is named)."""
    if kind not in SEARCH_KINDS:
        errors["kind"] = tr("Choose one of the values offered.")
    offered = {str(x["id"]) for x in sources}
    if any(x not in offered for x in chosen):
        errors["source"] = tr("Choose the sources from the list.")
    elif len(set(chosen)) > MAX_SOURCE_FILTERS:
        errors["source"] = tr("Choose at most {n} sources.").format(n=MAX_SOURCE_FILTERS)
    if "kind" in errors or "source" in errors:
        return None
    return Filters(tuple(sorted(set(chosen))), kind or None)


async def _documents_page(request: Request, lang: str, current: Any, q: str, kind: str,
                          chosen: list[str], *, searching: bool) -> Response:
    tr = language(lang).gettext
    store: Store = request.app.state.store
    sources = await run_in_threadpool(documents_service.search_sources, store,
                                      current.principal)
    errors: dict[str, str] = {}
    filters = _filters(tr, sources, kind, chosen, errors)
    shown: list[dict[str, Any]] | None = None
    notes: list[str] = []
    if searching and not q:
        errors["q"] = tr("Type the words to find.")
    elif searching and filters is not None:
        try:
            found = await run_in_threadpool(lambda: run_search(
                store, current.principal, q, limit=LIMIT, filters=filters))
        except ValidationError:
            errors["q"] = tr("This search could not be read: check its quotation marks "
                             "and its length.")
        else:
            shown = [{"hit": h, "parts": snippet_parts(h)} for h in found.hits]
            notes = _notes(found.notes)
    return render(request, "documents.html", {
        "q": q, "hits": shown, "notes": notes, "errors": errors,
        "max_query": MAX_QUERY_CHARS, "sources": sources, "kinds": SEARCH_KINDS,
        "kind": kind, "chosen": set(chosen)}, current, lang, 422 if errors else 200)


@router.get("/documents")
async def page(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The search form (the query is sent in the body of a POST). Its filters may be
    chosen in the address (``?kind=testimony&source=ID``: a kind and source IDs, never
    a word searched for nor a title), as a source's page links to it."""
    return await _documents_page(request, lang, current, "",
                                 request.query_params.get("kind", ""),
                                 request.query_params.getlist("source"), searching=False)


@router.post("/documents")
async def search(request: Request, lang: LangDep) -> Response:
    """Search the texts the visitor may see, narrowed by the filters chosen (before
    anything is ranked); hits best first, each with its snippet."""
    form, lists = await read_form_lists(request, ("source",))
    current = await visitor(request)
    return await _documents_page(request, lang, current, form.get("q", ""),
                                 form.get("kind", ""), lists["source"], searching=True)


# --- an item's extracted text and what it mentions (through services.documents and
# services.mentions, as /api/items/{id}/text, /mentions and /api/proposals answer) ---

#: How a page's text was read, in words.
METHODS = {"ocr": N_("read by OCR from the image"), "text-layer": N_("the PDF's own text"),
           "docx": N_("a Word document's text"), "odt": N_("an OpenDocument text"),
           "html": N_("a web page's main text"), "plain": N_("plain text")}
#: The extraction's states, in words.
EXTRACTION_STATES = {"pending": N_("The text has not been extracted yet."),
                     "failed": N_("The text could not be extracted."),
                     "erased": N_("The extracted text was erased.")}
#: Kinds of mention, in words.
MENTION_KINDS = {"person": N_("person"), "place": N_("place"), "date": N_("date"),
                 "count": N_("count of people"), "attribution": N_("said by"),
                 "organization": N_("Organisation")}
#: Properties a proposal may claim, in words.
PROPOSED = {"executed": N_("was executed"), "victim_count": N_("counts people killed"),
            "official_count": N_("counts officials"), "grave_count": N_("counts graves")}
#: A proposal's review state, in words.
REVIEW_STATES = {"pending": N_("waiting for review"), "accepted": N_("accepted"),
                 "rejected": N_("rejected")}
#: Which picker of a proposal's form asked: the claim's subject, or the party the text
#: attributes the statement to.
PICKERS = ("subject", "party")
#: What the page says after a change (codes in the address, never text typed).
DONE = {"found": N_("The text was read for mentions."),
        "queued": N_("The extraction was queued: the worker will read the text."),
        "accepted": N_("The claim was added, supported by this document."),
        "rejected": N_("The proposal was rejected; no claim was made.")}
ERRORS = {"subject": N_("This proposal names no single subject: choose one, then accept."),
          "party": N_("That party could not be linked: choose a person or an organisation."),
          "decided": N_("Someone has already reviewed this proposal."),
          "entity": N_("That subject could not be read: choose one of the list.")}


def marked_parts(text: str, mentions: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """A page's text cut at its mentions: (text, mention kind or None) in order, for
    ``<mark>`` (a mention overlapping an earlier one is left unmarked)."""
    parts: list[tuple[str, str | None]] = []
    at = 0
    spans = sorted((int(m["start"]), int(m["end"]), str(m["kind"])) for m in mentions
                   if m.get("start") is not None and m.get("end") is not None)
    for start, end, kind in spans:
        if start < at or end > len(text) or end <= start:
            continue
        if start > at:
            parts.append((text[at:start], None))
        parts.append((text[start:end], kind))
        at = end
    if at < len(text):
        parts.append((text[at:], None))
    return parts


def _language_name(code: str | None, lang: str) -> str:
    """A page language's name in the interface language (its code when Babel has none)."""
    if not code:
        return ""
    return str(Locale.parse(lang).languages.get(code, code))


def _item_text_view(store: Store, principal: Principal, item_id: str) -> dict[str, Any]:
    """What the text page shows: the text, the mentions and the item's proposals, the
    subjects a reviewer may choose for each, by name, and the organisations a party may
    be linked to, each through its service (visibility first, then the audit of what is
    shown)."""
    text = documents_service.text_for(store, principal, item_id)
    mentions = mentions_service.mentions_for(store, principal, item_id)["mentions"]
    proposals = mentions_service.proposals_for(store, principal, item_id=item_id,
                                               status=None)["proposals"]
    # Those waiting first, then the reviewed; each in the order of the text (the store
    # keeps them in ledger order, where a reviewed one moves to its review's place).
    proposals.sort(key=lambda p: (p["status"] != "pending", p.get("page") or 0, p["seq"]))
    subjects = mentions_service.subjects_for(store, principal, proposals, mentions)
    for p in proposals:
        # Shown in a list's option, where no element isolates it: its bidi controls
        # taken out here, as every user text's are.
        p["subjects"] = [(subject, entity_id, safe_display_name(name))
                         for subject, entity_id, name in subjects[str(p["id"])]]
    return {"text": text, "mentions": mentions, "proposals": proposals,
            "organizations": mentions_service.party_choices(store, principal, proposals)}


@router.get("/items/{item_id}/text")
async def item_text(request: Request, lang: LangDep, current: VisitorDep, item_id: str,
                    done: str | None = None, error: str | None = None) -> Response:
    """An item's extracted text page by page (language, how it was read, OCR confidence
    per line), the persons, places, dates and counts it mentions, and the claims
    proposed from them, each with accept and reject for those who may."""
    return await _text_page(request, lang, current, item_id, done=done, error=error)


async def _text_page(request: Request, lang: str, current: Any, item_id: str, *,
                     done: str | None = None, error: str | None = None,
                     picks: dict[str, list[Shown]] | None = None,
                     entered: dict[str, str] | None = None) -> Response:
    """The text page (with the persons a proposal's picker found, when it was asked
    without JavaScript, and what was typed kept)."""
    signed_in(request, current, lang)
    store: Store = request.app.state.store
    view = await run_in_threadpool(_item_text_view, store, current.principal, item_id)
    principal = current.principal
    pages = [{**page, "parts": marked_parts(page.get("text") or "", [
        m for m in view["mentions"] if m.get("page") == page.get("number")])}
        for page in view["text"].get("pages", [])]
    languages = {code: _language_name(code, lang)
                 for page in view["text"].get("pages", []) for code in [page.get("language")]
                 if code}
    return render(request, "item_text.html", {
        **view, "pages": pages, "item_id": item_id, "methods": METHODS, "states": EXTRACTION_STATES,
        "kinds": MENTION_KINDS, "proposed": PROPOSED, "review_states": REVIEW_STATES,
        "languages": languages, "low": LOW_CONFIDENCE,
        "done": DONE.get(done or ""), "error": ERRORS.get(error or ""),
        "picks": picks or {}, "entered": entered or {}, "max_query": MAX_QUERY,
        "can_find": principal.can(Permission.ADD_FACTS),
        "can_extract": principal.can(Permission.ADD_EVIDENCE),
        "can_accept": principal.can(Permission.ADD_FACTS),
        "can_reject": principal.can(Permission.REVIEW),
    }, current, lang)


@router.post("/items/{item_id}/proposals/{proposal_id}/persons")
async def pick_person(request: Request, lang: LangDep, item_id: str,
                      proposal_id: str) -> Response:
    """A proposal's person picker: the persons a name finds, to choose the subject from.
    With htmx (as you type) the choices alone; without JavaScript (the "Find" button) the
    text page again, the choices in that proposal's form and the name kept there. The
    name travels in the body only."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ADD_FACTS)
    store: Store = request.app.state.store
    fragment = request.headers.get("hx-request") == "true"
    # The Find button says which picker it is; as you type, htmx names the field typed in.
    which = "party" if (form.get("picker") == "party" or (
        fragment and request.headers.get("hx-trigger-name") == "party_name")) else "subject"
    name = form.get(f"{which}_name", "")[:MAX_QUERY]
    picks = show(await run_in_threadpool(lambda: person_search.person_picks(
        store, current.principal, "item", item_id, name, explicit=not fragment)))
    if fragment:
        return render(request, "_person_picks.html", {
            "picks": picks, "entered": {}, "by_id": False,
            "pick_field": "party_pick" if which == "party" else "person_pick"},
            current, lang)
    return await _text_page(request, lang, current, item_id,
                            picks={f"{which}-{proposal_id}": picks},
                            entered={"proposal": proposal_id, f"{which}_name": name})


@router.post("/items/{item_id}/mentions")
async def find_mentions(request: Request, lang: LangDep, item_id: str) -> Response:
    """Read the item's text for mentions and propose claims (again when asked)."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ADD_FACTS)
    await run_in_threadpool(mentions_service.find_for, request.app.state.store,
                            current.principal, item_id, again=form.get("again") == "1")
    return RedirectResponse(f"/{lang}/items/{item_id}/text?done=found", status_code=303)


@router.post("/items/{item_id}/extract")
async def extract(request: Request, lang: LangDep, item_id: str) -> Response:
    """Queue the extraction of the item's text (again, after a failure)."""
    await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ADD_EVIDENCE)
    await run_in_threadpool(documents_service.extract_for, request.app.state.store,
                            current.principal, item_id)
    return RedirectResponse(f"/{lang}/items/{item_id}/text?done=queued", status_code=303)


@router.post("/items/{item_id}/proposals/{proposal_id}")
async def review_proposal(request: Request, lang: LangDep, item_id: str,
                          proposal_id: str) -> Response:
    """Accept a proposed claim (with the subject chosen, when it names none) or reject it."""
    form = await read_form(request)
    current = await visitor(request)
    accept = form.get("action") == "accept"
    permitted(request, current, lang, Permission.ADD_FACTS if accept else Permission.REVIEW)
    store: Store = request.app.state.store
    back = f"/{lang}/items/{item_id}/text"
    # A person chosen by name in the picker wins over the suggested subjects' list (whose
    # first entry is chosen unless changed).
    pick = form.get("person_pick")
    entity = f"person:{pick}" if pick else (form.get("entity") or None)
    # The party the text attributes the statement to: a person found by name, else an
    # organisation of the list (none: the words stay unlinked).
    party = (f"person:{form['party_pick']}" if form.get("party_pick") else
             f"organization:{form['party_organization']}"
             if form.get("party_organization") else None)
    try:
        if accept:
            await run_in_threadpool(mentions_service.accept_for, store, current.principal,
                                    proposal_id, entity, party)
        else:
            await run_in_threadpool(mentions_service.reject_for, store, current.principal,
                                    proposal_id)
    except ValidationError as exc:
        code = "decided" if "already" in str(exc) else (
            "party" if party is not None and "party" in str(exc) else
            "entity" if entity is not None else "subject")
        return RedirectResponse(f"{back}?error={code}#{proposal_id}", status_code=303)
    return RedirectResponse(f"{back}?done={'accepted' if accept else 'rejected'}",
                            status_code=303)

