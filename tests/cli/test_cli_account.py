"""One's own password, the second-factor rule and failed sign-ins from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from dadkhahi.access import passwords, signin, users
from dadkhahi.access.policy import Role
from dadkhahi.cli.main import app as cli
from dadkhahi.store.store import Store

PASSWORD = "SYNTHETIC passphrase for tests"


def test_passwd_rule_and_failed_sign_ins(store: Store, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                             parallelism=1))
    users.add_user(store, "leila", Role.INVESTIGATOR, PASSWORD, "setup")
    home = ["--home", str(store.home.path)]
    runner = CliRunner()
    new = tmp_path / "new"
    new.write_text("password1234\n")
    weak = runner.invoke(cli, [*home, "users", "passwd", "leila", "--password-file", str(new)],
                         input=f"{PASSWORD}\n")
    assert weak.exit_code != 0 and "too easy to guess" in str(weak.exception)
    new.write_text("SYNTHETIC another long passphrase\n")
    wrong = runner.invoke(cli, [*home, "users", "passwd", "leila", "--password-file", str(new)],
                          input="SYNTHETIC not the password\n")
    assert isinstance(wrong.exception, signin.SignInFailedError)
    ok = runner.invoke(cli, [*home, "users", "passwd", "leila", "--password-file", str(new)],
                       input=f"{PASSWORD}\n")
    assert ok.exit_code == 0, ok.output
    assert users.authenticate(store, "leila", "SYNTHETIC another long passphrase") is not None
    rule = runner.invoke(cli, [*home, "users", "require-second-factor", "protected"])
    assert rule.exit_code == 0 and "protected" in rule.output
    failed = runner.invoke(cli, [*home, "audit", "--sign-ins", "--json"])
    assert failed.exit_code == 0 and '"reason": "password"' in failed.output
    assert "leila" not in failed.output
