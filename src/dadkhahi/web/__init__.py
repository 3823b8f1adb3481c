"""The team's web workspace: server-rendered pages in Persian and English.

Thin page routers over the same services and access policy as the API
(``docs/ARCHITECTURE.md``); Jinja2 templates, gettext catalogues, htmx. The pages are
added to an app composed above both faces (:mod:`dadkhahi.server`); they never import
the API.
"""

from dadkhahi.web.app import add_pages

__all__ = ["add_pages"]
