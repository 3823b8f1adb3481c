"""An involvement or a claim is never less protected than a source it cites (issue 11),
the attack reproduced through the API.

A grant holder ties a public person to a public act as "signed the order", citing a
protected testimony, and marks the involvement public; a claim on the same person cites
the same testimony. Before the fix the involvement went to every team member and to the
public: its row, its place in lists filtered by person, the count of involvements and the
perpetrator registry all said that a protected source names that person. Now a reader
without a grant on the source sees none of it, a holder sees all of it; an involvement
written before (public in its row) is held back by the one disclosure rule all the same.
Every name here is SYNTHETIC.
"""

from __future__ import annotations

from typing import Any

from api_world import World

from dadkhahi.access.disclosure import Audience, may_disclose
from dadkhahi.access.policy import Principal
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.services.facts import registry_for

PUB, PRO = Sensitivity.PUBLIC, Sensitivity.PROTECTED
HOLDERS = ("investigator_g", "lawyer_g", "admin_g")
OTHERS = ("anonymous", "viewer_g", "researcher", "analyst", "admin")


def _involvement_ids(w: World, who: str, person: str) -> set[str]:
    r = w.client.get(f"/api/involvements?person_id={person}&limit=500", headers=w.headers(who))
    assert r.status_code == 200, r.text
    return {x["id"] for x in r.json()["data"]}


def _counts(w: World) -> dict[str, dict[str, int]]:
    out = {}
    for who in (*HOLDERS, *OTHERS):
        r = w.client.get("/api/status", headers=w.headers(who))
        assert r.status_code == 200, r.text
        out[who] = r.json()["counts"]
    return out


def _registry(w: World, who: str) -> set[str]:
    if who == "anonymous":
        principal = Principal(user_id=None, username="anonymous")
    else:
        principal = Principal(user_id=w.user_ids[who], username=who, role=w.roles[who])
    entries, _, _, _ = registry_for(w.store, principal)
    return {str(a["id"]) for e in entries for a in e.acts}


def _legacy_involvement(w: World, act: str, person: str, source: str) -> str:
    """A public involvement citing a protected source, as code before the fix wrote it."""
    iid = new_id("involvement")
    with w.store.transaction("setup") as tx:
        tx.emit("involvement.added", {
            "id": iid, "act_id": act, "person_id": person, "organization_id": None,
            "role": "signed", "sensitivity": "public",
            "support": [{"source_id": source, "record_id": None, "item_id": None,
                         "locator": None}]})
    return iid


def test_an_involvement_citing_a_protected_source_is_as_protected_as_it(
    shared_world: World,
) -> None:
    w = shared_world
    pub, pro = w.objects[PUB], w.objects[PRO]
    before = _counts(w)
    body: dict[str, Any] = {"act_id": pub.act, "role": "signed", "person_id": pub.person,
                            "sensitivity": "public", "support": [{"source_id": pro.source}]}
    r = w.client.post("/api/involvements", json=body, headers=w.headers("investigator_g"))
    assert r.status_code == 201, r.text
    made = r.json()["id"]
    assert r.json()["sensitivity"] == "protected"  # raised to its source's level
    claim = w.client.post("/api/claims", headers=w.headers("investigator_g"), json={
        "entity_kind": "person", "entity_id": pub.person, "property": "affiliation",
        "value": "SECRET-affiliation SYNTHETIC", "sensitivity": "public",
        "support": [{"source_id": pro.source}]})
    assert claim.status_code == 201, claim.text
    legacy = _legacy_involvement(w, pub.act, pub.person, pro.source)
    ours = {made, legacy}
    after = _counts(w)

    for who in OTHERS:
        for iid in ours:
            got = w.client.get(f"/api/involvements/{iid}", headers=w.headers(who))
            assert got.status_code == 404, (who, iid)
        assert w.client.get(f"/api/claims/{claim.json()['id']}",
                            headers=w.headers(who)).status_code == 404, who
        assert _involvement_ids(w, who, pub.person) & ours == set(), who
        assert after[who]["involvements"] == before[who]["involvements"], who
        assert after[who]["claims"] == before[who]["claims"], who
        assert _registry(w, who) & ours == set(), who
    for who in HOLDERS:
        for iid in ours:
            got = w.client.get(f"/api/involvements/{iid}", headers=w.headers(who))
            assert got.status_code == 200, (who, iid)
        assert _involvement_ids(w, who, pub.person) >= ours, who
        assert after[who]["involvements"] == before[who]["involvements"] + 2, who
        assert after[who]["claims"] == before[who]["claims"] + 1, who
        assert _registry(w, who) >= ours, who
    # The one rule says the same for the public and for a team member without the grant.
    with w.store.reading() as conn:
        for iid in ours:
            assert not may_disclose(conn, ("involvement", iid), Audience.public())
            assert not may_disclose(conn, ("involvement", iid), Audience.user(
                w.user_ids["researcher"], team=True))
            assert may_disclose(conn, ("involvement", iid), Audience.user(
                w.user_ids["lawyer_g"], team=True))
