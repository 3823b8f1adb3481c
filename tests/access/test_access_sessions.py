"""Session touches under concurrency (issue 11, load): one write per session and minute."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher

from dadkhahi.access import passwords, sessions, users
from dadkhahi.access.policy import Principal, Role
from dadkhahi.store.store import Store


def test_requests_finding_a_session_stale_at_once_touch_it_once(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                             parallelism=1))
    user_id = users.add_user(store, "leila", Role.INVESTIGATOR, "SYNTHETIC passphrase 1",
                             "setup")
    leila = Principal(user_id=user_id, username="leila", role=Role.INVESTIGATOR)
    token = sessions.open_session(store, leila, None)
    written: list[str] = []
    release = threading.Event()
    real_touch = sessions.touch

    def slow_touch(st: Store, tok: str) -> None:
        written.append(tok)
        release.wait(5)  # a write queued behind others: every request arrives meanwhile
        real_touch(st, tok)

    monkeypatch.setattr(sessions, "touch", slow_touch)
    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(sessions.touch_due, store, token) for _ in range(20)]
        time.sleep(0.2)
        release.set()
        wrote = [f.result() for f in futures]
    assert written == [token] and wrote.count(True) == 1
    # Touched a moment ago: the next stale finding (another snapshot) writes nothing.
    assert sessions.touch_due(store, token) is False and written == [token]
    # Another session of the same process is touched on its own.
    other = sessions.open_session(store, leila, None)
    assert sessions.touch_due(store, other) is True and written == [token, other]
