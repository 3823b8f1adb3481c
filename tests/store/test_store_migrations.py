"""The Alembic migrations build exactly the schema the code declares, on both backends."""

from __future__ import annotations

import os
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dadkhahi.store import schema as s
from dadkhahi.store.migrate import HEAD_REVISION, current_revision, head_revision, upgrade
from dadkhahi.store.store import Store


def _compared(_obj: object, name: str | None, type_: str, _reflected: bool,
              _other: object) -> bool:
    # PostgreSQL's full-text vector (a stored generated column) and its GIN index are
    # made by raw SQL in the migration, on PostgreSQL only: not declared in the schema.
    return not ((type_ == "index" and name == "ix_search_segments_tsv")
                or (type_ == "column" and name == "tsv"))


def test_migrated_schema_matches_declared_tables(store: Store) -> None:
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(
            conn, opts={"include_object": _compared}), s.metadata)
    assert diff == []


def test_upgrade_is_idempotent(store: Store) -> None:
    upgrade(store.engine)
    upgrade(store.engine)
    assert current_revision(store.engine) == head_revision()


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
