"""The one visibility policy: which rows a principal may see, as SQL.

Rules (ARCHITECTURE.md, security model):

* ``public`` rows: everyone, signed in or not;
* ``restricted`` rows: any signed-in team member (every role but ``viewer``);
* ``protected`` rows: only team members holding a grant on the row's scope:
  its source (sources, items, records, and claims through their supporting
  sources), or the entity itself (people, organisations, places, acts;
  involvements through their person or organisation). No role sees protected
  rows without a grant, not even ``admin`` (an admin may grant, and that grant
  is itself a ledger event).

A row is also invisible when what it hangs on is: an item or record of an
invisible source, custody of an invisible item, an involvement of an invisible
act or person, a claim about an invisible entity. :func:`visible` returns the
SQL condition; lists, counts, search, exports and single-object reads all use
it, so there is one place to get right.

The conditions are built once per table and tier (public-only or team) and
name the viewer through one bound parameter: every statement that uses them
is executed with :func:`params`. Forgetting it is an error, not a leak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    exists,
    false,
    or_,
    select,
)

from dadkhahi.domain.errors import UserError
from dadkhahi.domain.vocab import Role, Sensitivity
from dadkhahi.store import schema as s


class Permission(StrEnum):
    """What a role may do, beyond seeing what the visibility rules show it."""

    ADD_EVIDENCE = "add_evidence"  # sources, files, records
    ADD_FACTS = "add_facts"  # people, places, acts, involvements, claims
    REVIEW = "review"  # claim and place status
    ANALYSE = "analyse"  # estimates, linkage runs
    SIGN = "sign"  # sign ledger checkpoints
    MANAGE_USERS = "manage_users"
    GRANT = "grant"
    AUDIT = "audit"
    ERASE = "erase"


_ALL = frozenset(Permission)

#: The permission table; read it as the specification of the roles.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset(),
    Role.RESEARCHER: frozenset(),
    Role.INVESTIGATOR: frozenset({
        Permission.ADD_EVIDENCE, Permission.ADD_FACTS, Permission.REVIEW, Permission.SIGN,
    }),
    Role.ANALYST: frozenset({Permission.ADD_FACTS, Permission.REVIEW, Permission.ANALYSE}),
    Role.LAWYER: frozenset({Permission.REVIEW}),
    Role.ADMIN: _ALL,
}


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user, or nobody (``user_id`` None)."""

    user_id: str | None = None
    username: str | None = None
    role: Role | None = None
    ip: str | None = None
    #: The session the request came with (to list and end one's other sessions).
    session_id: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    @property
    def team(self) -> bool:
        """Signed in with a role that sees restricted data."""
        return self.role is not None and self.role is not Role.VIEWER

    @property
    def name(self) -> str:
        """How this principal appears as a ledger actor."""
        return self.username or "anonymous"

    def can(self, permission: Permission) -> bool:
        return self.role is not None and permission in ROLE_PERMISSIONS[self.role]


ANONYMOUS = Principal()

#: Whether the rules are built for a team member (restricted + granted) or public only.
_Rule = Callable[[bool], ColumnElement[bool]]
_VIEWER = "dadkhahi_viewer_id"


class ForbiddenError(UserError):
    """Signed in (or not) but not allowed to do this (HTTP 403, or 401 if anonymous)."""


def require(principal: Principal, permission: Permission) -> None:
    """Raise :class:`ForbiddenError` unless the principal holds ``permission``."""
    if not principal.can(permission):
        who = principal.role or "anonymous visitors"
        raise ForbiddenError(f"{who} may not {permission.replace('_', ' ')}")


def params(principal: Principal) -> dict[str, str]:
    """Bind values for statements built with :func:`visible` (pass them to ``execute``)."""
    return {_VIEWER: principal.user_id or ""}


def granted_scopes() -> Select[tuple[str]]:
    """The viewer's grants (source or entity IDs), as a subquery."""
    g = s.access_grants.c
    return select(g.scope_id).where(g.user_id == bindparam(_VIEWER, type_=Text))


def _by_sensitivity(
    team: bool, table: Table, protected_ok: ColumnElement[bool]
) -> ColumnElement[bool]:
    col = table.c.sensitivity
    if not team:
        return col == str(Sensitivity.PUBLIC)
    # Equalities, not IN (…): an IN list is re-rendered into the SQL on every execution.
    return or_(
        col == str(Sensitivity.PUBLIC),
        col == str(Sensitivity.RESTRICTED),
        and_(col == str(Sensitivity.PROTECTED), protected_ok),
    )


_BUILT: dict[tuple[str, bool], ColumnElement[bool]] = {}


def visible(principal: Principal, table: Table) -> ColumnElement[bool]:
    """SQL condition: rows of ``table`` this principal may see (false for unknown tables).

    Execute the statement with ``params(principal)``.
    """
    return visible_for(principal.team, table)


