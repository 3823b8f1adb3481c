"""Attacks on disclosure through the API (issue 11, items 4 and 5), each reproduced.

Every test here failed on the code before the one disclosure rule: it shows what an
attacker got, then that they no longer get it.
"""

from __future__ import annotations

import json
from pathlib import Path

from api_world import World, list_csv
from sqlalchemy import select

from dadkhahi.access import grants
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.lists import import_list
from dadkhahi.store import schema as s

PUB, RES, PRO = Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.PROTECTED


def test_a_public_claim_on_a_protected_source_is_not_published(shared_world: World) -> None:
    """Item 4: a claim marked public whose only support is protected stays protected."""
    w = shared_world
    pub, pro = w.objects[PUB], w.objects[PRO]
    r = w.client.post("/api/claims", headers=w.headers("investigator_g"), json={
        "entity_kind": "person", "entity_id": pub.person, "property": "death_date",
        "value": "SECRET-claim from the witness", "sensitivity": "public",
        "support": [{"source_id": pro.source, "record_id": pro.record}]})
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["sensitivity"] == "protected"
    for who in ("anonymous", "viewer_g", "researcher"):
        assert w.client.get(f"/api/claims/{claim['id']}",
                            headers=w.headers(who)).status_code == 404
        listed = w.client.get(f"/api/claims?entity_id={pub.person}&limit=500&count=true",
                              headers=w.headers(who)).json()
        assert claim["id"] not in {c["id"] for c in listed["data"]}
        assert "SECRET-" not in str(listed)
    assert w.client.get(f"/api/claims/{claim['id']}",
                        headers=w.headers("lawyer_g")).status_code == 200


def test_a_claim_is_raised_to_its_strictest_support(shared_world: World) -> None:
    w = shared_world
    pub, res = w.objects[PUB], w.objects[RES]
    r = w.client.post("/api/claims", headers=w.headers("investigator_g"), json={
        "entity_kind": "person", "entity_id": pub.person, "property": "birth_place",
        "value": "RESTRICTED-value", "sensitivity": "public",
        "support": [{"source_id": pub.source}, {"source_id": res.source}]})
    assert r.status_code == 201, r.text
    assert r.json()["sensitivity"] == "restricted"
    assert w.client.get(f"/api/claims/{r.json()['id']}").status_code == 404
    # A claim asked to be stricter than its supports keeps what was asked.
    r = w.client.post("/api/claims", headers=w.headers("investigator_g"), json={
        "entity_kind": "person", "entity_id": pub.person, "property": "birth_place",
        "value": "x", "sensitivity": "restricted", "support": [{"source_id": pub.source}]})
    assert r.json()["sensitivity"] == "restricted"


def test_the_event_of_a_protected_import_is_hidden_without_a_grant(
    shared_world: World, tmp_path: Path,
) -> None:
    """Item 5: ``GET /api/ledger/events/N`` of a protected list import into a restricted
    source showed its column headers, record IDs, row numbers and file hash to a
    researcher without the grant."""
    w = shared_world
    res = w.objects[RES]
    path = tmp_path / "protected-rows.csv"
    path.write_bytes(list_csv([["SECRET-9", "Rahimi, Sara", "Ali", "1367/05/13", "Qom",
                                "SECRET-note SYNTHETIC"]]))
    report = import_list(w.store, path, actor="setup", id_column="ID",
                         source=res.list_source, sensitivity=PRO)
    index, earlier = (_import_event(w, i) for i in (report.import_id, res.list_import))
    for who in ("researcher", "analyst", "admin", "admin_g", "anonymous", "viewer_g"):
        r = w.client.get(f"/api/ledger/events/{index}", headers=w.headers(who))
        assert r.status_code == 404, (who, r.text[:200])
        assert "Full name" not in r.text and report.import_id not in r.text
        line = next(json.loads(x) for x in w.client.get(
            "/api/ledger/export", headers=w.headers(who)).text.splitlines()
            if json.loads(x)["index"] == index)
        assert line.get("withheld") is True
    # A grant on the source opens it (and the restricted import before it stays open).
    grants.grant(w.store, res.list_source, w.user_ids["lawyer_g"], "setup")
    granted = w.client.get(f"/api/ledger/events/{index}", headers=w.headers("lawyer_g"))
    assert granted.status_code == 200 and report.import_id in granted.text
    # The event itself keeps a protected import's header sealed, even for a grant holder
    # (column names may name a witness; issue 11): the ledger shows what was sealed.
    assert "Full name" not in granted.text and '"sealed"' in granted.text
    assert w.client.get(f"/api/ledger/events/{earlier}",
                        headers=w.headers("researcher")).status_code == 200


def _import_event(w: World, import_id: str) -> int:
    e = s.ledger_events.c
    with w.store.reading() as conn:
        rows = conn.execute(select(e.idx, e.body).where(e.type == "records.imported"))
        return next(int(r.idx) for r in rows if import_id.encode() in bytes(r.body))
