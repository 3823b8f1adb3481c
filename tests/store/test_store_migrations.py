"""The Alembic migrations build exactly the schema the code declares, on both backends,
and a new database built from the declared tables (``migrate.create_at_head``) is the
one the migrations build."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from old_homes import frozen_names, lay_home_0001, names, run_status
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    func,
    inspect,
    select,
    text,
)

from dadkhahi.store import schema as s
from dadkhahi.store.db import make_engine
from dadkhahi.store.home import Home
from dadkhahi.store.migrate import (
    HEAD_REVISION,
    MIGRATIONS,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from dadkhahi.store.store import Store

#: SHA-256 of every revision script. A revision on main is frozen: homes were built at
#: it and stamped with its name, and Alembic never runs it again for them (until stop 32
#: every change was edited into 0001, and no home stamped 0001 ever got one). A schema
#: change is schema.py plus a NEW revision after the head; add its hash here.
FROZEN = {
    "0001": "eca43543390ea2f1bb6d8b22911e59a5ed1f681e20979cc665a44ace0c6bd572",  # = d70a0c9's
    "0002": "a0b19a42106c5a85ddcb8764b6b2372c39dcba3a1d2dd762b96e77cd2e755aad",
    "0003": "06325fdc12282bf9a222aec744ff788d514b87f68a21997ae4a46d8cefde47b8",
    "0004": "83a73628fe4e02c636e4d6765bc9692c3b0117afa13f60c3103efee8e2b37c19",
    "0005": "c6bc3abedeacf4ccae11fafa52d2d75e6511d757ea05b61ecdf1c8f89231ae0c",
    "0006": "851edb0d8c1cd5a3904b5bdaf3a74ba34794293f44d8c6c82febaf9020cd7126",
    "0007": "7a4eadf8232d83e64b7dafa80d0c75a0aaff4194427ce62d5a58f90372f68864",
    "0008": "733493cf3aabedd242d8199965ec16a1708c619c33b4904e7a7b3dcb5e5e4f24",
}


def _compared(_obj: object, name: str | None, type_: str, _reflected: bool,
              _other: object) -> bool:
    # PostgreSQL's full-text vector (a stored generated column) and its GIN index are
    # made by raw SQL on PostgreSQL only: not declared in the schema.
    return not ((type_ == "index" and name == "ix_search_segments_tsv")
                or (type_ == "column" and name == "tsv"))


@pytest.fixture
def migrated(tmp_path: Path, backend: str, request: pytest.FixtureRequest
             ) -> Iterator[Engine]:
    """An empty database brought to the head by Alembic's migrations, revision after
    revision, as an existing database is: a file of its own on SQLite, a database of its
    own on PostgreSQL (never a schema beside a store's: Alembic then found the store's
    ``alembic_version`` through the search path, saw the head, and migrated nothing)."""
    if backend == "postgresql":
        engine = make_engine(request.getfixturevalue("other_pg_url"))
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    yield engine
    engine.dispose()


def _index(found: Any) -> str:
    """A reflected index as text: a partial index's condition by its SQL (reflected as an
    SQL text object, whose repr names only where it sits in memory)."""
    options = {k: str(v) for k, v in found.get("dialect_options", {}).items()}
    return repr({**found, "dialect_options": options})


def _shape(conn: Connection) -> dict[str, Any]:
    """Everything reflection sees of a database's tables (and Alembic's stamp)."""
    look = inspect(conn)
    shape: dict[str, Any] = {}
    for table in sorted(look.get_table_names()):
        shape[table] = {
            # By name, not position: a column a later revision adds comes last in a
            # migrated table (ALTER TABLE ADD COLUMN), wherever schema.py declares it.
            "columns": sorted((c["name"], str(c["type"]), c["nullable"], c.get("default"),
                               repr(c.get("computed")), c.get("autoincrement"))
                              for c in look.get_columns(table)),
            "primary key": look.get_pk_constraint(table),
            "foreign keys": sorted(map(repr, look.get_foreign_keys(table))),
            "indexes": sorted(map(_index, look.get_indexes(table))),
            "unique": sorted(map(repr, look.get_unique_constraints(table))),
            "checks": sorted(map(repr, look.get_check_constraints(table))),
        }
    shape["stamp"] = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    return shape


def test_migrated_schema_matches_declared_tables(migrated: Engine) -> None:
    assert current_revision(migrated) == head_revision()
    with migrated.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(
            conn, opts={"include_object": _compared}), s.metadata)
    assert diff == []


def test_a_new_database_is_the_one_the_migrations_build(store: Store, migrated: Engine,
                                                        backend: str) -> None:
    # Issue 12 (init in < 1 s): a new home's database is built from the declared tables
    # and stamped, not migrated; it must be the very schema the migrations give an
    # existing database, PostgreSQL's search vector included.
    with store.engine.connect() as built, migrated.connect() as by_alembic:
        mine, theirs = _shape(built), _shape(by_alembic)
        assert MigrationContext.configure(built).get_current_revision() == HEAD_REVISION
    # The ledger's own rows are not schema: compare tables, not what init wrote.
    assert mine == theirs
    assert len(mine) > 40 and mine["stamp"] == [(HEAD_REVISION,)]
    names = [c[0] for c in mine["search_segments"]["columns"]]
    assert ("tsv" in names) == (backend == "postgresql")


def test_upgrade_is_idempotent(store: Store) -> None:
    upgrade(store.engine)
    upgrade(store.engine)
    assert current_revision(store.engine) == head_revision()
    # Alembic itself finds nothing to do in a database built at the head.
    cfg = alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        assert MigrationContext.configure(conn).get_current_revision() == HEAD_REVISION


def test_the_head_constant_is_the_scripts_head() -> None:
    assert head_revision() == HEAD_REVISION


def test_opening_a_current_home_loads_no_migration_script(store: Store) -> None:
    # Issue 12 item 17: Alembic parsed and compiled every migration on every command.
    code = ("import sys; from pathlib import Path; from dadkhahi.store.home import Home; "
            "from dadkhahi.store.store import Store; "
            f"Store.open(Home(Path({str(store.home.path)!r}))); "
            "print(sorted(m for m in sys.modules if m.startswith('alembic')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=os.environ.copy())
    assert done.stdout.strip() == "[]", done.stdout


def test_without_rum_init_says_in_one_line_that_a_superuser_must_create_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A PostgreSQL database without the rum extension, reached by an account that may not
    create it (a managed server's usual account): the schema is refused with one line
    naming the fix, nothing is built and no home is laid out; once a superuser has made
    the extension, the same account's init succeeds. The database and the role are this
    test's own: the shared database's extension is never touched."""
    import uuid

    from sqlalchemy.engine import make_url

    from dadkhahi.cli.main import run
    from dadkhahi.domain.errors import UserError
    from dadkhahi.store.home import ENV_DATABASE_URL, Home

    base = os.environ.get("DADKHAHI_TEST_DATABASE_URL")
    if not base:
        pytest.skip("DADKHAHI_TEST_DATABASE_URL not set")
    tag = uuid.uuid4().hex[:12]
    role, name = f"dadkhahi_norum_{tag}", f"dadkhahi_test_{tag}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER'))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER "{role}"'))
    url = make_url(base).set(username=role, database=name)
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(UserError) as refused:
            upgrade(engine)
        said = str(refused.value)
        assert "\n" not in said and "a superuser must run 'CREATE EXTENSION rum'" in said
        assert "permission denied" in said
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
        monkeypatch.setenv(ENV_DATABASE_URL, url.render_as_string(hide_password=False))
        monkeypatch.setenv("COLUMNS", "300")
        home = tmp_path / "home"
        monkeypatch.setattr(sys, "argv", ["dadkhahi", "--home", str(home), "init"])
        with pytest.raises(SystemExit) as exited:
            run()
        out, err = capsys.readouterr()
        assert exited.value.code == 2 and out == ""
        assert err.strip().splitlines() == [f"error: {said}"], err
        assert not home.exists()
        # The fix the line gives: a superuser makes the extension, init then works.
        superuser = create_engine(make_url(base).set(database=name))
        with superuser.begin() as conn:
            conn.execute(text("CREATE EXTENSION rum"))
        superuser.dispose()
        Store.init(Home(home), "test.dadkhahi.local/ledger", "tester").engine.dispose()
        assert current_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_no_revision_is_edited_after_it_lands() -> None:
    found = {}
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        revision = script.name.split("_", 1)[0]
        found[revision] = hashlib.sha256(script.read_bytes()).hexdigest()
    changed = sorted(r for r in found if FROZEN.get(r) != found[r])
    assert not changed, (
        f"revision(s) {changed} differ from the frozen ones (or are new): a revision on "
        "main never changes (homes are stamped with it); put a schema change in a NEW "
        "revision after the head, and list a new revision's SHA-256 in FROZEN")
    assert sorted(found) == sorted(FROZEN)