def visible_for(team: bool, table: Table) -> ColumnElement[bool]:
    """:func:`visible` for any principal with this ``team`` flag (the clause is shared)."""
    key = (table.name, team)
    built = _BUILT.get(key)
    if built is None:
        # Building these trees costs more than running the query: build each once.
        rule = _RULES.get(table.name)
        built = _BUILT[key] = rule(team) if rule else false()
    return built


def visible_ids(principal: Principal, table: Table) -> Select[tuple[str]]:
    """Subquery of the IDs of visible rows."""
    return _visible_ids(principal.team, table)


def _visible_ids(team: bool, table: Table) -> Select[tuple[str]]:
    return select(table.c.id).where(visible_for(team, table))


def _sources(team: bool) -> ColumnElement[bool]:
    return _by_sensitivity(team, s.sources, s.sources.c.id.in_(granted_scopes()))


def _in_visible_source(team: bool, table: Table) -> ColumnElement[bool]:
    # A correlated EXISTS, not "source_id IN (…)": with IN, SQLite walks the source_id
    # index and sorts every match, where EXISTS lets a page walk the primary key and stop.
    src = s.sources.c
    source_visible = exists().where(src.id == table.c.source_id, _sources(team))
    return and_(
        _by_sensitivity(team, table, table.c.source_id.in_(granted_scopes())),
        source_visible,
    )


def _own(table: Table) -> _Rule:
    def rule(team: bool) -> ColumnElement[bool]:
        return _by_sensitivity(team, table, table.c.id.in_(granted_scopes()))
    return rule


def _involvements(team: bool) -> ColumnElement[bool]:
    i = s.involvements.c
    scopes = granted_scopes()
    own = _by_sensitivity(team, s.involvements, or_(
        i.id.in_(scopes), i.person_id.in_(scopes), i.organization_id.in_(scopes)))
    return and_(
        own,
        i.act_id.in_(_visible_ids(team, s.acts)),
        or_(i.person_id.is_(None), i.person_id.in_(_visible_ids(team, s.persons))),
        or_(i.organization_id.is_(None),
            i.organization_id.in_(_visible_ids(team, s.organizations))),
    )


_ENTITY_TABLES = {"person": s.persons, "organization": s.organizations,
                  "place": s.places, "act": s.acts}


def _claims(team: bool) -> ColumnElement[bool]:
    c, cs, src = s.claims.c, s.claim_support.c, s.sources.c
    scopes = granted_scopes()
    # Protected claims: backed by a granted source, and by no protected source that is not.
    granted_support = exists().where(cs.claim_id == c.id, cs.source_id.in_(scopes))
    ungranted_protected = exists().where(
        cs.claim_id == c.id, cs.source_id == src.id,
        src.sensitivity == str(Sensitivity.PROTECTED), src.id.not_in(scopes),
    )
    own = _by_sensitivity(team, s.claims, and_(granted_support, ~ungranted_protected))
    about_visible = or_(*(
        and_(c.entity_kind == kind, c.entity_id.in_(_visible_ids(team, table)))
        for kind, table in _ENTITY_TABLES.items()
    ))
    return and_(own, about_visible)


def _custody(team: bool) -> ColumnElement[bool]:
    return s.custody.c.item_id.in_(_visible_ids(team, s.items))


def _claim_support(team: bool) -> ColumnElement[bool]:
    cs = s.claim_support.c
    return and_(cs.claim_id.in_(_visible_ids(team, s.claims)),
                cs.source_id.in_(_visible_ids(team, s.sources)))


_RULES: dict[str, _Rule] = {
    "sources": _sources,
    "items": lambda team: _in_visible_source(team, s.items),
    # Always protected: a grant on the item's source, and the item itself visible.
    "item_metadata": lambda team: and_(_in_visible_source(team, s.item_metadata),
                                       s.item_metadata.c.item_id.in_(
                                           _visible_ids(team, s.items))),
    "records": lambda team: _in_visible_source(team, s.records),
    # A list is governed like its current version's records.
    "lists": lambda team: _in_visible_source(team, s.lists),
    "custody": _custody,
    "persons": _own(s.persons),
    "organizations": _own(s.organizations),
    "places": _own(s.places),
    "acts": _own(s.acts),
    "involvements": _involvements,
    "claims": _claims,
    "claim_support": _claim_support,
}

#: Tables :func:`visible` knows; the others are never shown through it.
GOVERNED_TABLES = frozenset(_RULES)

__all__ = [
    "ANONYMOUS",
    "GOVERNED_TABLES",
    "ROLE_PERMISSIONS",
    "ForbiddenError",
    "Permission",
    "Principal",
    "Role",
    "params",
    "require",
    "visible",
    "visible_ids",
]
