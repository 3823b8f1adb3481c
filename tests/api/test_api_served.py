"""The tests' real servers (``tests/api/served.py``) when the port picked for one is taken
before it binds it, as the other test worker's server or static site may take it: the
process answering on that port is never taken for the server started, which starts again
on another port."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
import served

from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store

# The memorial tests' static web server (the standard library's, on a free port).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "publish"))
from static_server import served as static_site


def test_a_server_whose_port_was_taken_starts_on_another_and_no_impostor_counts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    home = Home(tmp_path / "home")
    Store.init(home, "test.dadkhahi.local/served", "tester").engine.dispose()
    # Another process on the port picked, answering the start-up check with another key.
    site = tmp_path / "impostor"
    (site / "api" / "ledger").mkdir(parents=True)
    (site / "api" / "ledger" / "key").write_text("SYNTHETIC impostor+00000000+AAAA\n")
    with static_site(site) as impostor:
        taken = int(impostor.rstrip("/").rsplit(":", 1)[1])
        picked = iter([taken])
        free_port = served._free_port
        monkeypatch.setattr(served, "_free_port", lambda: next(picked, None) or free_port())
        with served.serve(home.path, tmp_path / "serve.log") as server:
            assert not server.url.endswith(f":{taken}")
            answer = httpx.get(f"{server.url}/api/ledger/key", timeout=30)
            assert answer.text.strip() == home.verifier_key_path.read_text("utf-8").strip()
        assert httpx.get(f"{impostor}api/ledger/key").text.startswith("SYNTHETIC impostor")
