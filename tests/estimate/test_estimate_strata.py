"""Strata: sparsity checked before any sampling, --merge-sparse, names not keys.

Issue 12 items 8 and 15. All data here are SYNTHETIC.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from dadkhahi.cli.estimate import demo_histories, make_estimate_command
from dadkhahi.domain.errors import UserError
from dadkhahi.estimate import Options, describe, estimate, histories_to_table
from dadkhahi.estimate.run import merge_sparse
from dadkhahi.linkage.views import place_labels

FAST = Options(iterations=600, chains=2, seed=5, max_iterations=600)


def persons_with_small_provinces() -> pd.DataFrame:
    """Two large provinces, two of a dozen people, one where nobody is on two lists."""
    frame = demo_histories(seed=2, people=2400)
    rng = np.random.default_rng(0)
    province = np.where(rng.random(len(frame)) < 0.5, "north", "south").astype(object)
    province[:12] = "islands"
    province[12:24] = "coast"
    frame["province"] = province
    lists = frame.attrs["lists"]
    # "desert": five people, each on exactly one list.
    desert = pd.DataFrame(np.eye(4, dtype=np.int64)[[0, 1, 2, 3, 0]], columns=lists)
    desert["province"] = "desert"
    out = pd.concat([frame, desert], ignore_index=True)
    out.attrs["lists"] = lists
    return out


def table_of(persons: pd.DataFrame) -> pd.DataFrame:
    return histories_to_table(persons, persons.attrs["lists"], stratum_column="province")


def test_a_stratum_no_model_can_use_is_refused_before_any_sampling() -> None:
    heard: list[str] = []
    with pytest.raises(UserError) as caught:
        estimate(table_of(persons_with_small_provinces()), "lcmcr", stratified=True,
                 options=FAST, progress=lambda label, done, at_most: heard.append(label))
    message = str(caught.value)
    assert "desert (5 documented, nobody on two lists)" in message
    assert "--merge-sparse 30" in message
    assert heard == []  # not one sweep ran


def test_merge_sparse_puts_small_strata_into_other_and_reports_it() -> None:
    table = table_of(persons_with_small_provinces())
    merged, what = merge_sparse(table, 30)
    assert what is not None
    assert what.into == "other" and set(what.strata) == {"coast", "desert", "islands"}
    assert sorted(merged["stratum"].unique()) == ["north", "other", "south"]
    assert merged["count"].sum() == table["count"].sum()
    result = estimate(table, "lcmcr", stratified=True, options=FAST, merge_below=30)
    assert [s.stratum for s in result.strata] == ["north", "other", "south"]
    other = next(s for s in result.strata if s.stratum == "other")
    assert other.documented == int(
        table.loc[table["stratum"].isin(["coast", "desert", "islands"]), "count"].sum()
    )
    assert result.diagnostics["merged_strata"] == {
        "into": "other", "strata": ["coast", "desert", "islands"], "minimum": 30}
    assert any("merged into 'other'" in w for w in result.warnings)
    # A stratum already called "other" that is large enough keeps its name.
    renamed = table.replace({"stratum": {"north": "other"}})
    _, clash = merge_sparse(renamed, 30)
    assert clash is not None and clash.into == "other (merged)"
    untouched, nothing = merge_sparse(table, 1)
    assert nothing is not None and nothing.strata == ("desert",)  # unusable at any size
    big = table_of(demo_histories(people=900))
    same, none = merge_sparse(big, 30)
    assert none is None and same.equals(big)
    assert untouched["count"].sum() == table["count"].sum()


def test_merged_stratum_still_unusable_is_refused_at_once() -> None:
    lists = ["a", "b", "c"]
    persons = pd.DataFrame(
        [[1, 0, 0, "x"], [0, 1, 0, "y"], [0, 0, 1, "z"], *([[1, 1, 0, "big"]] * 40),
         *([[1, 0, 0, "big"]] * 40), *([[0, 1, 1, "big"]] * 40), *([[0, 0, 1, "big"]] * 40)],
        columns=[*lists, "province"],
    )
    for column in lists:
        persons[column] = persons[column].astype(np.int64)
    table = histories_to_table(persons, lists, stratum_column="province")
    with pytest.raises(UserError, match=r"other \(3 documented, nobody on two lists\); even after"):
        estimate(table, "lcmcr", stratified=True, options=FAST, merge_below=30)


def app_with(loader: object) -> typer.Typer:
    app = typer.Typer()
    app.command("estimate")(make_estimate_command(loader))  # type: ignore[arg-type]

    @app.command("other")
    def other() -> None:
        """Keep typer in sub-command mode."""

    return app


def test_cli_merge_sparse_and_describe_by_stratum() -> None:
    persons = persons_with_small_provinces()
    app = app_with(lambda _language: persons)
    refused = CliRunner().invoke(app, ["estimate", "--by", "province", "--method", "lcmcr"])
    assert isinstance(refused.exception, UserError)
    assert "--merge-sparse" in str(refused.exception)
    merged = CliRunner().invoke(app, [
        "estimate", "--by", "province", "--method", "lcmcr", "--merge-sparse", "30",
        "--iterations", "300", "--max-iterations", "300", "--chains", "2", "--seed", "1",
        "--json",
    ])
    assert merged.exit_code == 0, merged.output
    out = json.loads(merged.output)
    assert [s["stratum"] for s in out["strata"]] == ["north", "other", "south"]
    assert out["diagnostics"]["merged_strata"]["strata"] == ["coast", "desert", "islands"]
    alone = CliRunner().invoke(app, ["estimate", "--merge-sparse", "30"])
    assert isinstance(alone.exception, UserError) and "--by" in str(alone.exception)

    described = CliRunner().invoke(app, ["estimate", "--by", "province", "--describe", "--json"])
    assert described.exit_code == 0, described.output
    d = json.loads(described.output)
    strata = {s["stratum"]: s for s in d["strata"]}
    assert set(strata) == {"coast", "desert", "islands", "north", "south"}
    assert strata["desert"]["documented"] == 5
    assert strata["desert"]["capture_frequencies"] == [5, 0, 0, 0]
    assert strata["desert"]["problem"] == "5 documented, nobody on two lists"
    assert strata["north"]["problem"] is None
    assert sum(s["documented"] for s in d["strata"]) == d["documented"]
    text = CliRunner().invoke(app, ["estimate", "--by", "province", "--describe"])
    assert text.exit_code == 0, text.output
    assert "Strata" in text.output and "nobody on two lists" in text.output
    flat = describe(table_of(persons).drop(columns="stratum"))
    assert flat.strata == ()


def test_place_labels_show_names_not_keys() -> None:
    records = pd.DataFrame({
        "province": ["Teheran", "تهران", "Alborz", "Alborz", "Albourz", "East Azerbaijan",
                     "Karaj X", "Karaj Y"],
        "province_key": ["tehran", "tehran", "~lbrz", "~lbrz", "~lbrz", "azarbaijan_east",
                         "~krj1", "~krj2"],
    })
    english = place_labels(records, "province_key", "province", "en")
    assert english["tehran"] == "Tehran"  # the table's name, not any one list's spelling
    assert english["~lbrz"] == "Alborz"  # what the records wrote most often
    assert english["azarbaijan_east"] == "Azarbaijan-e Sharqi"
    persian = place_labels(records, "province_key", "province", "fa")
    assert persian["tehran"] == "تهران"
    assert persian["azarbaijan_east"] == "آذربایجان شرقی"
    assert not any(label.startswith("~") for label in english.values())
    # Two keys that would read alike stay apart.
    alike = pd.DataFrame({"province": ["Qom", "Qom"], "province_key": ["qom", "~qm"]})
    labels = place_labels(alike, "province_key", "province", "en")
    assert len(set(labels.values())) == 2
    assert labels["~qm"] == "Qom [~qm]"


def test_describe_with_merge_sparse_shows_what_was_merged_into_what() -> None:
    # Issue 12 item 8 (left at stop 25): --describe ignored --merge-sparse, so it showed
    # strata no estimate would use and not what had been merged.
    persons = persons_with_small_provinces()
    app = app_with(lambda _language: persons)
    described = CliRunner().invoke(app, ["estimate", "--by", "province", "--describe",
                                         "--merge-sparse", "30", "--json"])
    assert described.exit_code == 0, described.output
    d = json.loads(described.output)
    assert [s["stratum"] for s in d["strata"]] == ["north", "other", "south"]
    assert d["merged_strata"] == {"into": "other", "strata": ["coast", "desert", "islands"],
                                  "minimum": 30}
    unmerged = json.loads(CliRunner().invoke(
        app, ["estimate", "--by", "province", "--describe", "--json"]).output)
    small = {s["stratum"]: s["documented"] for s in unmerged["strata"]}
    other = next(s for s in d["strata"] if s["stratum"] == "other")
    assert other["documented"] == small["coast"] + small["desert"] + small["islands"]
    assert other["problem"] is None  # merged, the stratum is usable
    assert "merged_strata" not in unmerged
    text = CliRunner().invoke(app, ["estimate", "--by", "province", "--describe",
                                    "--merge-sparse", "30"])
    assert text.exit_code == 0, text.output
    words = " ".join(text.output.split())
    assert ("3 strata with fewer than 30 documented people (or nobody on two lists) were "
            "merged into 'other': coast, desert, islands") in words
