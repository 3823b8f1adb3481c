"""The bundle's report (data/report.html and data/report.pdf) and its age encryption for the
recipient, on the SYNTHETIC demo case."""

from __future__ import annotations

import io
import json
import re
import shutil
import tarfile
from pathlib import Path

import pyrage
import pytest
from case_world import World
from pypdf import PdfReader

from dadkhahi.cases.bundle import write_bundle
from dadkhahi.cases.bundle_verify import verify
from dadkhahi.demo.case import SUSPECT_A, SUSPECT_B
from dadkhahi.domain.errors import UserError


def test_the_report_lists_charges_elements_facts_evidence_and_gaps(world: World) -> None:
    html = (world.bundle.path / "data/report.html").read_text("utf-8")
    assert html.count("SYNTHETIC — NOT EVIDENCE") == 1  # one banner, fixed on every page
    assert "position: fixed" in html
    for text in (SUSPECT_A, SUSPECT_B, "Murder", "supported by", "exhibit 001",
                 "no: withheld · نگه‌داشته‌شده (see withheld.csv)", "exculpatory",
                 "Be was on leave for part of the period"):
        assert text in html, text
    # Every gap of the gap report is in it, and nothing says "proven" of an element.
    matrix = (world.bundle.path / "data/matrix.json").read_text("utf-8")
    for line in json.loads(matrix)["gaps"]:
        assert line.replace("'", "&#39;") in html
    # "proven" only in the one sentence saying it is never a finding.
    assert len(re.findall(r"\bproven\b", html)) == 1
    # The export event names the report: a changed report fails verification.
    assert verify(world.bundle.path, world.store.verifier_key()) == []


def test_the_pdf_report_is_bilingual_stamped_and_cites_every_file_by_hash_and_proof(
        world: World, tmp_path: Path) -> None:
    bundle = world.bundle.path
    reader = PdfReader(bundle / "data/report.pdf")
    pages = [page.extract_text() for page in reader.pages]
    assert all("SYNTHETIC — NOT EVIDENCE" in page for page in pages)
    text = " ".join(" ".join(pages).split())
    # Persian shaped and in reading order (the demo's title and one link are bilingual).
    for words in ("گزارش پرونده", "پرونده نمایشی ساختگی", "فرماندهٔ نگهبانانِ کشیک بود"):
        assert words in text, words
    for words in (SUSPECT_A, SUSPECT_B, "Murder", "exculpatory", "Case report"):
        assert words in text, words
    matrix = json.loads((bundle / "data/matrix.json").read_text("utf-8"))
    flat = "".join(text.split())  # a hash may wrap at the edge of its column
    for line in matrix["gaps"]:
        assert "".join(line.split()) in flat, line
    # Every file in an exhibit folder, by its SHA-256 and the proof of its intake event.
    for meta_path in sorted((bundle / "data/exhibits").glob("*/exhibit.json")):
        for f in json.loads(meta_path.read_text("utf-8"))["files"]:
            assert f"sha256{f['sha256']}" in flat
            assert f"data/proofs/{f['item_event']}.json" in flat
            assert (bundle / f"data/proofs/{f['item_event']}.json").is_file()
    assert verify(bundle, world.store.verifier_key()) == []
    # The export event names the PDF: one changed byte fails the bundle.
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    pdf = bytearray((copy / "data/report.pdf").read_bytes())
    pdf[len(pdf) // 2] ^= 1
    (copy / "data/report.pdf").write_bytes(bytes(pdf))
    assert any("data/report.pdf" in p for p in verify(copy, world.store.verifier_key()))


def test_encrypted_for_the_recipient_only(world: World, tmp_path: Path) -> None:
    identity = pyrage.x25519.Identity.generate()
    out = tmp_path / "sealed-bundle"
    result = write_bundle(world.store, "lawyer", world.demo.case_id, out,
                          recipient="SYNTHETIC Court of Demo",
                          encrypt_to=str(identity.to_public()))
    assert result.encrypted == out / "bundle.tar.age"
    assert sorted(p.name for p in out.iterdir()) == ["DECRYPT.txt", "bundle.tar.age"]
    assert (out / "bundle.tar.age").stat().st_mode & 0o077 == 0
    sealed = (out / "bundle.tar.age").read_bytes()
    assert sealed.startswith(b"age-encryption.org/v1\n")
    assert b"SYNTHETIC" not in sealed
    other = pyrage.x25519.Identity.generate()
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(sealed, [other])
    with tarfile.open(fileobj=io.BytesIO(pyrage.decrypt(sealed, [identity]))) as tar:
        assert {m.uname for m in tar.getmembers()} == {""}  # no operator account names
        tar.extractall(tmp_path / "opened", filter="data")
    assert verify(tmp_path / "opened" / "sealed-bundle", world.store.verifier_key()) == []


def test_a_wrong_recipient_stops_before_any_event(world: World, tmp_path: Path) -> None:
    size = world.store.size()
    with pytest.raises(UserError, match="not an age recipient"):
        write_bundle(world.store, "lawyer", world.demo.case_id, tmp_path / "b",
                     recipient="SYNTHETIC Court of Demo", encrypt_to="age1notakey")
    assert world.store.size() == size and not (tmp_path / "b").exists()
