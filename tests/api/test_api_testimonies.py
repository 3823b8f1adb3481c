"""Testimonies over HTTP: recorded, shown only as the one disclosure rule lets the source
go to the caller (404 otherwise, the protected read audited), consent per recipient,
segments and translations; the witness's name never in a URL or a response to others."""

from __future__ import annotations

import json

import pytest
from api_world import World
from sqlalchemy import select

from dadkhahi.store import schema as s
from dadkhahi.store.actors import pseudonym_in

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
        return {str(t["id"]): t for t in got.json()["data"]}

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


def test_the_list_is_paged_by_sealed_cursors_as_every_list_is(world: World) -> None:
    """``GET /api/testimonies`` answers the one page shape (``data``, ``next_cursor``,
    ``total``) and pages by key as every list does, not by offset: a walk one at a time
    meets each testimony once in the stored order, and no cursor carries a value of the
    row it ends on (the sort's own, here the pseudonym), a date or the witness's name."""
    import base64
    import re

    mine = _h(world, "investigator_g")
    for n in range(3):
        assert world.client.post("/api/testimonies", headers=mine, json={
            "title": f"SYNTHETIC paged interview {n}", "witness_name": WITNESS,
            "interview_date": f"SYNTHETIC-1399-PAGED-{n}"}).status_code == 201
    whole = world.client.get("/api/testimonies?sort=pseudonym&limit=500", headers=mine)
    assert whole.status_code == 200, whole.text
    assert set(whole.json()) == {"data", "next_cursor", "total"}
    everything = whole.json()["data"]
    assert whole.json()["next_cursor"] is None and len(everything) >= 3
    secrets = {WITNESS.encode(), b"SYNTHETIC", b"1399"} | {
        str(t["pseudonym"]).encode() for t in everything}
    seen: list[str] = []
    cursor = None
    for _ in range(len(everything) + 1):
        asked = "/api/testimonies?sort=pseudonym&limit=1" + (f"&cursor={cursor}" if cursor
                                                               else "")
        page = world.client.get(asked, headers=mine)
        assert page.status_code == 200, page.text
        seen += [str(t["id"]) for t in page.json()["data"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
        assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
        opened = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        for secret in secrets:
            assert secret not in opened, (secret, cursor)
    assert seen == [str(t["id"]) for t in everything]  # each once, in order, none skipped
    # A cursor is its list's and order's: another order refuses it; an offset is no page.
    first = world.client.get("/api/testimonies?sort=pseudonym&limit=1", headers=mine).json()
    other = world.client.get(f"/api/testimonies?sort=-pseudonym&limit=1&cursor="
                             f"{first['next_cursor']}", headers=mine)
    assert other.status_code == 422
    assert world.client.get("/api/testimonies?sort=title", headers=mine).status_code == 422
    offset = world.client.get("/api/testimonies?sort=pseudonym&limit=1&offset=1",
                              headers=mine).json()
    assert offset["data"] == first["data"]


def test_a_passage_is_found_by_post_api_search_only_by_who_may_see_it(world: World) -> None:
    """``POST /api/search`` finds a protected testimony's segment, with its time code and
    language, for the holder of the grant (audited), and for nobody else: no hit, no
    snippet, the word nowhere in the answer."""
    made = world.client.post("/api/testimonies", headers=_h(world, "investigator_g"), json={
        "title": "SYNTHETIC searched interview", "language": "fa"}).json()
    tid = made["testimony_id"]
    segs = world.client.post(f"/api/testimonies/{tid}/segments",
                             headers=_h(world, "investigator_g"), json={"segments": [
                                 {"text": "SYNTHETIC qzsearchapi in the yard.",
                                  "knowledge": "direct", "start": 61.5, "end": 70}]})
    assert segs.status_code == 200, segs.text
    found = world.client.post("/api/search", headers=_h(world, "investigator_g"),
                              json={"q": "qzsearchapi"})
    assert found.status_code == 200, found.text
    [hit] = found.json()["hits"]
    assert hit["item_id"] is None and hit["page"] is None
    assert hit["passage"] == {"testimony_id": tid, "segment_id": segs.json()["segment_ids"][0],
                              "translation_id": None, "seq": 0, "start": 61.5,
                              "end": 70.0, "language": "fa"}
    assert hit["snippet"] == "SYNTHETIC qzsearchapi in the yard."
    # Narrowed in the body: to its source, to passages; to documents only, nothing.
    for narrowed, hits in (({"sources": [made["source_id"]]}, 1), ({"kind": "testimony"}, 1),
                           ({"kind": "document"}, 0), ({"sources": ["src_other"]}, 0)):
        got = world.client.post("/api/search", headers=_h(world, "investigator_g"),
                                json={"q": "qzsearchapi", **narrowed})
        assert got.status_code == 200 and len(got.json()["hits"]) == hits, (narrowed, got.text)
    bad = world.client.post("/api/search", headers=_h(world, "investigator_g"),
                            json={"q": "qzsearchapi", "kind": "letters"})
    assert bad.status_code == 422 and "kind" in bad.text
    for who in ("anonymous", "viewer_g", "researcher", "admin"):
        got = world.client.post("/api/search", headers=_h(world, who),
                                json={"q": "qzsearchapi"})
        assert got.status_code == 200 and got.json()["hits"] == [], (who, got.text)
        assert "qzsearchapi" not in got.text.replace('"query":"qzsearchapi"', ""), who
    with world.store.reading() as conn:
        actions = set(conn.execute(select(s.audit_reads.c.action).where(
            s.audit_reads.c.user_id == world.user_ids["investigator_g"],
            s.audit_reads.c.object_id == tid)).scalars())
    assert "search" in actions


MISSING = "tst_00000000000000000000"
PLACE = "SYNTHETICPLACEAPIQX"


def test_the_interview_is_changed_through_the_api(world: World) -> None:
    """``PATCH /api/testimonies/{id}``: the fields sent change, as one sealed event under
    the caller; If-Match required and checked; "not found" alike for a missing testimony
    and one not disclosed to the caller; a role that may not add evidence refused."""
    mine = _h(world, "investigator_g")
    tid = world.client.post("/api/testimonies", headers=mine, json={
        "title": "SYNTHETIC interview", "witness_name": WITNESS,
        "interviewer": "SYNTHETIC first interviewer", "language": "fa"}).json()["testimony_id"]
    read = world.client.get(f"/api/testimonies/{tid}", headers=mine)
    version = read.headers["ETag"]
    assert version == f'"{read.json()["version"]}"'
    change = {"interview_place": PLACE, "interviewer": None,
              "others_present": ["SYNTHETIC aunt"]}
    url = f"/api/testimonies/{tid}"
    assert world.client.patch(url, headers=mine, json=change).status_code == 428
    for who in ("admin", "researcher", "viewer_g", "lawyer_g", "anonymous"):
        hidden = world.client.patch(url, json=change,
                                    headers={**_h(world, who), "If-Match": version})
        gone = world.client.patch(f"/api/testimonies/{MISSING}", json=change,
                                  headers={**_h(world, who), "If-Match": version})
        assert hidden.status_code == gone.status_code == 404, (who, hidden.text)
        assert hidden.text == gone.text.replace(MISSING, tid)
    public = world.client.post("/api/testimonies", headers=mine, json={
        "title": "SYNTHETIC open interview", "sensitivity": "public"}).json()["testimony_id"]
    seen = world.client.get(f"/api/testimonies/{public}", headers=_h(world, "lawyer_g"))
    refused = world.client.patch(f"/api/testimonies/{public}", json=change, headers={
        **_h(world, "lawyer_g"), "If-Match": seen.headers["ETag"]})
    assert refused.status_code == 403, refused.text
    assert world.client.patch(url, json={"witness_name": "x"}, headers={
        **mine, "If-Match": version}).status_code == 422
    assert world.client.patch(url, json=change, headers={
        **mine, "If-Match": '"1"'}).status_code == 412
    done = world.client.patch(url, json=change, headers={**mine, "If-Match": version})
    assert done.status_code == 200, done.text
    assert done.json()["changed"] == ["interview_place", "interviewer", "others_present"]
    assert done.headers["ETag"] == f'"{done.json()["version"]}"' != version
    shown = world.client.get(url, headers=mine).json()
    assert shown["interview_place"] == PLACE and shown["interviewer"] is None
    assert shown["others_present"] == ["SYNTHETIC aunt"] and shown["witness_name"] == WITNESS
    assert world.client.patch(url, json={"language": "en"}, headers={
        **mine, "If-Match": version}).status_code == 412  # read before the change
    with world.store.reading() as conn:
        body = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.idx == done.json()["version"])).scalar_one()
        row = conn.execute(select(s.testimonies).where(
            s.testimonies.c.id == tid)).mappings().one()
    event = json.loads(body)
    assert event["type"] == "testimony.interview_changed"
    with world.store.reading() as conn:  # a user's pseudonym is keyed on their account
        assert event["actor"] == pseudonym_in(conn, world.store.keys, "investigator_g")
    assert PLACE.encode() not in bytes(body) and WITNESS.encode() not in bytes(body)
    assert PLACE not in json.dumps({k: v for k, v in row.items() if k != "sealed"})
