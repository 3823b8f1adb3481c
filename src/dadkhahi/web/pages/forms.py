"""What the pages' sourced forms share (an act, a person named in it, a place's status):
the lists of what the visitor may cite or name, the date typed in either calendar, the
source cited and the errors of the fields every sourced form has.
"""

from __future__ import annotations

from typing import Any

from dadkhahi.access import reads
from dadkhahi.access.policy import Principal
from dadkhahi.domain.dates import DateRange
from dadkhahi.facts.entities import Support
from dadkhahi.persian.dates import DateParseError, parse_date
from dadkhahi.store.store import Store
from dadkhahi.web.i18n import ascii_digits
from dadkhahi.web.pages.persons import SENSITIVITY

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
