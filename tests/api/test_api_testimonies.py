"""Testimonies over HTTP: recorded, shown only as the one disclosure rule lets the source
go to the caller (404 otherwise, the protected read audited), consent per recipient,
segments and translations; the witness's name never in a URL or a response to others."""

from __future__ import annotations

import pytest
from api_world import World
from sqlalchemy import select

from dadkhahi.store import schema as s

WITNESS = "SYNTHETICWITNESSAPIQX"


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world


def _h(world: World, who: str) -> dict[str, str]:
    return world.headers(who)


def test_a_testimony_through_the_api(world: World) -> None:
    made = world.client.post("/api/testimonies", headers=_h(world, "investigator_g"), json={
        "title": "SYNTHETIC interview", "witness_name": WITNESS, "language": "fa"})
    assert made.status_code == 201, made.text
    tid = made.json()["testimony_id"]
    assert WITNESS not in made.text and made.json()["pseudonym"].startswith("W-")
    # Viewers, anonymous visitors and team members without a grant: not found.
    for who in ("anonymous", "viewer_g", "researcher", "admin"):
        if who in world.user_ids or who == "anonymous":
            got = world.client.get(f"/api/testimonies/{tid}", headers=_h(world, who))
            assert got.status_code == 404 and WITNESS not in got.text, (who, got.text)
    segs = world.client.post(f"/api/testimonies/{tid}/segments",
                             headers=_h(world, "investigator_g"), json={"segments": [
                                 {"text": "SYNTHETIC I saw it.", "knowledge": "direct"},
                                 {"text": "SYNTHETIC I was told.", "knowledge": "hearsay",
                                  "start": 3.5}]})
    assert segs.status_code == 200, segs.text
    first = segs.json()["segment_ids"][0]
    bad = world.client.post(f"/api/testimonies/{tid}/segments",
                            headers=_h(world, "investigator_g"),
                            json={"segments": [{"text": "x", "knowledge": "maybe"}]})
    assert bad.status_code == 422 and "segment 1" in bad.text
    tr = world.client.post(f"/api/testimonies/{tid}/segments/{first}/translations",
                           headers=_h(world, "investigator_g"),
                           json={"language": "en", "text": "SYNTHETIC translation"})
    assert tr.status_code == 200, tr.text
    consent = world.client.post(f"/api/testimonies/{tid}/consents",
                                headers=_h(world, "investigator_g"), json={
                                    "recipient_kind": "court", "recipient": "SYNTHETIC court",
                                    "status": "given", "how": "signed form"})
    assert consent.status_code == 200, consent.text
    # A lawyer may read (with the grant) but not add evidence.
    lawyer = world.client.post(f"/api/testimonies/{tid}/consents",
                               headers=_h(world, "lawyer_g"), json={
                                   "recipient_kind": "public", "status": "refused"})
    assert lawyer.status_code in (403, 404)
    shown = world.client.get(f"/api/testimonies/{tid}", headers=_h(world, "investigator_g"))
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["witness_name"] == WITNESS and body["sensitivity"] == "protected"
    assert [g["knowledge"] for g in body["segments"]] == ["direct", "hearsay"]
    assert body["segments"][0]["text"] == "SYNTHETIC I saw it."
    assert body["segments"][0]["translations"][0]["text"] == "SYNTHETIC translation"
    assert [(c["recipient_kind"], c["status"]) for c in body["consents"]] == [
        ("court", "given")]
    with world.store.reading() as conn:
        audited = set(conn.execute(select(s.audit_reads.c.object_id).where(
            s.audit_reads.c.user_id == world.user_ids["investigator_g"])).scalars())
    assert tid in audited


def test_the_list_holds_only_testimonies_disclosed_to_the_caller(world: World) -> None:
    hidden = world.client.post("/api/testimonies", headers=_h(world, "investigator_g"), json={
        "title": "SYNTHETIC listed interview", "witness_name": WITNESS,
        "interview_date": "SYNTHETIC-1399-LISTED"}).json()["testimony_id"]
    shown = world.client.post("/api/testimonies", headers=_h(world, "investigator_g"), json={
        "title": "SYNTHETIC open interview", "sensitivity": "public"}).json()["testimony_id"]

    def listed(who: str) -> dict[str, dict[str, object]]:
        got = world.client.get("/api/testimonies", headers=_h(world, who))
        assert got.status_code == 200, got.text
        assert WITNESS not in got.text
        return {str(t["id"]): t for t in got.json()["testimonies"]}

    mine = listed("investigator_g")
    assert mine[hidden]["interview_date"] == "SYNTHETIC-1399-LISTED"
    assert mine[hidden]["sensitivity"] == "protected" and shown in mine
    for who in ("anonymous", "viewer_g", "researcher", "admin"):
        theirs = listed(who)
        assert hidden not in theirs and shown in theirs, who
    with world.store.reading() as conn:
        actions = set(conn.execute(select(s.audit_reads.c.action).where(
            s.audit_reads.c.user_id == world.user_ids["investigator_g"],
            s.audit_reads.c.object_id == hidden)).scalars())
    assert "testimonies" in actions
