"""Cases over the API: open a case, charge a suspect, link a fact, read the matrix back;
outsiders get 404 and nothing is written (every name SYNTHETIC)."""

from __future__ import annotations

from api_world import World

from dadkhahi.domain.vocab import Sensitivity


def test_open_charge_link_and_read_back(shared_world: World) -> None:
    w = shared_world
    protected = w.objects[Sensitivity.PROTECTED]
    lawyer = w.headers("lawyer_g")
    opened = w.client.post("/api/cases", headers=lawyer, json={
        "title": "SYNTHETIC case opened over the API", "suspects": [protected.person],
        "acts": [protected.act]})
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    assert opened.json()["sealed"] is True
    charged = w.client.post(f"/api/cases/{case_id}/charges", headers=lawyer, json={
        "suspect_id": protected.person, "framework_id": "national-murder",
        "crime_id": "murder", "mode_id": "perpetrator"})
    assert charged.status_code == 201, charged.text
    linked = w.client.post(f"/api/cases/{case_id}/links", headers=lawyer, json={
        "charge_id": charged.json()["id"], "element_id": "1", "fact_kind": "act",
        "fact_id": protected.act, "reliability": "B", "credibility": "2",
        "how": "SYNTHETIC: the act is the killing", "direction": "incriminating"})
    assert linked.status_code == 201, linked.text
    matrix = w.client.get(f"/api/cases/{case_id}", headers=lawyer).json()
    links = [r for r in matrix["matrix"] if r["link_id"]]
    assert [(r["element_id"], r["fact_id"], r["reliability"]) for r in links] == [
        ("1", protected.act, "B")]

    # Whoever is not on the case's team gets 404, and nothing is written.
    size = w.store.size()
    for who in ("investigator_g", "researcher", "anonymous"):
        refused = w.client.post(f"/api/cases/{case_id}/links", headers=w.headers(who), json={
            "charge_id": charged.json()["id"], "element_id": "2", "fact_kind": "act",
            "fact_id": protected.act, "reliability": "B", "credibility": "2",
            "how": "SYNTHETIC"})
        assert refused.status_code == 404, (who, refused.text)
    # A wrong element is a clear error naming it.
    wrong = w.client.post(f"/api/cases/{case_id}/links", headers=lawyer, json={
        "charge_id": charged.json()["id"], "element_id": "9", "fact_kind": "act",
        "fact_id": protected.act, "reliability": "B", "credibility": "2", "how": "SYNTHETIC"})
    assert wrong.status_code == 400 and "no element '9'" in wrong.text
    assert w.store.size() == size
