"""A case linked to an involvement withdrawn since: the court bundle (matrix, gaps, report)
and the command line mark the link withdrawn, with when, and count it as support of
nothing; the bundle still verifies. Every name SYNTHETIC."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from case_world import murder_case, run_script
from sqlalchemy import select
from typer.testing import CliRunner

from dadkhahi.cases.bundle import write_bundle
from dadkhahi.cases.bundle_verify import verify
from dadkhahi.cases.case import link_fact, load_case
from dadkhahi.cli.main import app
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import (
    ActType,
    Credibility,
    Direction,
    InvolvementRole,
    Reliability,
    Sensitivity,
)
from dadkhahi.facts.edits import withdraw_involvement
from dadkhahi.facts.entities import Support, add_involvement, create_act, create_person
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.store import schema as s
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store

PUBLIC = Sensitivity.PUBLIC


def _source(store: Store, tmp: Path, name: str) -> tuple[str, str]:
    """A public source with one file: its ID and the item's."""
    path = tmp / f"{name}.txt"
    path.write_text(f"SYNTHETIC {name}.\n")
    added = add_evidence(store, [path], Receipt(actor="tester"), new_source=SourceSpec(
        title=f"SYNTHETIC {name}", sensitivity=PUBLIC))
    assert added.source_id is not None
    return added.source_id, added.added[0][1]


def test_a_withdrawn_link_is_marked_in_the_bundle_and_on_the_command_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    home = tmp_path / "home"
    store = Store.init(Home(home), "cases.test/withdrawn", "tester")
    try:
        order, order_item = _source(store, tmp_path, "order")
        list_source, list_item = _source(store, tmp_path, "list")
        with store.transaction("analyst") as tx:
            suspect = create_person(tx, "SYNTHETIC Official Yaz", synthetic=True)
            act = create_act(tx, ActType.EXECUTION, description="SYNTHETIC act",
                             sensitivity=PUBLIC)
            signed = add_involvement(tx, act, InvolvementRole.SIGNED, person_id=suspect,
                                     sensitivity=PUBLIC,
                                     support=[Support(order, item_id=order_item)])
            named = add_involvement(tx, act, InvolvementRole.PERPETRATOR_ORDERED,
                                    person_id=suspect, sensitivity=PUBLIC,
                                    support=[Support(list_source, item_id=list_item)])
        case_id = murder_case(store, "SYNTHETIC withdrawn case", suspect, act, "1",
                              ("involvement", signed), "SYNTHETIC: signed the order")
        with store.reading() as conn:
            charge = load_case(store, conn, case_id).charges[0].id
        link_fact(store, "analyst", case_id, charge, "1", "involvement", named,
                  reliability=Reliability.C, credibility=Credibility.POSSIBLY_TRUE,
                  how="SYNTHETIC: named on the list", direction=Direction.INCRIMINATING)
        with store.transaction("analyst") as tx:
            index = withdraw_involvement(tx, named)
        with store.reading() as conn:
            withdrawn_at = json.loads(bytes(conn.execute(select(s.ledger_events.c.body).where(
                s.ledger_events.c.idx == index)).scalar_one()))["time"]
        # At a threshold of 1 the element stands on the order alone; the withdrawn link
        # counts for nothing and lists the element among the gaps all the same.
        bundle = write_bundle(store, "lawyer", case_id, tmp_path / "bundle",
                              recipient="SYNTHETIC Court of Testing", threshold=1)
        key = store.verifier_key()
    finally:
        store.engine.dispose()
    folder = bundle.path
    assert verify(folder, key) == []
    done = run_script(folder, key)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = list(csv.DictReader(io.StringIO((folder / "data/matrix.csv").read_text())))
    by_fact = {r["fact_id"]: r for r in rows if r["element_id"] == "1"}
    assert by_fact[named]["withdrawn_at"] == withdrawn_at
    assert by_fact[named]["sources"] == "" and by_fact[signed]["withdrawn_at"] == ""
    status = by_fact[signed]["status"]
    assert status == ("supported by 1 independent source; 1 linked fact withdrawn since, "
                      "not counted")
    matrix = json.loads((folder / "data/matrix.json").read_text())
    assert [g for g in matrix["gaps"] if "element 1:" in g] == [
        next(g for g in matrix["gaps"] if g.endswith(status))]
    report = (folder / "data/report.html").read_text()
    assert f"Withdrawn from its act at {withdrawn_at}: not counted" in report
    # The command line: the same words in the matrix and the gap report.
    for command in ("show", "gaps"):
        out = CliRunner().invoke(app, ["--home", str(home), "case", command, case_id,
                                       "--threshold", "1"], env={"COLUMNS": "300"})
        assert out.exit_code == 0, out.output
        assert "1 linked fact withdrawn since, not counted" in out.output, command
    shown = CliRunner().invoke(app, ["--home", str(home), "case", "show", case_id, "--json"])
    records = {r["fact_id"]: r for r in json.loads(shown.output)["matrix"]}
    assert records[named]["withdrawn_at"] == withdrawn_at

