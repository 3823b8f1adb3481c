"""Revision 0004 (``store.act_levels``): an act recorded before 2701f0e less protected than
the source it was told from is raised to that source's level by an ``act.raised`` event,
on SQLite and PostgreSQL, reproducing the attack on a home as it was at 0003."""

from __future__ import annotations

import json
from datetime import date

import pytest
from old_homes import run_status
from sqlalchemy import inspect, select, text

from dadkhahi.access.grants import grant
from dadkhahi.access.policy import Principal, Role
from dadkhahi.access.reads import RESOURCES, export_events, get_object
from dadkhahi.access.users import add_user
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import ACT_ACCOUNT, ActType, EntityKind, Sensitivity
from dadkhahi.facts import entities
from dadkhahi.facts.entities import Support
from dadkhahi.intake.erasure import erase_source
from dadkhahi.intake.sources import register_source
from dadkhahi.services import facts
from dadkhahi.store import schema as s
from dadkhahi.store.db import make_engine
from dadkhahi.store.migrate import HEAD_REVISION, Upgraded, current_revision, upgrade
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

P, R = Sensitivity.PROTECTED, Sensitivity.RESTRICTED
WHEN = DateRange(date(1988, 8, 3), date(1988, 8, 3), "MRKDATEQ")


def _told_the_old_way(store: Store) -> dict[str, str]:
    """What ``record_act`` wrote before 2701f0e: the act at the level asked, its account
    claim (raised by its support, as ever) citing the source. One act from a protected
    testimony (then corrected from it: two versions in clear), one from a record of a
    restricted list (raised to restricted from public), and one at its source's level."""
    with store.transaction("tester") as tx:
        witness = register_source(store, tx, SourceSpec(title="SYNTHETIC witness",
                                                        sensitivity=P))
        listing = register_source(store, tx, SourceSpec(title="SYNTHETIC list",
                                                        sensitivity=Sensitivity.PUBLIC))
        report = register_source(store, tx, SourceSpec(title="SYNTHETIC report",
                                                       sensitivity=R))
    with store.transaction("tester") as tx:
        from dadkhahi.intake.records import add_record

        record = add_record(tx, listing, Sensitivity.PUBLIC, {"name": "SYNTHETIC row"},
                            normalized=None, item_id=None, external_id=None,
                            sensitivity=R)
        ids = {"witness": witness, "report": report}
        for key, level, support in (
                ("told", R, Support(witness, locator="segment 2")),
                ("listed", Sensitivity.PUBLIC, Support(listing, record_id=record)),
                ("level", R, Support(report))):
            ids[key] = entities.create_act(tx, ActType.EXECUTION, date=WHEN,
                                           description=f"MRK{key.upper()}Q",
                                           sensitivity=level)
            entities.add_claim(tx, EntityKind.ACT, ids[key], ACT_ACCOUNT,
                               {"type": "execution", "date": WHEN.text}, [support],
                               date=WHEN, sensitivity=level)
    with store.transaction("tester") as tx:  # a correction then allowed, in clear too
        from dadkhahi.facts import edits

        edits.change_act(tx, ids["told"], act_type=ActType.TORTURE, place_id=None,
                         date=WHEN, description="MRKCHANGEDQ")
        entities.add_claim(tx, EntityKind.ACT, ids["told"], ACT_ACCOUNT,
                           {"type": "torture", "date": WHEN.text}, [Support(witness)],
                           date=WHEN, sensitivity=R)
    return ids


def _at_0003(store: Store) -> None:
    """The home as 0003 left it: 0004 changes no table, so its stamp says it all."""
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))


def _level(store: Store, act: str) -> tuple[str, str, object]:
    with store.reading() as conn:
        row = conn.execute(select(s.acts.c.sensitivity, s.acts.c.description,
                                  s.acts.c.sealed).where(s.acts.c.id == act)).one()
    return str(row[0]), str(row[1]), row[2]


def _reads_as_erased(store: Store, act: str) -> None:
    """The act as one granted it reads it (a raised act is in no one's scope yet)."""
    named = add_user(store, "investigator", Role.INVESTIGATOR, "SYNTHETIC pass 2", "tester")
    grant(store, act, named, "tester")
    investigator = Principal(user_id=named, username="investigator", role=Role.INVESTIGATOR)
    gone = get_object(store, investigator, RESOURCES["acts"], act)
    assert gone.get("erased") is True and "MRK" not in json.dumps(gone), gone


