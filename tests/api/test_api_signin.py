"""Sign-in attacks over HTTP (issue 11 items 8-10): guessing, weak passwords, second
factors, sessions. Each test reproduces an attack that succeeded before the fix.

WebAuthn runs against a software authenticator with a real P-256 key
(``tests/access/soft_authenticator.py``): py_webauthn verifies real CBOR and ECDSA.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from dadkhahi.access import grants, sessions, throttle, users
from dadkhahi.access.policy import Role
from dadkhahi.api import create_app
from dadkhahi.api.settings import ApiSettings
from dadkhahi.domain.errors import UserError, ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.sources import register_source
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

sys.path.insert(0, str(Path(__file__).parents[1] / "access"))
from soft_authenticator import SoftKey

PASSWORD = "SYNTHETIC passphrase for tests"
ORIGIN = "https://ledger.example.org"


@pytest.fixture
def app(store: Store, fast_argon2: None) -> Iterator[TestClient]:
    users.add_user(store, "root", Role.ADMIN, PASSWORD, "setup")
    users.add_user(store, "leila", Role.INVESTIGATOR, PASSWORD, "setup")
    settings = ApiSettings(public_url=ORIGIN, session_idle=timedelta(minutes=30))
    with TestClient(create_app(store.home, settings, store), base_url=ORIGIN,
                    raise_server_exceptions=False) as client:
        yield client


def _login(client: TestClient, who: str = "leila", password: str = PASSWORD,
           ip: str | None = None) -> Any:
    headers = {"X-Forwarded-For": ip} if ip else {}
    client.cookies.clear()
    return client.post("/api/auth/login", json={"username": who, "password": password},
                       headers=headers)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _events(store: Store, kind: str) -> list[bytes]:
    with store.reading() as conn:
        return list(conn.execute(select(s.ledger_events.c.body)
                                 .where(s.ledger_events.c.type == kind)).scalars())


def test_guessing_backs_off_with_429_and_is_audited(app: TestClient, store: Store,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(throttle, "now", lambda: clock[0])
    statuses = []
    for i in range(throttle.ACCOUNT.free + 3):
        r = _login(app, password=f"SYNTHETIC wrong guess {i}")
        statuses.append(r.status_code)
        if r.status_code == 429:
            break
    # The free failures are plain 401s; the next attempt is refused unchecked.
    assert statuses == [401] * throttle.ACCOUNT.free + [429]
    assert int(r.headers["Retry-After"]) >= 1
    # While the back-off runs even the right password is refused (no oracle).
    assert _login(app).status_code == 429
    clock[0] += 2
    assert _login(app, password="SYNTHETIC wrong again").status_code == 401
    blocked = _login(app)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 2  # doubled
    clock[0] += 10
    assert _login(app).status_code == 200
    # Each checked failure is in the audit trail: the account's ID, never the name typed,
    # the password or the address.
    failed = _events(store, "auth.sign_in_failed")
    assert len(failed) == throttle.ACCOUNT.free + 1
    with store.reading() as conn:
        uid = users.get_user(conn, "leila")["id"]
    assert all(uid.encode() in body for body in failed)
    assert not any(b"leila" in body or b"wrong" in body or b"testclient" in body
                   for body in failed)
    root = _login(app, "root").json()["token"]
    listed = app.get("/api/audit/sign-ins", headers=_auth(root)).json()
    assert [x["user_id"] for x in listed] == [uid] * len(failed)
    assert {x["reason"] for x in listed} == {"password"}
    assert "wrong" not in caplog.text and "leila" not in caplog.text


def test_spraying_many_accounts_from_one_address_backs_off(app: TestClient,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           store: Store) -> None:
    monkeypatch.setattr(throttle, "now", lambda: 2_000_000.0)
    # Unknown names cost a full-strength dummy verification each: fewer free tries.
    monkeypatch.setattr(throttle, "ADDRESS", throttle.Backoff(free=4))
    codes = [_login(app, f"guess-{i}", "SYNTHETIC password guess").status_code
             for i in range(throttle.ADDRESS.free + 2)]
    assert codes[:throttle.ADDRESS.free] == [401] * throttle.ADDRESS.free
    assert codes[-1] == 429
    # Unknown accounts are audited without a name.
    bodies = _events(store, "auth.sign_in_failed")
    assert all(b'"user_id":null' in b and b"guess-" not in b for b in bodies)


def test_common_and_trivial_passwords_are_refused(app: TestClient, store: Store) -> None:
    for weak in ("password1234", "aaaaaaaaaaaa", "123456789012", "qwertyuiopas",
                 "leila-leila-leila"):
        with pytest.raises(ValidationError, match="too easy to guess"):
            users.add_user(store, f"weak-{len(weak)}", Role.VIEWER, weak, "setup")
    root = _login(app, "root").json()["token"]
    r = app.post("/api/users", headers=_auth(root),
                 json={"username": "weakling", "role": "viewer", "password": "password1234"})
    assert r.status_code == 422 and "too easy" in r.json()["error"]["message"]


def test_change_own_password_keeps_this_session_ends_others(app: TestClient) -> None:
    first = _login(app).json()["token"]
    second = _login(app).json()["token"]
    wrong = app.post("/api/auth/password", headers=_auth(first), json={
        "current_password": "SYNTHETIC not it", "new_password": "SYNTHETIC brand new words"})
    assert wrong.status_code == 401
    weak = app.post("/api/auth/password", headers=_auth(first), json={
        "current_password": PASSWORD, "new_password": "password1234"})
    assert weak.status_code == 422
    ok = app.post("/api/auth/password", headers=_auth(first), json={
        "current_password": PASSWORD, "new_password": "SYNTHETIC brand new words"})
    assert ok.status_code == 204
    assert app.get("/api/auth/me", headers=_auth(first)).json()["username"] == "leila"
    assert app.get("/api/auth/me", headers=_auth(second)).status_code == 401
    assert _login(app).status_code == 401
    assert _login(app, password="SYNTHETIC brand new words").status_code == 200


def test_the_last_admin_cannot_be_disabled_or_demoted(app: TestClient, store: Store) -> None:
    token = _login(app, "root").json()["token"]
    with store.reading() as conn:
        root = users.get_user(conn, "root")
    r = app.patch(f"/api/users/{root['id']}", headers={**_auth(token), "If-Match":
                  f'"{root["ledger_index"]}"'}, json={"disabled": True})
    assert r.status_code == 400 and "last enabled admin" in r.json()["error"]["message"]
    with pytest.raises(UserError, match="last enabled admin"):
        users.set_role(store, "root", Role.ANALYST, "setup")
    users.add_user(store, "root2", Role.ADMIN, PASSWORD, "setup")
    users.set_role(store, "root", Role.ANALYST, "setup")  # another admin remains
    with pytest.raises(UserError, match="last enabled admin"):
        users.set_disabled(store, "root2", True, "setup")


def test_sessions_expire_idle_are_purged_and_can_be_ended(app: TestClient,
                                                          store: Store) -> None:
    laptop = _login(app).json()["token"]
    phone = _login(app).json()["token"]
    mine = app.get("/api/auth/sessions", headers=_auth(laptop)).json()
    assert len(mine) == 2 and sum(x["current"] for x in mine) == 1
    other = next(x["id"] for x in mine if not x["current"])
    # Another user cannot end it; its owner can.
    root = _login(app, "root").json()["token"]
    assert app.delete(f"/api/auth/sessions/{other}", headers=_auth(root)).status_code == 404
    assert app.delete(f"/api/auth/sessions/{other}", headers=_auth(laptop)).status_code == 204
    assert app.get("/api/auth/me", headers=_auth(phone)).status_code == 401
    tablet = _login(app).json()["token"]
    assert app.post("/api/auth/sessions/end-others", headers=_auth(laptop)).json() == \
        {"ended": 1}
    assert app.get("/api/auth/me", headers=_auth(tablet)).status_code == 401
    # Idle for longer than the timeout: the session has ended although not expired.
    a = s.auth_sessions.c
    with store.transaction("test") as tx:
        tx.conn.execute(update(s.auth_sessions).where(a.token_sha256 == sessions.digest(laptop))
                        .values(last_seen_at="2000-01-01T00:00:00.000000Z"))
    assert app.get("/api/auth/me", headers=_auth(laptop)).status_code == 401
    # Expired and idle sessions are deleted at the next sign-in, not kept for ever.
    with store.transaction("test") as tx:
        tx.conn.execute(update(s.auth_sessions).values(expires_at="2000-01-01T00:00:00Z"))
    _login(app, "root")
    with store.reading() as conn:
        assert conn.execute(select(a.id)).scalars().all() == \
            [conn.execute(select(a.id).order_by(a.created_at.desc())).scalars().first()]


def _totp_now(secret: str, offset: int = 0, at: float | None = None) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at((time.time() if at is None else at) + 30 * offset)


def test_totp_and_recovery_codes(app: TestClient, store: Store) -> None:
    token = _login(app).json()["token"]
    fresh = app.post("/api/auth/factors/totp/new", headers=_auth(token)).json()
    assert fresh["uri"].startswith("otpauth://totp/")
    bad = app.post("/api/auth/factors/totp", headers=_auth(token),
                   json={"secret": fresh["secret"], "code": "000000"})
    assert bad.status_code == 422
    # One instant for every code below: a 30-second step may end between two requests,
    # and a code computed after it would be a fresh one, not a replay.
    t0 = time.time()
    enrol_code = _totp_now(fresh["secret"], at=t0)
    enrolled = app.post("/api/auth/factors/totp", headers=_auth(token),
                        json={"secret": fresh["secret"], "code": enrol_code})
    assert enrolled.status_code == 201
    codes = app.post("/api/auth/factors/recovery-codes", headers=_auth(token)).json()["codes"]
    assert len(codes) == 10
    # The secret and the codes are sealed: nothing of them in the ledger.
    with store.reading() as conn:
        ledger = b"".join(conn.execute(select(s.ledger_events.c.body)).scalars())
        state = str(conn.execute(select(s.factor_state)).all())
    assert fresh["secret"].encode() not in ledger and codes[0].encode() not in ledger
    assert codes[0] not in state
    # A password alone no longer signs in.
    pending = _login(app).json()
    assert pending["stage"] == "second_factor" and pending["methods"] == ["totp", "recovery"]
    assert app.get("/api/auth/me", headers=_auth(pending["token"])).status_code == 401
    assert app.post("/api/auth/second-factor", headers=_auth(pending["token"]),
                    json={"totp": "123456"}).status_code == 401
    # The code already used to enrol is spent (RFC 6238 5.2): a replay fails.
    assert app.post("/api/auth/second-factor", headers=_auth(pending["token"]),
                    json={"totp": enrol_code}).status_code == 401
    nxt = _totp_now(fresh["secret"], 1, at=t0)
    done = app.post("/api/auth/second-factor", headers=_auth(pending["token"]),
                    json={"totp": nxt})
    assert done.status_code == 200 and done.json() == {"stage": "full", "factor": "totp"}
    assert app.get("/api/auth/me", headers=_auth(pending["token"])).status_code == 200
    # A recovery code works once.
    again = _login(app).json()["token"]
    r = app.post("/api/auth/second-factor", headers=_auth(again),
                 json={"recovery_code": codes[3].lower()})
    assert r.json()["factor"] == "recovery"
    third = _login(app).json()["token"]
    assert app.post("/api/auth/second-factor", headers=_auth(third),
                    json={"recovery_code": codes[3]}).status_code == 401
    assert [e for e in _events(store, "auth.sign_in_failed") if b"second_factor" in e]


def test_webauthn_security_key_with_a_real_signature(app: TestClient, store: Store) -> None:
    key = SoftKey()
    token = _login(app).json()["token"]
    options = app.post("/api/auth/factors/webauthn/options", headers=_auth(token)).json()
    assert options["rp"]["id"] == "ledger.example.org"
    # An attestation made for another site (a phishing origin) is refused.
    phished = key.create(options, "https://ledger.example.org.evil.test")
    assert app.post("/api/auth/factors/webauthn", headers=_auth(token),
                    json={"credential": phished}).status_code == 422
    options = app.post("/api/auth/factors/webauthn/options", headers=_auth(token)).json()
    made = app.post("/api/auth/factors/webauthn", headers=_auth(token),
                    json={"credential": key.create(options, ORIGIN)})
    assert made.status_code == 201, made.text
    pending = _login(app).json()
    assert pending["methods"] == ["webauthn"] and pending["webauthn"]["challenge"]
    # Another key, or a signature for another origin, does not pass.
    stranger = SoftKey()
    stranger.credential_id = key.credential_id
    for wrong in (stranger.get(pending["webauthn"], ORIGIN),
                  key.get(pending["webauthn"], "https://evil.test")):
        assert app.post("/api/auth/second-factor", headers=_auth(pending["token"]),
                        json={"webauthn": wrong}).status_code == 401
    good = app.post("/api/auth/second-factor", headers=_auth(pending["token"]),
                    json={"webauthn": key.get(pending["webauthn"], ORIGIN)})
    assert good.status_code == 200 and good.json()["factor"] == "webauthn"
    # A cloned key replaying an old counter is refused.
    again = _login(app).json()
    key.counter -= 5
    assert app.post("/api/auth/second-factor", headers=_auth(again["token"]),
                    json={"webauthn": key.get(again["webauthn"], ORIGIN)}).status_code == 401
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok


def test_admin_requires_a_second_factor_of_protected_material_holders(
        app: TestClient, store: Store) -> None:
    with store.transaction("setup") as tx:
        src = register_source(store, tx, SourceSpec(title="SYNTHETIC witness statements",
                                                    sensitivity=Sensitivity.PROTECTED))
    grants.grant(store, src, "leila", "setup")
    before = _login(app).json()["token"]
    root = _login(app, "root").json()["token"]
    r = app.put("/api/settings/second-factor", headers=_auth(root), json={"require": "protected"})
    assert r.status_code == 200
    # Her session without a second factor ended; the admin (no grant) is unaffected.
    assert app.get("/api/auth/me", headers=_auth(before)).status_code == 401
    assert app.get("/api/auth/me", headers=_auth(root)).status_code == 200
    enrol = _login(app).json()
    assert enrol["stage"] == "enrol"
    assert app.get(f"/api/sources/{src}", headers=_auth(enrol["token"])).status_code == 403
    fresh = app.post("/api/auth/factors/totp/new", headers=_auth(enrol["token"])).json()
    assert app.post("/api/auth/factors/totp", headers=_auth(enrol["token"]), json={
        "secret": fresh["secret"], "code": _totp_now(fresh["secret"])}).status_code == 201
    assert app.get(f"/api/sources/{src}", headers=_auth(enrol["token"])).status_code == 200
