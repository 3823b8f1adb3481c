"""Which list imports a principal may see, as SQL (beside :mod:`dadkhahi.access.policy`).

A list import is governed exactly like the records it brought in: its own
sensitivity (``public`` for everyone, ``restricted`` for team members,
``protected`` only with a grant on its source), and never when its source is
invisible. Execute statements using it with :func:`dadkhahi.access.policy.params`.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_

from dadkhahi.access.policy import Principal, granted_scopes, visible_ids
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import schema as s


def visible_import(principal: Principal) -> ColumnElement[bool]:
    """SQL condition: rows of ``list_imports`` this principal may see."""
    li = s.list_imports.c
    source_visible = li.source_id.in_(visible_ids(principal, s.sources))
    if not principal.team:
        return and_(li.sensitivity == str(Sensitivity.PUBLIC), source_visible)
    own = or_(
        li.sensitivity.in_([str(Sensitivity.PUBLIC), str(Sensitivity.RESTRICTED)]),
        and_(li.sensitivity == str(Sensitivity.PROTECTED), li.source_id.in_(granted_scopes())),
    )
    return and_(own, source_visible)


__all__ = ["visible_import"]
