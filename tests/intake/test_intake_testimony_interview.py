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
from dadkhahi.intake.erasure import erase_source
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


@pytest.mark.parametrize("erase", ["testimony", "source"])
def test_erasing_destroys_every_interview_the_testimony_had(store: Store, erase: str) -> None:
    """Whether the testimony is erased or its source (which takes its testimony with
    it), the interviews it had before are erased too."""
    made = _recorded(store)
    tid, sid = made["testimony_id"], made["source_id"]
    tm.change_interview(store, tid, {"interviewer": f"{MARK}-second"}, "t",
                        expected_version=None)
    tm.change_interview(store, tid, {"interviewer": f"{MARK}-third", "language": "ku"}, "t",
                        expected_version=None)
    # The source's title was sealed twice (registered, then with its new language).
    with store.reading() as conn:
        titles = [json.loads(b)["data"]["sealed"] for b in conn.execute(
            select(s.ledger_events.c.body).where(s.ledger_events.c.type.in_(
                ("source.registered", "source.language_changed")))
            .order_by(s.ledger_events.c.idx)).scalars() if sid.encode() in b]
        assert len(titles) == 2
        assert all(store.keys.unseal(conn, x, sid) is not None for x in titles)
    with store.reading() as conn:
        payloads = [json.loads(b)["data"] for b in conn.execute(
            select(s.ledger_events.c.body).where(s.ledger_events.c.type.in_(
                ("testimony.recorded", "testimony.interview_changed")))
            .order_by(s.ledger_events.c.idx)).scalars()]
    sealed = [d["sealed"] for d in payloads if d["id"] == tid]
    assert len(sealed) == 3
    with store.reading() as conn:
        assert all(store.keys.unseal(conn, x, tid) is not None for x in sealed)
    if erase == "testimony":
        tm.erase_testimony(store, tid, "SYNTHETIC withdrawal", "t")
    else:
        erase_source(store, made["source_id"], "SYNTHETIC withdrawal", "t")
    with store.reading() as conn:
        # The first and second interviews, replaced, were in the ledger's events only.
        assert [store.keys.unseal(conn, x, tid) for x in sealed] == [None, None, None]
        assert [store.keys.unseal(conn, x, sid) for x in titles] == [None, None]
    assert _opened(store, tid).get("erased") is True
    with pytest.raises(ValidationError, match="erased"):
        tm.change_interview(store, tid, {"interviewer": "x"}, "t", expected_version=None)


@pytest.mark.parametrize("level", [Sensitivity.PUBLIC, Sensitivity.PROTECTED])
def test_the_interview_s_language_is_its_source_s(store: Store, level: Sensitivity) -> None:
    """A testimony is a source: its source took the interview's language when recorded,
    and takes it again when the interview's language changes (sealed again with the rest
    of a protected source's fields); the rest of the source stays as it was."""
    made = _recorded(store, level)
    sid = made["source_id"]

    def source() -> dict[str, object]:
        with store.reading() as conn:
            row = dict(conn.execute(select(s.sources).where(s.sources.c.id == sid))
                       .mappings().one())
            return store.keys.open_row(conn, row)

    before = source()
    assert before["language"] == "fa"
    tm.change_interview(store, made["testimony_id"], {"interviewer": "SYNTHETIC other"},
                        "t", expected_version=None)
    assert source()["ledger_index"] == before["ledger_index"]  # no language change
    tm.change_interview(store, made["testimony_id"], {"language": "ku"}, "t",
                        expected_version=None)
    after = source()
    assert after["language"] == "ku"
    assert {k: v for k, v in after.items() if k not in ("language", "ledger_index")} == \
        {k: v for k, v in before.items() if k not in ("language", "ledger_index")}
    with store.reading() as conn:
        raw = conn.execute(select(s.sources.c.language, s.sources.c.title)
                           .where(s.sources.c.id == sid)).one()
        body = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.type == "source.language_changed")).scalar_one()
        assert verify_ledger(conn, store.verifier_key()).ok
    if level is Sensitivity.PROTECTED:
        # Neither the row nor the event shows the language or the title in clear.
        assert tuple(raw) == ("[protected]", "[protected]")
        data = json.loads(body)["data"]
        assert (data["language"], data["title"]) == ("[protected]", "[protected]")
        assert b"SYNTHETIC" not in body and data["sealed"]
    else:
        assert tuple(raw) == ("ku", "SYNTHETIC interview")
    tm.change_interview(store, made["testimony_id"], {"language": None}, "t",
                        expected_version=None)
    assert source()["language"] is None
