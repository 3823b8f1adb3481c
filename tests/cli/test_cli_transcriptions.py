"""``dadkhahi documents transcribe|transcriptions``: a page asked for twice, typed blind by
two people, their differences shown, then resolved; the queue empties (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dadkhahi.cli.main import app
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store


def test_two_blind_transcriptions_and_a_resolution_from_the_command_line(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    store = Store.init(Home(home), "cli.test/ledger", "t")
    letter = tmp_path / "letter.txt"
    letter.write_text("SYNTHETIC letter", "utf-8")
    [(_, item)] = add_evidence(store, [letter], Receipt(actor="t"), new_source=SourceSpec(
        title="SYNTHETIC letters")).added
    store.engine.dispose()
    runner = CliRunner()

    def run(*args: str) -> str:
        done = runner.invoke(app, ["--home", str(home), "documents", *args])
        assert done.exit_code == 0, done.output
        return done.stdout

    run("transcribe", item, "--page", "2", "--request", "2", "--actor", "lead")
    assert f"{item}  p.2  open  0/2" in run("transcriptions")
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("SYNTHETIC اوین ۱۳۶۷ ده نام", "utf-8")
    second.write_text("SYNTHETIC اوین ۱۳۶۷ دو نام", "utf-8")
    run("transcribe", item, "--page", "2", "--text-file", str(first), "--actor", "alice")
    blind = json.loads(run("transcribe", item, "--page", "2", "--json", "--actor", "bob"))
    assert blind["texts"] == [] and blind["state"] == "open"
    run("transcribe", item, "--page", "2", "--text-file", str(second), "--actor", "bob")
    shown = run("transcribe", item, "--page", "2", "--actor", "carol")
    assert "replace: «ده» / «دو»" in shown
    assert f"{item}  p.2  differ  2/2" in run("transcriptions")
    run("transcribe", item, "--page", "2", "--text-file", str(first), "--resolve",
        "--actor", "carol")
    assert run("transcriptions").strip().endswith("0 page(s)")
