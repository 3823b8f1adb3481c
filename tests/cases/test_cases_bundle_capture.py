"""Per exhibit, a court bundle says when and where it was captured, as its source claims
and as verifiers found (and how, and who), each proven by its ledger event; both
verifiers check every value against the proven event; a protected exhibit's place goes
only where the one disclosure rule lets the exhibit go, by a selective proof
(issue 16). Every name and place here is SYNTHETIC."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from case_world import World, murder_case, rebag, run_script
from sqlalchemy import ColumnElement, FromClause, bindparam

from dadkhahi.access import disclosure
from dadkhahi.access.disclosure import AudienceKind, Tier
from dadkhahi.cases.bundle import BundleResult, write_bundle
from dadkhahi.cases.bundle_capture import NOT_VERIFIED, NOTHING_CLAIMED
from dadkhahi.cases.bundle_verify import verify
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import (
    ActType,
    CaptureResult,
    InvolvementRole,
    Sensitivity,
)
from dadkhahi.facts.entities import Support, add_involvement, create_act, create_person
from dadkhahi.intake import testimonies
from dadkhahi.intake.capture_checks import verify_capture
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store

COURT = "SYNTHETIC Court of Capture"
CLAIMED_PLACE = "MRKCLAIMEDPLACEQ village"
VERIFIED_PLACE = "MRKVERIFIEDPLACEQ hillside"
TITLE = "MRKSOURCETITLEQ"


def _metas(folder: Path) -> dict[str, dict[str, Any]]:
    return {p.parent.name: json.loads(p.read_text("utf-8"))
            for p in sorted((folder / "data/exhibits").glob("*/exhibit.json"))}


def test_each_exhibit_says_its_capture_as_claimed_and_as_verified(world: World) -> None:
    folder = world.bundle.path
    metas = _metas(folder)
    verified = {n: m["capture"] for n, m in metas.items() if m["capture"]["verified"]}
    assert list(verified) == ["001"]
    capture = verified["001"]
    claimed = capture["claimed"]
    assert (claimed["time"], claimed["place"]) == ("2019-05-14",
                                                   "SYNTHETIC archive room, invented town")
    [found] = capture["verified"]
    assert found["verified_by"] == "analyst" and found["actor"] != "analyst"  # pseudonym
    assert {k: found[k] for k in ("result", "time", "place")} == {
        "result": "consistent", "time": "2019-05-14",
        "place": "SYNTHETIC archive room, invented town"}
    assert found["method"].startswith("SYNTHETIC: the archive's accession stamp")
    for index in (claimed["event"], found["event"]):
        assert (folder / f"data/proofs/{index}.json").is_file()
    # No verification recorded: null, and said in words; nor a claim.
    for number, meta in metas.items():
        if number != "001":
            assert meta["capture"]["verified"] is None
            assert meta["capture"]["verification"] == NOT_VERIFIED
            assert meta["capture"]["claimed"]["note"] == NOTHING_CLAIMED


def _forge(world: World, tmp_path: Path, old: str, new: str) -> Path:
    copy = tmp_path / "forged"
    shutil.copytree(world.bundle.path, copy)
    target = copy / "data/exhibits/001/exhibit.json"
    text = target.read_text("utf-8")
    assert old in text
    target.write_text(text.replace(old, new), "utf-8")
    rebag(copy)
    return copy


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('"place": "SYNTHETIC archive room, invented town",\n        "result"',
     '"place": "SYNTHETIC cellars room, invented town",\n        "result"',
     "data/exhibits/001/exhibit.json verification 1: place is not what the proven event"),
    ('"result": "consistent"', '"result": "inconclusi"',
     "data/exhibits/001/exhibit.json verification 1: result is not what the proven event"),
])
def test_a_forged_capture_is_caught_against_its_proven_event(
    world: World, tmp_path: Path, old: str, new: str, expected: str,
) -> None:
    """Both verifiers check each value shown against the proven event (beside the export
    event naming exhibit.json: a bundle exported with a wrong value would be caught too)."""
    copy = _forge(world, tmp_path, old, new)
    key = world.store.verifier_key()
    problems = verify(copy, key)
    assert "data/exhibits/001/exhibit.json: not the file the export event names " \
           "(exhibit-manifest.txt)" in problems
    assert any(p.startswith(expected) for p in problems), problems
    done = run_script(copy, key)
    assert done.returncode == 1 and expected in done.stdout, done.stdout


def test_a_claimed_place_that_is_not_the_registered_one_is_caught(world: World,
                                                                   tmp_path: Path) -> None:
    copy = _forge(world, tmp_path, '"place": "SYNTHETIC archive room, invented town",\n'
                  '      "received_at"', '"place": "SYNTHETIC cellars room, invented town",\n'
                  '      "received_at"')
    expected = "data/exhibits/001/exhibit.json: claimed capture place is not what the proven"
    assert any(p.startswith(expected) for p in verify(copy, world.store.verifier_key()))
    assert expected in run_script(copy, world.store.verifier_key()).stdout


@dataclass(frozen=True)
class Protected:
    store: Store
    bundle: BundleResult
    verification_event: int
    tmp: Path
    case_id: str


def _every_court_consents(table: FromClause, tier: Tier) -> ColumnElement[bool]:
    return bindparam(disclosure.AUDIENCE_KIND) == str(AudienceKind.COURT)


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Protected]:
    """A protected exhibit (its source claims a place, a verifier found another), bundled
    to a court under a consent rule that lets every protected object go to courts (the
    testimony package's own rule needs a testimony, whose source claims no place)."""
    mp = pytest.MonkeyPatch()
    mp.delenv(ENV_DATABASE_URL, raising=False)
    for table, rule in testimonies.CONSENT_RULES.items():
        disclosure.unregister_consent(table, rule)
    for table in disclosure.GOVERNED_TABLES:
        disclosure.register_consent(table, _every_court_consents)
    tmp = tmp_path_factory.mktemp("capture")
    store = Store.init(Home(tmp / "home"), "cases.test/capture", "tester")
    photo = tmp / "photo.txt"
    photo.write_text("SYNTHETIC protected recording.\n")
    added = add_evidence(store, [photo], Receipt(actor="tester"), new_source=SourceSpec(
        title=TITLE, sensitivity=Sensitivity.PROTECTED, collected_at="2021-03-02",
        location=CLAIMED_PLACE))
    assert added.source_id is not None
    item = added.added[0][1]
    done = verify_capture(store, "geolocator", item, method="SYNTHETIC skyline match",
                          result=CaptureResult.INCONSISTENT, place=VERIFIED_PLACE)
    with store.transaction("analyst") as tx:
        suspect = create_person(tx, "SYNTHETIC Official Tav", synthetic=True)
        act = create_act(tx, ActType.EXECUTION, description="SYNTHETIC act")
        named = add_involvement(tx, act, InvolvementRole.SIGNED, person_id=suspect,
                                support=[Support(added.source_id, item_id=item)])
    case_id = murder_case(store, "SYNTHETIC capture case", suspect, act, "1",
                          ("involvement", named), "SYNTHETIC")
    bundle = write_bundle(store, "lawyer", case_id, tmp / "bundle", recipient=COURT)
    try:
        yield Protected(store, bundle, done["event"], tmp, case_id)
    finally:
        for table in disclosure.GOVERNED_TABLES:
            disclosure.unregister_consent(table, _every_court_consents)
        for table, rule in testimonies.CONSENT_RULES.items():
            disclosure.register_consent(table, rule)
        store.engine.dispose()
        mp.undo()


def test_a_protected_exhibits_places_are_disclosed_by_selective_proofs(
    protected: Protected,
) -> None:
    folder = protected.bundle.path
    assert protected.bundle.exhibits == 1 and protected.bundle.withheld == 0
    key = protected.store.verifier_key()
    assert verify(folder, key) == []
    done = run_script(folder, key)
    assert done.returncode == 0, done.stdout
    capture = _metas(folder)["001"]["capture"]
    assert capture["claimed"]["place"] == CLAIMED_PLACE
    assert capture["claimed"]["time"] == "2021-03-02"
    assert [(v["place"], v["result"], v["verified_by"]) for v in capture["verified"]] == [
        (VERIFIED_PLACE, "inconsistent", "geolocator")]
    # Each place is in the ledger only sealed: the bundle discloses it with its salt, proven
    # against the commitment its event carries; nothing else of the source goes.
    proof = json.loads((folder / f"data/proofs/{protected.verification_event}.json").read_text())
    assert proof["format"] == "dadkhahi-selective-proof/v1"
    assert VERIFIED_PLACE in json.dumps(proof["fields"], ensure_ascii=False)
    assert VERIFIED_PLACE not in proof["inclusion"]["event"]
    claimed = json.loads((folder / f"data/proofs/{capture['claimed']['event']}.json"
                          ).read_text())
    assert sorted(json.loads(f["disclosure"])[1] for f in claimed["fields"]) == [
        "collected_at", "location"]
    everything = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert TITLE.encode() not in everything


def test_a_forged_disclosed_place_is_caught_by_its_commitment(protected: Protected,
                                                               tmp_path: Path) -> None:
    copy = tmp_path / "forged"
    shutil.copytree(protected.bundle.path, copy)
    proof = copy / f"data/proofs/{protected.verification_event}.json"
    proof.write_text(proof.read_text().replace("MRKVERIFIEDPLACEQ", "MRKVERIFIEDPLACEX"))
    expected = (f"data/proofs/{protected.verification_event}.json: the event: field place: "
                "the disclosed value does not match its commitment")
    key = protected.store.verifier_key()
    assert expected in verify(copy, key)
    assert expected in run_script(copy, key).stdout


def test_no_place_goes_where_the_exhibit_may_not(protected: Protected) -> None:
    """Without the consent rule, the protected exhibit stays home, and so do both places;
    in the home they are sealed (no clear column, event field or file)."""
    store = protected.store
    for table in disclosure.GOVERNED_TABLES:
        disclosure.unregister_consent(table, _every_court_consents)
    try:
        other = write_bundle(store, "lawyer", protected.case_id, protected.tmp / "other",
                             recipient="SYNTHETIC Other Court")
    finally:
        for table in disclosure.GOVERNED_TABLES:
            disclosure.register_consent(table, _every_court_consents)
    assert other.withheld == 1 and other.exhibits == 0
    everything = b"".join(p.read_bytes() for p in other.path.rglob("*") if p.is_file())
    home = b"".join(p.read_bytes() for p in store.home.path.rglob("*") if p.is_file())
    for marker in (b"MRKCLAIMEDPLACEQ", b"MRKVERIFIEDPLACEQ"):
        assert marker not in everything and marker not in home
