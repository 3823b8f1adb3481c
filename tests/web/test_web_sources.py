"""Sources and evidence items on pages: registration, upload, preview, custody, proofs."""

from __future__ import annotations

import json
from collections.abc import Iterator

from api_world import World, photo
from fastapi import FastAPI
from sqlalchemy import func, select
from web_world import client_for, csrf_of

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.ledger.proofs import verify_bundle
from dadkhahi.store import schema as s
from dadkhahi.store.actors import pseudonym_in

BOUNDARY = "web-test-boundary-91c2"


def _multipart(fields: dict[str, str], body: bytes, filename: str) -> tuple[bytes, dict[str, str]]:
    """A browser's multipart form: the fields in order, then the file."""
    parts = b"".join(
        (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
        .encode() for k, v in fields.items())
    parts += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
              f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
              ).encode() + body + f"\r\n--{BOUNDARY}--\r\n".encode()
    return parts, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def _items(world: World) -> int:
    with world.store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(s.items)).scalar_one())


def test_register_a_source_errors_beside_the_field_then_ledgered(app: FastAPI,
                                                                 world: World) -> None:
    client = client_for(app, world, "investigator_g")
    page = client.get("/en/sources")
    assert page.status_code == 200 and "Register a source" in page.text
    token = csrf_of(page.text)
    missing = client.post("/en/sources", data={"csrf": token, "title": "",
                                               "kind": "testimony"})
    assert missing.status_code == 422
    assert 'id="f-title-error"' in missing.text and 'aria-invalid="true"' in missing.text
    bad = client.post("/en/sources", data={"csrf": token, "title": "x", "kind": "rumour"})
    assert bad.status_code == 422 and 'id="f-kind-error"' in bad.text
    done = client.post("/en/sources", data={
        "csrf": token, "title": "Synthetic web source", "kind": "testimony",
        "sensitivity": "restricted", "reliability": "B", "credibility": "2",
        "collected_by": "SYNTHETIC collector"})
    assert done.status_code == 303
    source_id = done.headers["location"].rsplit("/", 1)[1]
    with world.store.reading() as conn:
        row = conn.execute(select(s.sources.c.reliability, s.sources.c.ledger_index)
                           .where(s.sources.c.id == source_id)).one()
        event = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.idx == row.ledger_index)).scalar_one()
    assert row.reliability == "B"
    with world.store.reading() as conn:  # a user's pseudonym is keyed on their account
        investigator = pseudonym_in(conn, world.store.keys, "investigator_g")
    assert json.loads(event)["actor"] == investigator
    shown = client.get(f"/fa/sources/{source_id}")
    assert shown.status_code == 200 and "Synthetic web source" in shown.text
    # A researcher (no add_evidence) sees no form and may not register.
    viewer = client_for(app, world, "researcher")
    listing = viewer.get("/en/sources")
    assert "Register a source" not in listing.text
    assert viewer.post("/en/sources", data={"csrf": csrf_of(listing.text),
                                            "title": "x"}).status_code == 403


def _upload(app: FastAPI, world: World, who: str, source: str, body: bytes, name: str,
            token: str | None = None) -> object:
    client = client_for(app, world, who)
    if token is None:
        token = csrf_of(client.get(f"/en/sources/{source}").text)
    data, headers = _multipart({"csrf": token, "from": "SYNTHETIC courier",
                                "how": "handed over"}, body, name)
    return client.post(f"/en/sources/{source}/items", content=data, headers=headers)


def test_upload_preview_custody_proof_and_verify(app: FastAPI, world: World) -> None:
    source = world.objects[Sensitivity.PROTECTED].source
    client = client_for(app, world, "investigator_g")
    answer = _upload(app, world, "investigator_g", source, photo(), "SECRET-photo.png")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    item_id = answer.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    assert "SECRET" not in answer.headers["location"]  # type: ignore[attr-defined]
    page = client.get(f"/en/items/{item_id}")
    html = page.text
    assert page.status_code == 200 and "SECRET-photo.png" in html
    assert "SYNTHETIC courier" in html and "Chain of custody" in html
    assert f'/en/items/{item_id}/picture' in html
    # The picture is the copy without hidden metadata, sandboxed and never cached.
    picture = client.get(f"/en/items/{item_id}/picture")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert "sandbox" in picture.headers["content-security-policy"]
    assert picture.headers["cache-control"] == "no-store"
    assert "copy without hidden metadata" in html
    # The proof downloads and verifies offline against the ledger's key.
    proof = client.get(f"/en/items/{item_id}/proof")
    assert proof.status_code == 200 and "attachment" in proof.headers["content-disposition"]
    bundle = proof.json()
    with world.store.reading() as conn:
        index = conn.execute(select(s.items.c.ledger_index).where(
            s.items.c.id == item_id)).scalar_one()
    assert bundle["index"] == index
    assert verify_bundle(bundle, world.store.verifier_key()).size >= index + 1
    # "Verify now" re-hashes the (encrypted) bytes and checks the proof.
    checked = client.post(f"/en/items/{item_id}/verify", data={"csrf": csrf_of(html)})
    assert checked.status_code == 200
    assert "The stored bytes hash to the recorded SHA-256." in checked.text
    assert "is included in the signed checkpoint" in checked.text
    # Someone without the grant learns nothing of it.
    analyst = client_for(app, world, "analyst")
    for path in ("", "/picture", "/proof", "/download"):
        hidden = analyst.get(f"/en/items/{item_id}{path}")
        assert hidden.status_code == 404 and "SECRET" not in hidden.text