def test_a_home_built_at_0001_is_upgraded_when_opened_and_answers_as_a_new_one(
        tmp_path: Path, backend: str, migrated: Engine) -> None:
    from dadkhahi.access.dossier import person_dossier
    from dadkhahi.access.policy import Principal, Role
    from dadkhahi.jobs import queue
    from dadkhahi.jobs.worker import run_next
    from dadkhahi.services.estimates import estimate_detail
    from dadkhahi.services.facts import timeline_for
    from dadkhahi.services.lists_linkage import review_for
    from dadkhahi.store.verify import verify_ledger

    home = Home(tmp_path / "home")
    rows = lay_home_0001(home, backend)
    store = Store.open(home)
    try:
        assert current_revision(store.engine) == HEAD_REVISION
        # The schema is the one every new home gets (reflected: columns, keys, indexes
        # with a partial index's condition, unique and check constraints).
        with store.engine.connect() as upgraded, migrated.connect() as new:
            assert _shape(upgraded) == _shape(new)
            # Every row kept.
            for name, kept in rows.items():
                count = upgraded.execute(select(func.count()).select_from(
                    s.metadata.tables[name])).scalar_one()
                assert count == len(kept), name
            report = verify_ledger(upgraded, store.verifier_key())
        # The replay of the old events into today's tables is, row by row, what the
        # upgraded home holds (the new columns and table: NULL and empty, as replayed).
        assert report.ok, report.findings
        assert report.size == len(rows["ledger_events"])

        with store.reading() as conn:
            user = conn.execute(select(s.users.c.id)).scalar_one()
            person = conn.execute(
                select(s.person_records.c.person_id).group_by(s.person_records.c.person_id)
                .order_by(func.count().desc(), s.person_records.c.person_id)).scalars().first()
        analyst = Principal(user_id=user, username="analyst", role=Role.ANALYST)
        assert person is not None
        dossier, _ = person_dossier(store, analyst, person)
        assert len(dossier.records) == 3  # Ali Karimi, on all three lists
        # The timeline walks the partial date indexes 0002 made: every dated act and
        # claim the team may see (the protected ones are an investigator's), in order.
        entries, after, _ = timeline_for(store, analyst)
        dated = sorted((kind[:-1], str(r["date_earliest"]), str(r["id"]))
                       for kind in ("acts", "claims") for r in rows[kind]
                       if r["date_earliest"] and r["sensitivity"] != "protected")
        assert [(e["kind"], e["date_earliest"], e["row"]["id"]) for e in entries] == sorted(
            dated, key=lambda x: (x[1], x[2]))
        assert len(dated) == 14 and after is None
        queued = review_for(store, analyst, 10)
        assert len(queued) == len(rows["link_review"]) == 3
        assert all(pair.get("fields") is None for pair in queued)  # none kept at 0001
        estimate = rows["estimates"][0]["id"]
        detail = estimate_detail(store, analyst, str(estimate))
        assert detail is not None and detail["estimate"]["id"] == estimate
        assert detail["capture"] is None  # recorded before an estimate kept its table
        # The job queued at 0001 (a verification of the ledger) runs on the upgraded home.
        [job] = queue.list_jobs(store)
        assert run_next(store) is not None
        ran = queue.get(store, job.id)
        assert ran.state == "succeeded" and ran.result is not None
        assert ran.result["ok"] and ran.result["size"] == len(rows["ledger_events"])
    finally:
        store.engine.dispose()


