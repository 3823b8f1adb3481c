"""Page sign-in, cookies, CSRF, sign-out, expiry and throttling: the one sign-in service."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from api_world import PASSWORD, World
from fastapi import FastAPI
from soft_authenticator import SoftKey
from sqlalchemy import func, select, update
from web_world import BASE, client_for, csrf_of, page_client, web_app

from dadkhahi.access import sessions, throttle, users
from dadkhahi.access.policy import Role
from dadkhahi.store import schema as s
from dadkhahi.web.security import PAGE_COOKIE, SECURE_PAGE_COOKIE


def _sign_in(client, username: str, password: str, next_path: str = "/fa/"):  # type: ignore[no-untyped-def]
    form = client.get("/fa/sign-in")
    assert form.status_code == 200
    return client.post("/fa/sign-in", data={"csrf": csrf_of(form.text), "username": username,
                                            "password": password, "next": next_path})


def test_sign_in_sets_a_strict_httponly_page_cookie_and_signs_out(app: FastAPI,
                                                                  world: World) -> None:
    client = page_client(app)
    done = _sign_in(client, "researcher", PASSWORD, "/en/")
    assert done.status_code == 303 and done.headers["location"] == "/en/"
    cookie = done.headers["set-cookie"]
    assert cookie.startswith(f"{PAGE_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback only
    token = client.cookies[PAGE_COOKIE]
    page = client.get("/en/")
    assert ">researcher<" in page.text and "Sign out" in page.text
    # The API never reads the page cookie: /api keeps bearer tokens.
    me = client.get("/api/auth/me")
    assert me.json()["signed_in"] is False
    out = client.post("/en/sign-out", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/en/sign-in"
    with world.store.reading() as conn:
        assert sessions.lookup(conn, token) is None  # ended at once, not just forgotten
    assert "Sign in" in page_client(app, token).get("/en/").text


def test_cookie_is_secure_and_host_prefixed_over_tls(world: World) -> None:
    app = web_app(world.store)
    client = page_client(app)
    client.base_url = "https://ledger.example.org"  # type: ignore[assignment]
    done = _sign_in(client, "researcher", PASSWORD)
    assert done.status_code == 303
    cookie = done.headers["set-cookie"]
    assert cookie.startswith(f"{SECURE_PAGE_COOKIE}=") and "Secure" in cookie


def test_forms_without_the_csrf_token_change_nothing(app: FastAPI, world: World) -> None:
    with world.store.reading() as conn:
        before = conn.execute(select(func.count()).select_from(s.auth_sessions)).scalar_one()
    client = page_client(app)
    client.get("/fa/sign-in")
    missing = client.post("/fa/sign-in", data={"username": "researcher", "password": PASSWORD})
    wrong = client.post("/fa/sign-in", data={"username": "researcher", "password": PASSWORD,
                                             "csrf": "0" * 64})
    # A token from another browser (its own form cookie) is not this browser's.
    other = page_client(app)
    stolen = csrf_of(other.get("/fa/sign-in").text)
    borrowed = client.post("/fa/sign-in", data={"username": "researcher",
                                                "password": PASSWORD, "csrf": stolen})
    for answer in (missing, wrong, borrowed):
        assert answer.status_code == 403
        assert "text/html" in answer.headers["content-type"]
        assert "set-cookie" not in answer.headers or PAGE_COOKIE not in answer.headers[
            "set-cookie"]
    with world.store.reading() as conn:
        after = conn.execute(select(func.count()).select_from(s.auth_sessions)).scalar_one()
    assert after == before
    # Signed in, the token is bound to the session: sign-out without it ends nothing.
    signed = client_for(app, world, "researcher")
    refused = signed.post("/fa/sign-out", data={"csrf": stolen})
    assert refused.status_code == 403
    with world.store.reading() as conn:
        assert sessions.lookup(conn, world.tokens["researcher"]) is not None


def test_wrong_password_is_refused_audited_and_throttled(app: FastAPI, world: World,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # The throttle's clock stands still: what is tested is its decision (five free
    # failures, then a 1 s wait), not whether a loaded machine answers six sign-ins
    # within that second (it did not always, and the sixth was then checked: 401).
    clock = [1_000_000.0]
    monkeypatch.setattr(throttle, "now", lambda: clock[0])
    client = page_client(app)
    answers = [_sign_in(client, "lawyer_g", "wrong SYNTHETIC password") for _ in range(6)]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    assert "Wrong user name or password" not in answers[0].text  # Persian page
    assert "نام کاربری یا گذرواژه نادرست است" in answers[0].text
    throttled = answers[5]
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) == math.ceil(throttle.ACCOUNT.wait_after(5))
    # Even the right password waits: the back-off is the sign-in service's, shared
    # with /api/auth/login.
    right = _sign_in(client, "lawyer_g", PASSWORD)
    assert right.status_code == 429
    api = world.client.post("/api/auth/login", json={"username": "lawyer_g",
                                                      "password": PASSWORD})
    assert api.status_code == 429
    with world.store.reading() as conn:
        failed = conn.execute(select(func.count()).select_from(s.failed_sign_ins).where(
            s.failed_sign_ins.c.user_id == world.user_ids["lawyer_g"])).scalar_one()
    assert failed == 5  # each checked failure is a ledger event; throttled ones are not
    # Once the wait is over the right password is checked again, and lets the user in.
    clock[0] += throttle.ACCOUNT.wait_after(5)
    assert _sign_in(client, "lawyer_g", PASSWORD).status_code == 303


def test_expired_and_idle_sessions_leave_the_visitor_anonymous(app: FastAPI,
                                                              world: World) -> None:
    for column in ("expires_at", "last_seen_at"):
        token = sessions.open_session(
            world.store, _principal(world, "analyst"), "127.0.0.1")
        with world.store.transaction("test") as tx:
            tx.conn.execute(update(s.auth_sessions).where(
                s.auth_sessions.c.token_sha256 == sessions.digest(token))
                .values({column: "2000-01-01T00:00:00.000000Z"}))
        page = page_client(app, token).get("/en/")
        assert page.status_code == 200
        assert "Sign in" in page.text and ">analyst<" not in page.text


def _principal(world: World, who: str):  # type: ignore[no-untyped-def]
    from dadkhahi.access.policy import Principal

    return Principal(user_id=world.user_ids[who], username=who, role=world.roles[who])


def test_next_after_sign_in_stays_on_this_site(app: FastAPI) -> None:
    client = page_client(app)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil", "/api/sources"):
        form = client.get("/fa/sign-in", params={"next": target})
        assert target not in form.text or target == "/api/sources"
        assert 'name="next" value="/fa/"' in form.text


def test_pages_are_html_under_the_csp_and_the_api_stays_json(app: FastAPI) -> None:
    client = page_client(app)
    page = client.get("/fa/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # no inline script
    assert re.search(r"\son[a-z]+\s*=", html) is None  # no event handler attributes
    assert re.search(r"\sstyle\s*=", html) is None  # no inline style
    assert '<html lang="fa" dir="rtl">' in html
    missing = client.get("/xx/")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    api = client.get("/api/persons/per_00000000000000000000")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_root_opens_the_browsers_language() -> None:
    from dadkhahi.web.i18n import negotiate

    assert negotiate("en-GB,en;q=0.8") == "en"
    assert negotiate("fa-IR") == "fa"
    assert negotiate(None) == "fa"


@pytest.mark.parametrize("path", ["/fa/", "/en/sign-in"])
def test_language_switch_keeps_the_page(app: FastAPI, path: str) -> None:
    html = page_client(app).get(path).text
    other = "/en" + path[3:] if path.startswith("/fa") else "/fa" + path[3:]
    assert f'href="{other}"' in html


_KEY_OPTIONS = re.compile(
    r'<script type="application/json" id="security-key-options">(.*?)</script>', re.S)


def _key_options(html: str) -> dict[str, Any]:
    found = _KEY_OPTIONS.search(html)
    assert found, "the page offers no security key"
    options: dict[str, Any] = json.loads(found.group(1))
    return options


def _key_holder(app: FastAPI, world: World, name: str = "keyholder") -> SoftKey:
    """A researcher with a security key enrolled through the API."""
    key = SoftKey()
    users.add_user(world.store, name, Role.RESEARCHER, PASSWORD, "setup")
    api = page_client(app)
    token = api.post("/api/auth/login", json={"username": name,
                                               "password": PASSWORD}).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    options = api.post("/api/auth/factors/webauthn/options", headers=bearer).json()
    made = api.post("/api/auth/factors/webauthn", headers=bearer,
                    json={"credential": key.create(options, BASE)})
    assert made.status_code == 201, made.text
    return key


def test_a_security_key_finishes_a_page_sign_in(app: FastAPI, world: World,
                                                 fast_argon2: None) -> None:
    """WebAuthn, the recommended second factor, on the sign-in pages as on the API: the
    page renders the options as data for its script (no inline script), and only a real
    signature by the enrolled key for this origin signs the visitor in."""
    key = _key_holder(app, world)
    client = page_client(app)
    done = _sign_in(client, "keyholder", PASSWORD, "/en/")
    assert done.status_code == 303
    assert done.headers["location"].startswith("/fa/sign-in/second-factor")
    page = client.get(done.headers["location"])
    assert page.status_code == 200 and "security-key.js" in page.text
    assert "<script>" not in page.text  # data only: the CSP forbids inline script
    # A signature made for another origin (a phishing page relaying the challenge) fails.
    phished = client.post("/fa/sign-in/second-factor", data={
        "csrf": csrf_of(page.text), "next": "/en/",
        "credential": json.dumps(key.get(_key_options(page.text), "https://evil.test"))})
    assert phished.status_code == 401 and "کلید امنیتی پذیرفته نشد" in phished.text
    assert ">keyholder<" not in client.get("/en/").text
    # The refusal asked a new challenge; the key's signature for this origin signs in.
    good = client.post("/fa/sign-in/second-factor", data={
        "csrf": csrf_of(phished.text), "next": "/en/",
        "credential": json.dumps(key.get(_key_options(phished.text), BASE))})
    assert good.status_code == 303 and good.headers["location"] == "/en/"
    assert ">keyholder<" in client.get("/en/").text


def _expire_challenge(world: World, token: str) -> None:
    """Move a session's challenge past its lifetime (as if the key were left unanswered)."""
    with world.store.engine.begin() as conn:
        conn.execute(update(s.auth_sessions)
                     .where(s.auth_sessions.c.token_sha256 == sessions.digest(token))
                     .values(challenge_expires_at="2000-01-01T00:00:00.000000Z"))


