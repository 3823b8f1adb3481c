"""``dadkhahi publish``: approve, held, withdraw, build and verify from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner
from world import build_world

from dadkhahi.cli.main import app as cli
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


def test_publish_commands(tmp_path: Path) -> None:
    store = Store.init(Home(tmp_path / "home"), "test.dadkhahi.local/ledger", "tester")
    world = build_world(store, tmp_path, approve=False)
    home = ["--home", str(store.home.path)]
    runner = CliRunner()
    held = runner.invoke(cli, [*home, "publish", "held"])
    assert held.exit_code == 0 and "not approved for publication" in held.stdout
    as_json = runner.invoke(cli, [*home, "publish", "held", "--json"])
    lines = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert lines and all(set(line) == {"person_id", "reasons"} for line in lines)
    assert any("not approved for publication" in r for line in lines for r in line["reasons"])
    assert runner.invoke(cli, [*home, "publish", "approve"]).exit_code != 0
    ok = runner.invoke(cli, [*home, "publish", "approve", "--all"])
    assert ok.exit_code == 0 and "Approved" in ok.stdout
    reason = tmp_path / "reason.txt"
    reason.write_text("SYNTHETIC family request", "utf-8")
    gone = runner.invoke(cli, [*home, "publish", "withdraw", world.persons["A-3"],
                               "--reason-file", str(reason)])
    assert gone.exit_code == 0, gone.output
    out = tmp_path / "site"
    built = runner.invoke(cli, [*home, "publish", "--out", str(out), "--languages", "fa,en",
                                "--contact", "corrections@example.org"])
    assert built.exit_code == 0, built.output
    assert "2 victims published, 1 withdrawn" in built.stdout
    assert "corrections@example.org" in (
        out / "en" / "victims" / f"{world.persons['A-1']}.html").read_text("utf-8")
    checked = runner.invoke(cli, [*home, "publish", "verify", str(out)])
    assert checked.exit_code == 0 and "OK build 1" in checked.stdout
    (out / "fa" / "index.html").write_text("altered", "utf-8")
    bad = runner.invoke(cli, [*home, "publish", "verify", str(out)])
    assert bad.exit_code == 1 and "fa/index.html: differs" in bad.output
    wrong = runner.invoke(cli, [*home, "publish", "--out", str(tmp_path / "x"),
                                "--languages", "de"])
    assert wrong.exit_code == 2
