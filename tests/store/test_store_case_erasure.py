"""Revision 0005 (``store.case_erasure.sweep``): what erasures before 65d827a left readable
of the cases is erased when the home is opened, on SQLite and PostgreSQL, reproducing the
attack on a home as those erasures left it.

Between 0cdcbf4 and 65d827a an erasure erased a case link with its fact but left the gap
marks on the link's element readable (a mark's note may quote the erased witness); before
0cdcbf4 it left the link readable too. The tests build such homes with today's erasure
made to skip what the older code did not do (``gap_mark_keys``, ``erased_case_links``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from old_homes import run_status
from sqlalchemy import select, text
from typer.testing import CliRunner

from dadkhahi.access import sessions
from dadkhahi.access.grants import grant
from dadkhahi.access.policy import Principal
from dadkhahi.api import create_app
from dadkhahi.api.settings import ApiSettings
from dadkhahi.cases import service
from dadkhahi.cases.case import Scope, add_charge, create_case, link_fact
from dadkhahi.cases.gaps import mark_gap
from dadkhahi.cli.main import app as cli_app
from dadkhahi.domain.errors import UserError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import (
    ActType,
    Credibility,
    Direction,
    GapStatus,
    Reliability,
    Sensitivity,
)
from dadkhahi.facts.entities import Support
from dadkhahi.intake.erasure import erase_source
from dadkhahi.intake.sources import register_source
from dadkhahi.services.objects import record_act
from dadkhahi.store import case_erasure
from dadkhahi.store import schema as s
from dadkhahi.store.db import make_engine
from dadkhahi.store.home import Home
from dadkhahi.store.migrate import HEAD_REVISION, Upgraded, current_revision, upgrade
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger
from witness_world import witness_and_reader

P = Sensitivity.PROTECTED


@dataclass
class Marked:
    """A case of the investigator's: a charge whose element 1 is proven by an act told by
    the witness and element 2 by one from another source, a second charge, and a mark
    on each (the witness's words in those of the first charge)."""

    witness: str
    case_id: str
    charge: str
    investigator: Principal
    #: The marks by name: ``one`` (element 1), ``two`` (element 2), ``other`` (the
    #: second charge's element 1).
    marks: dict[str, str]


def _marked(store: Store) -> Marked:
    witness, report, suspect, who = witness_and_reader(store)
    acts = [record_act(store, who, ActType.EXECUTION, Support(src), place_id=None, date=None,
                       description="SYNTHETIC act", sensitivity=P)["id"]
            for src in (witness, report)]
    case_id = create_case(store, "tester", "SYNTHETIC case", Scope((suspect,), tuple(acts)),
                          members=["investigator"])
    charges = [add_charge(store, "tester", case_id, suspect, "national-murder", "murder",
                          mode) for mode in ("instigator", "accomplice")]
    for act, element in zip(acts, ("1", "2"), strict=True):
        link_fact(store, "tester", case_id, charges[0], element, "act", act,
                  reliability=Reliability.B, credibility=Credibility.PROBABLY_TRUE,
                  how="SYNTHETIC how", direction=Direction.INCRIMINATING)
    marks = {name: mark_gap(store, "tester", case_id, charge, element,
                            GapStatus.INVESTIGATING, note)
             for name, charge, element, note in (
                 ("one", charges[0], "1", "MRKONEQ she named a second guard"),
                 ("two", charges[0], "2", "MRKTWOQ as she said of the report"),
                 ("other", charges[1], "1", "SYNTHETIC the other charge's mark"))}
    return Marked(witness, case_id, charges[0], who, marks)


def _erased_as_before_65d827a(store: Store, made: Marked, monkeypatch: pytest.MonkeyPatch,
                              *, links_too: bool = False) -> None:
    """The witness's source erased by the code of 0cdcbf4..65d827a (the link goes, its
    element's marks stay), or before 0cdcbf4 (``links_too``: the link stays as well)."""
    with monkeypatch.context() as old:
        old.setattr(case_erasure, "gap_mark_keys", lambda *a, **k: [])
        if links_too:
            old.setattr(case_erasure, "erased_case_links", lambda *a, **k: [])
        erase_source(store, made.witness, "SYNTHETIC witness asked", "tester")


def _notes(store: Store, made: Marked) -> str:
    """Every mark's note the investigator reads in the gap report (service)."""
    return json.dumps(service.case_gaps(store, made.investigator, made.case_id, threshold=9))


def _readable(store: Store, made: Marked) -> dict[str, bool]:
    """Whether each mark's key is still there (with the master key: its note readable)."""
    g = s.case_gap_marks.c
    with store.reading() as conn:
        sealed = dict(conn.execute(select(g.id, g.sealed)).all())
        kept = set(conn.execute(select(s.data_keys.c.id)).scalars())
    return {name: sealed[mark]["key_id"] in kept for name, mark in made.marks.items()}


def _stamped(store: Store, revision: str = "0004") -> Home:
    """The home stamped ``revision`` (0005 changes no table, so the stamp says it all),
    closed."""
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    store.engine.dispose()
    return store.home


def _reopened(store: Store, revision: str = "0004") -> Store:
    """The home stamped ``revision``, opened as every command opens it."""
    return Store.open(_stamped(store, revision))


def _verified(store: Store) -> None:
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
    assert report.ok, report.findings[:3]


def test_marks_an_erasure_before_65d827a_left_readable_are_erased_by_the_upgrade(
        store: Store, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The attack at 0004: the link went with the witness's act, the note quoting her on
    its element still reads. The link's element went with its key, so every mark of that
    charge written before the erasure goes (element 2's too); a mark of the other charge
    and one written after the erasure stay. Every read path shows none of them, the case
    counts them, the start-up says how many and nothing else."""
    made = _marked(store)
    _erased_as_before_65d827a(store, made, monkeypatch)
    made.marks["after"] = mark_gap(store, "tester", made.case_id, made.charge, "2",
                                   GapStatus.ACCEPTED, "SYNTHETIC written after the erasure")
    assert "MRKONEQ" in _notes(store, made)  # the attack: before the fix, the note reads
    assert service.case_matrix(store, made.investigator, made.case_id)["erased_marks"] == 0
    size = store.size()

    with caplog.at_level(logging.WARNING):
        app = create_app(_stamped(store), ApiSettings())  # opens (so upgrades) it
    upgraded = app.state.store
    try:
        assert upgraded.upgraded == Upgraded("0004", marks_erased=2, keys_destroyed=2)
        assert current_revision(upgraded.engine) == HEAD_REVISION
        assert _readable(upgraded, made) == {"one": False, "two": False, "other": True,
                                             "after": True}
        assert upgraded.size() == size + 2
        _verified(upgraded)
        said = [r.getMessage() for r in caplog.records if "upgrade" in r.getMessage()]
        assert said == [f"this home's database was upgraded from schema revision 0004 to "
                        f"{HEAD_REVISION} (this version of dadkhahi's)",
                        "the upgrade erased 2 gap mark(s) left readable by an earlier "
                        "erasure (a note may quote the erased witness)"], said
        assert "MRK" not in _notes(upgraded, made)
        by_element = {(g["charge_id"], g["element_id"]): g["mark"] for g in
                      service.case_gaps(upgraded, made.investigator, made.case_id,
                                        threshold=9)}
        assert by_element[(made.charge, "1")] is None
        assert by_element[(made.charge, "2")]["id"] == made.marks["after"]
        token = sessions.open_session(upgraded, made.investigator, "127.0.0.1")
        client = TestClient(app, raise_server_exceptions=False)
        auth = {"Authorization": f"Bearer {token}"}
        case = client.get(f"/api/cases/{made.case_id}", headers=auth)
        gaps = client.get(f"/api/cases/{made.case_id}/gaps?threshold=9", headers=auth)
        assert case.status_code == gaps.status_code == 200, (case.text, gaps.text)
        assert case.json()["erased_marks"] == 2 and case.json()["erased_links"] == 1
        assert "MRK" not in gaps.text and "SYNTHETIC written after" in gaps.text
        home = str(upgraded.home.path)
        out = CliRunner().invoke(cli_app, ["--home", home, "case", "gaps", made.case_id,
                                           "--threshold", "9"], env={"COLUMNS": "300"})
        assert out.exit_code == 0, out.output
        assert "MRK" not in out.output and "SYNTHETIC written after" in out.output
        assert "gap marks erased with a link on their element: 2" in out.output
        out = CliRunner().invoke(cli_app, ["--home", home, "case", "show", made.case_id,
                                           "--json"])
        assert out.exit_code == 0 and json.loads(out.output)["erased_marks"] == 2
        assert "MRK" not in out.output
        # Opened again: nothing more to erase (the reads above were audited).
        size = upgraded.size()
        assert upgrade(upgraded.engine) is None and upgraded.size() == size
    finally:
        upgraded.engine.dispose()


def test_a_link_whose_fact_was_erased_before_0cdcbf4_goes_with_its_element_s_marks(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Erased before links went with their fact, the link (its note) and the marks on its
    element still read: the upgrade erases them by the erasure's own rule, the link's
    element known (so element 2's mark stays), marks written since the fact's erasure
    too (the link is erased now)."""
    made = _marked(store)
    _erased_as_before_65d827a(store, made, monkeypatch, links_too=True)
    made.marks["after"] = mark_gap(store, "tester", made.case_id, made.charge, "1",
                                   GapStatus.ACCEPTED, "MRKAFTERQ as she told it")
    shown = service.case_matrix(store, made.investigator, made.case_id)
    assert shown["erased_links"] == 0 and "MRKAFTERQ" in _notes(store, made)  # the attack

    upgraded = _reopened(store)
    try:
        assert upgraded.upgraded == Upgraded("0004", links_erased=1, marks_erased=2,
                                             keys_destroyed=3)
        assert _readable(upgraded, made) == {"one": False, "two": True, "other": True,
                                             "after": False}
        shown = service.case_matrix(upgraded, made.investigator, made.case_id)
        assert shown["erased_links"] == 1 and shown["erased_marks"] == 2
        shown_text = _notes(upgraded, made) + json.dumps(shown)
        assert "MRKONEQ" not in shown_text and "MRKAFTERQ" not in shown_text
        assert "MRKTWOQ" in shown_text  # another element's: the link's element is known
        _verified(upgraded)
    finally:
        upgraded.engine.dispose()


def test_what_an_erasure_since_65d827a_left_stays(store: Store) -> None:
    """An erasure with 65d827a's rule took the marks of the link's element itself: the
    upgrade takes nothing more (element 2's mark, and one written since, stay readable),
    though the link's element is unknown to it; so does a later erasure that took no mark."""
    made = _marked(store)
    with store.transaction("tester") as tx:
        later = register_source(store, tx, SourceSpec(title="SYNTHETIC later",
                                                      sensitivity=P))
    grant(store, later, str(made.investigator.user_id), "tester")
    act = record_act(store, made.investigator, ActType.EXECUTION, Support(later),
                     place_id=None, date=None, description="SYNTHETIC act", sensitivity=P)
    link_fact(store, "tester", made.case_id, made.charge, "3", "act", act["id"],
              reliability=Reliability.B, credibility=Credibility.PROBABLY_TRUE,
              how="SYNTHETIC how", direction=Direction.INCRIMINATING)
    erase_source(store, made.witness, "SYNTHETIC witness asked", "tester")
    made.marks["after"] = mark_gap(store, "tester", made.case_id, made.charge, "1",
                                   GapStatus.ACCEPTED, "SYNTHETIC written after the erasure")
    erase_source(store, later, "SYNTHETIC witness asked", "tester")  # takes no mark
    size = store.size()

    upgraded = _reopened(store)
    try:
        assert upgraded.upgraded == Upgraded("0004")
        assert upgraded.size() == size
        shown = service.case_matrix(upgraded, made.investigator, made.case_id)
        assert shown["erased_links"] == 2 and shown["erased_marks"] == 1
        assert _readable(upgraded, made) == {"one": False, "two": True, "other": True,
                                             "after": True}
    finally:
        upgraded.engine.dispose()


def _at_an_older_0001(store: Store) -> None:
    """As an early edit of 0001 built the home (as in test_store_act_levels)."""
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE fulltext_state"))
        conn.execute(text("ALTER TABLE acts DROP COLUMN date_text"))
        conn.execute(text("ALTER TABLE claims DROP COLUMN date_text"))


def test_a_home_of_an_older_0001_is_completed_then_swept(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    made = _marked(store)
    _erased_as_before_65d827a(store, made, monkeypatch)
    _at_an_older_0001(store)
    upgraded = _reopened(store, "0001")
    try:
        assert upgraded.upgraded == Upgraded("0001", marks_erased=2, keys_destroyed=2)
        assert current_revision(upgraded.engine) == HEAD_REVISION
        assert "MRK" not in _notes(upgraded, made)
        _verified(upgraded)
    finally:
        upgraded.engine.dispose()


def _events(store: Store) -> list[str]:
    e = s.ledger_events.c
    with store.reading() as conn:
        return list(conn.execute(select(e.type).order_by(e.idx)).scalars())


def test_an_upgrade_failing_in_0005_leaves_the_home_at_0004_and_its_ledger(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The charter: a crash in the middle of a write leaves the store and the ledger
    consistent. 0005 fails after its events are appended (at the checkpoint's signing):
    nothing is destroyed, the home stays at 0004, and the next open sweeps it."""
    from dadkhahi.store import ledger_log

    made = _marked(store)
    _erased_as_before_65d827a(store, made, monkeypatch)
    events, home = _events(store), store.home

    def crash(*_: object, **__: object) -> None:
        raise RuntimeError("SYNTHETIC crash while signing")

    with monkeypatch.context() as crashing, pytest.raises(RuntimeError, match="SYNTHETIC"):
        crashing.setattr(ledger_log, "sign_checkpoint", crash)
        _reopened(store)
    engine = make_engine(home.database_url())
    try:
        assert current_revision(engine) == "0004"
    finally:
        engine.dispose()
    reopened = Store.open(home)
    try:
        assert _events(reopened)[:len(events)] == events
        assert _events(reopened)[len(events):] == ["key.destroyed", "key.destroyed"]
        assert _readable(reopened, made) == {"one": False, "two": False, "other": True}
        _verified(reopened)
    finally:
        reopened.engine.dispose()


def test_the_sweep_needs_the_home_s_keys_and_says_only_counts(
        store: Store, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """An upgrade handed no keys cannot open the links: refused, nothing changed. The
    command opening the home says how many marks it erased, no ID and no words."""
    made = _marked(store)
    _erased_as_before_65d827a(store, made, monkeypatch)
    home = _stamped(store)
    with pytest.raises(UserError, match="2 sealed case link"):
        upgrade(store.engine)
    assert current_revision(store.engine) == "0004"
    store.engine.dispose()
    code, _, err = run_status(home, monkeypatch, capsys)
    assert code in (0, None), err
    assert err.strip().splitlines() == [
        f"note: this home's database was upgraded from schema revision 0004 to "
        f"{HEAD_REVISION} (this version of dadkhahi's)",
        "note: the upgrade erased 2 gap mark(s) left readable by an earlier erasure (a "
        "note may quote the erased witness)"], err
    assert not any(v in err for v in (*made.marks.values(), made.case_id)) and "MRK" not in err
    assert run_status(home, monkeypatch, capsys)[2] == ""  # opened again: nothing said
