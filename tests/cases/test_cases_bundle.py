"""The court bundle: it verifies with both verifiers and with bagit; a flipped byte in any
kind of file is caught by both, naming the file; withheld items name no one."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import shutil
import subprocess
from pathlib import Path

import bagit
import pytest
from case_world import World, rebag, run_script
from sqlalchemy import select
from typer.testing import CliRunner

from dadkhahi.cases.bundle import verifier_script, write_bundle
from dadkhahi.cases.bundle_verify import verify
from dadkhahi.cli.main import app
from dadkhahi.domain.errors import UserError
from dadkhahi.store import schema as s


def test_bundle_verifies_three_ways(world: World) -> None:
    folder, key = world.bundle.path, world.store.verifier_key()
    assert verify(folder, key) == []
    done = run_script(folder, key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK")
    bagit.Bag(str(folder)).validate()  # an independent implementation agrees
    assert (folder / "bagit.txt").read_text() == (
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    # Another key (a forger's) does not verify it.
    other = "other.example/log+0f2a3c4d+AeqqWNnVwGVmMUnT7DfA2ktF8y3wFSsDCrxgDv2TbvoN"
    assert verify(folder, other)


def test_layout_withheld_and_custody(world: World) -> None:
    folder = world.bundle.path
    assert world.bundle.exhibits == 4 and world.bundle.withheld == 1
    assert sorted(p.name for p in (folder / "data" / "exhibits").iterdir()) == [
        "001", "003", "004", "005"]
    withheld = (folder / "data" / "withheld.csv").read_text()
    assert withheld.splitlines() == [
        "exhibit,reason",
        "002,protected material: no recorded consent of the witness for this recipient"]
    everything = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    # Nothing of the withheld testimony: not its text, its title, its file name.
    for secret in (b"invented survivor describes", b"T-2", b"testimony-t2"):
        assert secret not in everything
    # The exculpatory exhibit is marked so.
    assert b'"direction": "exculpatory"' in (folder / "data/exhibits/005/exhibit.json"
                                            ).read_bytes()
    text = (folder / "VERIFY.txt").read_text()
    assert "INDEPENDENTLY" in text and "bagit.py --validate" in text
    assert "No conformance with the ICC's e-Court protocol" in text
    assert hashlib.sha256((folder / "verify_bundle.py").read_bytes()).hexdigest() in text
    assert (folder / "verify_bundle.py").read_text() == verifier_script()
    # Every exported file has a custody event "transferred", the recipient sealed in it
    # and disclosed, proven, on the bundle's custody line.
    with world.store.reading() as conn:
        c = s.custody.c
        hows = conn.execute(select(c.how).where(c.action == "transferred")).scalars().all()
    assert len(hows) == world.bundle.files - _non_exhibit_files(folder)
    assert not any("SYNTHETIC Court of Demo" in h for h in hows)
    lines = [json.loads(x) for p in (folder / "data/custody").glob("*.jsonl")
             for x in p.read_text().splitlines()]
    transfers = [x for x in lines if json.loads(x["event"])["data"]["action"] == "transferred"]
    assert len(transfers) == len(hows)
    assert all("SYNTHETIC Court of Demo" in x["disclosed"]["how"] for x in transfers)
    # Custodians are named in a court bundle (the ledger holds pseudonyms).
    lines = [json.loads(x) for x in (folder / "data/custody/001.jsonl").read_text().splitlines()]
    assert [x["custodian"] for x in lines] == ["analyst", "lawyer"]


def _non_exhibit_files(folder: Path) -> int:
    data = folder / "data"
    return sum(1 for p in data.rglob("*") if p.is_file()
               and ("exhibits" not in p.parts or p.name == "exhibit.json"))


def _kinds(folder: Path) -> dict[str, Path]:
    """One file of every kind in the bundle."""
    data = folder / "data"
    originals = sorted((data / "exhibits" / "001").glob("original-*"))
    kinds = {
        "exhibit file": originals[0],
        "exhibit.json": data / "exhibits" / "001" / "exhibit.json",
        "custody": data / "custody" / "001.jsonl",
        "proof": sorted((data / "proofs").glob("*.json"))[0],
        "checkpoint": data / "checkpoint.txt",
    }
    # The proofs of exhibit 001's capture: its source's claim and its verification.
    capture = json.loads(kinds["exhibit.json"].read_text("utf-8"))["capture"]
    kinds["claimed capture proof"] = data / "proofs" / f"{capture['claimed']['event']}.json"
    kinds["capture verification proof"] = (
        data / "proofs" / f"{capture['verified'][0]['event']}.json")
    for name in ("matrix.csv", "matrix.json", "withheld.csv", "report.html", "report.pdf",
                 "exhibit-manifest.txt"):
        kinds[name] = data / name
    for name in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt",
                 "tagmanifest-sha256.txt", "tagmanifest-sha512.txt", "VERIFY.txt",
                 "verify_bundle.py"):
        kinds[name] = folder / name
    return kinds


def test_a_flipped_byte_in_every_kind_of_file_is_caught_by_both(world: World,
                                                                 tmp_path: Path) -> None:
    key = world.store.verifier_key()
    pristine = tmp_path / "pristine-verify_bundle.py"
    shutil.copy(world.bundle.path / "verify_bundle.py", pristine)
    for kind, original in _kinds(world.bundle.path).items():
        copy = tmp_path / ("bag-" + kind.replace(" ", "_"))
        shutil.copytree(world.bundle.path, copy)
        target = copy / original.relative_to(world.bundle.path)
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        rel = target.relative_to(copy).as_posix()
        problems = verify(copy, key)
        assert any(p.startswith(rel) or rel in p for p in problems), (kind, problems)
        # The court runs the script it checked against the published hash, not the copy's.
        done = run_script(copy, key, pristine)
        assert done.returncode == 1, (kind, done.stdout, done.stderr)
        assert rel in done.stdout, (kind, done.stdout)


def test_a_proof_that_does_not_lead_to_the_root_is_named(world: World, tmp_path: Path) -> None:
    # A forger who also fixes the manifests is still caught by the proofs and the signature.
    copy = tmp_path / "forged"
    shutil.copytree(world.bundle.path, copy)
    proof = sorted((copy / "data" / "proofs").glob("*.json"))[0]
    text = proof.read_text()
    first = text.index('"inclusion": [') + len('"inclusion": [') + 6
    digit = "0" if text[first + 1] != "0" else "1"
    proof.write_text(text[:first + 1] + digit + text[first + 2:])
    rebag(copy)
    problems = verify(copy, world.store.verifier_key())
    rel = proof.relative_to(copy).as_posix()
    assert problems[0] == f"{rel}: inclusion proof does not lead to the checkpoint's root"
    # What rested on that event is named too (a custody line, an exhibit, the export).
    assert all("is not among the proven events" in p for p in problems[1:])


@pytest.mark.parametrize(("rel", "old", "new"), [
    # The custodian named beside a proven custody event (the event holds a pseudonym).
    ("data/custody/001.jsonl", '"custodian": "lawyer"', '"custodian": "forger"'),
    # The exculpatory exhibit described as incriminating.
    ("data/exhibits/005/exhibit.json", '"direction": "exculpatory"',
     '"direction": "inculpatory"'),
])
def test_a_rebagged_custody_log_or_exhibit_description_is_caught_by_both(
    world: World, tmp_path: Path, rel: str, old: str, new: str,
) -> None:
    """A forger who also rebuilds the bag's manifests (they are not signed) is caught: the
    export event names every custody log and exhibit.json (through exhibit-manifest.txt).
    Fails before: both verifiers said OK."""
    copy = tmp_path / "forged"
    shutil.copytree(world.bundle.path, copy)
    target = copy / rel
    text = target.read_text("utf-8")
    assert old in text
    target.write_text(text.replace(old, new), "utf-8")  # same length: Payload-Oxum holds
    rebag(copy)
    expected = f"{rel}: not the file the export event names (exhibit-manifest.txt)"
    assert expected in verify(copy, world.store.verifier_key())
    done = run_script(copy, world.store.verifier_key())
    assert done.returncode == 1 and expected in done.stdout, done.stdout


def test_bundle_refuses_an_existing_folder_and_writes_nothing(world: World,
                                                               tmp_path: Path) -> None:
    before = world.store.size()
    with pytest.raises(UserError, match="already exists"):
        write_bundle(world.store, "x", world.demo.case_id, tmp_path, recipient="R")
    with pytest.raises(UserError, match="recipient"):
        write_bundle(world.store, "x", world.demo.case_id, tmp_path / "new", recipient=" ")
    assert world.store.size() == before and not (tmp_path / "new").exists()


def test_each_release_publishes_the_sha256_of_the_script_its_bundles_carry(
    world: World, tmp_path: Path,
) -> None:
    """``dadkhahi bundle verifier --sha256`` prints what VERIFY.txt (step 2) tells a court's
    technician to check the bundle's script against, from outside the bundle; ``--out``
    writes it (or the script itself) for the release's page, checkable by sha256sum -c."""
    carried = (world.bundle.path / "verify_bundle.py").read_bytes()
    digest = hashlib.sha256(carried).hexdigest()
    runner = CliRunner()
    shown = runner.invoke(app, ["bundle", "verifier", "--sha256"])
    assert shown.exit_code == 0 and shown.output == f"{digest}  verify_bundle.py\n"
    sums, script = tmp_path / "verify_bundle.py.sha256", tmp_path / "verify_bundle.py"
    assert runner.invoke(app, ["bundle", "verifier", "--sha256", "--out", str(sums)]
                         ).exit_code == 0
    assert runner.invoke(app, ["bundle", "verifier", "--out", str(script)]).exit_code == 0
    assert script.read_bytes() == carried
    checked = subprocess.run(["sha256sum", "-c", sums.name], cwd=tmp_path, check=False,
                             capture_output=True, text=True)
    assert checked.returncode == 0 and "verify_bundle.py: OK" in checked.stdout
    text = (world.bundle.path / "VERIFY.txt").read_text("utf-8")
    assert "dadkhahi bundle verifier --sha256" in text
    assert f"Dadkhahi {importlib.metadata.version('dadkhahi')}" in text


