"""Documents: full-text search of every extracted text the visitor may see.

The one document search (:func:`dadkhahi.search.engine.search`, as ``POST /api/search``
runs it): Persian and English words, "quoted phrases" and prefixes*, every word
required; texts the visitor may not see are never searched, and protected texts found
are written to the audit trail by the search itself. The query travels in a POST body
only (it may hold a name), never in a URL. Each hit links to its item (its text and
preview) with the page number and a snippet of the exact text, the matches marked.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.domain.errors import ValidationError
from dadkhahi.search.engine import Hit
from dadkhahi.search.engine import search as run_search
from dadkhahi.search.query import MAX_QUERY_CHARS
from dadkhahi.web.i18n import language
from dadkhahi.web.nav import N_, register
from dadkhahi.web.pages.common import LangDep, VisitorDep, page_router
from dadkhahi.web.render import render
from dadkhahi.web.security import read_form, visitor

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


@router.get("/documents")
async def page(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """The search form (the query is sent in the body of a POST)."""
    return render(request, "documents.html", {"q": "", "hits": None, "notes": [],
                                              "errors": {}, "max_query": MAX_QUERY_CHARS},
                  current, lang)


@router.post("/documents")
async def search(request: Request, lang: LangDep) -> Response:
    """Search the texts the visitor may see; hits best first, each with its snippet."""
    form = await read_form(request)
    current = await visitor(request)
    tr = language(lang).gettext
    q = form.get("q", "")
    errors: dict[str, str] = {}
    shown: list[dict[str, Any]] | None = None
    notes: list[str] = []
    if not q:
        errors["q"] = tr("Type the words to find.")
    else:
        try:
            found = await run_in_threadpool(run_search, request.app.state.store,
                                            current.principal, q, limit=LIMIT)
        except ValidationError:
            errors["q"] = tr("This search could not be read: check its quotation marks "
                             "and its length.")
        else:
            shown = [{"hit": h, "parts": snippet_parts(h)} for h in found.hits]
            notes = _notes(found.notes)
    return render(request, "documents.html", {
        "q": q, "hits": shown, "notes": notes, "errors": errors,
        "max_query": MAX_QUERY_CHARS}, current, lang, 422 if errors else 200)
