"""Linkage wired to the store: runs as ledger events, stable person ids, decisions, claims.

The persistence tests use a stand-in linker whose clusters the test chooses, so
each expectation follows from the input; the end-to-end test runs the real model
on a small SYNTHETIC four-list set whose truth the generator knows.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import random
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fake_linker import fake_linker
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from dadkhahi.access.disclosure import Audience, may_disclose
from dadkhahi.access.dossier import person_dossier
from dadkhahi.access.grants import grant
from dadkhahi.access.policy import Principal, Role
from dadkhahi.access.reads import count_visible
from dadkhahi.access.users import add_user
from dadkhahi.domain.errors import UserError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.lists import import_list
from dadkhahi.ledger.errors import VerificationError
from dadkhahi.ledger.selective import verify_selective
from dadkhahi.linkage.persons import plan_persons
from dadkhahi.linkage.service import apply_decisions, decide, run_linkage
from dadkhahi.linkage.store_io import load_records
from dadkhahi.linkage.views import capture_histories, export_links, link_stats, review_queue
from dadkhahi.store import schema as s
from dadkhahi.store.selective import prove_rows
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

# --- a SYNTHETIC population and its lists ---------------------------------------

GIVEN = [("Mohammad", "محمد"), ("Ali", "علی"), ("Hossein", "حسین"), ("Reza", "رضا"),
         ("Mehdi", "مهدی"), ("Gholamreza", "غلامرضا"), ("Fatemeh", "فاطمه"), ("Zahra", "زهرا"),
         ("Ahmad", "احمد"), ("Maryam", "مریم"), ("Hassan", "حسن"), ("Javad", "جواد"),
         ("Saeed", "سعید"), ("Nasser", "ناصر")]
FAMILY = [("Hosseini", "حسینی"), ("Ahmadi", "احمدی"), ("Rezaei", "رضایی"),
          ("Mohammadi", "محمدی"), ("Karimi", "کریمی"), ("Jafari", "جعفری"), ("Moradi", "مرادی"),
          ("Rostami", "رستمی"), ("Tehrani", "تهرانی"), ("Sadeghi", "صادقی"), ("Kazemi", "کاظمی"),
          ("Najafi", "نجفی")]
CITIES = [("Tehran", "تهران"), ("Tabriz", "تبریز"), ("Shiraz", "شیراز"), ("Rasht", "رشت")]
PRISONS = [("Evin", "اوین"), ("Gohardasht", "گوهردشت")]
MONTHS = {5: "Mordad", 6: "Shahrivar"}


@dataclass
class Synthetic:
    """SYNTHETIC lists on disk and, for each list id, the true person number."""

    files: list[tuple[Path, str]] = field(default_factory=list)
    truth: dict[str, int] = field(default_factory=dict)


def synthetic_lists(folder: Path, people: int = 60, seed: int = 3) -> Synthetic:
    """Three full lists in two scripts and a thin names-only list; known truth."""
    rng = random.Random(seed)
    population = [
        {"g": rng.choice(GIVEN), "f": rng.choice(FAMILY), "fa": rng.choice(GIVEN),
         "c": rng.choice(CITIES), "p": rng.choice(PRISONS), "d": rng.randint(1, 31),
         "m": rng.choice([5, 6]), "age": rng.randint(18, 50)}
        for _ in range(people)
    ]
    out = Synthetic()

    def write(name: str, header: list[str], rows: list[list[Any]], who: list[int]) -> None:
        path = folder / name
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)
        out.files.append((path, header[0]))
        out.truth.update({str(r[0]): w for r, w in zip(rows, who, strict=True)})

    a = list(range(0, people * 2 // 3))
    write("synthetic_a.csv",
          ["شماره", "نام", "نام خانوادگی", "نام پدر", "تاریخ اعدام", "زندان", "شهر", "سن"],
          [[f"A{k}", (p := population[i])["g"][1], p["f"][1], p["fa"][1],
            f"1367/{p['m']:02d}/{p['d']:02d}", p["p"][1], p["c"][1], p["age"]]
           for k, i in enumerate(a)], a)
    b = list(range(people // 3, people))
    write("synthetic_b.csv", ["ID", "Full name", "Father", "Date of execution", "Prison",
                              "City", "Age"],
          [[f"B{k}", f"{(p := population[i])['f'][0]}, {p['g'][0]}", p["fa"][0],
            f"{p['d']} {MONTHS[p['m']]} 1367", p["p"][0], p["c"][0], p["age"]]
           for k, i in enumerate(b)], b)
    c = list(range(people // 6, people * 5 // 6, 2))
    write("synthetic_c.csv", ["ID", "Full name", "Father", "Date of execution", "Prison",
                              "City", "Age"],
          [[f"C{k}", f"{(p := population[i])['f'][0]}, {p['g'][0]}", p["fa"][0],
            f"{p['d']} {MONTHS[p['m']]} 1367", p["p"][0], p["c"][0], p["age"]]
           for k, i in enumerate(c)], c)
    d = list(range(0, people, 6))
    write("synthetic_d.csv", ["ID", "Name", "City"],
          [[f"D{k}", f"{(p := population[i])['g'][0]} {p['f'][0]}", p["c"][0]]
           for k, i in enumerate(d)], d)
    return out


def import_all(store: Store, data: Synthetic) -> None:
    for path, id_column in data.files:
        import_list(store, path, source=f"SYNTHETIC {path.stem}", actor="tester",
                    id_column=id_column)


# --- a stand-in linker: fake_linker.py ----------------------------------------


def by_external(store: Store) -> dict[str, str]:
    recs = load_records(store)
    return dict(zip(recs["external_id"], recs["record_id"], strict=True))


def persons_of(store: Store) -> dict[str, str]:
    """external id → person id, as the store has it now."""
    ids = {v: k for k, v in by_external(store).items()}
    with store.reading() as conn:
        rows = conn.execute(select(s.person_records.c.record_id, s.person_records.c.person_id))
        return {ids[r]: p for r, p in rows}


def _write_rows(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.fixture
def three_small_lists(store: Store, tmp_path: Path) -> Store:
    header = ["ID", "Full name", "Father", "Date of execution", "Prison", "City"]
    _write_rows(tmp_path / "x.csv", [header,
        ["X1", "Karimi, Ali", "Reza", "1367/05/12", "Evin", "Tehran"],
        ["X2", "Moradi, Zahra", "Hassan", "1367/06/01", "Evin", "Tehran"]])
    _write_rows(tmp_path / "y.csv", [header,
        ["Y1", "Ali Karimi", "Reza", "12 Mordad 1367", "Evin", "Tehran"],
        ["Y2", "Zahra Moradi", "", "Shahrivar 1367", "Gohardasht", "Karaj"],
        ["Y3", "Javad Najafi", "Ahmad", "1988", "", "Rasht"]])
    for name in ("x", "y"):
        import_list(store, tmp_path / f"{name}.csv", source=f"SYNTHETIC {name}",
                    actor="tester", id_column="ID")
    return store


def test_a_run_creates_persons_with_claims_pointing_at_their_records(
    three_small_lists: Store,
) -> None:
    store = three_small_lists
    ids = by_external(store)
    linker = fake_linker(store, lambda _r: [[ids["X1"], ids["Y1"]], [ids["X2"], ids["Y2"]]])
    report = run_linkage(store, "tester", linker=linker)
    assert (report.records, report.persons, report.new_persons, report.assigned) == (5, 3, 3, 5)
    persons = persons_of(store)
    assert persons["X1"] == persons["Y1"] and persons["X2"] == persons["Y2"]
    assert len({persons["X1"], persons["X2"], persons["Y3"]}) == 3
    with store.reading() as conn:
        c, cs = s.claims.c, s.claim_support.c
        claims = conn.execute(
            select(c.property, c.value, c.date_earliest, c.date_latest, cs.record_id)
            .join(s.claim_support, cs.claim_id == c.id)
            .where(c.entity_id == persons["X2"], c.status == "asserted")
        ).all()
        label = conn.execute(
            select(s.persons.c.label).where(s.persons.c.id == persons["X1"])).scalar_one()
        assert verify_ledger(conn, store.verifier_key()).ok
    by_prop: dict[str, set[tuple[Any, ...]]] = {}
    for prop, value, lo, hi, rec in claims:
        by_prop.setdefault(prop, set()).add((value, lo, hi, rec))
    # Conflicting prisons stay side by side, each with its own record.
    assert by_prop["prison"] == {("Evin", None, None, ids["X2"]),
                                 ("Gohardasht", None, None, ids["Y2"])}
    assert ("1988-08-23/1988-08-23", "1988-08-23", "1988-08-23", ids["X2"]) in by_prop[
        "death_date"]
    assert {r for *_, r in by_prop["name"]} == {ids["X2"], ids["Y2"]}
    assert label in ("Ali Karimi",)


def test_the_pairs_file_is_owner_only_whatever_the_umask(three_small_lists: Store) -> None:
    # The pairs cache names records of every list. The command line and the server set a
    # private umask; a library caller (a benchmark, a notebook) may not: under umask 022
    # the file was written readable by every local user (found by issue 14's benchmark).
    store = three_small_lists
    ids = by_external(store)
    linker = fake_linker(store, lambda _r: [[ids["X1"], ids["Y1"]]])
    before = os.umask(0o022)
    try:
        report = run_linkage(store, "tester", linker=linker)
    finally:
        os.umask(before)
    pairs = store.home.path / "linkage" / f"{report.run_id}-pairs.parquet"
    assert stat.S_IMODE(pairs.stat().st_mode) == 0o600
    assert stat.S_IMODE(pairs.parent.stat().st_mode) == 0o700
    assert len(pd.read_parquet(pairs)) == 1  # the one linked pair, readable by its owner


def test_rerun_keeps_ids_and_changes_only_what_moved(three_small_lists: Store) -> None:
    store = three_small_lists
    ids = by_external(store)
    same = fake_linker(store, lambda _r: [[ids["X1"], ids["Y1"]], [ids["X2"], ids["Y2"]]])
    run_linkage(store, "tester", linker=same)
    first = persons_of(store)
    again = run_linkage(store, "tester", linker=same)
    assert (again.new_persons, again.assigned, again.moved, again.claims_added,
            again.claims_retired) == (0, 0, 0, 0, 0)
    assert persons_of(store) == first
    # Y3 joins X1/Y1: that person keeps its id, Y3's old person is gone.
    merged = fake_linker(
        store, lambda _r: [[ids["X1"], ids["Y1"], ids["Y3"]], [ids["X2"], ids["Y2"]]])
    third = run_linkage(store, "tester", linker=merged)
    now = persons_of(store)
    assert now["Y3"] == now["X1"] == first["X1"] and now["X2"] == first["X2"]
    assert (third.new_persons, third.moved, third.reused_persons) == (0, 1, 2)
    with store.reading() as conn:
        c = s.claims.c
        status = dict(conn.execute(
            select(c.status, func.count()).where(c.entity_id == first["Y3"]).group_by(c.status)
        ).all())
        grown = conn.execute(select(func.count()).where(
            c.entity_id == first["X1"], c.status == "asserted", c.property == "city")).scalar()
        assert verify_ledger(conn, store.verifier_key()).ok
    assert set(status) == {"superseded"}  # the vanished person's claims are retired
    assert grown == 2  # Tehran (X1, Y1) and Rasht (Y3) side by side


def test_decisions_reach_the_model_and_override_it_after_apply(
    three_small_lists: Store,
) -> None:
    store = three_small_lists
    ids = by_external(store)
    seen: list[Any] = []
    linker = fake_linker(store, lambda _r: [[ids["X1"], ids["Y1"]], [ids["X2"], ids["Y2"]]], seen)
    run_linkage(store, "tester", linker=linker)
    decide(store, "reviewer", ids["Y1"], ids["X1"], "different", note="SYNTHETIC: fathers differ")
    decide(store, "reviewer", ids["Y3"], ids["X2"], "same")
    applied = apply_decisions(store, "reviewer")
    now = persons_of(store)
    # The person's word beats the model, and the one-record-per-list rule of a model
    # run still holds: Y2 and Y3 (both of list Y) cannot both be X2.
    assert now["X1"] != now["Y1"] and now["Y3"] == now["X2"] != now["Y2"]
    assert applied.kind == "decisions" and applied.decisions == 2
    run_linkage(store, "tester", linker=linker)
    labels = seen[-1]
    assert sorted((*sorted((a, b)), d) for a, b, d in labels.to_numpy().tolist()) == sorted([
        (*sorted((ids["X1"], ids["Y1"])), "different"), (*sorted((ids["X2"], ids["Y3"])), "same"),
    ])
    with pytest.raises(UserError, match="decision must be one of same, different, unsure"):
        decide(store, "reviewer", ids["X1"], ids["Y1"], "maybe")
    with pytest.raises(UserError, match="no record"):
        decide(store, "reviewer", ids["X1"], "rec_nope", "same")


def test_protected_records_make_sealed_claims_only_a_grant_holder_sees(
    store: Store, tmp_path: Path
) -> None:
    """A claim is never less protected than what supports it: what a protected record
    says about its person becomes a protected claim, sealed in its row and in the run's
    event, supported by that record alone (an open record's claim of the same value stays
    open), disclosed through the one rule (``access.may_disclose``) to a holder of a
    grant on the protected source and to nobody else, not even as a count."""
    header = ["ID", "Full name", "City"]
    secret_city = "Qzvxcitym"
    _write_rows(tmp_path / "open.csv", [header, ["O1", "Ali Karimi", "Tehran"]])
    _write_rows(tmp_path / "secret.csv", [header, ["P1", "Ali Karimi", secret_city],
                                          ["P2", "Zahra Moradi", "Qom"]])
    import_list(store, tmp_path / "open.csv", source="SYNTHETIC open", actor="t",
                id_column="ID")
    secret = import_list(store, tmp_path / "secret.csv", source="SYNTHETIC witness list",
                         actor="t", id_column="ID", sensitivity=Sensitivity.PROTECTED)
    ids = by_external(store)
    assert set(ids) == {"O1", "P1", "P2"}  # sealed ids are opened for linkage
    run_linkage(store, "t", linker=fake_linker(store, lambda _r: [[ids["O1"], ids["P1"]]]))
    persons = persons_of(store)
    ali = persons["O1"]
    c = s.claims.c
    with store.reading() as conn:
        rows = conn.execute(select(s.claims).where(c.entity_id == ali)
                            .order_by(c.property, c.sensitivity)).mappings().all()
        by_claim = {str(r.claim_id): str(r.record_id) for r in conn.execute(
            select(s.claim_support.c.claim_id, s.claim_support.c.record_id))}
        secret_person = conn.execute(select(s.persons).where(
            s.persons.c.id == persons["P2"])).mappings().one()
        opened = store.keys.unseal(conn, secret_person["sealed"], persons["P2"])
        bodies = b"".join(r.body for r in conn.execute(select(s.ledger_events.c.body)))
        assert verify_ledger(conn, store.verifier_key()).ok
    protected = [r for r in rows if r["sensitivity"] == "protected"]
    # Name and city from the protected record, each supported by that record alone; the
    # open record's name claim (same value) stays open.
    assert sorted(r["property"] for r in protected) == ["city", "name"]
    assert {by_claim[str(r["id"])] for r in protected} == {ids["P1"]}
    assert [r["value"] for r in rows if r["sensitivity"] != "protected"] == ["Tehran",
                                                                           "Ali Karimi"]
    assert {r["value"] for r in protected} == {"[protected]"}
    assert secret_city.encode() not in bodies
    with store.reading() as conn:
        city = next(r for r in protected if r["property"] == "city")
        assert store.keys.unseal(conn, city["sealed"], str(city["id"]))["value"] == secret_city
    assert secret_person["label"] == "[protected]" and secret_person["sensitivity"] == "protected"
    assert opened == {"label": "Zahra Moradi"}

    # Shown through the one disclosure rule: a grant holder sees the claims opened, a
    # researcher without the grant neither the claims nor any count of them.
    holder = add_user(store, "holder", Role.RESEARCHER, "SYNTHETIC correct horse battery", "t")
    other = add_user(store, "other", Role.RESEARCHER, "SYNTHETIC correct horse battery", "t")
    grant(store, secret.source_id, holder, "t")
    seen = {}
    for name, uid in (("holder", holder), ("other", other)):
        principal = Principal(user_id=uid, username=name, role=Role.RESEARCHER)
        dossier, _ = person_dossier(store, principal, ali)
        with store.reading() as conn:
            audience = Audience.user(uid, team=True)
            seen[name] = ({(x["property"], x["value"]) for x in dossier.claims},
                          {str(r["id"]) for r in protected
                           if may_disclose(conn, ("claim", str(r["id"])), audience)},
                          count_visible(store, principal)["claims"])
    everyone = {("name", "Ali Karimi"), ("city", "Tehran")}
    assert seen["holder"][0] == everyone | {("city", secret_city)}
    assert seen["holder"][1] == {str(r["id"]) for r in protected}
    assert seen["other"][0] == everyone and seen["other"][1] == set()
    # P2 is known only from the protected list: the grant on its source reaches P2 and
    # P2's two claims (name, city) too; the other researcher sees none of them.
    with store.reading() as conn:
        p2_claims = conn.execute(select(func.count()).select_from(s.claims).where(
            c.entity_id == persons["P2"])).scalar_one()
    assert p2_claims == 2
    assert seen["holder"][2] - seen["other"][2] == len(protected) + p2_claims


@settings(max_examples=80, deadline=None)
@given(
    before=st.lists(st.integers(0, 5), min_size=1, max_size=12),
    after=st.lists(st.integers(0, 5), min_size=1, max_size=12),
)
def test_plan_persons_gives_one_id_per_cluster_and_reuses_each_id_once(
    before: list[int], after: list[int]
) -> None:
    n = min(len(before), len(after))
    records = [f"r{i:02d}" for i in range(n)]
    previous = pd.DataFrame({"record_id": records, "person_id": [f"p{g}" for g in before[:n]]})
    clusters = pd.DataFrame({"record_id": records, "cluster_id": [f"c{g}" for g in after[:n]]})
    plan = plan_persons(clusters, previous)
    final = plan.final.merge(clusters, on="record_id")
    # One id per cluster, distinct clusters distinct ids.
    assert (final.groupby("cluster_id")["person_id"].nunique() == 1).all()
    assert final.groupby("person_id")["cluster_id"].nunique().max() == 1
    new_ids = {p["id"] for p in plan.new_persons}
    reused = set(final["person_id"]) - new_ids
    assert reused <= set(previous["person_id"]) and len(reused) == plan.reused
    moved = {r for r, _ in plan.move}
    assert moved == set(final[final["person_id"] != previous["person_id"]]["record_id"])

    def partition(frame: pd.DataFrame, column: str) -> set[frozenset[str]]:
        return {frozenset(g["record_id"]) for _, g in frame.groupby(column)}

    if partition(clusters, "cluster_id") == partition(previous, "person_id"):
        # Same people as before: every id kept, nothing moves, no claim changes.
        assert not plan.move and not plan.new_persons and not plan.changed


def test_real_model_end_to_end_with_review_decisions_export_and_stats(
    store: Store, tmp_path: Path
) -> None:
    data = synthetic_lists(tmp_path)
    import_all(store, data)
    report = run_linkage(store, "tester")
    assert report.records == len(data.truth)
    exported = tmp_path / "links.csv"
    export = export_links(store, exported)
    table = pd.read_csv(exported, dtype=str)
    assert list(table.columns) == ["record_id", "person_id", "list_id", "list", "source_id",
                                   "internal_record_id", "escaped_with_apostrophe"]
    assert table["list_id"].str.startswith("lst_").all()
    assert table["internal_record_id"].str.startswith("rec_").all()
    assert export.rows == len(table) == len(data.truth) and export.duplicate_ids == 0
    assert set(table["record_id"]) == set(data.truth)
    assert table["person_id"].str.startswith("per_").all()

    # Pairwise precision and recall against the generator's truth.
    def pairs(assign: dict[str, Any]) -> set[tuple[str, str]]:
        groups: dict[Any, list[str]] = {}
        for rid, who in assign.items():
            groups.setdefault(who, []).append(rid)
        return {(a, b) for g in groups.values() for a in g for b in g if a < b}

    true_pairs = pairs(data.truth)
    found = pairs(dict(zip(table["record_id"], table["person_id"], strict=True)))
    precision = len(found & true_pairs) / max(1, len(found))
    # The names-only list D gives too little to link on without review: judge recall on
    # the full lists, where the model has names, fathers, dates and places.
    full = {p for p in true_pairs if not (p[0].startswith("D") or p[1].startswith("D"))}
    recall = len(found & full) / len(full)
    # The default threshold (0.05) is tuned on the benchmarks' counts of persons
    # (pairwise P 0.981, R 0.967 on the five lists); on these few short lists the namesakes of
    # the names-only list cost a little precision, which the review queue is for.
    assert precision >= 0.9 and recall >= 0.95, (precision, recall)

    # Review with an oracle that knows the truth; decisions hold after a re-run.
    queue = review_queue(store)
    assert len(queue) == report.review
    ids = {v: k for k, v in by_external(store).items()}
    answers = {}
    for pair in queue[:6]:
        a, b = ids[pair.left["id"]], ids[pair.right["id"]]
        answer = "same" if data.truth[a] == data.truth[b] else "different"
        decide(store, "oracle", pair.left["id"], pair.right["id"], answer,
               run_id=pair.run_id, probability=pair.probability)
        answers[(a, b)] = answer
    assert len(review_queue(store)) == len(queue) - len(answers)
    apply_decisions(store, "oracle")
    for rerun in (False, True):
        if rerun:
            run_linkage(store, "tester")
        persons = persons_of(store)
        for (a, b), answer in answers.items():
            assert (persons[a] == persons[b]) == (answer == "same"), (a, b, answer, rerun)

    stats = link_stats(store)
    assert stats.records == stats.linked_records == len(data.truth)
    assert stats.decisions == len(answers)
    histories = capture_histories(store, by="all")
    lists = histories.attrs["lists"]
    assert len(lists) == 4 and len(histories) == stats.persons
    assert {"province", "city", "prison", "period"} <= set(histories.columns)
    per_list = dict(zip(stats.lists["list"], stats.lists["persons"], strict=True))
    assert {name: int(histories[name].sum()) for name in lists} == per_list
    for name in lists:
        assert stats.overlap.loc[name, name] == per_list[name]
    a_b = int((histories[lists[0]] & histories[lists[1]]).sum())
    assert stats.overlap.loc[lists[0], lists[1]] == a_b
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok


def test_one_link_decision_is_proven_without_the_rest_of_the_run(
    three_small_lists: Store,
) -> None:
    """A run is a batch: one record's link is proven alone (issue 16); old runs still
    project and verify."""
    store = three_small_lists
    ids = by_external(store)
    linker = fake_linker(store, lambda _r: [[ids["X1"], ids["Y1"]], [ids["X2"], ids["Y2"]]])
    run = run_linkage(store, "tester", linker=linker)
    persons = persons_of(store)
    note = store.checkpoint()
    with store.reading() as conn:
        body = bytes(conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.idx == run.ledger_index)).scalar_one())
        proof = prove_rows(conn, store.keys, run.ledger_index, [ids["X1"]], note)
    assert json.loads(body)["v"] == 2
    proven = verify_selective(proof, store.verifier_key())
    assert [json.loads(r) if isinstance(r, str) else r for r in proven["rows"].values()] == [
        {"id": ids["X1"], "assign": persons["X1"]}]
    text = json.dumps(proof, ensure_ascii=False)
    # Nothing else of the run: no other record, person, claim or name.
    for other in ("X2", "Y2", "Y3"):
        assert ids[other] not in text and persons[other] not in text
    assert "Karimi" not in text and "Moradi" not in text and "Evin" not in text
    # A changed decision does not verify.
    forged = copy.deepcopy(proof)
    forged["rows"][0]["row"] = forged["rows"][0]["row"].replace(persons["X1"], persons["Y3"])
    with pytest.raises(VerificationError):
        verify_selective(forged, store.verifier_key())
    # An old, compact run (version 1) still projects and verifies beside the new one.
    with store.transaction("tester") as tx:
        tx.emit("link.run", {
            "id": "run_old0000000000000000", "kind": "decisions", "backend": None,
            "threshold_ppm": 900000, "started_at": "2026-01-01T00:00:00Z",
            "finished_at": "2026-01-01T00:00:01Z", "records": 1, "persons": 1, "pairs": 0,
            "decisions": 0, "stats_json": "{}", "model_json": None, "new_persons": [],
            "assign": [], "move": [[ids["X1"], persons["Y3"]]], "retire": [],
            "supports": {}, "claims": [], "review": []})
    assert persons_of(store)["X1"] == persons["Y3"]
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok
