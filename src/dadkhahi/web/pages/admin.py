"""Administration: users (add, change role, disable), grants (give, withdraw) and the
audit trail of reads of protected data. For the admin role only.

Every rule (who may manage users, grant or read the audit trail; versions checked on
change) is the admin service's (:mod:`dadkhahi.services.admin`), exactly as the API's
``/api/users``, ``/api/grants`` and ``/api/audit`` use it; each change is a ledger event
with the signed-in admin as actor. Grants and the audit trail name objects by ID only:
an admin holds no grant by being an admin, so no protected name is shown here.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access.policy import Permission, Role
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.persian.dates import DateParseError, parse_date
from dadkhahi.services import admin
from dadkhahi.web.i18n import ascii_digits, language
from dadkhahi.web.nav import N_, holding, register
from dadkhahi.web.pages.common import LangDep, Listing, VisitorDep, page_router, permitted
from dadkhahi.web.render import render
from dadkhahi.web.security import read_form, visitor

router = page_router()
register("/admin/users", N_("Users"), holding(Permission.MANAGE_USERS))
register("/admin/audit", N_("Audit trail"), holding(Permission.AUDIT))

ROLES = {"viewer": N_("viewer"), "researcher": N_("researcher"),
         "investigator": N_("investigator"), "analyst": N_("analyst"), "lawyer": N_("lawyer"),
         "admin": N_("admin")}
#: Users on one page of their list.
USERS_SHOWN = 50
USER_LIST = Listing(
    {"username": N_("user name"), "-username": N_("user name, last first"),
     "-created_at": N_("newest first"), "created_at": N_("oldest first")}, "username",
    {"role": (N_("Role"), ROLES),
     "state": (N_("State"), {"active": N_("active"), "disabled": N_("disabled")})})
#: Audit entries on one page.
AUDIT_SHOWN = 200


async def _users_page(request: Request, lang: str, errors: dict[str, str] | None = None,
                      entered: dict[str, str] | None = None, status: int = 200) -> Response:
    current = await visitor(request)
    permitted(request, current, lang, Permission.MANAGE_USERS)
    store = request.app.state.store

    asked = USER_LIST.asked(request)
    role, state = asked.filters.get("role"), asked.filters.get("state")

    def gather() -> dict[str, Any]:
        listed, next_cursor, total = admin.users_page(
            store, current.principal, role=Role(role) if role else None,
            disabled=None if state is None else state == "disabled", sort=asked.sort,
            cursor=asked.cursor, limit=USERS_SHOWN)
        return {"users": listed, "page": {"next_cursor": next_cursor}, "total": total,
                "grants": admin.list_grants(store, current.principal, None)}

    shown = await run_in_threadpool(gather)
    notice = request.query_params.get("done")
    return render(request, "admin_users.html", {
        **shown, "asked": asked, "listing": USER_LIST, "roles": ROLES,
        "errors": errors or {}, "entered": entered or {},
        "done": notice in ("added", "changed", "granted", "revoked"),
    }, current, lang, status)


@router.get("/admin/users")
async def users(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """Users with their roles, the grants they hold, and the forms to change them."""
    return await _users_page(request, lang)


def _version(text: str) -> int | None:
    digits = ascii_digits(text).strip()
    return int(digits) if digits.isdigit() else None


@router.post("/admin/users")
async def change(request: Request, lang: LangDep) -> Response:
    """Add a user, change a role, disable or enable, give or withdraw a grant."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.MANAGE_USERS)
    tr = language(lang).gettext
    store = request.app.state.store
    action = form.get("action", "")
    errors: dict[str, str] = {}
    entered = {k: form.get(k, "") for k in ("username", "role", "scope_id", "grantee")}
    try:
        if action == "add":
            if form.get("role") not in ROLES:
                errors["role"] = tr("Choose a role.")
            if len(form.get("password", "")) < 12:
                errors["password"] = tr("A password has at least 12 characters.")
            if not errors:
                await run_in_threadpool(admin.add_user, store, current.principal,
                                        form.get("username", "").strip(),
                                        Role(form["role"]), form["password"])
        elif action in ("role", "disable", "enable"):
            version = _version(form.get("version", ""))
            role = form.get("role") if action == "role" else None
            if version is None or (action == "role" and role not in ROLES):
                raise UserError("bad form")
            expected = version

            def change_user() -> None:
                admin.change_user(store, current.principal, form.get("user_id", ""),
                                  role=Role(role) if role else None,
                                  disabled={"disable": True, "enable": False}.get(action),
                                  expected_version=expected)

            await run_in_threadpool(change_user)
        elif action == "grant":
            await run_in_threadpool(admin.add_grant, store, current.principal,
                                    ascii_digits(form.get("scope_id", "")).strip(),
                                    form.get("grantee", "").strip())
        elif action == "revoke":
            version = _version(form.get("version", ""))
            if version is None:
                raise UserError("bad form")
            await run_in_threadpool(admin.revoke_grant, store, current.principal,
                                    form.get("scope_id", ""), form.get("grantee", ""),
                                    version)
        else:
            raise UserError("unknown action")
    except NotFoundError:
        field = "scope_id" if action == "grant" else "username"
        errors[field] = tr("There is no such user or object.")
    except UserError as exc:
        if action == "add":
            errors["username"] = tr(
                "A user name is 2 to 64 lower-case Latin letters, digits, '.', '_' or '-',"
                " and must not be taken.") if "username" in str(exc) or "already" in str(
                exc) else tr("This user could not be added.")
        elif action == "grant":
            errors["scope_id"] = tr("This grant could not be given.")
        else:
            errors["form"] = tr("That could not be done: someone may have changed it "
                                "meanwhile. Reload the page and try again.")
    if errors:
        return await _users_page(request, lang, errors, entered, 422)
    done = {"add": "added", "grant": "granted", "revoke": "revoked"}.get(action, "changed")
    return RedirectResponse(f"/{lang}/admin/users?done={done}", status_code=303)


@router.get("/admin/audit")
async def audit(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """Reads of protected data, newest first, filtered by user, object and date."""
    permitted(request, current, lang, Permission.AUDIT)
    tr = language(lang).gettext
    q = request.query_params
    asked = {k: q[k].strip() for k in ("user", "object", "since") if q.get(k, "").strip()}
    errors: dict[str, str] = {}
    since = None
    if "since" in asked:
        try:
            day = parse_date(ascii_digits(asked["since"])).earliest
            since = None if day is None else day.isoformat()
        except DateParseError:
            errors["since"] = tr("Not a date: write it as 1367/05/12, Mordad 1367 or "
                                 "1988-08-03.")
    rows = await run_in_threadpool(
        lambda: admin.audit_trail(request.app.state.store, current.principal,
                                  user=asked.get("user"), since=since,
                                  object_id=ascii_digits(asked["object"])
                                  if "object" in asked else None,
                                  limit=AUDIT_SHOWN, newest_first=True))
    return render(request, "admin_audit.html", {
        "rows": rows, "asked": asked, "errors": errors, "shown": AUDIT_SHOWN,
    }, current, lang, 422 if errors else 200)
