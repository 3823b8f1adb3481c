"""Testimonies: the witness only in sealed fields, a random pseudonym for everyone else,
consent per recipient with its withdrawal listing what was already disclosed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from dadkhahi.domain.errors import ValidationError
from dadkhahi.intake import testimonies as tm
from dadkhahi.intake.testimonies import add_testimony, consent_allows, consents, set_consent
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

WITNESS = "SYNTHETICWITNESSZQX"


def _spec(n: int) -> tm.TestimonySpec:
    return tm.TestimonySpec(
        title=f"SYNTHETIC interview {n}", witness_name=f"{WITNESS}{n}",
        witness_contact=f"{WITNESS}-phone", interview_date="2026-11-30",
        interview_place=f"{WITNESS}-town", interviewer=f"{WITNESS}-interviewer",
        others_present=[f"{WITNESS}-sister"], interpreter=f"{WITNESS}-interpreter",
        language="fa", read_back=True, materials_shown=[f"{WITNESS}-photo"],
        prior_statements=[f"{WITNESS}-prior"])


def test_the_witness_is_sealed_and_others_see_a_random_pseudonym(store: Store) -> None:
    made = [add_testimony(store, _spec(n), "tester") for n in range(3)]
    pseudonyms = [m["pseudonym"] for m in made]
    assert all(re.fullmatch(r"W-[A-Z2-9]{4}-[A-Z2-9]{4}", p) for p in pseudonyms)
    assert len(set(pseudonyms)) == 3 and sorted(pseudonyms) != ["W-1", "W-2", "W-3"]
    with store.reading() as conn:
        rows = conn.execute(select(s.testimonies)).mappings().all()
        bodies = conn.execute(select(s.ledger_events.c.body)).scalars().all()
    for row in rows:
        shown = json.dumps({k: v for k, v in row.items() if k != "sealed"}, default=str)
        assert WITNESS not in shown and row["witness_name"] == "[protected]"
        assert row["read_back"] is None and row["others_present"] == []
    assert all(WITNESS.encode() not in bytes(b) for b in bodies)
    assert all(b"SYNTHETIC interview" not in bytes(b) for b in bodies)  # the title too
    # The holder of the keys reads them back.
    payload = store.keys.unseal(store.engine.connect(), rows[0]["sealed"], rows[0]["id"])
    assert payload is not None and payload["witness_name"].startswith(WITNESS)
    assert payload["read_back"] is True


def test_consent_per_recipient_and_a_withdrawal_listing_what_was_disclosed(
    store: Store,
) -> None:
    made = add_testimony(store, _spec(0), "tester")
    tid, source = made["testimony_id"], made["source_id"]
    with store.reading() as conn:
        assert consent_allows(conn, [source], "team", None)  # the team holds its own
        assert not consent_allows(conn, [source], "court", "SYNTHETIC Court")
    set_consent(store, made["pseudonym"], "court", "SYNTHETIC Court", "given", "tester",
                how="signed form", date="2026-11-30", informed_defence=True)
    set_consent(store, tid, "public", None, "refused", "tester")
    with store.reading() as conn:
        assert consent_allows(conn, [source], "court", "SYNTHETIC Court")
        assert not consent_allows(conn, [source], "court", "SYNTHETIC Other Court")
        assert not consent_allows(conn, [source], "public", None)
    set_consent(store, tid, "court", "SYNTHETIC Court", "withdrawn", "tester",
                disclosed=["bnd_synthetic1"])
    with store.reading() as conn:
        assert not consent_allows(conn, [source], "court", "SYNTHETIC Court")
        now = {(c["recipient_kind"], c["status"]) for c in consents(conn, source)}
        event = conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.type == "consent.recorded").order_by(
            s.ledger_events.c.idx.desc())).scalars().first()
    assert now == {("court", "withdrawn"), ("public", "refused")}
    assert json.loads(event)["data"]["disclosed"] == ["bnd_synthetic1"]
    for bad in (dict(recipient_kind="court", recipient=None, status="given", how="x"),
                dict(recipient_kind="court", recipient="C", status="given", how=None),
                dict(recipient_kind="press", recipient=None, status="given", how="x"),
                dict(recipient_kind="team", recipient=None, status="maybe", how="x")):
        with pytest.raises(ValidationError):
            set_consent(store, tid, bad["recipient_kind"], bad["recipient"], bad["status"],
                        "tester", how=bad["how"])


def test_cli_adds_a_testimony_from_a_details_file_with_its_transcript(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from dadkhahi.cli.main import app

    runner = CliRunner()
    home = str(tmp_path / "home")
    assert runner.invoke(app, ["--home", home, "init", "--origin", "t.test/t"]).exit_code == 0
    details = tmp_path / "interview.json"
    details.write_text(json.dumps({"witness_name": WITNESS, "read_back": "yes"}), "utf-8")
    bad = runner.invoke(app, ["--home", home, "testimonies", "add", "--title", "SYNTHETIC t",
                              "--details", str(details)])
    assert bad.exit_code == 1 and "read_back" in bad.output
    details.write_text(json.dumps({"witness_name": WITNESS, "read_back": True}), "utf-8")
    transcript = tmp_path / "t.txt"
    transcript.write_text("SYNTHETIC transcript: I saw the lists in 1367.\n", "utf-8")
    done = runner.invoke(app, ["--home", home, "testimonies", "add", "--title", "SYNTHETIC t",
                               "--details", str(details), "--transcript", str(transcript)])
    assert done.exit_code == 0, done.output
    pseudonym = re.search(r"W-[A-Z2-9]{4}-[A-Z2-9]{4}", done.output).group(0)  # type: ignore[union-attr]
    assert "1 extracted" in done.output and WITNESS not in done.output
    ok = runner.invoke(app, ["--home", home, "consent", "set", pseudonym, "--to", "partner",
                             "--recipient", "SYNTHETIC Partner", "--status", "given",
                             "--how", "recorded orally"])
    assert ok.exit_code == 0 and "consent given for partner" in ok.output
