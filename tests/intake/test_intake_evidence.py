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
from dadkhahi.intake.evidence import (
    Receipt,
    add_evidence,
    custody_chain,
    verify_blobs,
)
from dadkhahi.intake.feed import ProgressHooks
from dadkhahi.store import schema as s
from dadkhahi.store.actors import pseudonym
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
        "received", pseudonym(store.keys, "tester"), "SYNTHETIC archive", "USB stick")
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


def _awkward_folder(root: Path) -> Path:
    """Good files around a broken link, a file that will vanish and an unreadable one."""
    root.mkdir()
    (root / "a.txt").write_text("SYNTHETIC first\n")
    (root / "b-broken").symlink_to(root / "nowhere")
    (root / "c.txt").write_text("SYNTHETIC deleted during the add\n")
    # Reading /proc/self/mem at offset 0 fails with EIO, even for root (who reads
    # any chmod 000 file): a real unreadable file.
    (root / "d-unreadable").symlink_to("/proc/self/mem")
    (root / "e.txt").write_text("SYNTHETIC last\n")
    return root


def _tmp_left(store: Store) -> list[Path]:
    return list((store.blobs.root / "tmp").glob("*")) if (store.blobs.root / "tmp").is_dir() \
        else []


def test_unreadable_files_are_skipped_with_reasons_and_the_rest_goes_in(
    store: Store, tmp_path: Path
) -> None:
    folder = _awkward_folder(tmp_path / "box")

    def on_file(path: Path) -> None:
        if path.name == "b-broken":
            (folder / "c.txt").unlink()  # deleted while the add runs

    report = add_evidence(store, [folder], RECEIPT, new_source=SourceSpec(title="SYNTHETIC"),
                          hooks=ProgressHooks(file=on_file))
    outcomes = [(o.path.name, o.status, o.reason) for o in report.outcomes]
    assert outcomes == [
        ("a.txt", "added", None),
        ("b-broken", "skipped", "a broken symbolic link (what it points to does not exist)"),
        ("c.txt", "skipped", "no longer there (deleted or moved during the add?)"),
        ("d-unreadable", "skipped", "could not be read (Input/output error)"),
        ("e.txt", "added", None),
    ]
    assert report.source_created and report.stopped is None
    with store.reading() as conn:
        assert len(conn.execute(select(s.items.c.id)).all()) == 2
        assert verify_ledger(conn, store.verifier_key()).ok
    assert verify_blobs(store).ok and not _tmp_left(store)
    # The same again: what is held is said to be held; nothing is added twice.
    (folder / "c.txt").write_text("SYNTHETIC back again\n")
    again = add_evidence(store, [folder], RECEIPT, source_id=report.source_id)
    assert [(o.path.name, o.status) for o in again.outcomes] == [
        ("a.txt", "held"), ("b-broken", "skipped"), ("c.txt", "added"),
        ("d-unreadable", "skipped"), ("e.txt", "held")]


def test_stop_on_error_and_interruption_stop_cleanly(store: Store, tmp_path: Path) -> None:
    folder = _awkward_folder(tmp_path / "box")
    report = add_evidence(store, [folder], RECEIPT, new_source=SourceSpec(title="SYNTHETIC"),
                          stop_on_error=True)
    assert [o.status for o in report.outcomes] == ["added", "skipped"]
    assert report.stopped is not None and "b-broken" in report.stopped

    def interrupt(path: Path) -> None:
        if path.name == "e.txt":
            raise KeyboardInterrupt

    later = add_evidence(store, [folder], RECEIPT, source_id=report.source_id,
                         hooks=ProgressHooks(file=interrupt))
    assert later.stopped == "interrupted"
    assert [(o.path.name, o.status) for o in later.outcomes] == [
        ("a.txt", "held"), ("b-broken", "skipped"), ("c.txt", "added"),
        ("d-unreadable", "skipped")]
    with store.reading() as conn:
        assert len(conn.execute(select(s.items.c.id)).all()) == 2
        assert verify_ledger(conn, store.verifier_key()).ok
    assert not _tmp_left(store)


def test_an_add_that_brings_nothing_creates_nothing(store: Store, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    before = store.size()
    with pytest.raises(UserError, match="no files to add; nothing was stored"):
        add_evidence(store, [empty], RECEIPT, new_source=SourceSpec(title="SYNTHETIC"))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "link").symlink_to(broken / "gone")
    report = add_evidence(store, [broken], RECEIPT, new_source=SourceSpec(title="SYNTHETIC"))
    assert report.source_id is None and not report.source_created
    assert [o.status for o in report.outcomes] == ["skipped"]
    assert store.size() == before  # no source, no item, no event
