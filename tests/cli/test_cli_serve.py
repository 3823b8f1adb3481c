"""``dadkhahi serve`` as a real process (uvicorn): requests through it, its headers, its
Host check, its job thread, TLS with HSTS, the refusal of plain HTTP off loopback, and the bounded
password-hash pool under a burst of parallel bad logins (issue 11 items 8, 11, 12;
issue 18 item 6)."""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from dadkhahi.access import users
from dadkhahi.access.policy import Role
from dadkhahi.cli.main import app as cli
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.sources import register_source
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store

# tests/api/served.py starts the servers: the port, the wait, the checks.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from served import start_server, stop_server

PASSWORD = "SYNTHETIC passphrase for tests"
#: One Argon2 verification holds 64 MiB: without the pool, 40 parallel bad logins
#: grew the server by about 40 x 64 MiB.
ARGON2_MIB = 64


class Server:
    """A ``dadkhahi serve`` subprocess, answering at :attr:`url` once made (on loopback,
    at ``host``; ``tests/api/served.py`` picks the port), stopped by :meth:`stop`."""

    def __init__(self, home: Home, *args: str, host: str = "127.0.0.1",
                 scheme: str = "http", verify: Any = True) -> None:
        self.log = home.path.parent / f"serve-{uuid.uuid4().hex[:8]}.log"
        env = {k: v for k, v in os.environ.items() if k != ENV_DATABASE_URL}
        self.proc, self.url = start_server(home.path, self.log, env,
                                    ("--log-level", "warning", *args),
                                    base=f"{scheme}://{host}:{{port}}", verify=verify)
        self.port = int(self.url.rsplit(":", 1)[1])

    def memory_kib(self, field: str) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(field)

    def stop(self) -> None:
        stop_server(self.proc)


@pytest.fixture(scope="module")
def served_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    mp = pytest.MonkeyPatch()
    mp.delenv(ENV_DATABASE_URL, raising=False)
    home = Home(tmp_path_factory.mktemp("serve") / "home")
    store = Store.init(home, "test.dadkhahi.local/serve", "tester")
    users.add_user(store, "leila", Role.INVESTIGATOR, PASSWORD, "setup")  # real Argon2
    with store.transaction("setup") as tx:
        register_source(store, tx, SourceSpec(title="SYNTHETIC public list",
                                              sensitivity=Sensitivity.PUBLIC))
    store.engine.dispose()
    yield home
    mp.undo()


@pytest.fixture(scope="module")
def server(served_home: Home) -> Iterator[Server]:
    srv = Server(served_home)
    yield srv
    srv.stop()


def test_the_server_runs_queued_jobs_in_a_thread_of_its_own(served_home: Home,
                                                             server: Server) -> None:
    from dadkhahi.jobs import queue

    store = Store.open(served_home)
    try:
        job = queue.enqueue(store, "ledger.verify", {})
        deadline = time.monotonic() + 60
        while (seen := queue.get(store, job.id)).state in ("queued", "running"):
            assert time.monotonic() < deadline, "the server's worker never ran the job"
            time.sleep(0.2)
    finally:
        store.engine.dispose()
    assert seen.state == "succeeded" and seen.result is not None and seen.result["ok"]
    assert seen.worker is not None and seen.worker.endswith(f":{server.proc.pid}")


