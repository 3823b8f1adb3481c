"""Hostile input: odd file names, oversized uploads, malformed JSON, huge pages, injection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_world import World
from sqlalchemy import func, select

from dadkhahi.api.routers.items import safe_name
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import schema as s

LIMIT = 1024 * 1024
INJECTIONS = [
    "'; DROP TABLE sources; --",
    "\" OR 1=1 --",
    "<script>alert('SYNTHETIC')</script>",
    "<img src=x onerror=alert(1)>",
    "%' OR '%'='",
    "Robert'); DELETE FROM records WHERE ('1'='1",
    "محمد\u200cرضا \u202eRTL override",
]


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world


def _inv(world: World) -> dict[str, str]:
    return world.headers("investigator_g")


def _files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", [
    "../../../../etc/passwd", "..\\..\\windows\\system32\\cmd.exe", "/abs/path.txt",
    "a\x00b.txt", "\u202etxt.exe", "...", "CON", "x" * 5000,
])
def test_odd_upload_names_are_neutralised(world: World, name: str) -> None:
    src = world.objects[Sensitivity.RESTRICTED].source
    outside = world.store.home.path.parent
    before = _files_under(outside)
    r = world.client.post(f"/api/sources/{src}/items", params={"name": name[:1024]},
                          content=f"SYNTHETIC {name!r}".encode(), headers=_inv(world))
    assert r.status_code in (201, 422), r.text
    if r.status_code == 201:
        stored = r.json()["original_name"]
        assert stored is None or ("/" not in stored and "\\" not in stored
                                  and "\x00" not in stored and len(stored) <= 255)
    # Nothing was written outside the blob store.
    new = _files_under(outside) - before
    assert all(world.store.home.blob_dir in p.parents or p.name.startswith("dadkhahi.sqlite")
               for p in new), new


def test_safe_name_examples() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\w\\statement.pdf") == "statement.pdf"
    assert safe_name("..") is None
    assert safe_name("a\x07b\x00c") == "abc"


def test_oversized_upload_refused_by_declared_length(world: World) -> None:
    src = world.objects[Sensitivity.PUBLIC].source
    r = world.client.post(f"/api/sources/{src}/items", content=b"x" * (LIMIT + 1),
                          headers=_inv(world))
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"


def test_oversized_streamed_upload_stops_without_filling_the_disk(world: World) -> None:
    src = world.objects[Sensitivity.PROTECTED].source
    sent = 0

    def endless() -> Iterator[bytes]:
        nonlocal sent
        chunk = b"y" * 65536
        while sent < 64 * LIMIT:  # would be 64 MiB if the server kept reading
            sent += len(chunk)
            yield chunk

    with world.store.reading() as conn:
        items_before = conn.execute(select(func.count()).select_from(s.items)).scalar_one()
    r = world.client.post(f"/api/sources/{src}/items", content=endless(), headers=_inv(world))
    assert r.status_code == 413
    blob_bytes = sum(p.stat().st_size for p in _files_under(world.store.home.blob_dir))
    assert blob_bytes < 4 * LIMIT
    assert list((world.store.home.blob_dir / "tmp").glob("incoming-*")) == []
    with world.store.reading() as conn:
        assert conn.execute(select(func.count()).select_from(s.items)).scalar_one() == \
            items_before


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"title": 5}', b"\xff\xfe", b"null",
                                  b'{"title": "x", "extra": 1}', b'{"title": ""}'])
def test_malformed_json_is_a_clean_422(world: World, body: bytes) -> None:
    r = world.client.post("/api/sources", content=body,
                          headers={**_inv(world), "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("params", [{"limit": "1000000"}, {"limit": "0"}, {"limit": "-1"},
                                    {"limit": "1e9"}, {"cursor": "not-a-cursor"},
                                    {"cursor": "WzEsMiwzXQ"}, {"sort": "title; drop"},
                                    {"sort": "sealed"}])
def test_huge_or_bad_pages_are_refused(world: World, params: dict[str, str]) -> None:
    r = world.client.get("/api/sources", params=params, headers=_inv(world))
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"error"}


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_are_stored_and_returned_inert(world: World, text: str) -> None:
    r = world.client.post("/api/sources", json={"title": text, "sensitivity": "restricted",
                                                "notes": text}, headers=_inv(world))
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    got = world.client.get(f"/api/sources/{sid}", headers=_inv(world))
    assert got.json()["title"] == text and got.json()["notes"] == text
    assert got.headers["content-type"].startswith("application/json")
    assert got.headers["x-content-type-options"] == "nosniff"
    found = world.client.get("/api/sources", params={"q": text}, headers=_inv(world)).json()
    assert sid in {x["id"] for x in found["data"]}
    # Searching with SQL wildcards matches them literally, not everything.
    hits = world.client.get("/api/sources", params={"q": "%", "limit": 500},
                            headers=_inv(world)).json()["data"]
    assert all("%" in (h["title"] + (h["citation"] or "")) for h in hits)
    with world.store.reading() as conn:
        assert conn.execute(select(func.count()).select_from(s.records)).scalar_one() >= 3


def test_bad_tokens_are_401_not_anonymous(world: World) -> None:
    for header in ("Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer a b"):
        r = world.client.get("/api/sources", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert r.json()["error"]["code"] == "unauthorized"


def test_downloads_are_attachments_never_rendered(world: World) -> None:
    src = world.objects[Sensitivity.PUBLIC].source
    html = b"<html><script>alert('SYNTHETIC')</script></html>"
    item = world.client.post(f"/api/sources/{src}/items", params={"name": "page.html"},
                             content=html, headers=_inv(world)).json()
    r = world.client.get(f"/api/items/{item['id']}/content")
    assert r.content == html
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in r.headers["content-security-policy"]
    assert item["media_type"] == "text/html"  # typed from content, not trusted for serving
