"""``dadkhahi link audit draw | record`` from the command line (issue 13).

A stand-in linker sends one pair of two SYNTHETIC lists to review and links
nothing, so the audit has one non-link near the threshold; the reviewer's "same"
makes the run's recall over the audited pairs 0 (nothing linked), which the
command prints with its interval.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from test_cli_link_refs import _dk, home  # noqa: F401  (fixture)
from typer.testing import CliRunner

from dadkhahi.cli.main import app


def test_draw_then_record_prints_strata_and_estimates(home: Path,  # noqa: F811
                                                       tmp_path: Path) -> None:
    sheet = tmp_path / "audit.csv"
    drawn = _dk(home, "link", "audit", "draw", "--out", str(sheet), "--size", "10").output
    assert "non-link <threshold" in drawn and "1 pairs written" in drawn
    audit_id = re.search(r"aud_[0-9a-f]+", drawn).group(0)  # type: ignore[union-attr]
    with sheet.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    # Both records side by side, nothing of the model (no probability column).
    assert len(rows) == 1 and {rows[0]["name_a"], rows[0]["name_b"]} == {"Hosein Rezaei",
                                                                         "Hossein Rezayi"}
    assert not [c for c in rows[0] if "prob" in c]
    rows[0].update(decision="same", reviewer="one")
    with sheet.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    recorded = _dk(home, "link", "audit", "record", audit_id, str(sheet)).output
    assert "precision: not estimable" in recorded  # no link drawn
    assert "1 pairs labelled by 1 reviewer(s)" in recorded
    missing = CliRunner().invoke(app, ["--home", str(home), "link", "audit", "record",
                                       "aud_nope", str(sheet)])
    assert missing.exit_code != 0 and "no audit 'aud_nope'" in str(missing.exception)