def test_dadkhahi_upgrades_an_old_home_it_opens_and_refuses_a_newer_one(
        tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from dadkhahi.cli.main import run

    home = Home(tmp_path / "home")
    lay_home_0001(home, backend)
    code, out, err = run_status(home, monkeypatch, capsys)
    assert code in (0, None), err
    assert err.strip().splitlines() == [  # said once, on stderr (stdout stays the report)
        f"note: this home's database was upgraded from schema revision 0001 to "
        f"{HEAD_REVISION} (this version of dadkhahi's)"], err
    with pytest.raises(SystemExit):
        run()  # opened again: nothing to upgrade, nothing said
    assert capsys.readouterr().err == ""
    engine = make_engine(home.database_url())
    try:
        assert current_revision(engine) == HEAD_REVISION
        # A home a newer dadkhahi migrated: refused in one line saying why, untouched.
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(SystemExit) as exited:
            run()
        out, err = capsys.readouterr()
        assert exited.value.code == 2 and out == ""
        assert err.strip().splitlines() == [
            "error: this home's database is at schema revision 9999, which this version of "
            f"dadkhahi does not know (its newest is {HEAD_REVISION}): it was upgraded by a "
            "newer dadkhahi; run that version (or install it) to open this home"], err
        assert current_revision(engine) == "9999"
    finally:
        engine.dispose()


def test_downgrade_to_0001_gives_back_the_frozen_schema(migrated: Engine) -> None:
    cfg = alembic_config()
    with migrated.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
        assert names(conn) == frozen_names()
        command.upgrade(cfg, "head")
        diff = compare_metadata(MigrationContext.configure(
            conn, opts={"include_object": _compared}), s.metadata)
    assert diff == []


def test_a_home_stamped_0001_holding_part_of_0002_gets_only_what_it_lacks(
        store: Store) -> None:
    # Homes built at a main between d70a0c9 and 0002 were stamped 0001 with 0001 already
    # edited to hold some of 0002 (000dd9f: the partial indexes; ebb574d: the rest).
    with store.engine.begin() as conn:
        before = _shape(conn)
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        conn.execute(text("DROP INDEX ix_person_links_record_a"))
        conn.execute(text("DROP TABLE person_links"))
    upgrade(store.engine)
    with store.engine.connect() as conn:
        assert _shape(conn) == before


def test_processes_opening_an_old_home_at_once_all_open_it(
        tmp_path: Path, backend: str) -> None:
    # `serve --workers 4` opens the home in each worker and in its job thread at once:
    # each saw revision 0001 and ran the upgrade, and all but one failed (SQLite: the
    # database was locked by the first; PostgreSQL: the column already existed).
    home = Home(tmp_path / "home")
    lay_home_0001(home, backend)
    go = tmp_path / "go"
    code = ("import sys, time; from pathlib import Path; "
            "from alembic import command; "  # loaded before the start, as a race is tight
            "from dadkhahi.store.home import Home; from dadkhahi.store.store import Store; "
            f"go = Path({str(go)!r}); (go.parent / sys.argv[1]).touch()\n"
            "while not go.exists(): time.sleep(0.001)\n"
            f"Store.open(Home(Path({str(home.path)!r}))).engine.dispose()")
    opening = [subprocess.Popen([sys.executable, "-c", code, f"ready{n}"],
                                stderr=subprocess.PIPE, text=True, env=os.environ.copy())
               for n in range(3)]
    while len(list(tmp_path.glob("ready*"))) < len(opening):  # all started and waiting
        time.sleep(0.01)
    go.touch()
    failed = [err for p in opening if (err := p.communicate(timeout=120)[1]) and p.returncode]
    assert not failed, failed[0][-2000:]
    engine = make_engine(home.database_url())
    assert current_revision(engine) == HEAD_REVISION
    engine.dispose()


def test_a_home_of_an_older_0001_gets_what_its_0001_lacked(
        tmp_path: Path, backend: str, migrated: Engine) -> None:
    # Homes stamped 0001 before d70a0c9 were built by earlier edits of 0001, lacking
    # tables, columns and indexes added to it later (e.g. built at db78374: no
    # fulltext_state, items.release_index, ix_records_counted...). Stand-ins: the home of
    # d70a0c9 with a table, two projected columns holding values and an index removed.
    from dadkhahi.access.policy import Principal, Role
    from dadkhahi.services.facts import timeline_for
    from dadkhahi.store.verify import verify_ledger

    home = Home(tmp_path / "home")
    rows = lay_home_0001(home, backend)
    engine = make_engine(home.database_url())
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE fulltext_state"))
        conn.execute(text("DROP INDEX ix_records_counted"))
        conn.execute(text("ALTER TABLE acts DROP COLUMN date_text"))
        conn.execute(text("ALTER TABLE claims DROP COLUMN date_text"))
    engine.dispose()
    store = Store.open(home)
    try:
        with store.engine.connect() as upgraded, migrated.connect() as new:
            assert _shape(upgraded) == _shape(new)
            report = verify_ledger(upgraded, store.verifier_key())
            user = upgraded.execute(select(s.users.c.id)).scalar_one()
        # The columns put back hold what the ledger says (a replay of the log compares).
        assert report.ok, report.findings
        entries, _, _ = timeline_for(store, Principal(user_id=user, username="analyst",
                                                      role=Role.ANALYST))
        assert {e["date_text"] for e in entries if e["kind"] == "act"} == {
            r["date_text"] for r in rows["acts"] if r["sensitivity"] != "protected"}
    finally:
        store.engine.dispose()
