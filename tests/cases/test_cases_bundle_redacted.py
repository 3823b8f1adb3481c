"""A redacted copy released at a lower sensitivity than its original, by an explicit and
recorded decision of a grant holder who may see both, goes into a court bundle where its
original may not: the bundle carries the copy (never the original, its words or its
testimony's marks), and the one disclosure rule still withholds the original.
Every name here is SYNTHETIC."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from case_world import rebag, run_script
from sqlalchemy import select

from dadkhahi.access.disclosure import Audience, AudienceKind, may_disclose
from dadkhahi.access.grants import grant
from dadkhahi.access.policy import ForbiddenError, Principal
from dadkhahi.access.users import add_user
from dadkhahi.cases.bundle import write_bundle
from dadkhahi.cases.bundle_verify import verify
from dadkhahi.demo.case import build_demo_case
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.vocab import PlaceKind, Role, Sensitivity
from dadkhahi.facts.entities import create_place
from dadkhahi.intake.capture_checks import verify_capture
from dadkhahi.intake.redactions import redact_item
from dadkhahi.services.redactions import release_for
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

COURT = "SYNTHETIC Court of Demo"
PASSWORD = "SYNTHETIC correct horse battery staple"
REASON = "SYNTHETICRELEASEREASONQX: the survivor's words removed"
VERIFIED_PLACE = "SYNTHETICVERIFIEDPLACEQX"


def _user(store: Store, name: str, role: Role, scope: str | None) -> Principal:
    uid = add_user(store, name, role, PASSWORD, "tester")
    if scope is not None:
        grant(store, scope, uid, "tester")
    return Principal(user_id=uid, username=name, role=role)


def _everything(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_a_released_redacted_copy_goes_where_its_original_may_not(
    store: Store, tmp_path: Path,
) -> None:
    with store.transaction("tester") as tx:
        evin = create_place(tx, "Evin Prison", PlaceKind.PRISON)
    demo = build_demo_case(store, "analyst", evin)
    with store.reading() as conn:
        original = dict(conn.execute(select(s.items).where(
            s.items.c.sensitivity == "protected", s.items.c.derived_from.is_(None))
        ).mappings().one())
    source = str(original["source_id"])
    copy = redact_item(store, str(original["id"]), "investigator", reason="SYNTHETIC",
                       texts=["invented survivor"])["redacted_item_id"]
    # Where and when the original was made, as a verifier found it: the original's.
    verify_capture(store, "analyst", str(original["id"]), method="SYNTHETIC shadows",
                   result="consistent", place=VERIFIED_PLACE)
    # As made, the copy is as protected as its original: both stay home.
    before = write_bundle(store, "lawyer", demo.case_id, tmp_path / "before",
                          recipient=COURT)
    assert before.withheld == 1

    holder = _user(store, "admin_g", Role.ADMIN, source)
    with pytest.raises(NotFoundError):  # may not see the original: "not found"
        release_for(store, _user(store, "admin", Role.ADMIN, None), copy,
                    sensitivity=Sensitivity.RESTRICTED, reason=REASON)
    with pytest.raises(ForbiddenError):  # sees both, but may not grant
        release_for(store, _user(store, "investigator_g", Role.INVESTIGATOR, source), copy,
                    sensitivity=Sensitivity.RESTRICTED, reason=REASON)
    with pytest.raises(ValidationError, match="only a redacted copy"):
        release_for(store, holder, str(original["id"]), sensitivity=Sensitivity.RESTRICTED,
                    reason=REASON)
    with pytest.raises(ValidationError, match="lowers it"):
        release_for(store, holder, copy, sensitivity=Sensitivity.PROTECTED, reason=REASON)
    done = release_for(store, holder, copy, sensitivity=Sensitivity.RESTRICTED,
                       reason=REASON)
    assert (done["previous"], done["sensitivity"]) == ("protected", "restricted")

    with store.reading() as conn:
        court = Audience.outside(AudienceKind.COURT, COURT, [source])
        team = Audience.user("usr_SYNTHETIC", team=True)
        for audience in (court, team):
            assert may_disclose(conn, ("item", copy), audience)
            assert not may_disclose(conn, ("item", str(original["id"])), audience)
            assert not may_disclose(conn, ("source", source), audience)
        event = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.type == "item.released")).scalar_one()
        bodies = b"".join(conn.execute(select(s.ledger_events.c.body)).scalars())
    assert json.loads(event)["data"]["item_id"] == copy
    assert REASON.encode() not in bodies  # the reason is sealed

    after = write_bundle(store, "lawyer", demo.case_id, tmp_path / "after", recipient=COURT)
    assert after.withheld == 0 and after.exhibits == before.exhibits + 1
    assert verify(after.path, store.verifier_key()) == []
    folder = after.path / "data" / "exhibits" / "002"
    meta = json.loads((folder / "exhibit.json").read_text("utf-8"))
    assert [f["item_id"] for f in meta["files"]] == [copy]
    assert meta["direct_or_hearsay"].startswith("not shown")
    # Nor where the testimony was taken, as claimed or as verified: the copy goes alone.
    assert meta["capture"]["verified"] is None and meta["capture"]["claimed"]["place"] is None
    assert meta["capture"]["verification"].startswith("not shown")
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 2 and names[0].startswith("derivative-redacted-"), names
    everything = _everything(after.path)
    assert b"[redacted] describes" in everything  # the copy's words
    for secret in (b"invented survivor", b"T-2", b"testimony-t2",
                   b"SYNTHETIC custodian of testimony", f"original-{original['sha256'][:12]}"
                   .encode(), VERIFIED_PLACE.encode(), b"SYNTHETIC interview room"):
        assert secret not in everything, secret
    # Who cut the excerpt, in exhibit.json (not only on its custody line), checked by both
    # verifiers against the custody event that made it and the custodian its line names.
    [cut] = [f["cut_by"] for f in meta["files"]]
    assert cut["name"] == "investigator" and cut["actor"] != "investigator"
    line = next(json.loads(x) for x in (after.path / "data/custody/002.jsonl").read_text()
                .splitlines() if json.loads(x)["index"] == cut["custody_event"])
    assert json.loads(line["event"])["data"]["action"] == "derived"
    assert line["custodian"] == "investigator"
    forged = tmp_path / "forged"
    shutil.copytree(after.path, forged)
    described = forged / "data/exhibits/002/exhibit.json"
    described.write_text(described.read_text("utf-8").replace(
        '"name": "investigator"', '"name": "investigatoX"'), "utf-8")
    rebag(forged)
    expected = ("data/exhibits/002/" + meta["files"][0]["path"]
                + " cut_by: names 'investigatoX', the custody line of event "
                + f"{cut['custody_event']} 'investigator'")
    assert expected in verify(forged, store.verifier_key())
    done = run_script(forged, store.verifier_key())
    assert done.returncode == 1 and expected in done.stdout, done.stdout
