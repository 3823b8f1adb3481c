"""Evidence intake: hashing, dedup, media types, metadata stripping, custody, re-hashing."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from dadkhahi.domain.errors import UserError
from dadkhahi.domain.sources import REDACTED, SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import Receipt, add_evidence, custody_chain, verify_blobs
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

RECEIPT = Receipt(actor="tester", from_party="SYNTHETIC archive", how="USB stick")


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (32, 24), (200, 10, 10))
    exif = Image.Exif()
    exif[0x010F] = "SYNTHETIC camera"
    exif[0x8825] = {1: "N", 2: (35.0, 47.0, 0.0), 3: "E", 4: (51.0, 23.0, 0.0)}
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _tree(root: Path) -> Path:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_text("SYNTHETIC statement one\n")
    (root / "sub" / "b.csv").write_text("id,name\n1,SYNTHETIC\n")
    (root / "sub" / "deeper" / "copy-of-a.txt").write_text("SYNTHETIC statement one\n")
    (root / "sub" / "photo.txt").write_bytes(_jpeg_with_gps())  # misleading extension
    return root


def test_folder_intake_hashes_dedups_and_sniffs(store: Store, tmp_path: Path) -> None:
    folder = _tree(tmp_path / "in")
    report = add_evidence(store, [folder], RECEIPT, new_source=SourceSpec(title="SYNTHETIC box"))
    assert len(report.added) == 3
    assert [p.name for p, _ in report.duplicates] == ["copy-of-a.txt"]
    assert report.derivatives == 1
    with store.reading() as conn:
        rows = conn.execute(select(s.items)).mappings().all()
    by_name = {r["original_name"]: r for r in rows}
    photo = by_name["photo.txt"]
    assert photo["media_type"] == "image/jpeg"
    assert by_name["a.txt"]["sha256"] == hashlib.sha256(b"SYNTHETIC statement one\n").hexdigest()
    assert by_name["a.txt"]["media_type"] == "text/plain"
    derived = [r for r in rows if r["derived_from"] == photo["id"]]
    assert len(derived) == 1 and derived[0]["derivation"] == "metadata_stripped"
    # The original keeps its EXIF; the public copy has none.
    with store.blobs.open(photo["sha256"]) as f:
        assert Image.open(f).getexif().get(0x8825) is not None
    with store.blobs.open(derived[0]["sha256"]) as f:
        clean = Image.open(f)
        assert not clean.getexif()
        assert "exif" not in clean.info
    # Adding the same folder again adds nothing.
    again = add_evidence(store, [folder], RECEIPT, source_id=report.source_id)
    assert again.added == [] and len(again.duplicates) == 4
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok


def test_custody_chain_records_who_how_and_hash(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "doc.txt"
    f.write_text("SYNTHETIC document\n")
    report = add_evidence(store, [f], RECEIPT, new_source=SourceSpec(title="SYNTHETIC"))
    item, chain = custody_chain(store, report.added[0][1][:10])
    assert item["original_name"] == "doc.txt"
    assert len(chain) == 1
    entry = chain[0]
    assert (entry["action"], entry["actor"], entry["from_party"], entry["how"]) == (
        "received", "tester", "SYNTHETIC archive", "USB stick")
    assert entry["sha256"] == item["sha256"]
    assert entry["location"] == f"blob:sha256:{item['sha256']}"


def test_protected_source_seals_names(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "witness-real-name.txt"
    f.write_text("SYNTHETIC testimony\n")
    spec = SourceSpec(title="Testimony of SYNTHETIC W", sensitivity=Sensitivity.PROTECTED,
                      collected_by="SYNTHETIC interviewer")
    report = add_evidence(store, [f], RECEIPT, new_source=spec)
    item, chain = custody_chain(store, report.added[0][1])
    assert item["original_name"] == REDACTED
    assert chain[0]["from_party"] == REDACTED
    with store.reading() as conn:
        sealed_item = store.keys.unseal(conn, item["sealed"], item["id"])
        assert sealed_item is not None
        assert sealed_item["original_name"] == "witness-real-name.txt"
        source = conn.execute(select(s.sources)).mappings().one()
        assert source["title"] == REDACTED
        assert store.keys.unseal(conn, source["sealed"], source["id"])["title"] == spec.title
        # Nothing identifying is in the ledger's clear text.
        bodies = b"".join(r.body for r in conn.execute(select(s.ledger_events.c.body)))
    assert b"witness-real-name" not in bodies and b"SYNTHETIC interviewer" not in bodies


def test_verify_reports_changed_and_missing_blobs(store: Store, tmp_path: Path) -> None:
    for name in ("one.txt", "two.txt", "three.txt"):
        (tmp_path / name).write_text(f"SYNTHETIC {name}\n")
    add_evidence(store, [tmp_path / n for n in ("one.txt", "two.txt", "three.txt")], RECEIPT,
                 new_source=SourceSpec(title="SYNTHETIC"))
    assert verify_blobs(store).ok
    one = hashlib.sha256(b"SYNTHETIC one.txt\n").hexdigest()
    two = hashlib.sha256(b"SYNTHETIC two.txt\n").hexdigest()
    path = store.blobs.path(one)
    os.chmod(path, 0o644)
    path.write_text("tampered\n")
    store.blobs.path(two).unlink()
    check = verify_blobs(store)
    assert not check.ok
    assert [sha for sha, _ in check.changed] == [one]
    assert [sha for sha, _ in check.missing] == [two]
    assert check.checked == 3


def test_missing_path_and_missing_source_are_user_errors(store: Store, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        add_evidence(store, [tmp_path / "nope"], RECEIPT, new_source=SourceSpec(title="x"))
    f = tmp_path / "x.txt"
    f.write_text("x")
    with pytest.raises(UserError, match="no source"):
        add_evidence(store, [f], RECEIPT, source_id="src_doesnotexist")
    with pytest.raises(UserError):
        add_evidence(store, [f], RECEIPT)
    assert store.size() == 1