def _verified(store: Store) -> None:
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
    assert report.ok, report.findings[:3]


def test_an_old_act_is_raised_to_its_source_s_level_and_erased_with_it(
        store: Store) -> None:
    ids = _told_the_old_way(store)
    user = add_user(store, "analyst", Role.ANALYST, "SYNTHETIC pass 1", "tester")
    team = Principal(user_id=user, username="analyst", role=Role.ANALYST)
    # The attack at 0003: the team reads the witness's words.
    assert get_object(store, team, RESOURCES["acts"], ids["told"])["description"] == (
        "MRKCHANGEDQ")
    _at_0003(store)
    home, size = store.home, store.size()
    store.engine.dispose()

    store = Store.open(home)
    try:
        told, listed, level = (_level(store, ids[k]) for k in ("told", "listed", "level"))
        assert told[0] == "protected" and "MRK" not in told[1] and told[2] is not None
        assert store.upgraded == Upgraded("0003", acts_raised=2, acts_protected=1)
        assert current_revision(store.engine) == HEAD_REVISION
        assert listed[0] == "restricted" and level[0] == "restricted"
        e = s.ledger_events.c
        with store.reading() as conn:
            raised = [json.loads(b)["data"] for b in conn.execute(
                select(e.body).where(e.type == "act.raised").order_by(e.idx)).scalars()]
        # In the order of the acts' rows (the corrected act's row was written last).
        assert [r["id"] for r in raised] == [ids["listed"], ids["told"]]
        assert store.size() == size + 2 and "MRK" not in json.dumps(raised[1])
        _verified(store)  # a replay of the ledger gives the raised levels
        # Every read path the team has now refuses the act (the event in clear included).
        with pytest.raises(NotFoundError):
            get_object(store, team, RESOURCES["acts"], ids["told"])
        with pytest.raises(NotFoundError):
            facts.act_view(store, team, ids["told"])
        shown = [ev for ev in export_events(store, team)
                 if "MRKCHANGEDQ" in json.dumps(ev) or "MRKTOLDQ" in json.dumps(ev)]
        assert shown == []
        assert get_object(store, team, RESOURCES["acts"], ids["listed"])["description"] == (
            "MRKLISTEDQ")  # restricted now: still the team's
        # Opened again: nothing more to raise.
        assert upgrade(store.engine) is None and store.size() == size + 2

        erase_source(store, ids["witness"], "SYNTHETIC witness asked", "tester")
        _reads_as_erased(store, ids["told"])
        with store.reading() as conn:
            assert raised[1]["sealed"]["key_id"] not in set(
                conn.execute(select(s.data_keys.c.id)).scalars())
        _verified(store)
    finally:
        store.engine.dispose()


def test_an_old_act_whose_source_was_erased_before_the_upgrade_is_erased_by_it(
        store: Store) -> None:
    """The witness asked for erasure at 0003: the act had no key, so its words stayed in
    its row for the team. The raise seals them under a key it destroys at once."""
    ids = _told_the_old_way(store)
    erase_source(store, ids["witness"], "SYNTHETIC witness asked", "tester")
    assert _level(store, ids["told"])[1] == "MRKCHANGEDQ"  # the attack at 0003
    _at_0003(store)
    home = store.home
    store.engine.dispose()

    store = Store.open(home)
    try:
        told = _level(store, ids["told"])
        assert told[0] == "protected" and "MRK" not in told[1]
        _reads_as_erased(store, ids["told"])
        assert _level(store, ids["listed"])[0] == "restricted"  # raised, no key to destroy
        _verified(store)
    finally:
        store.engine.dispose()


def test_a_home_with_acts_to_raise_is_not_upgraded_without_its_keys(store: Store) -> None:
    """The raise writes the ledger: an upgrade handed no keys refuses, changing nothing
    (Store.open, which every command uses, hands them)."""
    ids = _told_the_old_way(store)
    _at_0003(store)
    with pytest.raises(UserError, match="2 act"):
        upgrade(store.engine)
    assert current_revision(store.engine) == "0003"
    assert _level(store, ids["told"])[0] == "restricted"


def _at_an_older_0001(store: Store) -> None:
    """The home as an early edit of 0001 built it (before d70a0c9, stamped 0001), lacking
    what later edits added (as in test_store_migrations: e.g. ``acts.date_text``, which
    the raise copies into its event, and the ``fulltext_state`` table)."""
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        conn.execute(text("DROP TABLE fulltext_state"))
        conn.execute(text("ALTER TABLE acts DROP COLUMN date_text"))
        conn.execute(text("ALTER TABLE claims DROP COLUMN date_text"))


