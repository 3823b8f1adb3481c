"""``dadkhahi case …`` and ``bundle verify`` as a person would run them (real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from case_world import World


def dk(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "dadkhahi", "--home", str(home), *args], capture_output=True,
        text=True, env={**os.environ, "COLUMNS": "250", "DADKHAHI_ACTOR": "cli-lawyer"},
        check=False, timeout=300)
    assert (proc.returncode == 0) == ok, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def test_case_commands_and_bundle_verify(world: World, tmp_path: Path) -> None:
    home, case_id = world.store.home.path, world.demo.case_id
    listed = json.loads(dk(home, "case", "list", "--json").stdout)
    assert [c["id"] for c in listed] == [case_id] and listed[0]["charges"] == 3
    gaps = json.loads(dk(home, "case", "gaps", case_id[:10], "--json").stdout)
    assert len(gaps) == 8 and gaps[0]["status"] == "no fact linked"

    out = tmp_path / "cli-bundle"
    made = json.loads(dk(home, "case", "bundle", case_id, "--recipient", "SYNTHETIC Court",
                         "--out", str(out), "--json").stdout)
    assert made["exhibits"] == 4 and made["withheld"] == 1
    key = world.store.verifier_key()
    nowhere = tmp_path / "no-home"  # offline: no store at all
    assert "OK" in dk(nowhere, "bundle", "verify", str(out), "--key", key).stdout
    (out / "data" / "matrix.csv").write_text("tampered\n")
    failed = dk(nowhere, "bundle", "verify", str(out), "--key", key, ok=False)
    assert "data/matrix.csv" in failed.stdout
    assert "does not verify" in failed.stderr
    # A bad request is one clear line, and writes nothing.
    size = world.store.size()
    bad = dk(home, "case", "link", case_id, "--charge", "chg_nope", "--element", "1",
             "--fact", "act:act_x", "--how", "h", "--reliability", "C", "--credibility", "3",
             ok=False)
    assert "no charge" in bad.stderr and world.store.size() == size


def test_a_gap_is_marked_and_shown_by_the_command_line(world: World) -> None:
    home, case_id = world.store.home.path, world.demo.case_id
    gap = json.loads(dk(home, "case", "gaps", case_id, "--json").stdout)[-1]
    note = "SYNTHETICCLIGAPNOTE: no armed-conflict expert yet"
    made = json.loads(dk(home, "case", "mark-gap", case_id, "--charge", gap["charge_id"],
                         "--element", gap["element_id"], "--status", "investigating",
                         "--note", note, "--json").stdout)
    assert made["id"].startswith("gap_")
    shown = dk(home, "case", "gaps", case_id).stdout
    assert "marked investigating by cli-lawyer" in shown and note in shown
    listed = json.loads(dk(home, "case", "gaps", case_id, "--json").stdout)
    assert listed[-1]["mark"]["note"] == note
    assert all(g["mark"] is None for g in listed[:-1])
    refused = dk(home, "case", "mark-gap", case_id, "--charge", gap["charge_id"],
                 "--element", "9", "--status", "accepted", "--note", "x", ok=False)
    assert "no element '9'" in refused.stdout + refused.stderr


def test_a_case_team_grows_by_the_command_line(world: World, tmp_path: Path) -> None:
    """A case is a grant scope: ``users grant NAME CASE`` adds a member (by ID prefix, as
    for a source). Fails before: refused, "not the ID of a source or person …"."""
    from dadkhahi.access.users import find_user
    from dadkhahi.cases.case import case_members

    home, case_id = world.store.home.path, world.demo.case_id
    password = tmp_path / "password.txt"
    password.write_text("SYNTHETIC correct horse battery staple\n")
    dk(home, "users", "add", "synthetic_counsel", "--role", "lawyer", "--password-file",
       str(password))
    shown = dk(home, "users", "grant", "synthetic_counsel", case_id[:12]).stdout
    assert f"granted {case_id} to synthetic_counsel" in shown
    with world.store.reading() as conn:
        user = find_user(conn, "synthetic_counsel")
        assert user is not None and str(user["id"]) in case_members(conn, case_id)
    listed = [json.loads(x) for x in dk(home, "users", "grants", "synthetic_counsel",
                                         "--json").stdout.splitlines()]
    assert [g["scope_id"] for g in listed] == [case_id]
