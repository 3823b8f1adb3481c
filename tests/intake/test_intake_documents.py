"""Extracted text as a derivative of the original: hashes, custody, ledger, sealing, failures
recorded on the item, the job that runs it and resumes, and erasure reaching the text."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pymupdf
import pytest
from PIL import Image
from sqlalchemy import select

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.documents import JOB_KIND, pending_items, queue_extraction, read_text
from dadkhahi.intake.erasure import erase_item
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.jobs import queue
from dadkhahi.jobs.worker import run_next, run_now
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

ACTOR = Receipt(actor="tester")


def _pdf(path: Path, *lines: str, password: str | None = None) -> Path:
    doc = pymupdf.open()
    for line in lines:
        doc.new_page().insert_text((72, 100), line)
    if password:
        doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password,
                 owner_pw=password + "o")
    else:
        doc.save(path)
    doc.close()
    return path


def _add(store: Store, paths: list[Path], level: Sensitivity = Sensitivity.RESTRICTED) -> list[str]:
    report = add_evidence(store, paths, ACTOR,
                          new_source=SourceSpec(title="SYNTHETIC documents", sensitivity=level))
    return [item for _p, item in report.added]


def _extract(store: Store, ids: list[str]) -> dict[str, object]:
    job = queue.enqueue(store, JOB_KIND, {"item_ids": ids, "actor": "tester"})
    done = run_now(store, job.id)
    assert done.state == "succeeded", done.error
    return done.result or {}


def test_text_is_a_derivative_with_its_own_hash_custody_and_event(
    store: Store, tmp_path: Path,
) -> None:
    pdf = _pdf(tmp_path / "report.pdf", "SYNTHETIC report page one: 3,200 names.",
               "Page two: Evin prison, 1988.")
    before = pdf.read_bytes()
    [item] = _add(store, [pdf])
    result = _extract(store, [item])
    assert result["done"] == 1
    with store.reading() as conn:
        original = conn.execute(select(s.items).where(s.items.c.id == item)).mappings().one()
        text_item = conn.execute(select(s.items).where(
            s.items.c.derived_from == item, s.items.c.derivation == "text")).mappings().one()
        custody = conn.execute(select(s.custody).where(
            s.custody.c.item_id == text_item["id"])).mappings().one()
        event = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.type == "document.extracted")).scalar_one()
        pages = conn.execute(select(s.document_pages).order_by(
            s.document_pages.c.number)).mappings().all()
        got = read_text(store, conn, item)
    data = json.loads(event)["data"]
    assert data["parent_sha256"] == original["sha256"] != data["sha256"] == text_item["sha256"]
    assert data["tools"]["pymupdf"] and custody["action"] == "derived"
    assert "pymupdf" in custody["notes"] and original["sha256"] in custody["notes"]
    assert [p["number"] for p in pages] == [1, 2] and pages[0]["method"] == "text-layer"
    assert got["pages"][1]["text"] == "Page two: Evin prison, 1988."
    assert got["pages"][0]["lines"][0]["box"][0] == pytest.approx(72, abs=2)
    # The original is untouched, still stored under its hash.
    assert pdf.read_bytes() == before
    assert store.blobs.rehash(original["sha256"]) == original["sha256"]
    # Running it again does nothing new.
    assert _extract(store, [item])["skipped"] == 1


def test_bad_files_are_kept_and_their_failure_recorded_without_stopping_the_rest(
    store: Store, tmp_path: Path,
) -> None:
    files = [_pdf(tmp_path / "locked.pdf", "SYNTHETIC secret", password="pw"),
             tmp_path / "broken.pdf", tmp_path / "empty.pdf", tmp_path / "blank.png",
             tmp_path / "fine.txt"]
    files[1].write_bytes(b"%PDF-1.4 garbage")
    files[2].write_bytes(b"%PDF-1.4\n1 0 obj garbage")  # repaired to zero pages
    png = io.BytesIO()
    Image.new("L", (400, 400), 255).save(png, format="PNG")
    files[3].write_bytes(png.getvalue()[:60])  # a PNG cut short
    files[4].write_text("SYNTHETIC note: the families wrote 30,000.\n", "utf-8")
    ids = _add(store, files)
    assert len(ids) == 5  # every original kept and hashed
    result = _extract(store, ids)
    by_id = {row["item_id"]: row for row in result["items"]}  # type: ignore[attr-defined]
    assert "encrypted" in by_id[ids[0]]["error"]
    assert "damaged" in by_id[ids[1]]["error"]
    assert "no pages" in by_id[ids[2]]["error"]
    assert "image" in by_id[ids[3]]["error"]
    assert by_id[ids[4]]["state"] == "done"
    with store.reading() as conn:
        states = dict(conn.execute(select(s.extractions.c.item_id, s.extractions.c.state)).all())
        assert states == {**dict.fromkeys(ids[:4], "failed"), ids[4]: "done"}
        # Failed ones are pending again for `documents extract`, unless told not to retry.
        assert set(pending_items(conn)) == set(ids[:4])
        assert pending_items(conn, retry_failed=False) == []


def test_protected_text_is_sealed_like_its_original_and_erased_with_it(
    store: Store, tmp_path: Path,
) -> None:
    marker = "SYNTHETICWITNESSNAME"
    note = tmp_path / "statement.txt"
    note.write_text(f"Statement of {marker} about 1988.\n", "utf-8")
    [item] = _add(store, [note], Sensitivity.PROTECTED)
    _extract(store, [item])
    with store.reading() as conn:
        text_item = conn.execute(select(s.items).where(
            s.items.c.derived_from == item)).mappings().one()
        rows = conn.execute(select(s.search_segments)).mappings().all()
        assert read_text(store, conn, item)["pages"][0]["text"].startswith("Statement of")
    assert text_item["sensitivity"] == "protected" and text_item["sealed"]
    assert not store.blobs.has(text_item["sha256"])  # no clear copy on disk
    sealed = store.blobs.sealed_path(text_item["id"]).read_bytes()
    assert marker.encode() not in sealed
    assert rows and all(r["text"] is None and r["spans"] is None for r in rows)
    assert all(marker.lower() not in r["tokens"] for r in rows)
    erase_item(store, item, "SYNTHETIC erasure request", "tester")
    with store.reading() as conn:
        assert conn.execute(select(s.search_segments)).first() is None
        assert read_text(store, conn, item)["state"] == "erased"
    assert not store.blobs.sealed_path(text_item["id"]).exists()


def test_a_job_that_died_is_taken_up_again_and_skips_what_was_done(
    store: Store, tmp_path: Path,
) -> None:
    files = []
    for n in range(3):
        files.append(tmp_path / f"n{n}.txt")
        files[-1].write_text(f"SYNTHETIC note {n}\n", "utf-8")
    ids = _add(store, files)
    job = queue.enqueue(store, JOB_KIND, {"item_ids": ids, "actor": "tester"})
    claimed = queue.claim(store, job_id=job.id)
    assert claimed is not None
    # The first item was done before the worker died (its heartbeat then went stale).
    from dadkhahi.intake.documents import extract_item

    extract_item(store, ids[0], "tester")
    from datetime import timedelta

    again = run_next(store, lease=timedelta(seconds=-1))
    assert again is not None and again.id == job.id and again.state == "succeeded"
    assert again.attempts == 2
    assert [r["state"] for r in again.result["items"]] == ["skipped", "done", "done"]  # type: ignore[index]


def test_a_queued_extraction_names_its_actor_only_by_pseudonym(
    store: Store, tmp_path: Path,
) -> None:
    """The jobs table is not sealed: a job queued by a team member held their name in
    clear in its parameters and ``created_by``. It holds the ledger's pseudonym, and the
    job still acts as that member when it runs."""
    note = tmp_path / "note.txt"
    note.write_text("SYNTHETIC note\n")
    [item] = _add(store, [note])
    job = queue_extraction(store, {"item_ids": [item]}, "SYNTHETICMEMBERQX")
    with store.reading() as conn:
        row = conn.execute(select(s.jobs).where(s.jobs.c.id == job.id)).mappings().one()
    assert "SYNTHETICMEMBERQX" not in json.dumps(dict(row), default=str)
    done = run_now(store, job.id)
    assert done.state == "succeeded", done.error
    with store.reading() as conn:
        actors = set(conn.execute(select(s.custody.c.actor).where(
            s.custody.c.item_id != item)).scalars())
    assert actors == {row["params"]["actor"]} and row["created_by"] == row["params"]["actor"]


def test_a_file_too_large_to_read_is_kept_and_its_failure_recorded(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's "2 GB scan": a file over MAX_EXTRACT_BYTES is kept and hashed, never
    read into memory, and the reason is recorded on it (the limit lowered to this small
    file's size instead of writing gigabytes); a file at the limit is read."""
    from dadkhahi.intake import documents

    big, fits = tmp_path / "big.txt", tmp_path / "fits.txt"
    big.write_text("SYNTHETIC scan " * 100, "utf-8")
    fits.write_text("SYNTHETIC note", "utf-8")
    ids = _add(store, [big, fits])
    monkeypatch.setattr(documents, "MAX_EXTRACT_BYTES", fits.stat().st_size)
    by_id = {row["item_id"]: row for row in _extract(store, ids)["items"]}  # type: ignore[attr-defined]
    assert by_id[ids[0]]["state"] == "failed"
    assert f"over {fits.stat().st_size:,} bytes are kept but not read" in by_id[ids[0]]["error"]
    assert by_id[ids[1]]["state"] == "done"
    with store.reading() as conn:
        kept = conn.execute(select(s.items.c.sha256).where(s.items.c.id == ids[0])).scalar_one()
    assert store.blobs.has(kept)
