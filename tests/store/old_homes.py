"""The home of ``home_0001/``, written by d70a0c9's code (schema revision 0001), laid out
again for a test on either backend (``build.py`` there says how it was made)."""

from __future__ import annotations

import base64
import json
import shutil
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, MetaData, Table, insert, inspect

from dadkhahi.store import schema as s
from dadkhahi.store.db import make_engine
from dadkhahi.store.home import Home
from dadkhahi.store.migrate import alembic_config, require_rum

HOME_0001 = Path(__file__).parent / "home_0001"
Rows = dict[str, list[dict[str, object]]]


def names(conn: Connection) -> dict[str, dict[str, list[str]]]:
    """Tables, columns and indexes by name (as ``home_0001/schema.json`` holds them;
    PostgreSQL's search vector and the indexes it reflects for unique constraints left
    out, so either backend gives the same)."""
    look = inspect(conn)
    return {t: {"columns": sorted(c["name"] for c in look.get_columns(t) if c["name"] != "tsv"),
                "indexes": sorted(str(i["name"]) for i in look.get_indexes(t)
                                  if i["name"] != "ix_search_segments_tsv"
                                  and "duplicates_constraint" not in i)}
            for t in sorted(look.get_table_names())}


def frozen_names() -> dict[str, dict[str, list[str]]]:
    """What :func:`names` gave on the home d70a0c9 built."""
    return json.loads((HOME_0001 / "schema.json").read_text("utf-8"))  # type: ignore[no-any-return]


def _stored(value: object) -> object:
    if isinstance(value, dict) and set(value) == {"$base64"}:
        return base64.b64decode(value["$base64"])
    return value


def lay_home_0001(home: Home, backend: str) -> Rows:
    """The home built by d70a0c9's code: its files, and its rows in a database built by
    the frozen revision 0001 (``alembic upgrade 0001``), on this test's backend. Returns
    the rows."""
    shutil.copytree(HOME_0001 / "files", home.path)
    rows: Rows = json.loads((HOME_0001 / "rows.json").read_text("utf-8"))
    engine = make_engine(home.database_url())
    cfg = alembic_config()
    with engine.begin() as conn:
        if backend == "postgresql":
            require_rum(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with engine.begin() as conn:
        # The home as d70a0c9 built it: 0001 still builds it (0001 is frozen).
        assert names(conn) == frozen_names(), (
            "revision 0001 no longer builds the schema homes were built with at d70a0c9: "
            "0001 is frozen, a schema change goes in a new revision")
        found = MetaData()
        found.reflect(conn)
        for table in found.sorted_tables:
            if not rows.get(table.name):
                continue
            # Bound through the declared columns' types (the same at 0001 for the
            # columns 0001 has): a JSON column's None stored as the code stores it.
            declared = s.metadata.tables[table.name].c
            target = Table(table.name, MetaData(), *(
                Column(c.name, declared[c.name].type if c.name in declared else c.type)
                for c in table.c))
            conn.execute(insert(target), [{k: _stored(v) for k, v in r.items()}
                                          for r in rows[table.name]])
        assert MigrationContext.configure(conn).get_current_revision() == "0001"
    engine.dispose()
    for path in [home.path, *home.path.rglob("*")]:  # owner-only, as a home is kept
        path.chmod(0o700 if path.is_dir() else 0o600)
    return rows


def run_status(home: Home, monkeypatch: pytest.MonkeyPatch,
               capsys: pytest.CaptureFixture[str]) -> tuple[object, str, str]:
    """``dadkhahi --home HOME status`` as the command line runs it (the home opened, so
    upgraded, by it): its exit code, stdout and stderr. ``sys.argv`` stays set for a
    further ``run()``."""
    from dadkhahi.cli.main import run

    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setattr(sys, "argv", ["dadkhahi", "--home", str(home.path), "status"])
    with pytest.raises(SystemExit) as exited:
        run()
    out, err = capsys.readouterr()
    return exited.value.code, out, err
