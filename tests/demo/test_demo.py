"""The demo builds a verifiable ledger with labelled synthetic data and sourced public facts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from dadkhahi.store import schema as s
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger


def test_demo_runs_and_verifies(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    # Wide: each hint on one line, as a terminal wide enough shows it.
    proc = subprocess.run([sys.executable, "-m", "dadkhahi", "demo", "--dir", str(target)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "COLUMNS": "1000"})
    assert proc.returncode == 0, proc.stderr
    # Issue 12 item 21: every command it suggests runs as printed (names the demo's
    # home), and its two counts of persons are explained.
    hints = re.findall(r"\bdadkhahi (\S+) (\S+)", proc.stdout)
    assert len(hints) >= 3 and all(h == ("--home", str(target)) for h in hints), hints
    assert "linked from the lists, and added as facts of the case" in proc.stdout
    assert "ledger verify" in proc.stdout and "FAILED" not in proc.stdout
    # It ends with the workspace's address and a sign-in that works.
    assert "http://127.0.0.1:8000/" in proc.stdout and "'demo'" in proc.stdout
    store = Store.open(Home(target))
    # The demo sign-in printed at the end works, and opens the workspace.
    from dadkhahi.access.users import check_password
    from dadkhahi.demo.run import DEMO_PASSWORD, DEMO_USER

    assert check_password(store, DEMO_USER, DEMO_PASSWORD).principal is not None
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok
        persons = conn.execute(select(s.persons)).mappings().all()
        sources = conn.execute(select(s.sources)).mappings().all()
        support = conn.execute(select(s.claim_support)).mappings().all()
        record_sources = set(conn.execute(
            select(s.sources.c.title).join(s.records, s.records.c.source_id == s.sources.c.id)
        ).scalars())
        linked = set(conn.execute(select(s.person_records.c.person_id)).scalars())
    # Every invented person is flagged synthetic, and is either labelled so or was
    # linked from list records, all of which come from sources titled SYNTHETIC.
    assert len(record_sources) == 4 and all("SYNTHETIC" in t for t in record_sources)
    for p in persons:
        if p["synthetic"]:
            assert "SYNTHETIC" in p["label"] or p["label"] == "[protected]" or p["id"] in linked
        else:
            assert p["sensitivity"] == "public" and p["id"] not in linked
    assert sum(not p["synthetic"] for p in persons) == 4  # the sourced public officials
    assert len(linked) > 400
    assert "persons after linkage" in proc.stdout and "estimated total (lcmcr)" in proc.stdout
    # Every public source carries a citation; every claim has support.
    public = [src for src in sources if src["sensitivity"] == "public"]
    assert public and all(src["citation"] for src in public)
    assert support
    _check_court_case(store, target, {p["id"] for p in persons if not p["synthetic"]})
    # The estimate is released to the public, and the memorial's "how many" shows it.
    from dadkhahi.analysis.estimates import released_estimates
    from dadkhahi.demo.run import MEMORIAL_DIR

    released = released_estimates(store, "public")
    assert len(released) == 1 and released[0].method == "lcmcr"
    how_many = (target / MEMORIAL_DIR / "en" / "how-many.html").read_text("utf-8")
    assert "No estimate of the total has been released yet." not in how_many
    assert f"<strong>{round(released[0].estimate):,}</strong> estimated in all" in how_many
    again = subprocess.run([sys.executable, "-m", "dadkhahi", "demo", "--dir", str(target)],
                           capture_output=True, text=True, check=False)
    assert again.returncode == 2 and "fresh" in again.stderr



def _check_court_case(store: Store, target: Path, real: set[str]) -> None:
    """Invented suspects only; no real person is a suspect, a linked party or an exhibit;
    the bundle verifies (both verifiers run the same code; the script is tested in
    tests/cases) and withholds the testimony."""
    from dadkhahi.cases.bundle_verify import verify
    from dadkhahi.cases.case import list_cases
    from dadkhahi.demo.run import BUNDLE_DIR

    with store.reading() as conn:
        (case,) = list_cases(store, conn)
        inv = s.involvements.c
        parties = set(conn.execute(select(inv.person_id).where(inv.id.in_(
            [lk.fact_id for lk in case.links if lk.fact_kind == "involvement"]))).scalars())
        parties |= set(conn.execute(select(s.claims.c.entity_id).where(s.claims.c.id.in_(
            [lk.fact_id for lk in case.links if lk.fact_kind == "claim"]))).scalars())
    assert len(case.scope.suspects) == 2 and len(case.charges) == 3
    assert not real & (set(case.scope.suspects) | parties)
    bundle = target / BUNDLE_DIR
    assert verify(bundle, store.verifier_key()) == []
    assert (bundle / "data" / "withheld.csv").read_text().count("\n") == 2
    exhibit_text = b"".join(p.read_bytes() for p in (bundle / "data" / "exhibits").rglob("*.txt"))
    assert b"SYNTHETIC" in exhibit_text
