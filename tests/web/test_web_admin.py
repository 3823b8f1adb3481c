"""Admin pages: users, roles, grants and the audit trail, for the admin role only."""

from __future__ import annotations

import pytest
from api_world import World
from fastapi import FastAPI
from sqlalchemy import select
from web_world import client_for, csrf_of

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s


@pytest.mark.parametrize("who", ["viewer_g", "researcher", "investigator_g", "analyst",
                                 "lawyer_g"])
def test_only_an_admin_reaches_the_admin_pages(app: FastAPI, world: World, who: str) -> None:
    client = client_for(app, world, who)
    for path in ("/en/admin/users", "/en/admin/audit"):
        assert client.get(path).status_code == 403
    assert "/admin/users" not in client.get("/en/").text
    refused = client.post("/en/admin/users", data={
        "csrf": csrf_of(client.get("/en/").text), "action": "grant",
        "scope_id": world.objects[Sensitivity.PROTECTED].person, "grantee": who})
    assert refused.status_code == 403
    anonymous = client_for(app, world, "anonymous").get("/en/admin/users")
    assert anonymous.status_code == 303 and "/en/sign-in" in anonymous.headers["location"]


def _last_event_type(world: World) -> str:
    with world.store.reading() as conn:
        size, _ = ledger_log.head(conn)
        return ledger_log.get_event(conn, size - 1).type


def test_admin_adds_a_user_changes_the_role_grants_and_withdraws(app: FastAPI,
                                                                  world: World) -> None:
    client = client_for(app, world, "admin")
    page = client.get("/fa/admin/users")
    assert page.status_code == 200 and "researcher" in page.text
    token = csrf_of(page.text)
    bad = client.post("/en/admin/users", data={"csrf": token, "action": "add",
                                               "username": "Not Valid!", "role": "analyst",
                                               "password": "SYNTHETIC long password"})
    assert bad.status_code == 422 and 'id="f-username-error"' in bad.text
    short = client.post("/en/admin/users", data={"csrf": token, "action": "add",
                                                 "username": "newcomer", "role": "analyst",
                                                 "password": "short"})
    assert short.status_code == 422 and 'id="f-password-error"' in short.text
    added = client.post("/en/admin/users", data={"csrf": token, "action": "add",
                                                 "username": "newcomer", "role": "analyst",
                                                 "password": "SYNTHETIC long password"})
    assert added.status_code == 303
    u = s.users.c
    with world.store.reading() as conn:
        user = conn.execute(select(u.id, u.role, u.ledger_index).where(
            u.username == "newcomer")).one()
    assert user.role == "analyst"
    # A stale version is refused; the current one (typed in Persian digits) is taken.
    stale = client.post("/en/admin/users", data={"csrf": token, "action": "role",
                                                 "user_id": user.id, "role": "lawyer",
                                                 "version": str(user.ledger_index - 1)})
    assert stale.status_code == 422 and "Reload the page" in stale.text
    digits = str(user.ledger_index).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    changed = client.post("/en/admin/users", data={"csrf": token, "action": "role",
                                                   "user_id": user.id, "role": "lawyer",
                                                   "version": digits})
    assert changed.status_code == 303
    with world.store.reading() as conn:
        assert conn.execute(select(u.role).where(u.id == user.id)).scalar_one() == "lawyer"
    protected = world.objects[Sensitivity.PROTECTED].person
    granted = client.post("/en/admin/users", data={"csrf": token, "action": "grant",
                                                   "scope_id": protected,
                                                   "grantee": "newcomer"})
    assert granted.status_code == 303
    assert _last_event_type(world) == "access.granted"
    shown = client.get("/en/admin/users").text
    # The grant names the protected person by ID, never by name (this admin holds no grant).
    assert protected in shown and "SECRET-" not in shown
    unknown = client.post("/en/admin/users", data={"csrf": token, "action": "grant",
                                                   "scope_id": "per_" + "0" * 20,
                                                   "grantee": "newcomer"})
    assert unknown.status_code == 422 and 'id="f-scope_id-error"' in unknown.text
    g = s.access_grants.c
    with world.store.reading() as conn:
        version = conn.execute(select(g.ledger_index).where(
            g.scope_id == protected, g.user_id == user.id)).scalar_one()
    revoked = client.post("/en/admin/users", data={"csrf": token, "action": "revoke",
                                                   "scope_id": protected,
                                                   "grantee": "newcomer",
                                                   "version": str(version)})
    assert revoked.status_code == 303
    with world.store.reading() as conn:
        assert conn.execute(select(g.scope_id).where(g.user_id == user.id)).all() == []


def test_audit_trail_newest_first_filtered_by_object(app: FastAPI, world: World) -> None:
    protected = world.objects[Sensitivity.PROTECTED]
    reader = client_for(app, world, "investigator_g")
    assert reader.get(f"/en/persons/{protected.person}").status_code == 200
    client = client_for(app, world, "admin")
    page = client.get("/en/admin/audit", params={"object": protected.person})
    assert page.status_code == 200
    assert protected.person in page.text and "read person page" in page.text
    assert "SECRET-" not in page.text  # IDs only, never what the object says
    fa = client.get("/fa/admin/audit", params={"since": "۱۴۰۵/۰۱/۰۱"})
    assert fa.status_code == 200 and "read person page" in fa.text
    later = client.get("/en/admin/audit", params={"since": "2100"}).text
    assert "read person page" not in later
    bad = client.get("/en/admin/audit", params={"since": "soon"})
    assert bad.status_code == 422 and 'id="f-since-error"' in bad.text
