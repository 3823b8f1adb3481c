"""What every page router shares: the language in the path, the visitor, sign-in checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from dadkhahi.access.policy import Permission, require
from dadkhahi.domain.errors import NotFoundError, UserError, ValidationError
from dadkhahi.web.i18n import LANGUAGES
from dadkhahi.web.security import Visitor, visitor


class SignInRequiredError(UserError):
    """The page needs a signed-in visitor (answered with a redirect to the sign-in page)."""

    def __init__(self, lang: str, next_path: str) -> None:
        super().__init__("sign in first")
        self.lang = lang
        self.next_path = next_path


async def page_language(lang: str) -> str:
    """The language named by the path's first segment (``fa`` or ``en``; else 404)."""
    if lang not in LANGUAGES:
        raise NotFoundError("no such page")
    return lang


LangDep = Annotated[str, Depends(page_language)]
VisitorDep = Annotated[Visitor, Depends(visitor)]


def page_router() -> APIRouter:
    """A router of pages under ``/{lang}`` (kept out of the OpenAPI schema)."""
    return APIRouter(prefix="/{lang}", include_in_schema=False)


def signed_in(request: Request, current: Visitor, lang: str) -> None:
    """Send an anonymous visitor to the sign-in page (then back here)."""
    if not current.signed_in:
        raise SignInRequiredError(lang, request.url.path)


def permitted(request: Request, current: Visitor, lang: str, *needed: Permission) -> None:
    """Signed in and holding one of ``needed`` (403 page otherwise)."""
    signed_in(request, current, lang)
    if not any(current.principal.can(p) for p in needed):
        require(current.principal, needed[0])


def safe_next(lang: str, candidate: str | None) -> str:
    """Where to go after signing in: a page of ours, else the dashboard."""
    if (candidate and candidate.startswith("/") and not candidate.startswith("//")
            and "\\" not in candidate and candidate.split("/")[1:2] in (["fa"], ["en"])):
        return candidate
    return f"/{lang}/"


#: The longest cursor a list page takes (one it handed out is far shorter).
MAX_CURSOR = 2048


@dataclass(frozen=True)
class Asked:
    """What a visitor asked of a list: filters (codes), a sort (a code), the page after
    ``cursor``; ``shown`` is what the list's controls and its next-page link carry."""

    filters: dict[str, str]
    sort: str
    cursor: str | None

    @property
    def shown(self) -> dict[str, str]:
        return {**self.filters, "sort": self.sort}


@dataclass(frozen=True)
class Listing:
    """A list page's controls, the one mechanism of every list: each filter is a choice
    among codes (``filters``: name → (label, {code: words})), the sort a code of
    ``sorts`` (``-`` first: descending), paging by cursor. Only codes travel in the
    address, never text a person typed (a name is looked for in a form's body, by the
    search). The template draws them with ``_field.html``'s ``list_controls`` and
    ``pager``; the read pages in SQL (``access.reads.read_page`` or ``keyset_page``)."""

    sorts: Mapping[str, str]
    default: str
    filters: Mapping[str, tuple[str, Mapping[str, str]]] = field(default_factory=dict)

    def asked(self, request: Request) -> Asked:
        """The filters, sort and cursor of the query string; an unknown code is refused
        (422), an empty filter means any."""
        q = request.query_params
        chosen: dict[str, str] = {}
        for name, (_, codes) in self.filters.items():
            value = q.get(name) or ""
            if value and value not in codes:
                raise ValidationError("unknown filter value")
            if value:
                chosen[name] = value
        sort = q.get("sort") or self.default
        if sort not in self.sorts:
            raise ValidationError("unknown order")
        cursor = q.get("cursor") or None
        if cursor is not None and len(cursor) > MAX_CURSOR:
            raise ValidationError("cursor is not one this server handed out")
        return Asked(chosen, sort, cursor)
