"""Users, passwords, sessions and grants: as ledger events, replayable, no hash in clear."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from typer.testing import CliRunner

from dadkhahi.access import grants, passwords, sessions, users
from dadkhahi.access.policy import Permission, Principal, Role, params, visible
from dadkhahi.cli.main import app
from dadkhahi.domain.errors import UserError, ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.sources import register_source
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger
from dadkhahi.store.versions import VersionMismatchError

PASSWORD = "SYNTHETIC long passphrase"


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _bodies(store: Store) -> bytes:
    with store.reading() as conn:
        return b"".join(conn.execute(select(s.ledger_events.c.body)).scalars())


def test_add_authenticate_and_no_hash_in_the_ledger(store: Store) -> None:
    uid = users.add_user(store, "w-investigator", Role.INVESTIGATOR, PASSWORD, "admin")
    who = users.authenticate(store, "w-investigator", PASSWORD)
    assert who is not None and who.user_id == uid and who.role is Role.INVESTIGATOR
    assert users.authenticate(store, "w-investigator", PASSWORD + "x") is None
    assert users.authenticate(store, "nobody", PASSWORD) is None
    assert b"argon2" not in _bodies(store) and PASSWORD.encode() not in _bodies(store)
    with pytest.raises(UserError, match="already"):
        users.add_user(store, "w-investigator", Role.VIEWER, PASSWORD, "admin")
    with pytest.raises(ValidationError):
        users.add_user(store, "Bad Name", Role.VIEWER, PASSWORD, "admin")
    with pytest.raises(ValidationError):
        users.add_user(store, "short-pw", Role.VIEWER, "short", "admin")


def test_disable_role_and_password_change_end_sessions(store: Store) -> None:
    uid = users.add_user(store, "member", Role.RESEARCHER, PASSWORD, "admin")
    principal = users.authenticate(store, "member", PASSWORD)
    assert principal is not None
    token = sessions.open_session(store, principal, "127.0.0.1")
    with store.reading() as conn:
        assert sessions.resolve(conn, token) is not None
        version = int(users.get_user(conn, uid)["ledger_index"])
    users.set_role(store, uid, Role.LAWYER, "admin", version)
    with pytest.raises(VersionMismatchError):
        users.set_role(store, uid, Role.ADMIN, "admin", version)
    with store.reading() as conn:
        found = sessions.resolve(conn, token)
        assert found is not None and found.role is Role.LAWYER
    old_key = None
    with store.reading() as conn:
        old_key = users.find_user(conn, uid)["sealed"]["key_id"]  # type: ignore[index]
    users.set_password(store, uid, PASSWORD + " new", "admin")
    with store.reading() as conn:
        assert sessions.resolve(conn, token) is None
        assert conn.execute(select(s.data_keys).where(s.data_keys.c.id == old_key)).first() \
            is None
    assert users.authenticate(store, "member", PASSWORD) is None
    assert users.authenticate(store, "member", PASSWORD + " new") is not None
    users.set_disabled(store, uid, True, "admin")
    assert users.authenticate(store, "member", PASSWORD + " new") is None
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
    assert report.ok, report.findings


def test_grants_decide_protected_visibility(store: Store) -> None:
    with store.transaction("admin") as tx:
        src = register_source(store, tx, SourceSpec(title="SYNTHETIC W",
                                                    sensitivity=Sensitivity.PROTECTED))
    uid = users.add_user(store, "granted", Role.INVESTIGATOR, PASSWORD, "admin")
    who = Principal(user_id=uid, username="granted", role=Role.INVESTIGATOR)
    viewer_id = users.add_user(store, "viewer", Role.VIEWER, PASSWORD, "admin")
    viewer = Principal(user_id=viewer_id, username="viewer", role=Role.VIEWER)

    def sees(p: Principal) -> bool:
        with store.reading() as conn:
            return conn.execute(select(s.sources.c.id).where(
                s.sources.c.id == src, visible(p, s.sources)), params(p)).first() is not None

    assert not sees(who)
    grants.grant(store, src, "granted", "admin")
    grants.grant(store, src, "viewer", "admin")
    assert sees(who) and not sees(viewer)  # viewers see public data only, grant or not
    grants.revoke(store, src, "granted", "admin")
    assert not sees(who)
    assert not who.can(Permission.GRANT) and Principal(role=Role.ADMIN).can(Permission.GRANT)
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok


def test_cli_users_and_audit(store: Store, tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    home = ["--home", str(store.home.path)]
    runner = CliRunner()
    added = runner.invoke(app, [*home, "users", "add", "ana", "--role", "analyst",
                                "--password-file", str(pw)])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, [*home, "users", "list"])
    assert "ana" in listed.output and "analyst" in listed.output
    assert runner.invoke(app, [*home, "users", "disable", "ana"]).exit_code == 0
    assert "disabled" in runner.invoke(app, [*home, "users", "list"]).output
    assert users.authenticate(store, "ana", PASSWORD) is None
    audit = runner.invoke(app, [*home, "audit", "--since", "2000-01-01"])
    assert audit.exit_code == 0 and "0 audited read(s)" in audit.output


def _scrubbed_at_next_open(store: Store, index: int) -> None:
    """The key destroyed by event ``index`` has its scrub due until the next open."""
    from dadkhahi.store.erase import scrubs_due

    with store.reading() as conn:
        assert ("data_keys", index) in scrubs_due(conn)
    again = Store.open(store.home)
    try:
        with again.reading() as conn:
            assert scrubs_due(conn) == []
    finally:
        again.engine.dispose()


def test_a_password_change_leaves_the_old_key_s_scrub_due_until_done(store: Store) -> None:
    """Before the fix a password change destroyed the old hash's key with no scrub due, so
    its wrapped bytes could stay in free pages and the WAL for good. The change now marks
    the scrub due in its own transaction; the next open runs it and clears the mark."""
    uid = users.add_user(store, "member", Role.RESEARCHER, PASSWORD, "admin")
    index = users.set_password(store, uid, PASSWORD + " new", "admin")
    _scrubbed_at_next_open(store, index)


def test_removing_a_factor_leaves_its_key_s_scrub_due_until_done(store: Store) -> None:
    """The same for a second factor removed: its sealed secret's key is destroyed and the
    scrub marked due in the same transaction."""
    from dadkhahi.access import factors

    uid = users.add_user(store, "member", Role.RESEARCHER, PASSWORD, "admin")
    principal = Principal(user_id=uid, username="member", role=Role.RESEARCHER)
    factors.new_recovery_codes(store, principal)
    with store.reading() as conn:
        [factor] = factors.list_factors(conn, uid)
    index = factors.remove_factor(store, principal, str(factor["id"]))
    _scrubbed_at_next_open(store, index)
