"""``dadkhahi users add | list | disable | enable | role | password | passwd |
require-second-factor | grant | revoke | grants``."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer
from rich.table import Table

from dadkhahi.cli.common import JSON_HELP, console, current_actor, echo_json, open_store
from dadkhahi.domain.errors import UserError
from dadkhahi.domain.vocab import Role

app = typer.Typer(help="Team members, their roles and their access to protected data.",
                  no_args_is_help=True)

def _users() -> ModuleType:
    # Imported when a command runs: access pulls in SQLAlchemy and Argon2, which --help
    # should not wait for (issue 12 item 17).
    from dadkhahi.access import users

    return users


def _grants() -> ModuleType:
    from dadkhahi.access import grants

    return grants


#: What each role may do (access.policy.ROLE_PERMISSIONS); protected data needs a grant.
ROLE_HELP = ("viewer: public data only; researcher: team (restricted) data; investigator: "
             "adds evidence and facts, reviews, signs checkpoints; analyst: adds facts, "
             "reviews, runs linkage and estimates; lawyer: reviews; admin: everything, "
             "including users and grants. Protected data only with a grant, whatever the role")

ActorOpt = Annotated[str | None, typer.Option(help="Who is acting (default: OS user)")]
NameArg = Annotated[str, typer.Argument(help="User name")]


def _password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            text = password_file.read_text("utf-8")
        except OSError as exc:
            raise UserError(f"{password_file}: {exc.strerror}") from None
        return text.rstrip("\r\n")
    first: str = typer.prompt("Password", hide_input=True)
    again: str = typer.prompt("Repeat it", hide_input=True)
    if first != again:
        raise UserError("the two passwords differ")
    return first


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="User name (lower case)")],
    role: Annotated[Role, typer.Option(help=ROLE_HELP)] = Role.RESEARCHER,
    password_file: Annotated[
        Path | None, typer.Option(help="Read the password from this file (else prompt)")
    ] = None,
    actor: ActorOpt = None,
) -> None:
    """Add a user (password from a prompt or --password-file)."""
    store = open_store()
    user_id = _users().add_user(store, name, role, _password(password_file), current_actor(actor))
    console.print(f"added {name} ({role}) {user_id}", highlight=False)


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False) -> None:
    """Every user with role and state."""
    store = open_store()
    with store.reading() as conn:
        rows = _users().list_users(conn)
    if as_json:
        for u in rows:
            echo_json(u)
        return
    table = Table("user", "role", "state", "id", "since")
    for u in rows:
        table.add_row(u["username"], u["role"], "disabled" if u["disabled"] else "active",
                      u["id"], u["created_at"])
    console.print(table)


@app.command("disable")
def disable(name: NameArg, actor: ActorOpt = None) -> None:
    """Disable a user; their sessions end at once."""
    _users().set_disabled(open_store(), name, True, current_actor(actor))
    console.print(f"disabled {name}", highlight=False)


@app.command("enable")
def enable(name: NameArg, actor: ActorOpt = None) -> None:
    """Enable a disabled user again."""
    _users().set_disabled(open_store(), name, False, current_actor(actor))
    console.print(f"enabled {name}", highlight=False)


@app.command("role")
def role(name: NameArg,
         new_role: Annotated[Role, typer.Argument(metavar="ROLE", help=ROLE_HELP)],
         actor: ActorOpt = None) -> None:
    """Give a user another role."""
    _users().set_role(open_store(), name, new_role, current_actor(actor))
    console.print(f"{name} is now {new_role}", highlight=False)


@app.command("password")
def password(
    name: NameArg,
    password_file: Annotated[Path | None, typer.Option(help="Read it from this file")] = None,
    actor: ActorOpt = None,
) -> None:
    """Set a new password (the old hash's key is destroyed; sessions end)."""
    _users().set_password(open_store(), name, _password(password_file), current_actor(actor))
    console.print(f"password of {name} changed", highlight=False)


@app.command("passwd")
def passwd(
    name: Annotated[str, typer.Argument(help="Your user name")],
    password_file: Annotated[
        Path | None, typer.Option(help="Read the new password from this file (else prompt)")
    ] = None,
) -> None:
    """Change your own password: the current one first (checked and throttled like a
    sign-in), then the new one twice. Your sessions end."""
    from dadkhahi.access import signin
    from dadkhahi.access.policy import Principal

    store = open_store()
    with store.reading() as conn:
        user = _users().find_user(conn, name)
    if user is None:
        raise UserError(f"no user {name!r}")
    current: str = typer.prompt("Current password", hide_input=True)
    principal = Principal(user_id=user["id"], username=user["username"], role=Role(user["role"]))
    signin.change_own_password(store, principal, current, _password(password_file))
    console.print(f"password of {name} changed", highlight=False)


@app.command("require-second-factor")
def require_second_factor(
    who: Annotated[str, typer.Argument(
        help="none, protected (every account holding a grant on protected material) or all")],
    actor: ActorOpt = None,
) -> None:
    """Require a second factor (security key or TOTP) at sign-in; sessions without one end."""
    from dadkhahi.access import factors

    factors.set_requirement(open_store(), who, current_actor(actor))
    console.print(f"second factor required of: {who}", highlight=False)


@app.command("grant")
def grant(
    name: Annotated[str, typer.Argument(help="User name")],
    scope: Annotated[str, typer.Argument(
        help="Protected source (or person, organisation, place, act, case) ID or unique "
             "prefix")],
    actor: ActorOpt = None,
) -> None:
    """Let a user see a protected source and what belongs to it, or join a case's team (a
    case is a grant scope)."""
    from dadkhahi.access import grants
    from dadkhahi.cli.refs import resolve_any

    store = open_store()
    _, scope = resolve_any(store, None, scope, ("source", "person", "organization", "place",
                                                 "act", "case"))
    index = grants.grant(store, scope, name, current_actor(actor))
    console.print(f"granted {scope} to {name}" if index is not None
                  else f"{name} already holds {scope}", highlight=False)


@app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="User name")],
    scope: Annotated[str, typer.Argument(
        help="Source (or entity, or case) ID, or a unique prefix of it among the user's "
             "grants")],
    actor: ActorOpt = None,
) -> None:
    """Withdraw a grant."""
    grants = _grants()
    store = open_store()
    with store.reading() as conn:
        # Among the user's own grants: a grant on an erased object can still be revoked.
        held = sorted({str(g["scope_id"]) for g in grants.list_grants(conn, name)})
    matches = [held_id for held_id in held if held_id.startswith(scope.strip())]
    if len(matches) > 1 and scope not in matches:
        raise UserError(f"{scope!r} names several of {name}'s grants: {', '.join(matches)}")
    if len(matches) == 1:
        scope = matches[0]
    grants.revoke(store, scope, name, current_actor(actor))
    console.print(f"revoked {scope} from {name}", highlight=False)


@app.command("grants")
def list_grants(
    name: Annotated[str | None, typer.Argument(help="Only this user")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Who may see which protected source or entity."""
    store = open_store()
    with store.reading() as conn:
        rows = _grants().list_grants(conn, name)
    if as_json:
        for g in rows:
            echo_json(g)
        return
    table = Table("user", "scope", "since", "event")
    for g in rows:
        table.add_row(g["username"], g["scope_id"], g["granted_at"], str(g["ledger_index"]))
    console.print(table)


def register(root: typer.Typer) -> None:
    """Add ``users`` to the ``dadkhahi`` app."""
    root.add_typer(app, name="users")
