"""``dadkhahi evidence verify-capture``: a verification of an item's capture time and/or
place recorded from the command line (the home's operator), shown by ``evidence custody``.
Every value here is SYNTHETIC."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from dadkhahi.cli.main import app
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.store.store import Store


def _run(store: Store, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, ["--home", str(store.home.path), *args],
                                env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    return result.output


def test_verify_capture_records_and_custody_shows_it(store: Store, tmp_path: Path) -> None:
    recording = tmp_path / "recording.txt"
    recording.write_text("SYNTHETIC recording\n", "utf-8")
    added = add_evidence(store, [recording], Receipt(actor="tester"), new_source=SourceSpec(
        title="SYNTHETIC recordings", sensitivity=Sensitivity.PROTECTED))
    item_id = added.added[0][1]
    done = json.loads(_run(store, "evidence", "verify-capture", item_id[:12], "--place",
                           "SYNTHETIC ridge", "--method", "SYNTHETIC skyline match",
                           "--result", "consistent", "--actor", "geolocator", "--json"))
    assert (done["item_id"], done["place"], done["time"], done["result"]) == (
        item_id, "SYNTHETIC ridge", None, "consistent")
    text = _run(store, "evidence", "verify-capture", item_id, "--time", "1988-07-30",
                "--method", "SYNTHETIC shadows", "--result", "inconclusive")
    assert text.startswith("recorded ") and "'1988-07-30' inconclusive" in text
    custody = json.loads(_run(store, "evidence", "custody", item_id, "--json"))
    assert [(c["place"], c["time"], c["result"], c["method"])
            for c in custody["capture_verifications"]] == [
        ("SYNTHETIC ridge", None, "consistent", "SYNTHETIC skyline match"),
        (None, "1988-07-30", "inconclusive", "SYNTHETIC shadows")]
    shown = _run(store, "evidence", "custody", item_id)
    assert "SYNTHETIC ridge" in shown and "capture time and place verified" in shown
    # The command's error (the entry point prints it, exit 1), before anything is written.
    before = store.size()
    refused = CliRunner().invoke(app, ["--home", str(store.home.path), "evidence",
                                       "verify-capture", item_id, "--method", "SYNTHETIC",
                                       "--result", "consistent"])
    assert isinstance(refused.exception, ValidationError)
    assert "time, the place or both" in str(refused.exception) and store.size() == before
    wrong = _run(store, "evidence", "verify-capture", item_id, "--place", "x", "--method",
                 "m", "--result", "proven", code=2)
    assert "proven" in wrong


def test_custody_lists_the_stripped_copy_and_the_metadata_it_left_out(
        store: Store, tmp_path: Path) -> None:
    # Issue 12 item 16, as the command line shows it: `evidence custody` of a photo named
    # neither its metadata-stripped copy nor the camera and GPS that copy left out.
    photo = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x010F] = "SYNTHETICMAKE"  # Make
    exif[0x8825] = {1: "N", 2: (35.0, 47.0, 0.0), 3: "E", 4: (51.0, 23.0, 0.0)}  # GPS
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 200, 10)).save(out, format="JPEG", exif=exif)
    photo.write_bytes(out.getvalue())
    added = add_evidence(store, [photo], Receipt(actor="tester"), new_source=SourceSpec(
        title="SYNTHETIC photos", sensitivity=Sensitivity.RESTRICTED))
    item_id = added.added[0][1]
    custody = json.loads(_run(store, "evidence", "custody", item_id[:12], "--json"))
    (copy,) = custody["derivatives"]
    assert copy["derivation"] == "metadata_stripped" and copy["id"] != item_id
    assert custody["removed_metadata"]["Make"] == "SYNTHETICMAKE"
    assert custody["removed_metadata"]["GPS position"] == "35.7833333, 51.3833333"
    shown = " ".join(_run(store, "evidence", "custody", item_id).split())
    assert f"derivative {copy['id']} (metadata_stripped" in shown
    assert "metadata removed from the public copy (protected)" in shown
    assert "SYNTHETICMAKE" in shown
