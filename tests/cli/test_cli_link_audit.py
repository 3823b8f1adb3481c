"""``dadkhahi link audit draw | record`` from the command line (issue 13).

A stand-in linker sends one pair of two SYNTHETIC lists to review and links
nothing, so the audit has one non-link near the threshold; the reviewer's "same"
makes the run's recall over the audited pairs 0 (nothing linked), which the
command prints with its interval.
"""

from __future__ import annotations

import csv
import json
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


def test_estimate_draws_linkages_by_default_only_from_a_recorded_audit(
        home: Path, tmp_path: Path) -> None:  # noqa: F811
    def warned(*flags: str) -> tuple[dict[str, object], bool]:
        out = json.loads(_dk(home, "estimate", "--method", "lp", "--json", *flags).output)
        return out, any("holds the linkage fixed" in w for w in out["warnings"])

    out, held = warned()
    assert held and "linkage_uncertainty" not in out
    out, held = warned("--no-linkage-uncertainty")
    assert not held and "linkage_uncertainty" not in out

    sheet = tmp_path / "audit.csv"
    drawn = _dk(home, "link", "audit", "draw", "--out", str(sheet), "--size", "10").output
    audit_id = re.search(r"aud_[0-9a-f]+", drawn).group(0)  # type: ignore[union-attr]
    with sheet.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[0].update(decision="same", reviewer="one")
    with sheet.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    _dk(home, "link", "audit", "record", audit_id, str(sheet))
    out, held = warned("--linkage-draws", "3")
    assert not held
    linkage = out["linkage_uncertainty"]
    assert isinstance(linkage, dict)
    assert linkage["drawn_from"] == "audit" and linkage["partitions"] == 3
