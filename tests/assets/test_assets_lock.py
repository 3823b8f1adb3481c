"""The one assets mechanism (issue 11 item 12): every vendored file matches the lock,
tampering is caught, and the files are served fingerprinted and cached ``immutable``
while HTML and API answers stay ``no-store``; /docs loads nothing from a CDN."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dadkhahi import assets
from dadkhahi.api import create_app
from dadkhahi.api.settings import ApiSettings
from dadkhahi.assets.lock import STATIC, VENDOR, check, load_lock, manifest
from dadkhahi.store.store import Store


def test_every_vendored_file_matches_the_lock() -> None:
    lock = load_lock()
    assert {p["name"] for p in lock["packages"]} >= {
        "htmx.org", "leaflet", "vazirmatn", "@fontsource-variable/noto-sans", "world-atlas",
        "swagger-ui-dist"}
    for package in lock["packages"]:
        assert package["integrity"].startswith("sha512-") and package["license"]
        # Each package ships its licence text beside its files.
        assert any(re.search(r"(LICENSE|OFL)", f["to"]) for f in package["files"]), package
    assert check() == []


def test_a_changed_missing_or_stray_file_is_caught(tmp_path: Path) -> None:
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR, copy)
    (copy / "htmx.org" / "htmx.min.js").write_bytes(b"alert('SYNTHETIC tampered')")
    (copy / "leaflet" / "leaflet.css").unlink()
    (copy / "leaflet" / "extra.js").write_text("/* not locked */")
    found = {(p.path, p.what) for p in check(vendor=copy)}
    assert found == {("htmx.org/htmx.min.js", "differs from the lock"),
                     ("leaflet/leaflet.css", "missing"),
                     ("leaflet/extra.js", "not in the lock")}


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app(store.home, ApiSettings(), store))


def test_assets_are_fingerprinted_and_immutable_pages_no_store(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in docs.headers["content-security-policy"]
    links = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert links and all(link.startswith("/assets/") for link in links), links
    assert "<script>" not in docs.text  # no inline script
    for link in links:
        r = client.get(link)
        assert r.status_code == 200, link
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "default-src 'self'" in r.headers["content-security-policy"]
    font = assets.url("vendor/vazirmatn/Vazirmatn-Variable.woff2")
    assert client.get(font).content[:4] == b"wOF2"
    # A stale or made-up digest is not served (it would be cached for a year).
    path = "vendor/htmx.org/htmx.min.js"
    assert client.get(f"/assets/{'0' * 16}/{path}").status_code == 404
    assert client.get(f"/assets/{manifest()[path]}/../lock.json").status_code == 404
    api = client.get("/api/ledger/key")
    assert api.headers["cache-control"] == "no-store"
    assert client.get("/redoc").status_code == 404


def test_the_map_outlines_script_is_the_vendored_outlines_wrapped() -> None:
    """The one map script reads the outlines as a classic script (file:// allows no
    fetch): the committed file is what scripts/vendor-assets makes of the locked JSON."""
    from dadkhahi.assets.maps import OUTLINES, OUTLINES_SOURCE, outlines_script

    wrapped = (assets.STATIC / OUTLINES).read_bytes()
    assert wrapped == outlines_script()
    assert wrapped.startswith(b"dadkhahiOutlines({") and wrapped.endswith(b"});\n")
    assert OUTLINES_SOURCE.split("/", 2)[2] in {
        f["to"] for p in load_lock()["packages"] if p["name"] == "world-atlas"
        for f in p["files"]}


def test_text_assets_go_out_compressed_fonts_ranges_and_pages_as_they_are(
        client: TestClient) -> None:
    """A browser that accepts gzip gets a text asset compressed (the same bytes once
    opened, a weak ETag, Vary: Accept-Encoding); a font, a range and a page (/docs) as they are:
    the map page's first load was 499.8 KB of the issue's 500 KB uncompressed."""
    gzip = {"Accept-Encoding": "gzip"}
    for path in ("vendor/leaflet/leaflet.js", "vendor/htmx.org/htmx.min.js", "web/app.css"):
        r = client.get(assets.url(path), headers=gzip)
        assert r.status_code == 200, path
        assert r.headers["content-encoding"] == "gzip", path
        assert r.content == (STATIC / path).read_bytes(), path  # opened by the client
        assert r.num_bytes_downloaded < len(r.content) * 0.6, path  # bytes on the wire
        assert "accept-encoding" in r.headers["vary"].lower()
        assert r.headers["etag"].startswith("W/")
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        plain = client.get(assets.url(path), headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert not plain.headers["etag"].startswith("W/")
        assert plain.content == r.content
    font = client.get(assets.url("vendor/vazirmatn/Vazirmatn-Variable.woff2"), headers=gzip)
    assert "content-encoding" not in font.headers and font.content[:4] == b"wOF2"
    part = client.get(assets.url("vendor/leaflet/leaflet.js"),
                      headers={**gzip, "Range": "bytes=0-99"})
    assert part.status_code == 206 and "content-encoding" not in part.headers
    assert part.content == (STATIC / "vendor/leaflet/leaflet.js").read_bytes()[:100]
    page = client.get("/docs", headers=gzip)
    assert page.status_code == 200 and "content-encoding" not in page.headers