def test_an_exhibit_swapped_under_a_proof_marked_redacted_is_caught_by_both(
        world: World, tmp_path: Path) -> None:
    """A forger who swaps an exhibit file rewrites the hash its proven ``item.added``
    event holds and marks that event "redacted" (a top-level ``redacted`` member, the
    ledger's stored leaf kept as ``leaf_hash``): a redacted body is not what its leaf
    proves, yet both verifiers read its data as proven, so the swapped file passed as the
    intake hash in the ledger (attack35b). Only the leaf of a redacted event is proven:
    nothing may rest on what it says. Fails before: both said OK."""
    copy = tmp_path / "forged"
    shutil.copytree(world.bundle.path, copy)
    meta = json.loads((copy / "data/exhibits/001/exhibit.json").read_text("utf-8"))
    entry = meta["files"][0]
    exhibit = copy / "data/exhibits/001" / entry["path"]
    content = bytearray(exhibit.read_bytes())
    content[0] ^= 1
    exhibit.write_bytes(bytes(content))
    proof_path = copy / "data/proofs" / f"{entry['item_event']}.json"
    proof = json.loads(proof_path.read_text("utf-8"))
    event = json.loads(proof["event"])
    event["data"]["sha256"] = hashlib.sha256(bytes(content)).hexdigest()
    event["redacted"] = {"by": proof["tree_size"] - 1, "fields": [], "reason": "source-erased"}
    proof["event"] = json.dumps(event, separators=(",", ":"), sort_keys=True)
    proof_path.write_text(json.dumps(proof), "utf-8")
    payload = [p for p in (copy / "data").rglob("*") if p.is_file()]
    info = (copy / "bag-info.txt").read_text("utf-8").splitlines()
    (copy / "bag-info.txt").write_text("".join(
        (f"Payload-Oxum: {sum(p.stat().st_size for p in payload)}.{len(payload)}"
         if line.startswith("Payload-Oxum:") else line) + "\n" for line in info), "utf-8")
    rebag(copy)
    expected = (f"data/exhibits/001/{entry['path']}: event {entry['item_event']} is redacted: "
                "only its leaf is proven, not what it says")
    problems = verify(copy, world.store.verifier_key())
    assert expected in problems, problems
    done = run_script(copy, world.store.verifier_key())
    assert done.returncode == 1 and expected in done.stdout, done.stdout
