"""How the command line names stored things: unique ID prefixes and source titles.

In the CLI only, any unique prefix of an ID names its object (``src_5657``). The API
keeps exact IDs: an "ambiguous prefix" answer there would tell a caller that hidden
objects exist. Here a prefix is matched only among the objects the viewer may see, so
even the CLI's answer reveals nothing hidden.

``--source`` takes, everywhere, a source ID (or unique prefix) or an exact title. A
value matching nothing is refused with the nearest titles: registering a new source
silently would split one list into two for the estimate. A new source is named with
``--source-title``.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer

from dadkhahi.cli.common import current_actor
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.ids import PREFIXES
from dadkhahi.domain.vocab import Role

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy import Connection, Table

    from dadkhahi.access.policy import Principal
    from dadkhahi.store.store import Store

class Reads(Protocol):
    """What a look-up reads through: a :class:`Store`, or a home's database read before
    its store is opened (:class:`dadkhahi.store.db.DatabaseReader`)."""

    def reading(self) -> AbstractContextManager[Connection]:
        """A read-only connection."""
        ...


# SQLAlchemy, the schema and the policy are imported when a command runs, not when
# --help is shown (issue 12 item 17).
_KIND_OF_PREFIX = {v: k for k, v in PREFIXES.items()}


def _table(kind: str) -> Table:
    """The table whose rows an ID of this kind names."""
    from dadkhahi.store import schema as s

    return s.metadata.tables[_TABLES[kind]]


#: Every kind of object a command takes an ID of, and its table (tests/cli/test_cli_refs.py
#: lists the commands).
_TABLES = {"person": "persons", "act": "acts", "claim": "claims", "source": "sources",
           "item": "items", "record": "records", "organization": "organizations",
           "place": "places", "involvement": "involvements", "case": "cases", "job": "jobs",
           "estimate": "estimates", "audit": "link_audits", "segment": "testimony_segments",
           "testimony": "testimonies", "proposal": "proposals", "user": "users"}
_SHOWN_MATCHES = 5

AsUserOpt = Annotated[str | None, typer.Option(
    "--as-user", metavar="USER",
    help="See (and act) as this team member, with their role and grants (default: the "
         "home's operator: an admin without grants, who sees public and restricted data)")]


def viewer(store: Store, as_user: str | None) -> Principal:
    """Who a command reads and acts as: a named team member, or the home's operator."""
    from dadkhahi.access.policy import Principal

    if as_user is None:
        return Principal(username=current_actor(), role=Role.ADMIN)
    from dadkhahi.access.users import get_user

    with store.reading() as conn:
        user = get_user(conn, as_user)
    return Principal(user_id=user["id"], username=user["username"], role=Role(user["role"]))


def _seen(principal: Principal | None, table: Table) -> Any:
    from sqlalchemy import true

    # None: the home's operator taking things in (evidence add, lists import), who holds
    # the keys and names any source of the home, as before there were listings.
    if principal is None:
        return true()
    from dadkhahi.access.policy import visible

    return visible(principal, table)


def _bind(principal: Principal | None) -> dict[str, str]:
    if principal is None:
        return {}
    from dadkhahi.access.policy import params

    return params(principal)


def resolve_id(store: Reads, principal: Principal | None, ref: str, kind: str) -> str:
    """The full ID of the ``kind`` object whose ID is ``ref`` or starts with it, among
    those ``principal`` may see (all of them for None, the home's operator)."""
    from sqlalchemy import select

    table = _table(kind)
    ref = ref.strip()
    if not ref:
        raise UserError(f"give a {kind} ID")
    with store.reading() as conn:
        rows = conn.execute(
            select(table.c.id).where(table.c.id.startswith(ref, autoescape=True),
                                     _seen(principal, table))
            .order_by(table.c.id).limit(_SHOWN_MATCHES + 1), _bind(principal)).scalars().all()
    if ref in rows:
        return ref
    if not rows:
        raise NotFoundError(f"no {kind} {ref!r}")
    if len(rows) > 1:
        shown = ", ".join(rows[:_SHOWN_MATCHES]) + (", …" if len(rows) > _SHOWN_MATCHES else "")
        raise UserError(f"{kind} ID prefix {ref!r} is ambiguous: {shown}")
    return str(rows[0])


def kind_of(ref: str) -> str | None:
    """The kind an ID names by its prefix (``src_…`` → source), if it has one."""
    head = ref.split("_", 1)[0]
    return _KIND_OF_PREFIX.get(head) if "_" in ref else None


def filter_id(store: Store, ref: str) -> str:
    """A filter's ID made whole: the object of any kind (told by its prefix) whose ID
    starts with ``ref``; ``ref`` as given when it names no such object (a filter may name
    an erased one, or a name)."""
    kind = kind_of(ref.strip())
    if kind not in _TABLES:
        return ref
    try:
        return resolve_id(store, None, ref, kind)
    except NotFoundError:
        return ref


def resolve_any(store: Store, principal: Principal | None, ref: str,
                kinds: tuple[str, ...]) -> tuple[
        str, str]:
    """(kind, full ID) of an ID or prefix naming one of ``kinds`` (told by its prefix)."""
    kind = kind_of(ref)
    if kind not in kinds:
        raise UserError(f"{ref!r} is not the ID of a {' or '.join(kinds)} "
                        f"(IDs start with {', '.join(PREFIXES[k] + '_' for k in kinds)})")
    assert kind is not None
    return kind, resolve_id(store, principal, ref, kind)


def resolve_source(store: Reads, principal: Principal | None, ref: str) -> dict[str, Any]:
    """The visible source whose ID (or unique ID prefix) or exact title is ``ref``.

    Refused when nothing matches, naming the nearest titles, or when two sources share
    the title.
    """
    from sqlalchemy import select

    from dadkhahi.store import schema as s

    src = s.sources.c
    text = ref.strip()
    with store.reading() as conn:
        rows = conn.execute(
            select(s.sources).where(src.title == text, _seen(principal, s.sources))
            .limit(2), _bind(principal)).mappings().all()
        if len(rows) > 1:
            raise UserError(f"two sources are titled {text!r}: give the source ID instead")
        if rows:
            return dict(rows[0])
        try:
            if kind_of(text) == "source":
                full = resolve_id(store, principal, text, "source")
                row = conn.execute(select(s.sources).where(src.id == full)).mappings().one()
                return dict(row)
        except NotFoundError:
            pass
        titles = conn.execute(select(src.title).where(_seen(principal, s.sources)),
                              _bind(principal)).scalars().all()
    near = difflib.get_close_matches(text, sorted(set(titles)), n=3, cutoff=0.5)
    hint = f"; nearest titles: {', '.join(repr(t) for t in near)}" if near else ""
    raise UserError(f"no source {text!r} (give a source ID or an exact title){hint}; "
                    "to register a new source, use --source-title instead")
