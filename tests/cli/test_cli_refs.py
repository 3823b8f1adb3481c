"""Every ID the command line takes, a unique prefix of it too (issue 12 item 9).

The first test lists every option and argument of every command that takes the ID of a
stored object, so a new one must be placed here: among those taking a prefix (its help
says so) or among the few that take something else named an ID. The others run
commands with prefixes (and ``--source`` by title) where the exact ID was needed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select
from typer._click import Context
from typer.testing import CliRunner, Result

from dadkhahi.cli.main import app
from dadkhahi.store import schema as s
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

#: (command, parameter) taking the ID of a stored object, or a unique prefix of it.
TAKES_PREFIX = {
    ("acts add", "place"), ("acts add", "source"), ("acts change", "act"), ("acts change", "place"),
    ("acts change", "source"), ("acts show", "ref"), ("acts withdraw", "involvement"),
    ("audit", "object_id"), ("audit", "user"),
    ("case bundle", "case"), ("case charge", "case"), ("case charge", "suspect"),
    ("case create", "act"), ("case create", "place"), ("case create", "suspect"),
    ("case gaps", "case"), ("case link", "case"), ("case link", "charge"),
    ("case link", "fact"), ("case mark-gap", "case"), ("case mark-gap", "charge"),
    ("case show", "case"), ("claims add", "about"), ("claims add", "item"),
    ("claims add", "record"), ("claims add", "source"), ("claims list", "about"),
    ("consent set", "testimony"), ("documents add", "source"),
    ("documents capture", "source"), ("documents import-warc", "source"),
    ("documents mentions", "item"), ("documents proposals", "accept"),
    ("documents proposals", "attributed_to"), ("documents proposals", "entity"),
    ("documents proposals", "reject"), ("documents redact", "item"),
    ("documents release", "item"), ("documents text", "item"),
    ("documents transcribe", "item"), ("estimate release", "estimate_id"),
    ("evidence add", "source"), ("evidence custody", "item"),
    ("evidence verify-capture", "item"), ("items show", "ref"),
    ("jobs cancel", "job_id"), ("jobs show", "job_id"), ("ledger prove-record", "record"),
    ("link audit record", "audit_id"), ("link decide", "list_"), ("link decide", "record_a"),
    ("lists describe", "compiled_by"), ("lists describe", "derived_from"),
    ("lists describe", "list_ref"), ("lists import", "compiled_by"),
    ("lists import", "derived_from"), ("lists import", "new_version_of"),
    ("lists import", "source"), ("lists show", "list_ref"), ("lists versions", "list_ref"),
    ("mentions review", "item"),
    ("persons show", "ref"), ("places add", "parent"), ("places history", "place"),
    ("places show", "ref"), ("places status", "item"), ("places status", "place"),
    ("places status", "record"), ("places status", "source"), ("publish approve", "source"),
    ("publish withdraw", "person"), ("records show", "ref"), ("sources link", "other"),
    ("sources link", "source"), ("sources show", "ref"), ("testimonies erase", "testimony"),
    ("testimonies interview", "testimony"), ("testimonies segment", "testimony"),
    ("testimonies show", "testimony"), ("testimonies translate", "segment_id"),
    ("users grant", "scope"), ("users revoke", "scope"),
}
#: Named an ID, but not of a stored object: the frameworks' own vocabulary, and an ID
#: printed, not taken.
NOT_STORED = {
    ("case charge", "crime"), ("case charge", "framework"), ("case charge", "mode"),
    ("case link", "element"), ("case mark-gap", "element"), ("link run", "queue"),
}
_NAMES_AN_ID = re.compile(r"\bID\b|\(\w{3}_…|\(\w{3}_\.\.\.")


def _commands(group: Any, ctx: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every command under ``group`` with its full name (Typer's own bundled Click: no
    isinstance against click's classes)."""
    found: list[tuple[str, Any]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        full = f"{path} {name}".strip()
        if hasattr(command, "list_commands"):
            found += _commands(command, ctx, full)
        else:
            found.append((full, command))
    return found


def _id_params() -> dict[tuple[str, str], str]:
    root = typer.main.get_command(app)
    taking: dict[tuple[str, str], str] = {}
    for path, command in _commands(root, Context(root)):
        for param in command.params:
            help_text = getattr(param, "help", None) or ""
            if param.name and (_NAMES_AN_ID.search(help_text) or param.metavar == "ID"):
                taking[(path, param.name)] = help_text
    return taking


def test_every_id_the_cli_takes_is_listed_and_its_help_says_a_prefix_will_do() -> None:
    taking = _id_params()
    unplaced = sorted(set(taking) - TAKES_PREFIX - NOT_STORED)
    assert not unplaced, f"place these in TAKES_PREFIX (and test a prefix) or NOT_STORED: " \
                         f"{unplaced}"
    gone = sorted((TAKES_PREFIX | NOT_STORED) - set(taking))
    assert not gone, f"no longer taking an ID (or their help no longer says so): {gone}"
    silent = sorted(k for k in TAKES_PREFIX if "prefix" not in taking[k])
    assert not silent, f"the help of these does not say a prefix will do: {silent}"


def _dk(home: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--home", str(home), *args], env={"COLUMNS": "200"})


def _ok(home: Path, *args: str) -> str:
    done = _dk(home, *args)
    assert done.exit_code == 0, f"{args}: {done.output}{done.exception!r}"
    return done.output


def _id(text: str, prefix: str) -> str:
    found = re.search(rf"\b{prefix}_[0-9a-f]+\b", text)
    assert found is not None, text
    return found.group(0)


def test_jobs_show_and_cancel_take_a_prefix(list_home: Path) -> None:
    job_id = _ok(list_home, "jobs", "verify-ledger").strip()
    shown = json.loads(_ok(list_home, "jobs", "show", job_id[:9], "--json"))
    assert shown["id"] == job_id and shown["state"] == "queued"
    assert f"{job_id}: cancelled" in _ok(list_home, "jobs", "cancel", job_id[:9])


def test_a_record_is_proved_by_a_prefix_of_its_id(list_home: Path, tmp_path: Path) -> None:
    store = Store.open(Home(list_home))
    with store.reading() as conn:
        record_id = conn.execute(select(s.records.c.id).order_by(s.records.c.id)).scalar()
    store.engine.dispose()
    assert record_id is not None
    out = tmp_path / "proof.json"
    _ok(list_home, "ledger", "prove-record", record_id[:10], "--out", str(out))
    assert record_id in out.read_text("utf-8")


def test_testimonies_and_their_segments_take_a_prefix(list_home: Path, tmp_path: Path) -> None:
    made = _ok(list_home, "testimonies", "add", "--title", "SYNTHETIC interview",
               "--sensitivity", "restricted")
    testimony_id, source_id = _id(made, "tst"), _id(made, "src")
    segments = tmp_path / "segments.json"
    segments.write_text(json.dumps([{"text": "SYNTHETIC words", "knowledge": "direct"}]))
    segment_id = _id(_ok(list_home, "testimonies", "segment", source_id[:10], "--file",
                         str(segments)), "seg")
    shown = json.loads(_ok(list_home, "testimonies", "show", testimony_id[:10], "--json"))
    assert shown["id"] == testimony_id
    translation = tmp_path / "translation.txt"
    translation.write_text("SYNTHETIC kalamat", "utf-8")
    _ok(list_home, "testimonies", "translate", segment_id[:10], "--language", "fa",
        "--file", str(translation))


def test_a_grant_is_revoked_by_a_prefix_of_its_scope(list_home: Path, tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("SYNTHETIC correct horse battery staple\n", "utf-8")
    _ok(list_home, "users", "add", "leila", "--password-file", str(secret))
    statement = tmp_path / "statement.txt"
    statement.write_text("SYNTHETIC protected statement", "utf-8")
    source_id = _id(_ok(list_home, "evidence", "add", str(statement), "--source-title",
                        "SYNTHETIC protected", "--sensitivity", "protected"), "src")
    _ok(list_home, "users", "grant", "leila", source_id[:8])
    assert f"revoked {source_id} from leila" in _ok(list_home, "users", "revoke", "leila",
                                                    source_id[:8])


def test_files_cases_and_publication_take_a_source_title_or_prefixes(
        list_home: Path, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("SYNTHETIC statement", "utf-8")
    added = _ok(list_home, "documents", "add", str(note), "--source", "SYNTHETIC Memorial list",
                "--no-extract")
    source_id = _id(added, "src")
    place_id = _id(_ok(list_home, "places", "add", "Evin", "--kind", "prison",
                       "--sensitivity", "public"), "plc")
    act = json.loads(_ok(list_home, "acts", "add", "--type", "execution", "--place", place_id,
                         "--source", source_id[:8], "--json"))
    case = json.loads(_ok(list_home, "case", "create", "--title", "SYNTHETIC case", "--act",
                          act["id"][:8], "--place", place_id[:8], "--json"))
    shown = json.loads(_ok(list_home, "case", "show", case["id"][:8], "--json"))
    assert shown["scope"]["acts"] == [act["id"]] and shown["scope"]["places"] == [place_id]
    assert "Approved 1 source(s)" in _ok(list_home, "publish", "approve", "--source",
                                         source_id[:8])
    press = tmp_path / "press.txt"
    press.write_text("SYNTHETIC article", "utf-8")
    _ok(list_home, "evidence", "add", str(press), "--source-title", "SYNTHETIC press")
    assert _ok(list_home, "sources", "link", "SYNTHETIC press", source_id[:8], "--kind",
               "cites").startswith("sln_")
