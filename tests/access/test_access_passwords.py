"""The unknown-user hash is made when sign-in needs it, not on import (issue 12: every
command importing access.passwords paid about 0.23 s for it), and a server makes it
before its first request so the first miss costs what every miss costs."""

from __future__ import annotations

import subprocess
import sys

from dadkhahi.access import passwords
from dadkhahi.server import create_app
from dadkhahi.store.store import Store

_COUNT_HASHES = """
import argon2
made = []
real = argon2.PasswordHasher.hash
argon2.PasswordHasher.hash = lambda self, p, **k: made.append(p) or real(self, p, **k)
import dadkhahi.access.passwords as pw
assert made == [], made
assert pw.verify_password(None, "SYNTHETIC guess") is False
assert made == ["dadkhahi: no such user"], made
assert pw.verify_password(None, "SYNTHETIC again") is False
assert len(made) == 1, made
"""


def test_importing_passwords_hashes_nothing_and_a_miss_hashes_once() -> None:
    done = subprocess.run([sys.executable, "-c", _COUNT_HASHES], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_server_makes_the_unknown_user_hash_before_its_first_request(store: Store) -> None:
    passwords._dummy.cache_clear()
    create_app(store.home, store=store)
    assert passwords._dummy.cache_info().currsize == 1
