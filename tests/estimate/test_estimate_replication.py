"""``estimate --replication DIR`` on the Kosovo 1999 table: files an expert can rerun.

R is not installed here, so the R script is checked as text: it loads LCMCR
and Rcapture, reads exactly the files written (whose contents are the table),
and carries the seed and settings used.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from typer.testing import CliRunner

from dadkhahi.cli.estimate import demo_histories, make_estimate_command
from dadkhahi.domain.errors import UserError
from dadkhahi.estimate import histories_to_table, table_from_counts
from dadkhahi.estimate.table import all_patterns

# Killings in Kosovo, 20 March - 22 June 1999: 4,400 people on four lists
# (EXH exhumations, ABA the American Bar Association's CEELI, OSCE, HRW), as
# shipped with the R package LCMCR 0.4.14 (data "kosovo_aggregate", one row per
# person), from Ball, Betts, Scheuren, Dudukovic & Asher (2002), "Killings and
# Refugee Flow in Kosovo, March-June 1999", report to the ICTY. Counts per
# pattern (EXH, ABA, OSCE, HRW), aggregated from the package's data.
KOSOVO_COUNTS = {
    (0, 0, 0, 1): 306, (0, 0, 1, 0): 936, (0, 0, 1, 1): 123, (0, 1, 0, 0): 845,
    (0, 1, 0, 1): 31, (0, 1, 1, 0): 217, (0, 1, 1, 1): 32, (1, 0, 0, 0): 1131,
    (1, 0, 0, 1): 106, (1, 0, 1, 0): 228, (1, 0, 1, 1): 42, (1, 1, 0, 0): 177,
    (1, 1, 0, 1): 18, (1, 1, 1, 0): 181, (1, 1, 1, 1): 27,
}
LISTS = ["EXH", "ABA", "OSCE", "HRW"]
KOSOVO = table_from_counts(LISTS, np.array(list(KOSOVO_COUNTS)),
                           np.array(list(KOSOVO_COUNTS.values())))


def app_with(loader: object = None) -> typer.Typer:
    app = typer.Typer()
    app.command("estimate")(make_estimate_command(loader))  # type: ignore[arg-type]

    @app.command("other")
    def other() -> None:
        """Keep typer in sub-command mode."""

    return app


def test_kosovo_table_is_the_published_one() -> None:
    # The package's documentation: 4,400 killings; every one of the 15
    # observable patterns is non-empty.
    assert KOSOVO["count"].sum() == 4400
    assert len(KOSOVO) == 15 == len(all_patterns(4))
    assert (KOSOVO["count"] > 0).all()


def test_replication_folder_for_the_kosovo_table(tmp_path: Path) -> None:
    csv = tmp_path / "kosovo.csv"
    KOSOVO.to_csv(csv, index=False)
    out = tmp_path / "replication"
    result = CliRunner().invoke(app_with(), [
        "estimate", "--table", str(csv), "--method", "lcmcr", "--iterations", "400",
        "--max-iterations", "400", "--chains", "2", "--seed", "7", "--max-classes", "10",
        "--replication", str(out), "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert sorted(p.name for p in out.iterdir()) == [
        "capture_histories.csv", "replicate.R", "settings.json"]

    histories = pd.read_csv(out / "capture_histories.csv")
    assert list(histories.columns) == [*LISTS, "Freq"]
    back = {tuple(int(v) for v in row[:4]): int(row[4]) for row in histories.to_numpy()}
    assert back == KOSOVO_COUNTS

    settings = json.loads((out / "settings.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256((out / "capture_histories.csv").read_bytes()).hexdigest()
    assert settings["sha256"] == {"capture_histories.csv": digest}
    assert settings["settings"]["seed"] == 7
    assert settings["settings"]["max_classes"] == 10
    assert {"numpy", "scipy", "python"} <= set(settings["settings"]["versions"])
    assert settings["result"]["estimate"] == answer["estimate"]
    assert settings["result"]["interval"] == answer["interval"]
    assert settings["result"]["documented"] == 4400

    script = (out / "replicate.R").read_text(encoding="utf-8")
    assert "library(LCMCR)" in script and "library(Rcapture)" in script
    files = re.search(r"files <- c\(([^)]*)\)", script)
    assert files is not None
    named = re.findall(r'"([^"]+)"', files.group(1))
    assert named == ["capture_histories.csv"]
    assert all((out / name).is_file() for name in named)
    lists = re.findall(r'"([^"]+)"', re.search(r"lists <- c\(([^)]*)\)", script).group(1))
    assert lists == LISTS
    assert "tabular = TRUE" in script and "K = 10" in script
    assert "lcmcr_draws(x, 7 + i - 1)" in script
    assert "closedpMS.t(x, dfreq = TRUE" in script
    assert f"{answer['estimate']:.1f}" in script
    again = CliRunner().invoke(app_with(), [
        "estimate", "--table", str(csv), "--method", "chao", "--replication", str(out)])
    assert isinstance(again.exception, UserError)
    assert "not empty" in str(again.exception)


def test_replication_writes_each_stratum(tmp_path: Path) -> None:
    persons = demo_histories(seed=4, people=1200)
    table = histories_to_table(persons, persons.attrs["lists"], stratum_column="province")
    out = tmp_path / "rep"
    result = CliRunner().invoke(app_with(lambda _language: persons), [
        "estimate", "--by", "province", "--method", "loglinear", "--replication", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["capture_histories.csv", "replicate.R", "settings.json",
                     "stratum_north.csv", "stratum_south.csv"]
    for stratum in ("north", "south"):
        part = pd.read_csv(out / f"stratum_{stratum}.csv")
        assert part["Freq"].sum() == table.loc[table["stratum"] == stratum, "count"].sum()
    whole = pd.read_csv(out / "capture_histories.csv")
    assert whole["Freq"].sum() == table["count"].sum()
    script = (out / "replicate.R").read_text(encoding="utf-8")
    assert 'files <- c("stratum_north.csv", "stratum_south.csv")' in script
    settings = json.loads((out / "settings.json").read_text(encoding="utf-8"))
    assert settings["strata"] == {"north": "stratum_north.csv", "south": "stratum_south.csv"}


def test_a_replication_folder_made_beforehand_is_made_owner_only(tmp_path: Path) -> None:
    """An empty folder made by hand (a shell's umask 022: 755) took the files, each 600,
    but stayed 755, so any local user listed them, and a stratum's file is named after
    it (a city, a prison): the folder is the estimate's, 700 like every export's
    (attack35)."""
    import os
    import stat

    persons = demo_histories(seed=4, people=1200)
    out = tmp_path / "rep"
    out.mkdir()
    os.chmod(out, 0o755)
    result = CliRunner().invoke(app_with(lambda _language: persons), [
        "estimate", "--by", "province", "--method", "chao", "--replication", str(out)])
    assert result.exit_code == 0, result.output
    assert "stratum_north.csv" in {p.name for p in out.iterdir()}
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o600}
