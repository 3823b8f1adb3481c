"""What every page router shares: the language in the path, the visitor, sign-in checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from dadkhahi.access.policy import Permission, require
from dadkhahi.domain.errors import NotFoundError, UserError
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
