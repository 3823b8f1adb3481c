"""Cases over the API: open a case, charge a suspect, link a fact, read the matrix back;
outsiders get 404 and nothing is written (every name SYNTHETIC)."""

from __future__ import annotations

from api_world import World, case_with_erased_mark, case_with_withdrawn_link

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


def test_a_court_bundle_is_queued_run_and_downloaded_over_the_api(shared_world: World) -> None:
    import io
    import tarfile

    from sqlalchemy import select

    from dadkhahi.access.grants import grant
    from dadkhahi.jobs.worker import run_now
    from dadkhahi.store import schema as s

    w = shared_world
    court = "SYNTHETICAPICOURTQX of Testing"
    lawyer = w.headers("lawyer_g")
    case_id = w.client.post("/api/cases", headers=lawyer, json={
        "title": "SYNTHETIC case bundled over the API"}).json()["id"]
    grant(w.store, case_id, w.user_ids["investigator_g"], "tester")  # on the team too
    # The recipient goes in the body; off the team it is the same 404 and nothing queued.
    for who in ("anonymous", "researcher", "admin"):
        refused = w.client.post(f"/api/cases/{case_id}/bundles", headers=w.headers(who),
                                json={"recipient": court})
        assert refused.status_code == 404, (who, refused.text)
    assert w.client.post(f"/api/cases/{case_id}/bundles", headers=lawyer,
                         json={"recipient": "  "}).status_code in (400, 422)
    queued = w.client.post(f"/api/cases/{case_id}/bundles", headers=lawyer,
                           json={"recipient": court})
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["id"]
    assert court not in queued.text
    # The one job mechanism: a case.bundle job, the recipient sealed in its parameters.
    with w.store.reading() as conn:
        kind, params = conn.execute(select(s.jobs.c.kind, s.jobs.c.params).where(
            s.jobs.c.id == job_id)).one()
    assert kind == "case.bundle" and court not in str(params)
    assert run_now(w.store, job_id).state == "succeeded"

    listed = w.client.get(f"/api/cases/{case_id}/bundles", headers=lawyer)
    assert [b["id"] for b in listed.json()] == [job_id] and court not in listed.text
    # Another member of the team did not ask for it: not theirs to list or fetch.
    colleague = w.headers("investigator_g")
    assert w.client.get(f"/api/cases/{case_id}/bundles", headers=colleague).json() == []
    url = f"/api/cases/{case_id}/bundles/{job_id}"
    for who in ("investigator_g", "researcher", "anonymous"):
        assert w.client.get(url, headers=w.headers(who)).status_code == 404, who
    since = w.store.size()
    got = w.client.get(url, headers=lawyer)
    assert got.status_code == 200 and got.headers["content-type"] == "application/x-tar"
    assert got.headers["cache-control"] == "no-store"
    with tarfile.open(fileobj=io.BytesIO(got.content)) as tar:
        names = tar.getnames()
    assert f"bundle-{job_id}/bag-info.txt" in names
    with w.store.reading() as conn:
        a = s.audit_reads.c
        actions = conn.execute(select(a.action).where(
            a.ledger_index >= since, a.object_id == case_id)).scalars().all()
    assert "cases.bundle_download" in actions


def test_a_gap_is_marked_over_the_api_and_shown_beside_it(shared_world: World) -> None:
    w = shared_world
    protected = w.objects[Sensitivity.PROTECTED]
    lawyer = w.headers("lawyer_g")
    case_id = w.client.post("/api/cases", headers=lawyer, json={
        "title": "SYNTHETIC case with a gap", "suspects": [protected.person]}).json()["id"]
    charge_id = w.client.post(f"/api/cases/{case_id}/charges", headers=lawyer, json={
        "suspect_id": protected.person, "framework_id": "national-murder",
        "crime_id": "murder", "mode_id": "perpetrator"}).json()["id"]
    body = {"charge_id": charge_id, "element_id": "3", "status": "accepted",
            "note": "SYNTHETICAPIGAPNOTE: intent rests on the order alone"}
    for who in ("investigator_g", "researcher", "anonymous"):  # off the team
        refused = w.client.post(f"/api/cases/{case_id}/gaps", headers=w.headers(who),
                                json=body)
        assert refused.status_code == 404, (who, refused.text)
    assert w.client.post(f"/api/cases/{case_id}/gaps", headers=lawyer,
                         json={**body, "status": "proven"}).status_code == 422
    marked = w.client.post(f"/api/cases/{case_id}/gaps", headers=lawyer, json=body)
    assert marked.status_code == 201, marked.text
    gaps = w.client.get(f"/api/cases/{case_id}/gaps", headers=lawyer).json()
    assert [g["element_id"] for g in gaps] == ["1", "2", "3"]
    assert [g["mark"] and (g["mark"]["status"], g["mark"]["note"]) for g in gaps] == [
        None, None, ("accepted", body["note"])]