def test_a_key_challenge_is_one_mechanism_for_the_page_and_the_api(
        app: FastAPI, world: World, fast_argon2: None) -> None:
    """The security key's challenge is issued, kept and checked by one function
    (``access.signin``) for both faces: one challenge per session whichever face gave it,
    the page answering the API's; an expired challenge is refused on both; an answer
    that signed in is not taken again by either."""
    key = _key_holder(app, world, "keyholder2")
    client = page_client(app)
    done = _sign_in(client, "keyholder2", PASSWORD, "/en/")
    page = client.get(done.headers["location"])
    from_page = _key_options(page.text)
    token = client.cookies[PAGE_COOKIE]
    bearer = {"Authorization": f"Bearer {token}"}
    api = page_client(app)
    # The API gives the same session a fresh challenge: it replaces the page's.
    from_api = api.post("/api/auth/second-factor/options", headers=bearer)
    assert from_api.status_code == 200, from_api.text
    assert from_api.json()["challenge"] != from_page["challenge"]
    assert from_api.json()["timeout"] == 300_000  # what the server keeps it for
    assert api.post("/api/auth/second-factor", headers=bearer, json={
        "webauthn": key.get(from_page, BASE)}).status_code == 401
    # The page takes the answer to the challenge the API gave.
    answer = key.get(from_api.json(), BASE)
    good = client.post("/fa/sign-in/second-factor", data={
        "csrf": csrf_of(page.text), "next": "/en/", "credential": json.dumps(answer)})
    assert good.status_code == 303 and good.headers["location"] == "/en/"
    # The same answer again: that session is signed in, and another session's
    # challenge is another.
    assert api.post("/api/auth/second-factor", headers=bearer,
                    json={"webauthn": answer}).status_code == 409
    again = api.post("/api/auth/login", json={"username": "keyholder2",
                                               "password": PASSWORD}).json()
    assert api.post("/api/auth/second-factor", headers={
        "Authorization": f"Bearer {again['token']}"}, json={"webauthn": answer}
    ).status_code == 401
    # An expired challenge is refused by the API ...
    _expire_challenge(world, again["token"])
    late = {"Authorization": f"Bearer {again['token']}"}
    assert api.post("/api/auth/second-factor", headers=late, json={
        "webauthn": key.get(again["webauthn"], BASE)}).status_code == 401
    # ... and by the page.
    client = page_client(app)
    done = _sign_in(client, "keyholder2", PASSWORD, "/en/")
    page = client.get(done.headers["location"])
    _expire_challenge(world, client.cookies[PAGE_COOKIE])
    refused = client.post("/fa/sign-in/second-factor", data={
        "csrf": csrf_of(page.text), "next": "/en/",
        "credential": json.dumps(key.get(_key_options(page.text), BASE))})
    assert refused.status_code == 401 and ">keyholder2<" not in client.get("/en/").text
    # A fresh challenge (the refusal's page gave one) is answered.
    good = client.post("/fa/sign-in/second-factor", data={
        "csrf": csrf_of(refused.text), "next": "/en/",
        "credential": json.dumps(key.get(_key_options(refused.text), BASE))})
    assert good.status_code == 303 and ">keyholder2<" in client.get("/en/").text
