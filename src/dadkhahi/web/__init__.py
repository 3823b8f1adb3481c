"""The team's web workspace: server-rendered pages in Persian and English.

Thin page routers over the same services and access policy as the API
(``docs/ARCHITECTURE.md``); Jinja2 templates, gettext catalogues, htmx.
"""

from dadkhahi.web.app import create_app

__all__ = ["create_app"]
