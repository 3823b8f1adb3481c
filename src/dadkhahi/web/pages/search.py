"""The search page: one box, the one cross-script person search, filters, why each matched.

The name travels in a POST body only (never a URL, so never an access log or a
browser's history). :func:`dadkhahi.search.persons.search_persons` is the only search:
this page narrows its hits by filters on the matched records (list, province, prison,
date of death in either calendar, sex, affiliation), read under the one visibility rule
by :func:`dadkhahi.services.person_search.search`, as ``POST /api/persons/search``.
Search-as-you-type (htmx, ``/search/suggest``) shows a few hits and never a protected
one (:func:`~dadkhahi.services.person_search.suggestions`, the API's ``suggest``); the
explicit search (the button) shows every hit the visitor may see, audited by the search
service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import reads
from dadkhahi.access.policy import Principal
from dadkhahi.domain.errors import ValidationError
from dadkhahi.persian import DateParseError
from dadkhahi.search.persons import MAX_QUERY, PersonHit
from dadkhahi.services import person_search
from dadkhahi.services.person_search import FILTERS
from dadkhahi.store.store import Store
from dadkhahi.web.i18n import language
from dadkhahi.web.nav import N_, register
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router
from dadkhahi.web.render import render
from dadkhahi.web.security import read_form, visitor

router = page_router()
register("/search", N_("Search"))

#: Hits of an explicit search, and of search-as-you-type.
LIMIT = 50
SUGGESTED = 5
SEXES = {"": N_("any"), "m": N_("male"), "f": N_("female")}
#: The search service's reasons, in words of the page's language.
_REASONS = (
    (re.compile(r"same name: (.+)"), N_("same name: {key}")),
    (re.compile(r"same consonant skeleton: (.+)"), N_("same consonant skeleton: {key}")),
    (re.compile(r"same sound: (.+)"), N_("same sound: {key}")),
    (re.compile(r"similar spelling: (.+)"), N_("similar spelling: {key}")),
)


@dataclass(frozen=True)
class Shown:
    """A hit as the page shows it: the service's hit and its reasons translated."""

    hit: PersonHit
    reasons: list[tuple[str, str]]


def reason_parts(reason: str) -> tuple[str, str]:
    """(message, key) of one of the search service's reasons (key shown as an ID)."""
    for pattern, message in _REASONS:
        found = pattern.fullmatch(reason)
        if found:
            return message, found.group(1)
    return "{key}", reason


def _lists(store: Store, principal: Principal) -> dict[str, str]:
    """List sources the visitor may see: id → title (for the list filter)."""
    page, pending = reads.read_page(store, principal, reads.RESOURCES["sources"],
                                    reads.PageQuery(filters={"kind": "list"}, limit=200))
    pending.record(store, principal)
    return {str(x["id"]): str(x.get("title") or x["id"]) for x in page.data}


def show(hits: list[PersonHit]) -> list[Shown]:
    """Hits as a page shows them (the act and text pages' person pickers too, whose
    persons :func:`dadkhahi.services.person_search.person_picks` finds)."""
    return [Shown(h, [reason_parts(r) for r in h.reasons]) for h in hits]


@router.get("/search")
async def search_form(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The search box and its filters (nothing searched yet)."""
    return await _page(request, lang, {}, None, {})


async def _page(request: Request, lang: str, asked: dict[str, str],
                hits: list[Shown] | None, errors: dict[str, str], status: int = 200
                ) -> Response:
    current = await visitor(request)
    store: Store = request.app.state.store
    lists = await run_in_threadpool(_lists, store, current.principal)
    return render(request, "search.html", {
        "asked": asked, "hits": hits, "errors": errors, "lists": lists, "sexes": SEXES,
        "max_query": MAX_QUERY,
    }, current, lang, status)


def _read(form: dict[str, str], tr: Any) -> tuple[dict[str, str], dict[str, str]]:
    asked = {k: form.get(k, "")[:MAX_QUERY] for k in ("name", *FILTERS)}
    errors: dict[str, str] = {}
    if not asked["name"].strip():
        errors["name"] = tr("Type a name to search for.")
    if asked["sex"] not in SEXES:
        errors["sex"] = tr("Choose one of the values offered.")
    for name in ("date_from", "date_to"):
        try:
            person_search.death_bound(asked[name])
        except DateParseError:
            errors[name] = tr("Not a date: write 1367/05/12 or 1988-08-03.")
    return asked, errors


@router.post("/search")
async def search(request: Request, lang: LangDep) -> Response:
    """An explicit search: every hit the visitor may see, with why it matched (audited)."""
    form = await read_form(request)
    current = await visitor(request)
    tr = language(lang).gettext
    asked, errors = _read(form, tr)
    if errors:
        return await _page(request, lang, asked, None, errors, 422)
    store: Store = request.app.state.store
    filters = {k: asked[k] for k in FILTERS}
    try:
        found = await run_in_threadpool(lambda: person_search.search(
            store, current.principal, asked["name"], filters, limit=LIMIT))
    except ValidationError:
        return await _page(request, lang, asked, None, {"name": tr(
            "Type a name with letters in it.")}, 422)
    return await _page(request, lang, asked, show(list(found.hits)), {})


@router.post("/search/suggest")
async def suggest(request: Request, lang: LangDep) -> Response:
    """Search-as-you-type (an htmx fragment): a few hits, never a protected one."""
    form = await read_form(request)
    current = await visitor(request)
    store: Store = request.app.state.store
    name = form.get("name", "")[:MAX_QUERY]
    found = await run_in_threadpool(lambda: person_search.suggestions(
        store, current.principal, name, limit=SUGGESTED))
    return render(request, "search_suggest.html", {"hits": show(list(found.hits))}, current,
                  lang)