def test_real_server_answers_with_its_headers_and_checks_the_host(server: Server) -> None:
    base = f"http://127.0.0.1:{server.port}"
    r = httpx.get(f"{base}/api/sources")
    assert r.status_code == 200 and r.json()["data"][0]["title"] == "SYNTHETIC public list"
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert r.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in r.headers  # plain HTTP on loopback
    login = httpx.post(f"{base}/api/auth/login", json={"username": "leila",
                                                       "password": PASSWORD})
    assert login.status_code == 200
    me = httpx.get(f"{base}/api/auth/me",
                   headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert me.json()["username"] == "leila"
    # DNS rebinding: a page on another name that resolves here gets nothing.
    for host in ("evil.example", "localhost.evil.example", "127.0.0.1.nip.io"):
        bad = httpx.get(f"{base}/api/sources", headers={"Host": host})
        assert bad.status_code == 400, host
        assert "SYNTHETIC" not in bad.text
    for host in (f"localhost:{server.port}", f"[::1]:{server.port}", "127.0.0.1"):
        assert httpx.get(f"{base}/api/sources", headers={"Host": host}).status_code == 200


def test_parallel_bad_logins_keep_memory_and_a_public_read_bounded(server: Server) -> None:
    base = f"http://127.0.0.1:{server.port}"
    httpx.get(f"{base}/api/sources")
    peak_before = server.memory_kib("VmHWM")
    answers: list[httpx.Response] = []
    read_times: list[float] = []
    stop = threading.Event()

    def reader() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            while not stop.is_set():
                t0 = time.perf_counter()
                assert http.get("/api/sources").status_code == 200
                read_times.append(time.perf_counter() - t0)
                time.sleep(0.05)

    def bad_login(i: int) -> None:
        answers.append(httpx.post(f"{base}/api/auth/login", timeout=60, json={
            "username": f"guess-{i}", "password": f"SYNTHETIC guess {i}"}))

    read_thread = threading.Thread(target=reader)
    read_thread.start()
    with ThreadPoolExecutor(40) as pool:
        list(pool.map(bad_login, range(40)))
    stop.set()
    read_thread.join()
    grown_mib = (server.memory_kib("VmHWM") - peak_before) / 1024
    statuses = [r.status_code for r in answers]
    assert set(statuses) <= {401, 429}, statuses
    # The pool's decision, whatever the machine's speed: a burst of 40 never gets more
    # than its running and waiting slots (cores x 3), so some of it is refused at once,
    # with a Retry-After, by the pool or (past 20 failures from this address) the throttle.
    refused = [r for r in answers if r.status_code == 429]
    assert refused and all(r.headers.get("retry-after", "").isdigit()
                           and int(r.headers["retry-after"]) >= 1 for r in refused)
    assert any("too many sign-ins at once" in r.json()["error"]["message"]
               for r in refused), [r.text for r in refused]
    # At most the running and waiting hashes of the pool, not one per request.
    assert grown_mib < 8 * ARGON2_MIB, f"server grew {grown_mib:.0f} MiB"
    # Reads go on beside the burst. The median, not the slowest: on a machine shared by
    # other work one read may stall for reasons of its own, while with hashes unbounded
    # every read during the burst waited (8.7 s).
    assert read_times and statistics.median(read_times) < 2.0, read_times


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def test_tls_serves_hsts(served_home: Home, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    srv = Server(served_home, "--tls-cert", str(cert), "--tls-key", str(key),
                 host="localhost", scheme="https", verify=str(cert))
    base = srv.url
    try:
        r = httpx.get(f"{base}/api/sources", verify=str(cert))
        assert r.status_code == 200
        assert r.headers["strict-transport-security"].startswith("max-age=")
    finally:
        srv.stop()


def test_plain_http_off_loopback_is_refused(served_home: Home,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    started: list[dict[str, Any]] = []
    # Refusals happen before uvicorn starts; where it would start, record instead of
    # listening on every interface of the test machine.
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.append(kw))
    # ...and leave this test process untuned: ``served`` freezes the collector and
    # shortens the switch interval for the server's lifetime (tests/conftest.py).
    from dadkhahi.http import serving

    tuned: list[object] = []
    monkeypatch.setattr(serving, "served", lambda app: tuned.append(app) or app)
    for key in ("DADKHAHI_ALLOWED_HOSTS", "DADKHAHI_HSTS", "DADKHAHI_PUBLIC_URL"):
        monkeypatch.setenv(key, "")  # serve sets them: restored (unset) afterwards
    runner = CliRunner()
    home = ["--home", str(served_home.path)]
    refused = runner.invoke(cli, [*home, "serve", "--host", "0.0.0.0"])
    assert refused.exit_code != 0 and started == []
    assert "refusing plain HTTP on 0.0.0.0" in str(refused.exception)
    nameless = runner.invoke(cli, [*home, "serve", "--host", "0.0.0.0",
                                   "--insecure-behind-proxy"])
    assert nameless.exit_code != 0 and "--allowed-host" in str(nameless.exception)
    ok = runner.invoke(cli, [*home, "serve", "--host", "0.0.0.0",
                             "--insecure-behind-proxy", "--allowed-host", "ledger.example.org"])
    assert ok.exit_code == 0, ok.output
    assert "in clear" in ok.output and "proxy" in ok.output
    assert started and "ssl_certfile" not in started[0]
    assert len(tuned) == 1  # the one worker's app was tuned for serving
    assert os.environ["DADKHAHI_ALLOWED_HOSTS"] == "ledger.example.org"


def test_docs_render_in_chromium_under_the_csp_from_this_origin_only(server: Server) -> None:
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{server.port}"
    elsewhere: list[str] = []
    violations: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("request", lambda r: None if r.url.startswith((base, "data:"))
                    else elsewhere.append(r.url))
            page.on("console", lambda m: violations.append(m.text)
                    if "Content Security Policy" in m.text else None)
            page.goto(f"{base}/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            operations = page.locator(".opblock").count()
        finally:
            browser.close()
    assert operations >= 40  # every route of the API is listed
    assert elsewhere == [] and violations == []
