"""Rendering pages: one Jinja2 environment per language, filters for the Persian specifics.

Templates hold no business rule: they show what the page router handed them.
Autoescaping is on for every template, so stored HTML or script is shown as text.
Filters:

* ``num``, ``date``, ``when``, ``interval``: counts and dates in the page's language
  (Persian digits and Solar Hijri dates first on Persian pages); ``typed_date``: a date
  a person typed as text, shown the same way when it reads as a date;
* ``ident``: an ID, hash, ledger index, a list's own record ID or a coordinate, kept in
  ASCII inside ``<bdi dir="ltr">`` on pages of both directions;
* ``user``: text a person typed (names, titles, notes), inside ``<bdi dir="auto">``
  so a Latin name in a Persian page (and the reverse) reads in its own direction,
  with direction overrides and invisible characters removed from what is shown.
"""

from __future__ import annotations

from functools import cache, partial
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from dadkhahi import assets
from dadkhahi.domain.safe_text import safe_display_name
from dadkhahi.persian import DateParseError, parse_date
from dadkhahi.web import i18n
from dadkhahi.web.security import Visitor, apply_cookies

TEMPLATES = Path(__file__).resolve().parent / "templates"


# ident and user_text are called for every ID and name on a page (a search page's hits:
# hundreds of times): the text is escaped and put between the tags directly, not through
# Markup.format (Python's string.Formatter: 484 calls of it a search page, 161 after).
# escape() of a str is the same escaping; a Markup added to a Markup is not escaped again.
_LTR, _AUTO = Markup('<bdi dir="ltr" class="id">'), Markup('<bdi dir="auto">')
_END = Markup("</bdi>")


def ident(value: object) -> Markup:
    """An identifier shown as typed, left to right, isolated from the text around it."""
    if value is None or value == "":
        return Markup("")
    return _LTR + escape(str(value)) + _END


def user_text(value: object) -> Markup:
    """User-entered text, isolated with its own direction, without bidi overrides."""
    if value is None or value == "":
        return Markup("")
    shown = safe_display_name(str(value))
    return _AUTO + escape(shown) + _END


def language_label(language: i18n.Language, value: object) -> Markup:
    """A language code (``fa``) as its name in the page's language ("فارسی" on Persian
    pages, "Persian" on English ones); a code that names no language is shown as the
    user text it is."""
    if value is None or value == "":
        return Markup("")
    name = language.language_name(str(value))
    return Markup("{}").format(name) if name else user_text(value)


def typed_date(language: i18n.Language, value: object) -> Markup:
    """A date a person typed as text (an interview's "1399/02/10", "Ordibehesht 1399"),
    in either calendar and any digits: shown with the page's date function when it
    reads as a day, a month or a year (Solar Hijri first and Persian digits on Persian
    pages, as every date there); otherwise, or when marked uncertain or approximate
    (which the span would drop), as typed."""
    if value is None or value == "":
        return Markup("")
    try:
        found = parse_date(str(value))
    except DateParseError:  # not a date: the words as typed
        return user_text(value)
    if found.uncertain or found.approximate:
        return user_text(value)
    return Markup.escape(language.span(found.earliest, found.latest))


def claim_value(value: object) -> Markup:
    """A claim's value as user text. A structured value (a position: office,
    organisation, place) shows its words only, never the IDs it names: the page shows
    a named object itself, and only when the reader may see it."""
    if isinstance(value, dict):
        words = [str(v) for k, v in value.items()
                 if v not in (None, "") and not str(k).endswith("_id")]
        return user_text(", ".join(words))
    if isinstance(value, list):
        return user_text(", ".join(str(v) for v in value))
    return user_text(value)


def kbd(key: str) -> Markup:
    """A key to press, named as printed on the key (Latin on every layout here)."""
    return Markup('<kbd lang="en" dir="ltr">{}</kbd>').format(key)


@cache
def environment(lang: str) -> Environment:
    """The Jinja2 environment of one interface language (built once)."""
    language = i18n.language(lang)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(language.translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        num=language.number,
        date=language.date,
        when=language.datetime,
        digits=language.digits,
        ident=ident,
        user=user_text,
        typed_date=partial(typed_date, language),
        language_name=partial(language_label, language),
        value=claim_value,
        combine=lambda first, second: {**first, **second},
    )
    env.globals.update(asset=assets.url, lang=language, interval=language.interval,
                       span=language.span, kbd=kbd)
    return env


def other_language_path(request: Request, lang: str) -> str:
    """This page's path in the other language (the switch keeps the page)."""
    path = request.url.path
    rest = path[len(lang) + 1:] if path.startswith(f"/{lang}") else "/"
    return f"/{i18n.other(lang)}{rest or '/'}"


def render(request: Request, template: str, context: dict[str, Any], visitor: Visitor,
           lang: str, status: int = 200) -> HTMLResponse:
    """A whole page or an htmx fragment, in ``lang``, for ``visitor``."""
    from dadkhahi.web.nav import navigation

    env = environment(lang)
    values = {
        "request_path": request.url.path,
        "switch_path": other_language_path(request, lang),
        "visitor": visitor,
        "csrf": visitor.csrf,
        "nav": navigation(visitor.principal, lang, request.url.path),
        **context,
    }
    body = env.get_template(template).render(values)
    return apply_cookies(request, HTMLResponse(body, status_code=status))  # type: ignore[return-value]
