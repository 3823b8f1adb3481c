"""A new version of a list (issue 12, item 4): what it changes, what carries over.

SYNTHETIC lists only. The linker is the stand-in of the linkage store tests, so
each expectation follows from the clusters the test chooses.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dadkhahi.domain.errors import NotFoundError, UserError, ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.lists import import_list
from dadkhahi.linkage.service import decide, run_linkage
from dadkhahi.linkage.store_io import load_records
from dadkhahi.linkage.views import review_queue
from dadkhahi.store import actors
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "linkage"))
from fake_linker import fake_linker

HEADER = ["ID", "Full name", "Father", "Date of execution", "Prison", "City"]
X_ROWS = [["X1", "Karimi, Ali", "Reza", "1367/05/12", "Evin", "Tehran"],
          ["X2", "Moradi, Zahra", "Hassan", "1367/06/01", "Evin", "Tehran"],
          ["X3", "Najafi, Javad", "Ahmad", "1367/06/02", "Evin", "Rasht"]]
Y_ROWS = [["Y1", "Ali Karimi", "Reza", "12 Mordad 1367", "Evin", "Tehran"],
          ["Y2", "Zahra Moradi", "", "Shahrivar 1367", "Gohardasht", "Karaj"],
          ["Y3", "Javad Najafi", "Ahmad", "1988", "", "Rasht"]]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([HEADER, *rows])
    return path


def _ok(store: Store) -> None:
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok


def _current(store: Store) -> dict[str, str]:
    """External id → record id, current versions only (what linkage reads)."""
    recs = load_records(store)
    return dict(zip(recs["external_id"], recs["record_id"], strict=True))


def test_forgotten_id_column_is_corrected_by_a_new_version_of_the_same_file(
    store: Store, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "x.csv", X_ROWS)
    first = import_list(store, path, source="SYNTHETIC x", actor="t")  # no --id-column
    assert set(load_records(store)["external_id"].isna()) == {True}
    with pytest.raises(UserError, match="already imported"):  # as before: not as a new list
        import_list(store, path, source="SYNTHETIC x", actor="t", id_column="ID")
    second = import_list(store, path, actor="t", id_column="ID", new_version_of=first.list_id)
    assert (second.list_id, second.list_version) == (first.list_id, 2)
    v = second.version
    assert v is not None and v.matched_by == "row" and v.previous_import == first.import_id
    assert (v.added, v.removed, v.changed, v.linkage_changed) == (0, 0, 3, 0)
    assert sorted(_current(store)) == ["X1", "X2", "X3"]  # only version 2 enters linkage
    with store.reading() as conn:
        li = s.list_imports.c
        rows = conn.execute(select(li.id, li.list_version, li.superseded_by, li.added,
                                   li.removed, li.changed).order_by(li.list_version)).all()
        current = conn.execute(select(s.lists.c.current_import_id, s.lists.c.versions)).one()
        event = conn.execute(select(func.count()).select_from(s.records)).scalar_one()
    assert [tuple(r) for r in rows] == [(first.import_id, 1, second.import_id, None, None, None),
                                        (second.import_id, 2, None, 0, 0, 3)]
    assert tuple(current) == (second.import_id, 2)
    assert event == 6  # the old version's records stay in the store (and the ledger)
    with pytest.raises(UserError, match="nothing changed"):
        import_list(store, path, actor="t", id_column="ID", new_version_of=first.list_id)
    _ok(store)


def test_decisions_carry_over_unless_a_linkage_field_changed(
    store: Store, tmp_path: Path
) -> None:
    x = import_list(store, _csv(tmp_path / "x.csv", X_ROWS), source="SYNTHETIC x", actor="t",
                    id_column="ID")
    import_list(store, _csv(tmp_path / "y.csv", Y_ROWS), source="SYNTHETIC y", actor="t",
                id_column="ID")
    ids = _current(store)
    run_linkage(store, "t", linker=fake_linker(
        store, lambda _r: [[ids["X1"], ids["Y1"]], [ids["X2"], ids["Y2"]],
                           [ids["X3"], ids["Y3"]]]))
    same = decide(store, "leila", ids["X1"], ids["Y1"], "same", note="same father")
    differ = decide(store, "leila", ids["X2"], ids["Y2"], "different")
    decide(store, "leila", ids["X3"], ids["Y3"], "same")
    with store.reading() as conn:
        pr = s.person_records.c
        before = dict(conn.execute(select(pr.record_id, pr.person_id)).all())
    # The corrected file: X1 only gets a note column value, X2's father is corrected
    # (a linkage field), X3 is gone, X4 is new.
    corrected = [X_ROWS[0], ["X2", "Moradi, Zahra", "Hossein", "1367/06/01", "Evin", "Tehran"],
                 ["X4", "Rostami, Reza", "Ali", "1367/05/20", "Evin", "Shiraz"]]
    report = import_list(store, _csv(tmp_path / "x2.csv", corrected), actor="t",
                         id_column="ID", new_version_of=x.list_id)
    v = report.version
    assert v is not None and v.matched_by == "external_id"
    assert (v.added, v.removed, v.changed, v.unchanged, v.linkage_changed) == (1, 1, 1, 1, 1)
    assert (v.decisions_carried, v.decisions_returned, v.decisions_lapsed) == (1, 1, 1)
    now = _current(store)
    assert sorted(now) == ["X1", "X2", "X4", "Y1", "Y2", "Y3"]
    with store.reading() as conn:
        d, pr = s.link_decisions.c, s.person_records.c
        carried = conn.execute(
            select(d.record_a, d.record_b, d.decision, d.actor, d.note, d.carried_from)
            .where(d.carried_from.is_not(None))).all()
        after = dict(conn.execute(select(pr.record_id, pr.person_id)).all())
    assert [tuple(c) for c in carried] == [
        (*sorted((now["X1"], now["Y1"])), "same", actors.pseudonym(store.keys, "leila"),
         "same father", same)]  # the reviewer by pseudonym, as in the decision it copies
    # Matched records keep their persons; the removed one leaves its person.
    assert after[now["X1"]] == before[ids["X1"]] and after[now["X2"]] == before[ids["X2"]]
    assert ids["X3"] not in after and ids["X1"] not in after and now["X4"] not in after
    queue = review_queue(store)
    returned = [p for p in queue if p.previous is not None]
    assert len(returned) == 1 and returned[0].previous is not None
    assert {returned[0].left["id"], returned[0].right["id"]} == {now["X2"], now["Y2"]}
    assert returned[0].previous["id"] == differ
    assert returned[0].previous["decision"] == "different"
    assert queue[0] is returned[0]  # returned pairs come first
    _ok(store)

    # The next run links the current version only and rebuilds claims that cited
    # records of the old version.
    run_linkage(store, "t", linker=fake_linker(
        store, lambda _r: [[now["X1"], now["Y1"]], [now["X2"], now["Y2"]]]))
    with store.reading() as conn:
        c, cs, r, li = s.claims.c, s.claim_support.c, s.records.c, s.list_imports.c
        stale = conn.execute(
            select(func.count()).select_from(s.claims)
            .join(s.claim_support, cs.claim_id == c.id).join(s.records, r.id == cs.record_id)
            .join(s.list_imports, li.id == r.import_id)
            .where(c.status == "asserted", li.superseded_by.is_not(None))).scalar_one()
        cited = set(conn.execute(
            select(cs.record_id).join(s.claims, c.id == cs.claim_id)
            .where(c.status == "asserted")).scalars())
        linked = set(conn.execute(select(s.person_records.c.record_id)).scalars())
    assert stale == 0
    assert now["X1"] in cited and ids["X1"] not in cited
    assert linked == set(now.values())
    _ok(store)


def test_a_bad_new_version_changes_nothing(store: Store, tmp_path: Path) -> None:
    x = import_list(store, _csv(tmp_path / "x.csv", X_ROWS), source="SYNTHETIC x", actor="t",
                    id_column="ID")
    size = store.size()
    bad = _csv(tmp_path / "bad.csv", [*X_ROWS, ["X1", "Duplicate, Id", "", "", "", ""]])
    with pytest.raises(ValidationError) as refused:
        import_list(store, bad, actor="t", id_column="ID", new_version_of=x.list_id)
    assert any("line 5" in p and "duplicate id" in p for p in refused.value.problems)
    with pytest.raises(NotFoundError):
        import_list(store, _csv(tmp_path / "ok.csv", X_ROWS[:2]), actor="t", id_column="ID",
                    new_version_of="lst_0000")
    with pytest.raises(UserError, match="source"):
        import_list(store, tmp_path / "ok.csv", source="SYNTHETIC x", actor="t",
                    new_version_of=x.list_id)
    with pytest.raises(UserError, match="cannot be public"):
        import_list(store, tmp_path / "ok.csv", actor="t", id_column="ID",
                    new_version_of=x.list_id, sensitivity=Sensitivity.PUBLIC)
    assert store.size() == size
    with store.reading() as conn:
        assert conn.execute(select(s.lists.c.versions)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(s.list_imports)).scalar_one() == 1
    _ok(store)


def test_a_protected_list_matches_its_sealed_records(store: Store, tmp_path: Path) -> None:
    x = import_list(store, _csv(tmp_path / "x.csv", X_ROWS), source="SYNTHETIC x", actor="t",
                    sensitivity=Sensitivity.PROTECTED)
    report = import_list(store, _csv(tmp_path / "x2.csv", X_ROWS[:2]), actor="t",
                         new_version_of=x.list_id)
    assert report.version is not None
    assert (report.version.removed, report.version.unchanged) == (1, 2)
    with store.reading() as conn:
        levels = set(conn.execute(
            select(s.records.c.sensitivity).where(s.records.c.import_id == report.import_id)
        ).scalars())
        sealed = conn.execute(
            select(func.count()).select_from(s.records)
            .where(s.records.c.import_id == report.import_id, s.records.c.sealed.is_(None))
        ).scalar_one()
    assert levels == {"protected"} and sealed == 0  # the new version stays sealed
    _ok(store)
