"""Revision 0008 (``analysis.release_redaction``), on SQLite and PostgreSQL: an estimate
released to the public before 715f23b named every list by title and kind in clear in its
``estimate.released`` event, a restricted list's too (attack35), where no erasure
reaches. Opening the home redacts that body through ``store.redact`` (one
``event.redacted``, its leaf hash kept), marks the scrub due and runs it; the release
still reads as the public may see it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from dadkhahi.analysis import estimates
from dadkhahi.analysis.estimates import (
    WITHHELD_LIST,
    release_estimate,
    released_estimates,
)
from dadkhahi.api import create_app
from dadkhahi.api.settings import ApiSettings
from dadkhahi.cli.common import upgrade_notes
from dadkhahi.domain.vocab import ListKind, Sensitivity
from dadkhahi.intake.list_description import ListDescription
from dadkhahi.intake.lists import import_list
from dadkhahi.ledger.redaction import REDACTION_EVENT
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.migrate import HEAD_REVISION, current_revision
from dadkhahi.store.store import Store, utc_now
from dadkhahi.store.verify import verify_ledger
from database_files import database_files

MARKER = "Restrictedtitleqz"
PUBLIC = "SYNTHETIC perpetrators"


def _estimate(store: Store, folder: Path) -> str:
    """A restricted list of detainees titled with :data:`MARKER` and a public list of
    perpetrators, both left out of an estimate (its ``estimate.computed`` as
    ``record_estimate`` writes it, figures made up: only the lists matter here)."""
    parts: list[dict[str, Any]] = []
    for name, kind, level in ((f"SYNTHETIC {MARKER}", ListKind.DETAINEES,
                               Sensitivity.RESTRICTED),
                              (PUBLIC, ListKind.PERPETRATORS, Sensitivity.PUBLIC)):
        path = folder / f"{kind}.csv"
        path.write_text(f"ID,Name,City\nX1,SYNTHETIC Person {kind},Tehran\n", "utf-8")
        report = import_list(store, path, source=name, actor="tester", id_column="ID",
                             sensitivity=level, description=ListDescription(kind=kind))
        parts.append({"list": report.list_id, "title": name, "kind": str(kind),
                      "import": report.import_id, "used": False,
                      "why": f"a list of {kind}, not of victims"})
    with store.transaction("tester") as tx:
        tx.emit("estimate.computed", {
            "id": "est_old", "method": "chao",
            "estimand": "SYNTHETIC victims; left out: "
                        + ", ".join(f"{p['title']} ({p['kind']})" for p in parts),
            "documented": 40, "estimate": 52.5, "low": 44.0, "high": 71.5, "level": 0.95,
            "fixed_low": None, "fixed_high": None, "partitions": None, "seed": 20261205,
            "link_run_id": "run_old", "inputs_sha256": "ab" * 32, "capture": None,
            "diagnostics": None, "settings": {"lists": parts},
            "versions": {"dadkhahi": "0.1.0"}, "computed_at": utc_now()})
    return "est_old"


def _released_the_old_way(store: Store, estimate_id: str, monkeypatch: pytest.MonkeyPatch
                          ) -> int:
    """``release_estimate`` as before 715f23b: every list by title and kind, the
    estimate's sentence as it is (no rule applied). Returns the event's index."""
    def as_before(_conn: Any, lists: list[dict[str, Any]], estimand: str | None,
                  _audience: str) -> tuple[list[dict[str, Any]], str | None]:
        return [estimates._list_named(x) for x in lists], estimand

    with monkeypatch.context() as before:
        before.setattr(estimates, "released_lists", as_before)
        release = release_estimate(store, "tester", estimate_id, "public")
    with store.reading() as conn:
        return int(conn.execute(select(s.estimate_releases.c.ledger_index).where(
            s.estimate_releases.c.id == release)).scalar_one())


def _bodies(store: Store) -> dict[int, tuple[str, bytes]]:
    with store.reading() as conn:
        return {ev.index: (ev.type, ev.body) for ev in ledger_log.iter_events(conn)}


def test_revision_0008_redacts_a_release_naming_a_withheld_list_in_clear(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    estimate_id = _estimate(store, tmp_path)
    old = _released_the_old_way(store, estimate_id, monkeypatch)
    new = release_estimate(store, "tester", estimate_id, "public")  # 715f23b's: left
    body = _bodies(store)[old][1]
    # The attack: the public's release names the restricted list, in the sentence too.
    assert MARKER.encode() in body and b"(detainees)" in body
    # What only the release's body holds (canonical JSON of its list entry), to find it
    # in the database's files.
    needle = f'"merged_into":null,"title":"SYNTHETIC {MARKER}"'.encode()
    assert needle in body
    if store.engine.dialect.name == "sqlite":
        assert needle in database_files(store)
    with store.engine.begin() as conn:  # 0008 changes no table: the stamp says it all
        conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    home = store.home
    store.engine.dispose()

    with caplog.at_level(logging.WARNING):
        app = create_app(home, ApiSettings())  # opens (so upgrades) the home
    opened: Store = app.state.store
    try:
        assert current_revision(opened.engine) == HEAD_REVISION
        assert opened.upgraded is not None and opened.upgraded.releases_redacted == 1
        said = [r.getMessage() for r in caplog.records]
        assert ("the upgrade redacted from the ledger 1 estimate release(s) naming in clear "
                "lists withheld from their audience") in said, said
        assert upgrade_notes(opened.upgraded)[-1] == (
            "note: the upgrade redacted from the ledger 1 estimate release(s) naming in "
            "clear lists withheld from their audience")
        bodies = _bodies(opened)
        # No release names the restricted list now (its source and the team's estimate
        # keep its title, at the team's level).
        releases = [b for kind, b in bodies.values() if kind == "estimate.released"]
        assert len(releases) == 2
        assert not any(MARKER.encode() in b or b"detainees" in b for b in releases)
        redacted = json.loads(bodies[old][1])
        assert redacted["redacted"]["fields"] == ["estimand", "lists"]
        data = redacted["data"]
        assert data["lists"] is None and data["estimand"] is None
        assert (data["estimate"], data["seed"], data["inputs_sha256"], data["audience"]) == (
            52.5, 20261205, "ab" * 32, "public")
        (record,) = [json.loads(b)["data"] for kind, b in bodies.values()
                     if kind == REDACTION_EVENT]
        assert (record["index"], record["type"], record["fields"]) == (
            old, "estimate.released", ["estimand", "lists"])
        assert MARKER not in json.dumps(record)
        with opened.reading() as conn:
            assert verify_ledger(conn, opened.verifier_key()).findings == []
            rows = conn.execute(select(s.estimate_releases.c.id)).scalars().all()
        assert len(rows) == 2 and new in rows
        # The release still reads as the public may see it, from the estimate's row.
        shown = released_estimates(opened, "public")
        assert len(shown) == 2
        for release in shown:
            text_shown = json.dumps(release.as_dict())
            assert MARKER not in text_shown and "detainees" not in text_shown
            assert [x["title"] for x in release.lists] == [WITHHELD_LIST.format(n=1), PUBLIC]
            assert f"{PUBLIC} (perpetrators)" in str(release.estimand)
            assert (release.estimate, release.seed) == (52.5, 20261205)
        assert _scrubs_due(opened) == []  # marked by the redaction, scrubbed by the open
        if opened.engine.dialect.name == "sqlite":
            assert needle not in database_files(opened)
    finally:
        opened.engine.dispose()
    reopened = Store.open(home)  # nothing more to do
    try:
        assert reopened.upgraded is None
    finally:
        reopened.engine.dispose()


def _scrubs_due(store: Store) -> list[tuple[str, int]]:
    from dadkhahi.store.erase import scrubs_due

    with store.engine.connect() as conn:
        return scrubs_due(conn)
