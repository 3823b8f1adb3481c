"""The timeline as the pages read it (issue 14): a page at a time along the date indexes,
the same entries as the disclosure rule row by row, on SQLite and PostgreSQL (SYNTHETIC)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from api_world import World, build_world
from argon2 import PasswordHasher
from sqlalchemy import event, select

from dadkhahi.access import answers, overview, passwords
from dadkhahi.access.overview import acts_by
from dadkhahi.access.policy import ANONYMOUS, Principal, params, visible
from dadkhahi.access.reads import RESOURCES, render_rows
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.vocab import ActType, EntityKind, Sensitivity
from dadkhahi.facts import entities
from dadkhahi.facts.entities import Support
from dadkhahi.services import facts
from dadkhahi.store.store import Store

LEVELS = (Sensitivity.PUBLIC, Sensitivity.RESTRICTED, Sensitivity.PROTECTED)


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    # Cheap Argon2: the world adds a user per role; password strength is not under test.
    monkeypatch.setattr(passwords, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    built = build_world(store, tmp_path)
    # 24 dated claims over 6 days (ties on a day broken by ID), at each level in turn and
    # resting on a source of that level, so a reader's visible ones are scattered among
    # rows they may not see: the timeline's walk needs several rounds to fill a page.
    with store.transaction("tester") as tx:
        for n in range(24):
            level = LEVELS[n % 3]
            day = dt.date(1988, 7, 27) + dt.timedelta(days=n % 6)
            objs = built.objects[level]
            entities.add_claim(tx, EntityKind.PERSON, objs.person, "arrest_date",
                               f"arrested SYNTHETIC {n}", [Support(objs.source)],
                               date=DateRange(day, day, day.isoformat()), sensitivity=level)
            if n % 4 == 0:  # dated acts at each level's prison, in two months
                later = day + dt.timedelta(days=30 * (n % 8 // 4))
                entities.create_act(tx, ActType.EXECUTION, place_id=objs.place,
                                    date=DateRange(later, later, later.isoformat()),
                                    sensitivity=level)
    return built


def _as(world: World, name: str) -> Principal:
    if name == "anonymous":
        return ANONYMOUS
    return Principal(user_id=world.user_ids[name], username=name, role=world.roles[name])


def _expected(store: Store, principal: Principal) -> list[tuple[str, str]]:
    """Every dated act and claim the rule shows this principal, row by row, in order of
    their dates (a protected row's dates opened)."""
    out = []
    with store.reading() as conn:
        for kind, resource in (("act", "acts"), ("claim", "claims")):
            t = RESOURCES[resource].table
            rows = [dict(r) for r in conn.execute(
                select(t).where(visible(principal, t), t.c.date_earliest.is_not(None)),
                params(principal)).mappings()]
            shown, _ = render_rows(store, conn, principal, RESOURCES[resource], rows)
            out += [(str(r["date_earliest"]), str(r["id"]), kind) for r in shown]
    return [(kind, i) for _, i, kind in sorted(out)]


def test_timeline_pages_show_what_the_rule_shows_in_date_order(world: World) -> None:
    for who in ("anonymous", "viewer_g", "analyst", "investigator_g"):
        _walk_the_timeline(world, who)


def _walk_the_timeline(world: World, who: str) -> None:
    principal = _as(world, who)
    expected = _expected(world.store, principal)
    assert len(expected) >= 8  # public claims alone: a walk of several pages
    seen: list[tuple[str, str]] = []
    dates: list[str] = []
    after: tuple[str, str] | None = None
    for _ in range(len(expected) + 1):
        entries, after, pending = facts.timeline_for(world.store, principal, after=after,
                                                     limit=3)
        assert len(entries) <= 3
        seen += [(e["kind"], str(e["row"]["id"])) for e in entries]
        dates += [str(e["date_earliest"]) for e in entries]
        # Only what the page shows is audited: its entries and what they name.
        named = {str(e[k]["id"]) for e in entries for k in ("about", "place") if e.get(k)}
        assert {str(ref[1]) for ref in pending.objects} <= {i for _, i in seen} | named
        if after is None:
            break
    assert seen == expected, who
    # A protected row's dates are sealed in its columns: opened, it takes its place.
    assert dates == sorted(dates) and "[protected]" not in dates
    # A span: only the entries overlapping 29-30 July 1988.
    spanned, _, _ = facts.timeline_for(world.store, principal, earliest="1988-07-29",
                                       latest="1988-07-30", limit=100)
    days = {str(e["date_earliest"]) for e in spanned if e["kind"] == "claim"}
    assert days and days <= {"1988-07-29", "1988-07-30"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_timeline_reads_a_page_not_every_dated_row(world: World) -> None:
    """SQLite's plans of the statements the timeline sends: the dated rows are walked
    along the date indexes in order (no sort of them all in a temporary B-tree), and the
    rule is checked on the rows asked by their IDs (not entered through the claims
    rule's OR over entity kinds, one index search per kind: every claim). Before, the
    rule ran on every dated claim and the whole was sorted: 3.9 s a page at 100,000."""
    sent: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    engine = world.store.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        entries, _, _ = facts.timeline_for(world.store, _as(world, "viewer_g"), limit=100)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert entries
    walked = 0
    with engine.connect() as conn:
        for statement, parameters in sent:
            plan = " | ".join(str(row[-1]) for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters))
            assert "MULTI-INDEX OR" not in plan, (statement, plan)
            if "date_earliest" in statement and "ORDER BY" in statement.upper():
                walked += 1
                assert "TEMP B-TREE" not in plan and "_dated" in plan, (statement, plan)
    assert walked >= 2  # acts and claims


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_viewer_s_timeline_reads_a_page_not_the_rows_it_may_not_see(world: World) -> None:
    """A reader who may see few dated rows (a viewer: public ones) has a page read, not
    every dated row checked: 300 more restricted dated claims and acts among the viewer's
    cost (nearly) nothing more, counted in SQLite's virtual machine steps over every
    statement the timeline sends. Before, the walk went through every dated row of every
    level a round at a time and checked the rule on each round: 1,680.8 ms CPU a page at
    120,000 dated rows (``benchmarks/web/bench_pages.py --reader viewer``). The page is
    still exactly what the rule shows (the viewer's whole walk, after the rows came)."""
    viewer = _as(world, "viewer_g")
    before = _vm_steps(world.store, viewer)
    objs = world.objects[Sensitivity.RESTRICTED]
    with world.store.transaction("tester") as tx:
        for n in range(300):
            day = dt.date(1988, 7, 27) + dt.timedelta(days=n % 6)
            when = DateRange(day, day, day.isoformat())
            entities.add_claim(tx, EntityKind.PERSON, objs.person, "arrest_date",
                               f"arrested SYNTHETIC more {n}", [Support(objs.source)],
                               date=when, sensitivity=Sensitivity.RESTRICTED)
            entities.create_act(tx, ActType.EXECUTION, place_id=objs.place, date=when,
                                sensitivity=Sensitivity.RESTRICTED)
    after = _vm_steps(world.store, viewer)
    assert after - before < 60, (before, after)  # under a tenth of a step a row added
    _walk_the_timeline(world, "viewer_g")


def _vm_steps(store: Store, principal: Principal) -> int:
    """SQLite virtual machine steps of every statement one timeline page sends."""
    steps = [0]
    watched: list[Any] = []

    def count() -> int:
        steps[0] += 1
        return 0  # go on

    def watch(conn: Any, *_: Any) -> None:
        driver = conn.connection.driver_connection
        driver.set_progress_handler(count, 1)
        watched.append(driver)

    engine = store.engine
    event.listen(engine, "before_cursor_execute", watch)
    try:
        facts.timeline_for(store, principal, limit=100)
    finally:
        event.remove(engine, "before_cursor_execute", watch)
        for driver in watched:  # a pooled connection keeps no handler
            driver.set_progress_handler(None, 1)
    assert watched
    return steps[0]


def test_dashboard_counts_are_kept_per_reader_key_and_ledger_state(world: World) -> None:
    """The dashboard and each of its charts ask for the counts and the acts by month,
    prison and province: an answer is kept (a chart after the page sends no count
    again), but only for readers the rule treats alike, and only while the ledger stands
    still. Every answer, served kept or not, is the one counted afresh for that reader,
    asked in an order where each follows a reader of another key (a viewer after a team
    member, a grant holder after one without)."""
    answers.forget()
    order = ("admin", "viewer_g", "anonymous", "analyst", "investigator_g", "admin_g",
             "lawyer_g", "viewer_g", "analyst")
    served = {who: (acts_by(world.store, _as(world, who)),
                    overview.overview(world.store, _as(world, who)).counts) for who in order}
    for who in order:
        answers.forget()
        fresh, fresh_pending = acts_by(world.store, _as(world, who))
        (counts, pending), numbers = served[who]
        assert counts == fresh, who
        assert pending.objects == fresh_pending.objects, who
        assert numbers == overview.overview(world.store, _as(world, who)).counts, who
    # The keys do tell readers apart: a grant holder sees protected acts and places.
    assert served["investigator_g"][0][0] != served["analyst"][0][0]
    assert served["analyst"][0][0] != served["viewer_g"][0][0]
    assert served["investigator_g"][1] != served["analyst"][1]

    # Kept: a second viewer (and a chart after the page) reads the ledger's version only.
    answers.forget()
    acts_by(world.store, _as(world, "viewer_g"))
    sent = _selects(world.store, lambda: acts_by(world.store, ANONYMOUS))
    assert sent and all("FROM ledger_" in x for x in sent), sent
    # The ledger moves (a public act more): counted anew, one more act in its month.
    objs = world.objects[Sensitivity.PUBLIC]
    admin = _as(world, "admin")
    before = acts_by(world.store, admin)[0].month.total
    public_before = acts_by(world.store, ANONYMOUS)[0].month
    with world.store.transaction("tester") as tx:
        for n in range(5):
            day = dt.date(1988, 8, 1 + n)
            entities.create_act(tx, ActType.EXECUTION, place_id=objs.place,
                                date=DateRange(day, day, day.isoformat()),
                                sensitivity=Sensitivity.PUBLIC)
    after = acts_by(world.store, admin)[0].month.total
    assert before is not None and after == before + 5
    assert acts_by(world.store, ANONYMOUS)[0].month != public_before


def _selects(store: Store, read: Any) -> list[str]:
    """The SELECT statements ``read()`` sends."""
    sent: list[str] = []

    def keep(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        read()
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)
    return sent


def test_dashboard_counts_acts_as_the_rule_row_by_row(world: World) -> None:
    """Acts by month and by prison (the dashboard's) are the acts the rule shows each
    reader, counted row by row; outside the team, small cells are merged."""
    for who in ("anonymous", "viewer_g", "analyst", "investigator_g"):
        principal = _as(world, who)
        counts, pending = acts_by(world.store, principal)
        with world.store.reading() as conn:
            t = RESOURCES["acts"].table
            rows = [dict(r) for r in conn.execute(
                select(t).where(visible(principal, t)), params(principal)).mappings()]
            shown, _ = render_rows(world.store, conn, principal, RESOURCES["acts"], rows)
        months: dict[str | None, int] = {}
        prisons: dict[str | None, int] = {}
        for act in shown:
            sealed = act["sensitivity"] == "protected"  # its date is not in clear
            month = None if sealed or not act["date_earliest"] else act["date_earliest"][:7]
            months[month] = months.get(month, 0) + 1
            prisons[act["place_id"]] = prisons.get(act["place_id"], 0) + 1
        if principal.team or len(shown) >= 5:
            assert counts.month.total == counts.prison.total == len(shown), who
        else:  # a small total: nothing but that it is small
            assert counts.month.total is None and not counts.month.shown, who
        if principal.team:
            assert dict(counts.month.shown) == months, who
            assert dict(counts.prison.shown) == prisons, who
        else:
            assert all(n >= 5 or n == 0 for _, n in counts.month.shown), who
            assert counts.month.other is None or counts.month.other >= 5
        named = {str(ref[1]) for ref in pending.objects}
        assert named <= set(counts.places), who
