"""Which list imports a principal may see, as SQL.

A list import is governed by the one disclosure rule (:mod:`dadkhahi.access.disclosure`)
like the records it brought in: its own sensitivity, in scope of its source, and
never when its source or its list is invisible. Execute statements using it with
:func:`dadkhahi.access.policy.params`.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from dadkhahi.access.policy import Principal, visible
from dadkhahi.store import schema as s


def visible_import(principal: Principal) -> ColumnElement[bool]:
    """SQL condition: rows of ``list_imports`` this principal may see."""
    return visible(principal, s.list_imports)


__all__ = ["visible_import"]