def test_verify_now_finds_tampered_bytes(app: FastAPI, world: World) -> None:
    item_id = world.objects[Sensitivity.PUBLIC].item
    with world.store.reading() as conn:
        digest = conn.execute(select(s.items.c.sha256).where(
            s.items.c.id == item_id)).scalar_one()
    path = world.store.blobs.path(digest)
    original = path.read_bytes()
    client = client_for(app, world, "researcher")
    page = client.get(f"/fa/items/{item_id}")
    assert "PUBLIC-file SYNTHETIC" in page.text  # a text item is shown as text
    try:
        path.chmod(0o600)
        path.write_bytes(original + b" tampered")
        checked = client.post(f"/en/items/{item_id}/verify", data={"csrf": csrf_of(page.text)})
        assert "do NOT match the recorded SHA-256" in checked.text
    finally:
        path.write_bytes(original)


def test_forged_and_oversized_uploads_change_nothing(app: FastAPI, world: World) -> None:
    source = world.objects[Sensitivity.PUBLIC].source
    before = _items(world)
    forged = _upload(app, world, "investigator_g", source, b"forged", "a.txt",
                     token="0" * 64)
    assert forged.status_code == 403  # type: ignore[attr-defined]
    big = _upload(app, world, "investigator_g", source, b"x" * (2 * 1024 * 1024), "big.bin")
    assert big.status_code == 413  # type: ignore[attr-defined]
    assert "text/html" in big.headers["content-type"]  # type: ignore[attr-defined]
    viewer = _upload(app, world, "researcher", source, b"no", "v.txt")
    assert viewer.status_code == 403  # type: ignore[attr-defined]
    assert _items(world) == before
    scratch = world.store.blobs.root / "tmp"
    leftover: Iterator[object] = scratch.iterdir() if scratch.exists() else iter(())
    assert list(leftover) == []  # the refused bytes did not stay on disk


def test_a_pdf_is_previewed_as_its_first_page(app: FastAPI, world: World) -> None:
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "SYNTHETIC page one")
    pdf = doc.tobytes()
    source = world.objects[Sensitivity.RESTRICTED].source
    answer = _upload(app, world, "investigator_g", source, pdf, "report.pdf")
    item_id = answer.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    client = client_for(app, world, "investigator_g")
    assert "The first page of the PDF." in client.get(f"/en/items/{item_id}").text
    picture = client.get(f"/en/items/{item_id}/picture")
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")


def test_a_capture_verification_is_recorded_from_the_item_page(app: FastAPI,
                                                                world: World) -> None:
    """The item page shows the source's claim and every verification, and records one
    (review; the values in the form's body only, sealed for a protected item); in
    Persian as in English. A researcher (no review) sees no form."""
    restricted = world.objects[Sensitivity.RESTRICTED].item
    page = client_for(app, world, "researcher").get(f"/en/items/{restricted}")
    assert page.status_code == 200 and "Record a verification" not in page.text
    item = world.objects[Sensitivity.PROTECTED].item
    client = client_for(app, world, "lawyer_g")
    page = client.get(f"/fa/items/{item}")
    assert page.status_code == 200 and "ثبت یک راستی‌آزمایی" in page.text
    token = csrf_of(page.text)
    refused = client.post(f"/fa/items/{item}/capture-verifications", data={
        "csrf": token, "method": "SYNTHETIC", "result": "consistent"})
    assert refused.status_code == 422 and 'id="capture-error"' in refused.text
    done = client.post(f"/en/items/{item}/capture-verifications", data={
        "csrf": token, "place": "SYNTHETICWEBPLACEQ", "method": "SYNTHETIC skyline",
        "result": "inconclusive", "time": "", "note": ""})
    assert done.status_code == 303 and "SYNTHETICWEBPLACEQ" not in done.headers["location"]
    shown = client.get(f"/en/items/{item}")
    assert "SYNTHETICWEBPLACEQ" in shown.text and "inconclusive" in shown.text
    assert "SYNTHETICWEBPLACEQ" in client.get(f"/fa/items/{item}").text
    with world.store.reading() as conn:
        row = conn.execute(select(s.capture_verifications).where(
            s.capture_verifications.c.item_id == item)).mappings().one()
    assert row["place"] == "[protected]" and row["result"] == "inconclusive"
