"""store.refill: a projected table, or some of its columns, made what a replay of the
ledger writes there (what a schema revision calls for a projection old events already
carry), on SQLite and PostgreSQL, on the home d70a0c9's code wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from old_homes import lay_home_0001
from sqlalchemy import delete, func, inspect, select, update

from dadkhahi.store import schema as s
from dadkhahi.store.db import make_engine
from dadkhahi.store.home import Home
from dadkhahi.store.refill import refill
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger


def _replay_findings(store: Store) -> list[str]:
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
    return [f.message for f in report.findings]


def test_refilled_columns_and_tables_are_the_replay_s(tmp_path: Path, backend: str) -> None:
    home = Home(tmp_path / "home")
    rows = lay_home_0001(home, backend)
    store = Store.open(home)
    try:
        with store.engine.begin() as conn:
            conn.execute(update(s.persons).values(label="not what the ledger says"))
            conn.execute(delete(s.link_review))
        assert len(_replay_findings(store)) >= 2  # both differ from the replay
        with store.engine.begin() as conn:
            assert refill(conn, "persons", ["label"]) == len(rows["persons"])
            assert refill(conn, "link_review") == len(rows["link_review"]) == 3
        assert _replay_findings(store) == []
        with pytest.raises(ValueError, match="not a projected table"), \
                store.engine.begin() as conn:
            refill(conn, "jobs")
    finally:
        store.engine.dispose()


def test_a_revision_s_refill_writes_only_the_columns_the_table_has_then(
        tmp_path: Path, backend: str) -> None:
    # At 0001 link_review has no ``fields`` (0002 adds it): a revision between the two
    # refilling it with today's code must still work.
    home = Home(tmp_path / "home")
    lay_home_0001(home, backend)
    engine = make_engine(home.database_url())
    try:
        with engine.begin() as conn:
            assert "fields" not in {c["name"] for c in inspect(conn).get_columns("link_review")}
            conn.execute(delete(s.link_review))
            assert refill(conn, "link_review") == 3
            assert conn.execute(select(func.count()).select_from(s.link_review)
                                ).scalar_one() == 3
    finally:
        engine.dispose()
