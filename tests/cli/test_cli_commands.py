"""The command line as another tool would drive it: real processes, exit codes, outputs."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dadkhahi.ledger.checkpoint import Checkpoint, NoteVerifier, open_note


def dk(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "dadkhahi", "--home", str(home), *args],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, check=False,
    )
    if ok:
        assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture
def cli_home(tmp_path: Path, backend: str) -> Path:
    home = tmp_path / "home"
    dk(home, "init", "--origin", "cli.test/ledger")
    return home


def test_intake_checkpoint_prove_and_verify_offline(cli_home: Path, tmp_path: Path) -> None:
    doc = tmp_path / "statement.txt"
    doc.write_text("SYNTHETIC statement\n")
    added = dk(cli_home, "evidence", "add", str(doc), "--source-title", "SYNTHETIC source",
               "--from", "SYNTHETIC family", "--how", "email").stdout
    assert "1 added" in added
    item_id = added.split()[1]
    custody = dk(cli_home, "evidence", "custody", item_id).stdout
    assert "SYNTHETIC family" in custody and "received" in custody

    key = dk(cli_home, "ledger", "key").stdout.strip()
    assert key.startswith("cli.test/ledger+") and len(key.split("+", 2)) == 3
    cp_file = tmp_path / "cp.txt"
    note = dk(cli_home, "ledger", "checkpoint", "--out", str(cp_file)).stdout
    assert cp_file.read_text() == note
    cp = Checkpoint.parse(open_note(note, NoteVerifier.from_key(key)))
    assert cp.origin == "cli.test/ledger" and cp.size == 4

    bundle = tmp_path / "proof.json"
    dk(cli_home, "ledger", "prove", "2", "--out", str(bundle))
    # Offline: no --home that exists, only the bundle and the key.
    nowhere = tmp_path / "no-home"
    assert "OK" in dk(nowhere, "ledger", "verify-proof", str(bundle), "--key", key).stdout
    data = json.loads(bundle.read_text())
    data["index"] = 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    failed = dk(nowhere, "ledger", "verify-proof", str(bad), "--key", key, ok=False)
    assert failed.returncode != 0 and "does not verify" in failed.stderr

    cons = tmp_path / "cons.json"
    dk(cli_home, "evidence", "add", str(doc), "--source-title", "SYNTHETIC second")
    dk(cli_home, "ledger", "consistency", "4", "--out", str(cons))
    assert "append-only" in dk(nowhere, "ledger", "verify-proof", str(cons), "--key", key).stdout

    assert "OK" in dk(cli_home, "ledger", "verify").stdout
    assert "OK" in dk(cli_home, "evidence", "verify").stdout
    assert "events" in dk(cli_home, "status").stdout


def test_export_is_one_canonical_event_per_line(cli_home: Path, tmp_path: Path) -> None:
    doc = tmp_path / "d.txt"
    doc.write_text("SYNTHETIC\n")
    dk(cli_home, "evidence", "add", str(doc), "--source-title", "SYNTHETIC")
    out = tmp_path / "events.jsonl"
    dk(cli_home, "ledger", "export", "--out", str(out))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["index"] for e in lines] == list(range(len(lines)))
    assert len(lines) == 4
    for e in lines:
        body = e["event"].encode()
        assert e["leaf_hash"] == hashlib.sha256(b"\x00" + body).hexdigest()
        assert json.loads(body)["type"] == e["type"]


def test_user_errors_are_one_line(tmp_path: Path) -> None:
    home = tmp_path / "h"
    not_init = dk(home, "status", ok=False)
    assert not_init.returncode == 2
    assert not_init.stderr.strip().count("\n") == 0 and "dadkhahi init" in not_init.stderr
    dk(home, "init")
    again = dk(home, "init", ok=False)
    assert again.returncode == 2 and "already" in again.stderr
    missing = dk(home, "evidence", "add", str(tmp_path / "nope.pdf"), "--source-title", "x",
                 ok=False)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    no_event = dk(home, "ledger", "prove", "99", ok=False)
    assert no_event.returncode == 2 and "99 is not an event of this ledger" in no_event.stderr


def test_evidence_add_reports_every_file_and_what_was_stored(tmp_path: Path) -> None:
    home = tmp_path / "h"
    dk(home, "init")
    box = tmp_path / "box"
    (box / "empty").mkdir(parents=True)
    nothing = dk(home, "evidence", "add", str(box / "empty"), "--source-title", "SYNTHETIC",
                 ok=False)
    assert nothing.returncode == 2 and "no files to add; nothing was stored" in nothing.stderr
    (box / "a.txt").write_text("SYNTHETIC a\n")
    (box / "b-broken").symlink_to(box / "gone")
    out = dk(home, "evidence", "add", str(box), "--source-title", "SYNTHETIC", ok=False)
    assert out.returncode == 1  # something was skipped; the rest was stored
    assert "added     itm_" in out.stdout
    assert "skipped   " in out.stdout and "b-broken: a broken symbolic link" in out.stdout
    assert "1 added, 0 already held, 1 skipped" in out.stdout and "(new)" in out.stdout
    assert "OK" in dk(home, "ledger", "verify").stdout


def test_verify_names_the_tampered_event(tmp_path: Path) -> None:
    home = tmp_path / "h"
    dk(home, "init")
    doc = tmp_path / "d.txt"
    doc.write_text("SYNTHETIC\n")
    dk(home, "evidence", "add", str(doc), "--source-title", "SYNTHETIC")
    with sqlite3.connect(home / "dadkhahi.sqlite") as db:
        db.execute("UPDATE items SET original_name = 'swapped.txt'")
    failed = dk(home, "ledger", "verify", ok=False)
    assert failed.returncode == 1
    assert "first bad event: 2" in failed.stderr
    assert "original_name" in failed.stdout


def test_options_are_checked_before_any_work_and_every_problem_is_shown(
    tmp_path: Path,
) -> None:
    """Issue 12 item 7: a bad --table names each problem (line, column, what); a bad
    --plot, --since, --port or --log-level is refused at once, exit 2, one line each."""
    home = tmp_path / "h"
    dk(home, "init")
    table = tmp_path / "published.csv"
    table.write_text("A,B,count\n1,0,10\n0,2,5\n1,1,x\n", encoding="utf-8")
    bad = dk(home, "estimate", "--table", str(table), "--method", "chao", ok=False)
    assert bad.returncode == 2 and "2 problem(s)" in bad.stderr
    problems = [line.strip() for line in bad.stderr.splitlines()[1:]]
    assert any(p.startswith("line 3, field B:") for p in problems), bad.stderr
    assert any(p.startswith("line 4, field count:") for p in problems), bad.stderr
    table.write_text("A,B,count\n1,0,10\n0,1,5\n1,1,3\n", encoding="utf-8")
    for args, said in (
        (["--plot", str(tmp_path / "fig.pdf")], "--plot needs a .png or .svg"),
        (["--plot", str(tmp_path / "no" / "fig.png")], "no folder"),
    ):
        refused = dk(home, "estimate", "--method", "chao", "--table", str(table), *args,
                     ok=False)
        assert refused.returncode == 2 and said in refused.stderr, (args, refused.stderr)
        assert refused.stderr.strip().count("\n") == 0
    since = dk(home, "audit", "--since", "last week", ok=False)
    assert since.returncode == 2 and "--since" in since.stderr
    for args in (["--port", "99999"], ["--log-level", "loud"]):
        served = dk(home, "serve", *args, ok=False)
        assert served.returncode == 2 and args[0] in served.stderr, (args, served.stderr)


def test_since_is_read_as_utc() -> None:
    from dadkhahi.cli.audit import since_utc
    from dadkhahi.domain.errors import UserError

    assert since_utc("2026-11-01") == "2026-11-01T00:00:00.000000Z"
    assert since_utc("2026-11-01T09:30+03:30") == "2026-11-01T06:00:00.000000Z"
    with pytest.raises(UserError, match="--since"):
        since_utc("1405/08/10 tomorrow")


def test_estimate_shows_list_names_as_text_never_as_markup_or_control(tmp_path: Path) -> None:
    # Issue 12, found walking the newcomer's items: estimate printed list names (a source's
    # title, anyone's text) as Rich markup on a plain console: '[/]' in a title ended
    # `estimate --describe` and an estimate already recorded in a traceback, and an
    # escape sequence reached the terminal.
    hostile = "SYNTHETIC [/] list [bold]x \x1b[2J"
    table = tmp_path / "histories.csv"
    table.write_text(f'"{hostile}",B,C,count\n1,0,0,20\n0,1,0,25\n0,0,1,30\n1,1,0,8\n'
                     "1,0,1,6\n0,1,1,7\n1,1,1,3\n", encoding="utf-8")
    for extra in (["--describe"], ["--method", "chao"]):
        proc = dk(tmp_path / "unused", "estimate", "--table", str(table), *extra)
        assert "SYNTHETIC [/] list [bold]x" in proc.stdout
        assert "\x1b" not in proc.stdout