def test_a_link_to_a_withdrawn_involvement_is_marked_and_counted_as_nothing(
        shared_world: World) -> None:
    """The involvement a link names was withdrawn since (its source kept): the matrix
    marks the link withdrawn with the time of the withdrawal, counts it as support of
    nothing, and the gap report lists its element whatever its count; nothing of what the
    involvement stated (its source, its sealed locator) comes back through the case."""
    import json

    from sqlalchemy import select

    from dadkhahi.store import schema as s

    w = shared_world
    made = case_with_withdrawn_link(w)
    e = s.ledger_events.c
    with w.store.reading() as conn:
        withdrawn_at = json.loads(bytes(conn.execute(select(e.body).where(
            e.type == "involvement.withdrawn").order_by(e.idx.desc()).limit(1)
        ).scalar_one()))["time"]
    lawyer = w.headers("lawyer_g")
    answer = w.client.get(f"/api/cases/{made.case_id}", headers=lawyer)
    assert answer.status_code == 200, answer.text
    rows = {r["fact_kind"]: r for r in answer.json()["matrix"] if r["element_id"] == "1"}
    assert rows["involvement"]["fact_id"] == made.involvement
    assert rows["involvement"]["withdrawn_at"] == withdrawn_at
    assert rows["involvement"]["sources"] == "" and rows["act"]["withdrawn_at"] == ""
    standing = rows["act"]["standing"]
    assert standing["withdrawn"] == 1 and standing["counter"] == 0
    assert "1 linked fact withdrawn since, not counted" in rows["act"]["status"]
    # Listed among the gaps whatever the threshold: at 0 nothing else is one.
    gaps = w.client.get(f"/api/cases/{made.case_id}/gaps?threshold=0", headers=lawyer).json()
    assert [g["element_id"] for g in gaps] == ["1"]
    assert "withdrawn since" in gaps[0]["line"]
    for text in (answer.text, json.dumps(gaps)):
        assert made.source not in text and made.secret not in text


def test_a_link_to_an_involvement_withdrawn_then_erased_reads_as_erased(
        shared_world: World) -> None:
    """The involvement was withdrawn, then its source erased: the link went with it
    (``intake.erasure`` finds the involvement in its event), so the case counts one erased
    link and shows neither its note nor its fact, nor a withdrawal. Before the fix the
    link stayed, marked withdrawn, its note read in full."""
    import json

    w = shared_world
    made = case_with_withdrawn_link(w, erase=True)
    lawyer = w.headers("lawyer_g")
    answer = w.client.get(f"/api/cases/{made.case_id}", headers=lawyer)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["erased_links"] == 1 and body["links"] == 1
    assert [r["fact_kind"] for r in body["matrix"] if r["link_id"]] == ["act"]
    assert all(r["withdrawn_at"] == "" and r["standing"]["withdrawn"] == 0
               for r in body["matrix"])
    gaps = w.client.get(f"/api/cases/{made.case_id}/gaps?threshold=0", headers=lawyer)
    assert gaps.status_code == 200 and gaps.json() == []
    for text in (answer.text, gaps.text, json.dumps(body)):
        for secret in (made.note, made.involvement, made.source, made.secret):
            assert secret not in text, secret


def test_a_gap_mark_on_an_erased_link_s_element_is_erased_with_it(shared_world: World) -> None:
    """The witness's source was erased: the link on element 1 went, and element 1's mark
    with it (its note may quote her). The gap report still answers (before the fix the
    note read in full; with the link's erasure alone, the erased mark failed the whole
    report), element 1's gap without a mark, element 2's mark kept; the case counts the
    erased mark."""
    w = shared_world
    made = case_with_erased_mark(w)
    lawyer = w.headers("lawyer_g")
    gaps = w.client.get(f"/api/cases/{made.case_id}/gaps", headers=lawyer)
    assert gaps.status_code == 200, gaps.text
    assert made.secret not in gaps.text
    marks = {g["element_id"]: g["mark"] and g["mark"]["note"] for g in gaps.json()}
    assert marks == {"1": None, "2": made.kept, "3": None}
    case = w.client.get(f"/api/cases/{made.case_id}", headers=lawyer)
    assert case.status_code == 200, case.text
    assert case.json()["erased_marks"] == 1 and case.json()["erased_links"] == 1
    assert made.secret not in case.text
