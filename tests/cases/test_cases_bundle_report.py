"""The bundle's report (data/report.html) and its age encryption for the recipient, on the
SYNTHETIC demo case."""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path

import pyrage
import pytest
from case_world import World

from dadkhahi.cases.bundle import write_bundle
from dadkhahi.cases.bundle_verify import verify
from dadkhahi.demo.case import SUSPECT_A, SUSPECT_B
from dadkhahi.domain.errors import UserError


def test_the_report_lists_charges_elements_facts_evidence_and_gaps(world: World) -> None:
    html = (world.bundle.path / "data/report.html").read_text("utf-8")
    assert html.count("SYNTHETIC — NOT EVIDENCE") == 1  # one banner, fixed on every page
    assert "position: fixed" in html
    for text in (SUSPECT_A, SUSPECT_B, "Murder", "supported by", "exhibit 001",
                 "no: withheld (see withheld.csv)", "exculpatory",
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
