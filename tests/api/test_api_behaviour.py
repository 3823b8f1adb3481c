"""Sessions, optimistic concurrency, pagination, the audit trail and erasure over HTTP."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from api_world import PASSWORD, World, build_world
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from typer.testing import CliRunner

from dadkhahi.api.settings import ApiSettings
from dadkhahi.cli.main import app as cli_app
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

PROTECTED = Sensitivity.PROTECTED


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world


def _h(world: World, who: str = "investigator_g") -> dict[str, str]:
    return world.headers(who)


def test_login_token_and_cookie(world: World) -> None:
    client = TestClient(world.client.app)
    r = client.post("/api/auth/login", json={"username": "lawyer_g", "password": PASSWORD})
    assert r.status_code == 200
    token = r.json()["token"]
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie
    me = TestClient(world.client.app).get("/api/auth/me",
                                          headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "lawyer_g" and me.json()["role"] == "lawyer"
    # The cookie authenticates reads; changes also need X-Requested-With (CSRF).
    browser = TestClient(world.client.app, base_url="https://testserver")
    browser.cookies.set("dadkhahi_session", token)
    assert browser.get("/api/auth/me").json()["username"] == "lawyer_g"
    claim = world.objects[Sensitivity.PUBLIC].claim
    etag = browser.get(f"/api/claims/{claim}").headers["etag"]
    body = {"status": "corroborated"}
    assert browser.patch(f"/api/claims/{claim}", json=body,
                         headers={"If-Match": etag}).status_code == 403
    assert browser.patch(f"/api/claims/{claim}", json=body,
                         headers={"If-Match": etag, "X-Requested-With": "fetch"}
                         ).status_code == 200
    # Logging out ends the token at once.
    out = TestClient(world.client.app).post("/api/auth/logout",
                                            headers={"Authorization": f"Bearer {token}"})
    assert out.status_code == 204
    again = TestClient(world.client.app).get("/api/auth/me",
                                             headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401


def test_wrong_password_and_disabled_user(world: World) -> None:
    client = TestClient(world.client.app)
    bad = client.post("/api/auth/login", json={"username": "researcher", "password": "nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"
    new = client.post("/api/users", json={"username": "leaver", "role": "investigator",
                                          "password": PASSWORD}, headers=_h(world, "admin"))
    assert new.status_code == 201
    token = client.post("/api/auth/login",
                        json={"username": "leaver", "password": PASSWORD}).json()["token"]
    user = client.get(f"/api/users/{new.json()['id']}", headers=_h(world, "admin"))
    r = client.patch(f"/api/users/{new.json()['id']}", json={"disabled": True},
                     headers={**_h(world, "admin"), "If-Match": user.headers["etag"]})
    assert r.status_code == 200 and r.json()["disabled"] == 1
    assert client.get("/api/auth/me",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.post("/api/auth/login", json={"username": "leaver", "password": PASSWORD}
                       ).status_code == 401


def test_if_match_prevents_lost_updates(world: World) -> None:
    c = world.client
    place = world.objects[Sensitivity.RESTRICTED].place
    first = c.get(f"/api/places/{place}", headers=_h(world))
    etag = first.headers["etag"]
    assert etag == f'"{first.json()["version"]}"'
    assert c.patch(f"/api/places/{place}", json={"status": "damaged"},
                   headers=_h(world)).status_code == 428
    # Two investigators read the same version; the second write is refused, not lost.
    one = c.patch(f"/api/places/{place}", json={"status": "damaged"},
                  headers={**_h(world), "If-Match": etag})
    two = c.patch(f"/api/places/{place}", json={"status": "built_over"},
                  headers={**_h(world, "analyst"), "If-Match": etag})
    assert one.status_code == 200 and two.status_code == 412
    assert two.json()["error"]["code"] == "precondition_failed"
    assert c.get(f"/api/places/{place}", headers=_h(world)).json()["status"] == "damaged"
    assert one.headers["etag"] != etag
    assert c.patch(f"/api/places/{place}", json={"status": "built_over"},
                   headers={**_h(world), "If-Match": "garbage"}).status_code == 412


def test_an_act_without_a_source_is_refused_naming_the_field(world: World) -> None:
    """``POST /api/acts`` without ``support``: 422 naming it, no act and no event written
    (nothing would tie the act's words to a source, so no erasure would find them); with
    one, the act rests on a claim citing it and is raised to its level."""
    c = world.client
    protected = world.objects[PROTECTED]
    body = {"type": "torture", "description": "SYNTHETIC words of a witness",
            "sensitivity": "restricted"}

    def counts() -> tuple[int, int]:
        with world.store.reading() as conn:
            return (len(conn.execute(select(s.acts.c.id)).all()),
                    len(conn.execute(select(s.ledger_events.c.idx)).all()))

    before = counts()
    refused = c.post("/api/acts", json=body, headers=_h(world))
    assert refused.status_code == 422, refused.text
    assert ["body", "support"] in [d["loc"] for d in refused.json()["error"]["details"]]
    empty = c.post("/api/acts", json={**body, "support": {"source_id": ""}}, headers=_h(world))
    assert empty.status_code == 422 and "support" in empty.text
    assert counts() == before
    made = c.post("/api/acts", json={**body, "support": {"source_id": protected.source}},
                  headers=_h(world))
    assert made.status_code == 201, made.text
    assert made.json()["sensitivity"] == "protected"  # its source's level
    claims = c.get("/api/claims", params={"entity_id": made.json()["id"]},
                   headers=_h(world)).json()["data"]
    assert [(x["property"], x["support"][0]["source_id"]) for x in claims] == [
        ("account", protected.source)]


def test_an_act_is_corrected_and_a_person_withdrawn_over_http(world: World) -> None:
    """``PATCH /api/acts/{id}`` (If-Match, a source that says so) and ``DELETE
    /api/involvements/{id}``: the pages' services, the same answers as every change."""
    c = world.client
    pub = world.objects[Sensitivity.PUBLIC]
    act = pub.act
    etag = c.get(f"/api/acts/{act}", headers=_h(world)).headers["etag"]
    body = {"type": "torture", "date": {"earliest": "1988-08-03", "latest": "1988-08-03",
                                        "text": "12 Mordad 1367"},
            "description": "SYNTHETIC corrected over HTTP",
            "support": {"source_id": pub.source, "locator": "p. 2"}}
    assert c.patch(f"/api/acts/{act}", json=body, headers=_h(world)).status_code == 428
    one = c.patch(f"/api/acts/{act}", json=body, headers={**_h(world), "If-Match": etag})
    assert one.status_code == 200, one.text
    assert one.json()["type"] == "torture" and one.json()["date_text"] == "12 Mordad 1367"
    assert one.headers["etag"] != etag
    stale = c.patch(f"/api/acts/{act}", json={**body, "type": "execution"},
                    headers={**_h(world, "analyst"), "If-Match": etag})
    assert stale.status_code == 412
    same = c.patch(f"/api/acts/{act}", json=body,
                   headers={**_h(world), "If-Match": one.headers["etag"]})
    assert same.status_code == 422 and "nothing to change" in same.text
    assert c.patch(f"/api/acts/{act}", json={**body, "support": None},
                   headers={**_h(world), "If-Match": one.headers["etag"]}).status_code == 422
    made = c.post("/api/involvements", headers=_h(world), json={
        "act_id": act, "person_id": pub.person, "role": "witness", "sensitivity": "public",
        "support": [{"source_id": pub.source}]})
    assert made.status_code == 201
    inv = made.json()["id"]
    assert c.delete(f"/api/involvements/{inv}", headers=_h(world, "lawyer_g")
                    ).status_code == 403
    assert c.delete(f"/api/involvements/{inv}", headers=_h(world)).status_code == 204
    assert c.get(f"/api/involvements/{inv}", headers=_h(world)).status_code == 404
    assert c.delete(f"/api/involvements/{inv}", headers=_h(world)).status_code == 404
    with world.store.reading() as conn:
        assert verify_ledger(conn, world.store.verifier_key()).ok


def test_an_erased_act_cannot_change_over_http_nor_from_the_command_line(
        world: World) -> None:
    """An act whose payload was erased: ``PATCH`` answers 409 saying so (not "invalid",
    not "nothing to change") and ``acts change`` prints it; its persons are statements
    of their own, so one named in error is still withdrawn (204, ``acts withdraw``)."""
    from dadkhahi.access import grants
    from dadkhahi.domain.vocab import ActType, InvolvementRole
    from dadkhahi.facts import entities
    from dadkhahi.facts.entities import Support
    from dadkhahi.store.erase import erase_payload

    c, pub, pro = world.client, world.objects[Sensitivity.PUBLIC], world.objects[PROTECTED]
    with world.store.transaction("setup") as tx:
        act = entities.create_act(tx, ActType.EXECUTION, description="SECRET-erased act",
                                  sensitivity=PROTECTED)
        invs = [entities.add_involvement(tx, act, InvolvementRole.VICTIM, person_id=pro.person,
                                         sensitivity=PROTECTED, support=[Support(pro.source)])
                for _ in range(2)]
        key = tx.conn.execute(select(s.acts.c.sealed).where(s.acts.c.id == act)
                              ).scalar_one()["key_id"]
    grants.grant(world.store, act, world.user_ids["investigator_g"], "setup")
    erase_payload(world.store, key, "SYNTHETIC erasure", "setup")
    read = c.get(f"/api/acts/{act}", headers=_h(world))
    assert read.status_code == 200 and read.json()["erased"] is True
    e = s.ledger_events.c
    changes = select(e.type).where(e.type.not_in(("audit.read",)))
    with world.store.reading() as conn:
        before = conn.execute(changes).scalars().all()
    refused = c.patch(f"/api/acts/{act}", headers={**_h(world), "If-Match": read.headers["etag"]},
                      json={"type": "torture", "support": {"source_id": pub.source}})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == {"code": "conflict",
                                       "message": f"act {act} was erased: it cannot change"}
    cli = CliRunner().invoke(cli_app, ["--home", str(world.store.home.path), "acts", "change",
                                       act, "--type", "torture", "--source", pub.source,
                                       "--as-user", "investigator_g"])
    assert cli.exit_code != 0
    assert f"act {act} was erased: it cannot change" in cli.output + str(cli.exception)
    with world.store.reading() as conn:  # nothing written but audits of what was read
        assert conn.execute(changes).scalars().all() == before
    assert c.delete(f"/api/involvements/{invs[0]}", headers=_h(world)).status_code == 204
    gone = CliRunner().invoke(cli_app, ["--home", str(world.store.home.path), "acts",
                                        "withdraw", invs[1], "--as-user", "investigator_g"])
    assert gone.exit_code == 0 and f"withdrew {invs[1]}" in gone.output


def test_concurrent_editors_exactly_one_wins(world: World) -> None:
    claim = world.objects[Sensitivity.RESTRICTED].claim
    etag = world.client.get(f"/api/claims/{claim}", headers=_h(world)).headers["etag"]
    results: list[int] = []
    lock = threading.Lock()

    def edit(status: str) -> None:
        client = TestClient(world.client.app)
        r = client.patch(f"/api/claims/{claim}", json={"status": status},
                         headers={**_h(world), "If-Match": etag})
        with lock:
            results.append(r.status_code)

    threads = [threading.Thread(target=edit, args=(st,))
               for st in ("disputed", "corroborated", "retracted", "asserted") * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [412] * 7


def test_cursor_pagination_sorting_filtering(world: World) -> None:
    c = world.client
    labels = [f"SYNTHETIC page {i:02d}" for i in range(23)]
    for label in labels:
        assert c.post("/api/persons", json={"label": label, "sensitivity": "public"},
                      headers=_h(world)).status_code == 201
    for order, expected in (("label", sorted(labels)), ("-label", sorted(labels)[::-1])):
        seen: list[str] = []
        cursor = None
        for _ in range(10):
            body = {"q": "SYNTHETIC page", "sort": order, "limit": 10}
            if cursor:
                body["cursor"] = cursor
            page = c.post("/api/persons/find", json=body).json()
            seen += [p["label"] for p in page["data"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == expected
    publics = c.get("/api/persons", params={"sensitivity": "public", "limit": 500,
                                            "count": "true"}, headers=_h(world)).json()
    assert publics["total"] == len(publics["data"])
    assert {p["sensitivity"] for p in publics["data"]} == {"public"}
    # The count ignores the cursor and the page size, and keeps search and filters.
    first = c.post("/api/persons/find", json={
        "q": "SYNTHETIC page", "filters": {"sensitivity": "public"}, "limit": 3,
        "count": True}).json()
    rest = c.post("/api/persons/find", json={
        "q": "SYNTHETIC page", "filters": {"sensitivity": "public"}, "limit": 500,
        "count": True, "cursor": first["next_cursor"]}).json()
    assert first["total"] == rest["total"] == len(first["data"]) + len(rest["data"]) > 3
    bad = c.get("/api/persons", params={"sort": "synthetic"})
    assert bad.status_code == 422


def test_openapi_lists_every_route(world: World) -> None:
    from test_api_access_matrix import app_routes

    schema = world.client.get("/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    routes = {r for r in app_routes(world.client.app)
              if not r[1].startswith(("/docs", "/redoc", "/openapi"))}
    assert routes == documented


def test_protected_reads_are_audited_and_tamper_evident(world: World) -> None:
    prot = world.objects[PROTECTED]
    c = world.client
    denied = c.get(f"/api/records/{prot.record}", headers=_h(world, "researcher"))
    assert denied.status_code == 404
    r = c.get(f"/api/records/{prot.record}", headers=_h(world, "lawyer_g"))
    assert r.status_code == 200 and r.json()["verbatim"]["name"].startswith("SECRET-")
    rows = c.get("/api/audit", params={"user": "lawyer_g", "object_id": prot.record},
                 headers=_h(world, "admin")).json()
    assert rows and rows[-1]["action"] == "read record" and rows[-1]["ip_hash"]
    # The ledger keeps it for ever: the reader by pseudonym, the address as a keyed hash.
    assert rows[-1]["username"] is None and rows[-1]["ip"] is None
    assert rows[-1]["actor"].startswith("actor_")
    researcher_rows = c.get("/api/audit", params={"user": "researcher"},
                            headers=_h(world, "admin")).json()
    assert researcher_rows == []
    # The CLI reads the same trail.
    out = CliRunner().invoke(cli_app, ["--home", str(world.store.home.path), "audit",
                                       "--user", "lawyer_g", "--json"])
    assert out.exit_code == 0 and prot.record in out.output
    with world.store.reading() as conn:
        assert verify_ledger(conn, world.store.verifier_key()).ok


def test_erasure_over_http(world: World) -> None:
    prot = world.objects[PROTECTED]
    c = world.client
    item = c.get(f"/api/items/{prot.item}", headers=_h(world, "admin_g"))
    assert c.get(f"/api/items/{prot.item}/content", headers=_h(world, "admin_g")).content \
        .startswith(b"SECRET-")
    r = c.post(f"/api/items/{prot.item}/erase", json={"reason": "SYNTHETIC request"},
               headers={**_h(world, "admin_g"), "If-Match": item.headers["etag"]})
    assert r.status_code == 200, r.text
    gone = c.get(f"/api/items/{prot.item}/content", headers=_h(world, "admin_g"))
    assert gone.status_code == 410
    after = c.get(f"/api/items/{prot.item}", headers=_h(world, "admin_g")).json()
    assert after["erased"] is True and after["sha256"] == item.json()["sha256"]
    with world.store.reading() as conn:
        assert verify_ledger(conn, world.store.verifier_key()).ok


def test_deleting_an_audit_row_breaks_verification(store: Store, tmp_path: Path,
                                                   fast_argon2: None) -> None:
    world = build_world(store, tmp_path, ApiSettings())
    prot = world.objects[PROTECTED]
    world.client.get(f"/api/sources/{prot.source}", headers=_h(world))
    with store.transaction("attacker") as tx:
        tx.conn.execute(delete(s.audit_reads))
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
        audit_events = conn.execute(select(s.ledger_events.c.idx).where(
            s.ledger_events.c.type == "audit.read")).scalars().all()
    assert not report.ok
    assert report.first_bad_event() in audit_events


def test_an_involvement_carries_the_sources_that_name_it(world: World) -> None:
    """``support`` on ``POST /api/involvements`` (the act pages' form uses the same
    service): every cited source must be visible, else 404 and nothing written."""
    pub, pro = world.objects[Sensitivity.PUBLIC], world.objects[Sensitivity.PROTECTED]
    body = {"act_id": pub.act, "role": "victim", "person_id": pub.person,
            "sensitivity": "public", "support": [{"source_id": pub.source, "locator": "p. 2"}]}
    r = world.client.post("/api/involvements", json=body, headers=world.headers("analyst"))
    assert r.status_code == 201, r.text
    with world.store.reading() as conn:
        t = s.involvement_support.c
        cited = conn.execute(select(t.source_id, t.locator)
                             .where(t.involvement_id == r.json()["id"])).all()
    assert [tuple(c) for c in cited] == [(pub.source, "p. 2")]
    hidden = {**body, "support": [{"source_id": pro.source}]}
    assert world.client.post("/api/involvements", json=hidden,
                             headers=world.headers("analyst")).status_code == 404
