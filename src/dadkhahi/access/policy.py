"""Roles, permissions and principals, and the visibility of rows to a principal.

Rules (ARCHITECTURE.md, security model):

* ``public`` rows: everyone, signed in or not;
* ``restricted`` rows: any signed-in team member (every role but ``viewer``);
* ``protected`` rows: only team members holding a grant on the row's scope.
  No role sees protected rows without a grant, not even ``admin`` (an admin may
  grant, and that grant is itself a ledger event).

What a principal may *see* is decided by the one disclosure rule,
:mod:`dadkhahi.access.disclosure`, with the principal as its audience (a user
with their grants): :func:`visible` is that rule's SQL condition. Lists, counts,
search, exports and single-object reads all use it, so there is one place to
get right. What a principal may *do* is :data:`ROLE_PERMISSIONS`.

Every statement that uses :func:`visible` is executed with :func:`params`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Connection, Select, Table, select
from sqlalchemy.sql import visitors

from dadkhahi.access.disclosure import (
    GOVERNED_TABLES,
    Audience,
    Tier,
    bind,
    condition_for,
    count_statement,
    generation,
    group_statement,
    names_disclosable,
)
from dadkhahi.domain.errors import UserError
from dadkhahi.domain.vocab import Role


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
    PUBLISH = "publish"  # build the public memorial (a disclosure to everyone)


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


class ForbiddenError(UserError):
    """Signed in (or not) but not allowed to do this (HTTP 403, or 401 if anonymous)."""


def require(principal: Principal, permission: Permission) -> None:
    """Raise :class:`ForbiddenError` unless the principal holds ``permission``."""
    if not principal.can(permission):
        who = principal.role or "anonymous visitors"
        raise ForbiddenError(f"{who} may not {permission.replace('_', ' ')}")


# --- visibility: the one disclosure rule, for a principal as its audience ---------


def audience(principal: Principal) -> Audience:
    """The principal as an audience of :mod:`dadkhahi.access.disclosure`."""
    return Audience.user(principal.user_id, team=principal.team, name=principal.name)


def params(principal: Principal) -> dict[str, Any]:
    """Bind values for statements built with :func:`visible` (pass them to ``execute``)."""
    return bind(audience(principal))


def visible(principal: Principal, table: Table) -> ColumnElement[bool]:
    """SQL condition: rows of ``table`` this principal may see (false for unknown tables).

    Execute the statement with ``params(principal)``.
    """
    return visible_for(principal.team, table)


def visible_for(team: bool, table: Table) -> ColumnElement[bool]:
    """:func:`visible` for any principal with this ``team`` flag (the clause is shared)."""
    return condition_for((Tier.TEAM if team else Tier.PUBLIC, True), table)


def disclosure_key(principal: Principal, tables: tuple[Table, ...]) -> tuple[Any, ...]:
    """What the rule's answer about ``tables`` depends on for this principal (beyond the
    store's rows): its audience key, the rule's build, and the values of the principal's
    bound parameters that the rule's conditions on these tables read. Two principals
    with one key are shown the same rows of these tables from the same rows, so a cache
    of a read keyed by it (and the ledger's :func:`~dadkhahi.store.ledger_log.version`)
    serves no audience another's answer. The parameters are found in the rule's SQL
    (not restated here): those of a reader whose tier reads no grant, name nobody, and
    every such reader shares one key."""
    built = generation()
    read = _rule_parameters(principal.team, tables, built)
    bound = params(principal)
    return (_key(principal), built,
            tuple((name, repr(bound[name])) for name in read if name in bound))


@lru_cache(maxsize=256)
def _rule_parameters(team: bool, tables: tuple[Table, ...], built: int) -> tuple[str, ...]:
    """The names of the bound parameters the rule's conditions on ``tables`` read for a
    reader of this ``team`` flag under the rule's build ``built`` (sorted): the condition
    is the same clause for every such reader, so its SQL is walked once per build, not
    at every kept read (1.7 ms a walk of the dashboard's seven tables)."""
    return tuple(sorted({found.key for table in tables
                         for found in visitors.iterate(visible_for(team, table))
                         if isinstance(found, BindParameter)}))


def visible_ids(principal: Principal, table: Table) -> Select[tuple[str]]:
    """Subquery of the IDs of visible rows."""
    return select(table.c.id).where(visible(principal, table))


def _key(principal: Principal) -> tuple[Tier, bool]:
    """The principal's :attr:`Audience.key` (a user: scope from grants)."""
    return (Tier.TEAM if principal.team else Tier.PUBLIC, True)


def count_visible_rows(conn: Connection, principal: Principal, table: Table) -> int:
    """How many rows of ``table`` this principal may see (:func:`disclosure.count_statement`:
    the rule per group of rows alike in what it reads, the same number as row by row)."""
    return int(conn.execute(count_statement(_key(principal), table),
                            params(principal)).scalar_one())


def visible_groups(conn: Connection, principal: Principal, table: Table
                   ) -> list[tuple[tuple[Any, ...], bool]]:
    """Every group of rows of ``table`` alike in what the rule reads
    (:data:`dadkhahi.access.disclosure.COUNTED_BY`: those columns' values, in that
    order) and whether this principal may see its rows (the rule once per group:
    :func:`disclosure.group_statement`)."""
    return [(tuple(row[:-1]), bool(row[-1])) for row in conn.execute(
        group_statement(_key(principal), table), params(principal))]


def visible_ref(principal: Principal, table: Table,
                column: ColumnElement[Any]) -> ColumnElement[bool]:
    """SQL condition: ``column`` names a row of ``table`` this principal may see, checked
    for the rows the statement reaches (:func:`disclosure.names_disclosable`), not by
    listing every visible row first as ``column.in_(visible_ids(...))`` does.

    Execute the statement with ``params(principal)``.
    """
    return names_disclosable(_key(principal), table, column)


__all__ = [
    "ANONYMOUS",
    "GOVERNED_TABLES",
    "ROLE_PERMISSIONS",
    "ForbiddenError",
    "Permission",
    "Principal",
    "Role",
    "audience",
    "count_visible_rows",
    "disclosure_key",
    "params",
    "require",
    "visible",
    "visible_for",
    "visible_groups",
    "visible_ids",
    "visible_ref",
]
