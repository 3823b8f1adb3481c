"""The Alembic migrations build exactly the schema the code declares, on both backends,
and a new database built from the declared tables (``migrate.create_at_head``) is the
one the migrations build."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, inspect, text

from dadkhahi.store import schema as s
from dadkhahi.store.db import make_engine
from dadkhahi.store.migrate import (
    HEAD_REVISION,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from dadkhahi.store.store import Store


def _compared(_obj: object, name: str | None, type_: str, _reflected: bool,
              _other: object) -> bool:
    # PostgreSQL's full-text vector (a stored generated column) and its GIN index are
    # made by raw SQL on PostgreSQL only: not declared in the schema.
    return not ((type_ == "index" and name == "ix_search_segments_tsv")
                or (type_ == "column" and name == "tsv"))


@pytest.fixture
def migrated(tmp_path: Path, backend: str) -> Iterator[Engine]:
    """An empty database brought to the head by Alembic's migrations, as an existing
    database is (on PostgreSQL: a schema of its own in the test's database)."""
    url = os.environ.get("DADKHAHI_DATABASE_URL") or f"sqlite:///{tmp_path / 'migrated.db'}"
    if backend == "postgresql":
        with make_engine(url).begin() as conn:
            conn.execute(text("CREATE SCHEMA migrated"))
        # public stays on the path after it: the rum extension (one per database) was
        # made there by the store built first, and the migration's index needs its
        # operator class; new tables still go to the first schema, migrated.
        engine = create_engine(url, connect_args={"options": "-csearch_path=migrated,public"})
    else:
        engine = make_engine(url)
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
            "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default"),
                         c.get("computed"), c.get("autoincrement"))
                        for c in look.get_columns(table)],
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