def _events(store: Store) -> list[str]:
    e = s.ledger_events.c
    with store.reading() as conn:
        return list(conn.execute(select(e.type).order_by(e.idx)).scalars())


def test_a_home_of_an_older_0001_gets_its_columns_before_its_acts_are_raised(
        store: Store) -> None:
    """A home stamped 0001 is completed from the declared tables (``complete_from_
    declared``) before 0004 reads its acts and writes the ledger: it was done after the
    whole upgrade, so 0004 read ``acts.date_text`` before it existed and the home did not
    open. The raised act carries the date text the ledger holds (filled back first)."""
    ids = _told_the_old_way(store)
    _at_an_older_0001(store)
    home, size = store.home, store.size()
    store.engine.dispose()

    store = Store.open(home)
    try:
        assert store.upgraded_from == "0001"
        assert current_revision(store.engine) == HEAD_REVISION
        told = _level(store, ids["told"])
        assert told[0] == "protected" and "MRK" not in told[1] and told[2] is not None
        assert _level(store, ids["listed"])[0] == "restricted"
        e = s.ledger_events.c
        with store.reading() as conn:
            listed = json.loads(conn.execute(select(e.body).where(
                e.type == "act.raised").order_by(e.idx).limit(1)).scalar_one())["data"]
            dated = conn.execute(select(s.acts.c.date_text).where(
                s.acts.c.id == ids["listed"])).scalar_one()
        assert listed["id"] == ids["listed"] and listed["date_text"] == WHEN.text == dated
        assert store.size() == size + 2
        _verified(store)
    finally:
        store.engine.dispose()


def test_an_upgrade_failing_in_0004_leaves_the_home_at_its_revision_and_its_ledger(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The charter: a crash in the middle of a write leaves the store and the ledger
    consistent. 0004 fails after its events are appended (at the checkpoint's signing):
    the whole upgrade, 0002's and the completion's schema changes included, is undone, and
    the next open upgrades the home."""
    from dadkhahi.store import ledger_log

    ids = _told_the_old_way(store)
    _at_an_older_0001(store)
    home, events = store.home, _events(store)
    with store.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("acts")}
        tables = set(inspect(conn).get_table_names())
    store.engine.dispose()

    def crash(*_: object, **__: object) -> None:
        raise RuntimeError("SYNTHETIC crash while signing")

    with monkeypatch.context() as crashing, pytest.raises(RuntimeError, match="SYNTHETIC"):
        crashing.setattr(ledger_log, "sign_checkpoint", crash)
        Store.open(home)
    engine = make_engine(home.database_url())
    try:
        assert current_revision(engine) == "0001"
        with engine.connect() as conn:
            assert {c["name"] for c in inspect(conn).get_columns("acts")} == columns
            assert set(inspect(conn).get_table_names()) == tables
    finally:
        engine.dispose()
    reopened = Store.open(home)
    try:
        assert _events(reopened)[:len(events)] == events
        assert _events(reopened)[len(events):] == ["act.raised", "act.raised"]
        assert _level(reopened, ids["told"])[0] == "protected"
        _verified(reopened)
    finally:
        reopened.engine.dispose()


def test_the_command_opening_the_home_says_how_many_acts_it_raised_and_nothing_of_them(
        store: Store, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """One line on stderr after the upgrade's own: how many acts were raised, how many to
    protected and who may read those now (the grant's command); no ID, no words."""
    ids = _told_the_old_way(store)
    _at_0003(store)
    home = store.home
    store.engine.dispose()
    code, _, err = run_status(home, monkeypatch, capsys)
    assert code in (0, None), err
    assert err.strip().splitlines() == [
        f"note: this home's database was upgraded from schema revision 0003 to "
        f"{HEAD_REVISION} (this version of dadkhahi's)",
        "note: the upgrade raised 2 act(s) recorded less protected than the sources their "
        "accounts cite to those sources' level; 1 of them now protected, readable only by "
        "users granted them (dadkhahi users grant NAME ACT_ID)"], err
    assert not any(v in err for v in ids.values()) and "MRK" not in err
    assert run_status(home, monkeypatch, capsys)[2] == ""  # opened again: nothing said
