"""The navigation bar: every page a visitor may open, in one list.

Page routers register their entry here; the bar shows an entry only to those the
page itself would serve (the page checks again: hiding a link is not a rule). The bar's
order is :data:`ORDER`, the order of a documentation team's work (find a person, take
in lists and review their links, the evidence, the facts, the cases built on them, the
numbers, the map, then running jobs and administration), not the order in which page
modules happen to load; a page not placed there comes last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dadkhahi.access.policy import Permission, Principal
from dadkhahi.web.i18n import language


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "translate later"
    """Mark ``message`` for the catalogue; it is translated when shown."""
    return message


@dataclass(frozen=True)
class Entry:
    """One link of the bar: path after the language, label, and who sees it."""

    path: str
    label: str
    shown_to: Callable[[Principal], bool]


def anyone(principal: Principal) -> bool:
    return True


def team(principal: Principal) -> bool:
    return principal.team


def holding(*permissions: Permission) -> Callable[[Principal], bool]:
    """Shown to a principal holding any of ``permissions``."""
    def shown(principal: Principal) -> bool:
        return any(principal.can(p) for p in permissions)
    return shown


ENTRIES: list[Entry] = []

#: The bar's order (paths after the language).
ORDER: tuple[str, ...] = (
    "/", "/search", "/imports", "/review", "/sources", "/documents", "/transcriptions",
    "/testimonies", "/acts", "/timeline", "/perpetrators", "/organizations", "/cases",
    "/estimates", "/places", "/jobs", "/admin/users", "/admin/audit",
)


def _place(entry: Entry) -> int:
    return ORDER.index(entry.path) if entry.path in ORDER else len(ORDER)


def register(path: str, label: str, shown_to: Callable[[Principal], bool] = anyone) -> None:
    """Add a page to the bar (in the order page modules are loaded)."""
    if all(e.path != path for e in ENTRIES):
        ENTRIES.append(Entry(path, label, shown_to))


@dataclass(frozen=True)
class Link:
    href: str
    label: str
    current: bool


def navigation(principal: Principal, lang: str, current_path: str) -> list[Link]:
    """The links of the bar for this visitor, labels in ``lang``."""
    tr = language(lang).gettext
    links = []
    # sorted() is stable: pages not in ORDER keep the order they registered in.
    for entry in sorted(ENTRIES, key=_place):
        if not entry.shown_to(principal):
            continue
        href = f"/{lang}{entry.path}"
        here = current_path == href or (entry.path != "/" and current_path.startswith(href))
        links.append(Link(href, tr(entry.label), here))
    return links
