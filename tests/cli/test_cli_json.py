"""``--json`` on the commands that print a table, for scripts: the same facts as the
table, sealed values sealed as in the table. Every name here is SYNTHETIC."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from typer.testing import CliRunner

from dadkhahi.access import grants, passwords, users
from dadkhahi.cli.main import app
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Role, Sensitivity
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.intake.lists import import_list
from dadkhahi.store.store import Store


def _run(store: Store, *args: str) -> str:
    result = CliRunner().invoke(app, ["--home", str(store.home.path), *args])
    assert result.exit_code == 0, result.output
    return result.output


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_tables_as_json(store: Store, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(passwords, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    statement = tmp_path / "statement.txt"
    statement.write_text("SYNTHETIC statement\n", "utf-8")
    added = add_evidence(store, [statement], Receipt(actor="tester",
                                                     from_party="SYNTHETIC family",
                                                     how="SYNTHETIC hand-over"),
                         new_source=SourceSpec(title="SYNTHETIC statements",
                                               sensitivity=Sensitivity.PROTECTED))
    item_id = added.added[0][1]
    assert added.source_id is not None
    uid = users.add_user(store, "synthetic_researcher", Role.RESEARCHER,
                         "SYNTHETIC long passphrase", "tester")
    grants.grant(store, added.source_id, uid, "tester")

    status = json.loads(_run(store, "status", "--json"))
    assert status["counts"]["items"] == 1 and status["events"] >= 3
    shown = _lines(_run(store, "users", "list", "--json"))
    assert [(u["username"], u["role"], u["disabled"]) for u in shown] == [
        ("synthetic_researcher", "researcher", False)]
    assert not any("sealed" in u or "password" in json.dumps(u) for u in shown)
    granted = _lines(_run(store, "users", "grants", "synthetic_researcher", "--json"))
    assert [(g["username"], g["scope_id"]) for g in granted] == [
        ("synthetic_researcher", added.source_id)]

    custody = json.loads(_run(store, "evidence", "custody", item_id, "--json"))
    assert custody["item"]["id"] == item_id and custody["item"]["size"] == 20
    assert [c["action"] for c in custody["custody"]] == ["received"]
    # What the table shows: the hand-over of a protected item stays sealed.
    assert custody["custody"][0]["from_party"] == "[protected]"
    assert "SYNTHETIC family" not in json.dumps(custody)

    listed = tmp_path / "list.csv"
    listed.write_text("ID,Full name\n1,SYNTHETIC Ali\n2,SYNTHETIC Zahra\n", "utf-8")
    import_list(store, listed, source="SYNTHETIC list", actor="tester", id_column="ID")
    stats = json.loads(_run(store, "link", "stats", "--json"))
    assert stats["records"] == 2 and stats["persons"] == 0 and stats["last_run"] is None
    assert [(x["records"], x["persons"]) for x in stats["lists"]] == [(2, 0)]
