"""`ledger prove-record` and `ledger verify-proof` on a selective proof: one row of a
protected list, its sealed fields only on request, checked offline (SYNTHETIC names)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.lists import import_list
from dadkhahi.store import schema as s
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store


def dk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_DATABASE_URL}
    return subprocess.run([sys.executable, "-m", "dadkhahi", "--home", str(home), *args],
                          capture_output=True, text=True, env=env, check=False, timeout=300)


def test_prove_one_record_and_verify_it_offline(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)  # one SQLite home, here and in the CLI
    home = tmp_path / "home"
    store = Store.init(Home(home), "cli.test/selective", "tester")
    listed = tmp_path / "list.csv"
    listed.write_text("n,name\n" + "".join(f"{i},SYNTHETICNAME{i:03d}\n" for i in range(50)))
    report = import_list(store, listed, source="SYNTHETIC protected list", actor="tester",
                         id_column="n", sensitivity=Sensitivity.PROTECTED)
    with store.reading() as conn:
        record = conn.execute(select(s.records.c.id).where(
            s.records.c.ledger_index == report.ledger_index).order_by(s.records.c.id)
        ).scalars().first()
    key = store.verifier_key()
    store.engine.dispose()

    row_only = tmp_path / "row.json"
    done = dk(home, "ledger", "prove-record", str(record), "--out", str(row_only))
    assert done.returncode == 0, done.stderr
    assert "SYNTHETICNAME" not in row_only.read_text()  # sealed, and not asked for
    with_fields = tmp_path / "fields.json"
    assert dk(home, "ledger", "prove-record", str(record), "--fields", "--out",
              str(with_fields)).returncode == 0
    assert len(json.loads(with_fields.read_text())["fields"]) == 3
    names = set(re.findall(r"SYNTHETICNAME\d{3}", with_fields.read_text()))
    assert len(names) == 1  # this row's name, no other
    checked = dk(home, "ledger", "verify-proof", str(with_fields), "--key", key)
    assert checked.returncode == 0 and "1 row(s) and 3 sealed field(s)" in checked.stdout
    tampered = with_fields.read_text().replace(next(iter(names)), "SYNTHETICNAME999")
    with_fields.write_text(tampered)
    refused = dk(home, "ledger", "verify-proof", str(with_fields), "--key", key)
    assert refused.returncode != 0 and "does not match its commitment" in refused.stderr
