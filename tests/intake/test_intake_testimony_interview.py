"""A testimony's interview changed afterwards: one event carrying the whole interview and
the names of the fields changed, sealed like the testimony (the witness kept in the same
payload), refused when the testimony changed since it was read, and erased with the rest:
every interview it ever had is unreadable once the witness withdraws."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake import testimonies as tm
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger
from dadkhahi.store.versions import VersionMismatchError

MARK = "SYNTHETICINTERVIEWQX"


def _recorded(store: Store, level: Sensitivity = Sensitivity.PROTECTED) -> dict[str, str]:
    return tm.add_testimony(store, tm.TestimonySpec(
        title="SYNTHETIC interview", witness_name=f"{MARK}-witness",
        interviewer=f"{MARK}-first interviewer", language="fa", read_back=False,
        others_present=[f"{MARK}-sister"], sensitivity=level), "t")


def _row(store: Store, testimony_id: str) -> dict[str, object]:
    with store.reading() as conn:
        return dict(conn.execute(select(s.testimonies).where(
            s.testimonies.c.id == testimony_id)).mappings().one())


def _opened(store: Store, testimony_id: str) -> dict[str, object]:
    with store.reading() as conn:
        return tm.testimony_details(store, conn, testimony_id)


def test_a_change_is_one_sealed_event_and_keeps_the_witness(store: Store) -> None:
    made = _recorded(store)
    version = int(str(_row(store, made["testimony_id"])["ledger_index"]))
    changed, index = tm.change_interview(store, made["pseudonym"], {
        "interviewer": f" {MARK}-second interviewer ", "interview_place": f"{MARK}-town",
        "others_present": [f"{MARK}-sister", " ", f"{MARK}-lawyer"], "read_back": False},
        "t", expected_version=version)
    assert changed == ["interview_place", "interviewer", "others_present"]
    assert index is not None
    shown = _opened(store, made["testimony_id"])
    assert shown["interviewer"] == f"{MARK}-second interviewer"  # trimmed
    assert shown["interview_place"] == f"{MARK}-town"
    assert shown["others_present"] == [f"{MARK}-sister", f"{MARK}-lawyer"]
    assert shown["read_back"] is False and shown["language"] == "fa"  # kept
    assert shown["witness_name"] == f"{MARK}-witness"  # the witness in the new payload
    row = _row(store, made["testimony_id"])
    assert row["ledger_index"] == index
    assert MARK not in json.dumps({k: v for k, v in row.items() if k != "sealed"})
    with store.reading() as conn:
        event = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.idx == index)).scalar_one()
    assert MARK.encode() not in bytes(event)
    data = json.loads(event)["data"]
    assert json.loads(event)["type"] == "testimony.interview_changed"
    assert data["changed"] == changed and data["id"] == made["testimony_id"]
    # The ledger gives the same table again (the projection is a function of the log).
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok


def test_nothing_changed_writes_nothing_and_a_stale_version_is_refused(store: Store) -> None:
    made = _recorded(store)
    tid = made["testimony_id"]
    version = int(str(_row(store, tid)["ledger_index"]))
    assert tm.change_interview(store, tid, {"interviewer": f"{MARK}-first interviewer",
                                            "language": "fa"}, "t",
                               expected_version=version) == ([], None)
    assert _row(store, tid)["ledger_index"] == version
    tm.change_interview(store, tid, {"language": "en"}, "t", expected_version=version)
    with pytest.raises(VersionMismatchError):
        tm.change_interview(store, tid, {"language": "de"}, "t", expected_version=version)
    assert _opened(store, tid)["language"] == "en"


@pytest.mark.parametrize(("fields", "named"), [
    ({"witness_name": "x"}, "witness_name"), ({"title": "x"}, "title"),
    ({"language": "x" * 36}, "language"), ({"read_back": "yes"}, "read_back"),
    ({"others_present": "one"}, "others_present"), ({"interviewer": 3}, "interviewer"),
    ({}, "nothing to change")])
def test_a_bad_field_is_refused_by_name_and_nothing_is_written(
        store: Store, fields: dict[str, object], named: str) -> None:
    made = _recorded(store)
    before = _row(store, made["testimony_id"])
    with pytest.raises(ValidationError, match=named) as refused:
        tm.change_interview(store, made["testimony_id"], fields, "t", expected_version=None)
    assert "xxx" not in str(refused.value)  # the value is never quoted
    assert _row(store, made["testimony_id"]) == before


def test_a_testimony_not_protected_changes_in_clear_without_the_witness(store: Store) -> None:
    made = _recorded(store, Sensitivity.PUBLIC)
    tm.change_interview(store, made["testimony_id"], {"interpreter": "SYNTHETIC interpreter",
                                                      "read_back": None}, "t",
                        expected_version=None)
    row = _row(store, made["testimony_id"])
    assert row["sealed"] is None and row["interpreter"] == "SYNTHETIC interpreter"
    assert row["witness_name"] == f"{MARK}-witness" and row["read_back"] is None


def test_erasing_destroys_every_interview_the_testimony_had(store: Store) -> None:
    made = _recorded(store)
    tid = made["testimony_id"]
    tm.change_interview(store, tid, {"interviewer": f"{MARK}-second"}, "t",
                        expected_version=None)
    tm.change_interview(store, tid, {"interviewer": f"{MARK}-third"}, "t",
                        expected_version=None)
    with store.reading() as conn:
        payloads = [json.loads(b)["data"] for b in conn.execute(
            select(s.ledger_events.c.body).where(s.ledger_events.c.type.in_(
                ("testimony.recorded", "testimony.interview_changed")))
            .order_by(s.ledger_events.c.idx)).scalars()]
    sealed = [d["sealed"] for d in payloads if d["id"] == tid]
    assert len(sealed) == 3
    with store.reading() as conn:
        assert all(store.keys.unseal(conn, x, tid) is not None for x in sealed)
    tm.erase_testimony(store, tid, "SYNTHETIC withdrawal", "t")
    with store.reading() as conn:
        # The first and second interviews, replaced, were in the ledger's events only.
        assert [store.keys.unseal(conn, x, tid) for x in sealed] == [None, None, None]
    assert _opened(store, tid).get("erased") is True
    with pytest.raises(ValidationError, match="erased"):
        tm.change_interview(store, tid, {"interviewer": "x"}, "t", expected_version=None)
