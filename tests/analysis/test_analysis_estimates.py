"""The store's estimate over drawn linkages, pooled, and its ledger record.

A stand-in linker returns pairs whose probabilities the test chooses, so the
drawn partitions and their tables follow from the input. All people are
SYNTHETIC.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from dadkhahi.analysis.estimates import (
    StoreEstimate,
    estimate_store,
    record_estimate,
    release_estimate,
    released_estimates,
    table_sha256,
)
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.vocab import ListKind, Sensitivity
from dadkhahi.estimate import EstimateResult, ListSize, Options, to_json
from dadkhahi.estimate.pooled import pool
from dadkhahi.intake.lists import import_list
from dadkhahi.linkage.clusters import cluster_pairs
from dadkhahi.linkage.draws import DrawSettings
from dadkhahi.linkage.service import decide, run_linkage
from dadkhahi.linkage.store_io import load_records
from dadkhahi.store import schema as s
from dadkhahi.store.ledger_log import get_event
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

FAST = Options(iterations=400, chains=2, seed=3, max_iterations=400)


def _result(draws: np.ndarray | None, estimate: float, interval: tuple[float, float],
            documented: int = 100) -> EstimateResult:
    return EstimateResult("lcmcr", documented, estimate, interval, (ListSize("a", 1),),
                          draws=draws)


def test_pooling_takes_equal_draws_from_each_partition() -> None:
    rng = np.random.default_rng(0)
    fixed = _result(rng.normal(200, 10, 4000), 200, (180.0, 220.0))
    runs = [_result(rng.normal(mu, 10, n), mu, (mu - 20, mu + 20))
            for mu, n in ((190, 3000), (210, 5000))]
    pooled = pool(fixed, runs)
    link = pooled.diagnostics["linkage"]
    assert link["partitions"] == 2 and link["draws_per_partition"] == 3000
    assert pooled.draws is not None and pooled.draws.size == 6000
    expected = np.quantile(pooled.draws, [0.025, 0.5, 0.975])
    assert pooled.interval == pytest.approx((expected[0], expected[2]))
    assert pooled.estimate == pytest.approx(expected[1])
    width = pooled.interval[1] - pooled.interval[0]
    assert link["width_share"] == pytest.approx((width - 40.0) / width)
    # Means 190 and 210 (sd 10 each): between-partition variance 100 of about 200.
    assert link["variance_share"] == pytest.approx(0.5, abs=0.05)
    assert link["fixed"]["interval"] == [180.0, 220.0]


def test_pooling_without_draws_uses_a_split_normal_and_says_so() -> None:
    fixed = _result(None, 200, (190.0, 230.0))
    pooled = pool(fixed, [_result(None, 200, (190.0, 230.0))] * 3, seed=1)
    assert pooled.diagnostics["linkage"]["approximate"]
    assert any("split-normal" in w for w in pooled.warnings)
    # One partition's split normal: its own 2.5% and 97.5% points come back.
    assert pooled.interval == pytest.approx((190.0, 230.0), abs=1.5)


# --- the store -------------------------------------------------------------------

NAMES = ["Ali Karimi", "Zahra Moradi", "Javad Najafi", "Reza Ahmadi", "Maryam Jafari",
         "Hassan Rostami", "Mehdi Sadeghi", "Fatemeh Kazemi"]


def four_lists(store: Store, folder: Path, people: int = 80, seed: int = 5) -> dict[str, int]:
    """Four SYNTHETIC lists of ``people`` invented people; list id -> true person."""
    rng = np.random.default_rng(seed)
    truth: dict[str, int] = {}
    seen = rng.random((people, 4)) < np.array([0.5, 0.45, 0.4, 0.5])
    for k in range(4):
        path = folder / f"list{k}.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(["ID", "Name", "City"])
            for person in np.flatnonzero(seen[:, k]):
                rid = f"K{k}-{person:03d}"
                out.writerow([rid, f"{NAMES[person % len(NAMES)]} {person}", "Tehran"])
                truth[rid] = int(person)
        import_list(store, path, source=f"SYNTHETIC list {k}", actor="tester", id_column="ID")
    return truth


def linker_from_truth(truth: dict[str, int], external: dict[str, str]) -> Any:
    """True pairs at 0.97 (at 0.4 for every fifth person), namesakes at 0.15.

    ``external`` maps link keys (what the model sees as record ids) to the lists'
    own ids, which ``truth`` knows.
    """

    def link(records: pd.DataFrame, labels: Any = None, backend: str = "duckdb",
             threshold: float = 0.1, **_settings: Any) -> Any:
        person = {rid: truth[external[rid]] for rid in records["record_id"]}
        order = sorted(person)
        rows = []
        for i, a in enumerate(order):
            for b in order[i + 1:]:
                if person[a] == person[b]:
                    rows.append((a, b, 0.4 if person[a] % 5 == 0 else 0.97, 3.0))
                elif abs(person[a] - person[b]) == len(NAMES):  # same name, other person
                    rows.append((a, b, 0.15, -1.0))
        pairs = pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability",
                                            "match_weight"])
        clustering = cluster_pairs(records["record_id"], pairs, threshold,
                                   sources=records["source_id"])
        return SimpleNamespace(pairs=pairs, clusters=clustering.clusters,
                               review_candidates=pairs.iloc[:0], conflicts=clustering.conflicts,
                               model={"stand_in": True}, stats={"x": 1.0})

    return link


def _link(store: Store, folder: Path) -> Store:
    truth = four_lists(store, folder)
    recs = load_records(store)
    external = dict(zip(recs["link_key"], recs["external_id"], strict=True))
    run_linkage(store, "tester", linker=linker_from_truth(truth, external))
    return store


@pytest.fixture
def linked(store: Store, tmp_path: Path) -> Store:
    """The four lists linked, on SQLite and on PostgreSQL."""
    return _link(store, tmp_path)


@pytest.fixture
def linked_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The same on SQLite only: for checks that do not depend on the database."""
    from dadkhahi.store.home import ENV_DATABASE_URL, Home

    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    store = Store.init(Home(tmp_path / "home"), "test.dadkhahi.local/ledger", "tester")
    yield _link(store, tmp_path)
    store.engine.dispose()


def test_store_estimate_over_drawn_linkages_is_recorded_and_repeatable(linked: Store) -> None:
    draws = DrawSettings(draws=4)
    done = estimate_store(linked, "lcmcr", FAST, uncertainty=draws)
    link = done.result.diagnostics["linkage"]
    assert link["partitions"] == 4
    assert done.linkage is not None and len(done.linkage.drawn) == 4
    # Pairs at 0.4 are as likely split as not: the drawn linkages differ.
    persons = {len(t) for t in done.linkage.drawn}
    assert len(persons) > 1 or min(persons) != len(done.linkage.fixed)
    assert done.linkage.stats["centring"]["on"] == "persons of the run's partition"
    out = json.loads(json.dumps(to_json(done.result)))
    assert out["linkage_uncertainty"]["partitions"] == 4
    assert out["linkage_uncertainty"]["interval_linkage_fixed"] == link["fixed"]["interval"]
    assert any("not calibrated" in w for w in done.result.warnings)

    estimate_id = record_estimate(linked, "tester", done)
    with linked.reading() as conn:
        row = conn.execute(select(s.estimates).where(s.estimates.c.id == estimate_id)
                           ).mappings().one()
        assert verify_ledger(conn, linked.verifier_key()).ok
    assert row["partitions"] == 4 and row["seed"] == 3
    assert row["estimate"] == round(done.result.estimate, 1)
    assert row["fixed_low"] == round(link["fixed"]["interval"][0], 1)
    assert row["inputs_sha256"] == table_sha256(done.table)
    assert row["settings"]["linkage"]["draw_settings"]["draws"] == 4
    assert row["settings"]["options"]["seed"] == 3
    assert {"numpy", "scipy", "dadkhahi", "python"} <= set(row["versions"])

    again = estimate_store(linked, "lcmcr", FAST, uncertainty=draws)
    assert again.result.estimate == done.result.estimate
    assert again.result.interval == done.result.interval

    release = release_estimate(linked, "tester", estimate_id, "court", note="bundle 1")
    with linked.reading() as conn:
        rel = conn.execute(select(s.estimate_releases)).mappings().one()
        event = json.loads(get_event(conn, int(rel["ledger_index"])).body)["data"]
        imports = {str(i) for i in conn.execute(select(s.list_imports.c.id)).scalars()}
    assert rel["id"] == release and rel["estimate_id"] == estimate_id
    assert rel["audience"] == "court"
    # The release names what the estimate rests on, in the ledger itself.
    assert event["method"] == "lcmcr" and event["seed"] == 3
    assert event["link_run_id"] == row["link_run_id"] is not None
    assert event["versions"] == row["versions"] and event["estimate"] == row["estimate"]
    assert {x["import"] for x in event["lists"]} == imports
    court = released_estimates(linked, "court")
    assert [(r.id, r.seed, r.method) for r in court] == [(release, 3, "lcmcr")]
    assert court[0].lists == tuple(event["lists"]) and court[0].low == row["low"]
    assert released_estimates(linked, "public") == []
    with pytest.raises(NotFoundError):
        release_estimate(linked, "tester", "est_nope", "court")
    with pytest.raises(UserError, match="audience"):
        release_estimate(linked, "tester", estimate_id, "everyone")


def test_reviewed_pairs_calibrate_the_draws(linked_sqlite: Store) -> None:
    linked = linked_sqlite
    recs = load_records(linked)
    ext = dict(zip(recs["record_id"], recs["external_id"], strict=True))
    cache = next((linked.home.path / "linkage").glob("*-pairs.parquet"))
    pairs = pd.read_parquet(cache)
    for a, b in zip(pairs["record_id_l"][:30], pairs["record_id_r"][:30], strict=True):
        same = ext[a].split("-")[1] == ext[b].split("-")[1]
        decide(linked, "tester", a, b, "same" if same else "different")
    done = estimate_store(linked, "lcmcr", FAST, uncertainty=DrawSettings(draws=3))
    assert done.linkage is not None
    assert done.linkage.calibration.labels == 30
    assert done.linkage.stats["centring"]["on"] in (
        "decided pairs put together", "persons of the run's partition")
    cal = done.result.diagnostics["linkage"]["calibration"]
    assert cal["labels"] == 30 and cal["brier_before"] is not None


def test_cli_estimate_with_linkage_uncertainty_records_it(linked_sqlite: Store) -> None:
    linked = linked_sqlite
    from typer.testing import CliRunner

    from dadkhahi.cli.main import app

    args = ["--home", str(linked.home.path), "estimate", "--linkage-uncertainty",
            "--linkage-draws", "2", "--iterations", "200", "--max-iterations", "200",
            "--chains", "2", "--seed", "7", "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    lu = out["linkage_uncertainty"]
    assert lu["partitions"] == 2 and lu["interval"] == out["interval"]
    assert len(lu["interval_linkage_fixed"]) == 2
    second = json.loads(CliRunner().invoke(app, args).stdout)
    assert (second["estimate"], second["interval"]) == (out["estimate"], out["interval"])
    assert second["estimate_id"] != out["estimate_id"]
    with linked.reading() as conn:
        rows = conn.execute(select(s.estimates.c.id, s.estimates.c.seed,
                                   s.estimates.c.partitions)).all()
    assert {(r[0], r[1], r[2]) for r in rows} == {
        (out["estimate_id"], 7, 2), (second["estimate_id"], 7, 2)}
    refused = CliRunner().invoke(app, ["--home", str(linked.home.path), "estimate",
                                       "--linkage-uncertainty", "--method", "all"])
    assert isinstance(refused.exception, UserError)
    fixed = json.loads(CliRunner().invoke(app, [
        "--home", str(linked.home.path), "estimate", "--method", "chao", "--json"]).stdout)
    assert "linkage_uncertainty" not in fixed and fixed["estimate_id"].startswith("est_")


def test_two_fresh_homes_give_the_same_estimate_over_drawn_linkages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Record and person ids are random at import, so the draws must not depend on them.
    from dadkhahi.store.home import ENV_DATABASE_URL, Home

    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    answers = []
    for name in ("first", "second"):
        home = Home(tmp_path / name)
        store = Store.init(home, "test.dadkhahi.local/ledger", "tester")
        (tmp_path / f"{name}-lists").mkdir()
        truth = four_lists(store, tmp_path / f"{name}-lists")
        recs = load_records(store)
        run_linkage(store, "tester", linker=linker_from_truth(
            truth, dict(zip(recs["link_key"], recs["external_id"], strict=True))))
        done = estimate_store(store, "lcmcr", FAST, uncertainty=DrawSettings(draws=3))
        assert done.linkage is not None
        answers.append((done.result.estimate, done.result.interval,
                        [len(t) for t in done.linkage.drawn], table_sha256(done.table),
                        [table_sha256(t) for t in done.linkage.drawn]))
        store.engine.dispose()
    assert answers[0] == answers[1]


def test_estimand_keeps_victims_lists_and_merges_a_derived_one(
    store: Store, tmp_path: Path,
) -> None:
    from dadkhahi.analysis.estimand import estimand_of
    from dadkhahi.domain.vocab import ListKind
    from dadkhahi.intake.list_description import ListDescription
    from dadkhahi.linkage.views import linked_records

    four_lists(store, tmp_path, people=40)
    with store.reading() as conn:
        sources = {str(t): str(i) for i, t in conn.execute(
            select(s.sources.c.id, s.sources.c.title)).all()}
    first = sources["SYNTHETIC list 0"]

    def extra(name: str, description: ListDescription) -> None:
        path = tmp_path / f"{name}.csv"
        path.write_text(f"ID,Name,City\nX1,Ali Karimi 900,Tehran\nX2,{name} 901,Tabriz\n",
                        encoding="utf-8")
        import_list(store, path, source=f"SYNTHETIC {name}", actor="tester", id_column="ID",
                    description=description)

    extra("detainees", ListDescription(kind=ListKind.DETAINEES))
    extra("copy of list 0", ListDescription(derived_from=[first]))
    extra("Tehran only", ListDescription(provinces=["Tehran"]))
    frame = linked_records(store)
    chosen = estimand_of(store, frame)
    by_title = {p["title"]: p for p in chosen.lists}
    with store.reading() as conn:
        sources = {str(t): str(i) for i, t in conn.execute(
            select(s.sources.c.id, s.sources.c.title)).all()}
    assert by_title["SYNTHETIC detainees"]["used"] is False
    assert by_title["SYNTHETIC copy of list 0"]["merged_into"]
    assert "5 independent lists of victims" in chosen.text
    assert "1 derived list merged" in chosen.text
    assert "left out: SYNTHETIC detainees (detainees)" in chosen.text
    assert any("Tehran only" in w and "--by province" in w for w in chosen.warnings)
    kept = set(chosen.records["record_id"])
    detainee_ids = set(frame.loc[frame["source_id"] == sources["SYNTHETIC detainees"],
                                 "record_id"])
    assert not kept & detainee_ids
    copies = chosen.records[chosen.records["external_id"].isin(["X1", "X2"])]
    assert first in set(copies["source_id"])  # the copy counts as list 0
    assert sources["SYNTHETIC copy of list 0"] not in set(chosen.records["source_id"])


def test_cli_describe_and_method_all_count_only_the_victims_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Issue 12 item 11, walked as a newcomer: one method left a list of detainees out,
    # but `estimate --describe` and `--method all` read every list, so the survivors it
    # names were described and estimated as dead.
    from typer.testing import CliRunner

    from dadkhahi.cli.main import app
    from dadkhahi.domain.vocab import ListKind
    from dadkhahi.intake.list_description import ListDescription
    from dadkhahi.store.home import ENV_DATABASE_URL, Home

    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    store = Store.init(Home(tmp_path / "home"), "test.dadkhahi.local/ledger", "tester")
    truth = four_lists(store, tmp_path, people=60)
    path = tmp_path / "detainees.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["ID", "Name", "City"])
        for person in range(12):  # some of them on the victims' lists too
            out.writerow([f"D-{person:03d}", f"{NAMES[person % len(NAMES)]} {person}",
                          "Tehran"])
            truth[f"D-{person:03d}"] = person
    import_list(store, path, source="SYNTHETIC detainees", actor="tester", id_column="ID",
                description=ListDescription(kind=ListKind.DETAINEES))
    recs = load_records(store)
    run_linkage(store, "tester", linker=linker_from_truth(
        truth, dict(zip(recs["link_key"], recs["external_id"], strict=True))))
    home = ["--home", str(store.home.path), "estimate"]
    victims = [f"SYNTHETIC list {k}" for k in range(4)]

    described = CliRunner().invoke(app, [*home, "--describe", "--json"])
    assert described.exit_code == 0, described.output
    d = json.loads(described.stdout)
    assert [x["name"] for x in d["lists"]] == victims
    assert "left out: SYNTHETIC detainees (detainees)" in d["estimand"]
    shown = CliRunner().invoke(app, [*home, "--describe"], env={"COLUMNS": "200"})
    assert "SYNTHETIC detainees" not in shown.stdout.split("Described:")[0]
    every = CliRunner().invoke(app, [*home, "--method", "all", "--json", "--iterations",
                                     "200", "--max-iterations", "200", "--chains", "2"])
    assert every.exit_code == 0, every.output
    e = json.loads(every.stdout)
    single = estimate_store(store, "chao", FAST)
    assert [x["name"] for x in e["lists"]] == victims
    chao = next(m for m in e["methods"] if m["method"] == "chao")
    assert chao["documented"] == e["documented"] == single.result.documented
    assert "left out: SYNTHETIC detainees" in e["estimand"]
    store.engine.dispose()


def _estimate_leaving_out(store: Store, folder: Path, detainees: str, level: Sensitivity
                          ) -> tuple[StoreEstimate, dict[str, Any]]:
    """A chao estimate of ``store`` after a list of detainees titled ``SYNTHETIC
    {detainees}`` at ``level`` and a public list of perpetrators are imported (both left
    out); the estimate and its row."""
    from dadkhahi.intake.list_description import ListDescription

    for name, kind, sensitivity in ((detainees, ListKind.DETAINEES, level),
                                    ("perpetrators", ListKind.PERPETRATORS,
                                     Sensitivity.PUBLIC)):
        path = folder / f"{kind}.csv"
        path.write_text(f"ID,Name,City\nX1,SYNTHETIC {name} 900,Tehran\n", "utf-8")
        import_list(store, path, source=f"SYNTHETIC {name}", actor="tester", id_column="ID",
                    sensitivity=sensitivity, description=ListDescription(kind=kind))
    done = estimate_store(store, "chao", FAST)
    estimate_id = record_estimate(store, "tester", done)
    with store.reading() as conn:
        row = conn.execute(select(s.estimates).where(s.estimates.c.id == estimate_id)
                           ).mappings().one()
    return done, dict(row)


def test_an_estimate_names_no_protected_lists_kind(linked: Store, tmp_path: Path) -> None:
    """What a protected list lists is sealed with its description (in its row and its
    events); the estimate, which leaves a list of detainees out, wrote its kind in clear
    into its sentence and settings, in the row and the ``estimate.computed`` event, which
    no erasure reaches (attack35). An open list's kind is still said."""
    done, row = _estimate_leaving_out(linked, tmp_path, "witness register",
                                      Sensitivity.PROTECTED)
    with linked.reading() as conn:
        body = get_event(conn, int(row["ledger_index"])).body.decode()
    assert "SYNTHETIC perpetrators (perpetrators)" in str(row["estimand"])
    assert "detainees" not in json.dumps(dict(row), default=str)
    assert "detainees" not in body
    assert "detainees" not in json.dumps(to_json(done.result))


def test_a_public_release_names_no_list_the_rule_withholds_from_the_public(
        linked: Store, tmp_path: Path) -> None:
    """An estimate released to the public carried every list's title (and kind) in clear,
    in the ``estimate.released`` event and in ``released_estimates(store, "public")``,
    which the memorial's "how many" page shows; a restricted list's title went out with
    it (attack35). Now the disclosure rule decides: a restricted list is a withheld list
    with its position, a public list is named; the figures and the seed stay."""
    from dadkhahi.analysis.estimates import WITHHELD_LIST

    marker = "SYNTHETIC Restrictedtitleqz"
    _, row = _estimate_leaving_out(linked, tmp_path, "Restrictedtitleqz",
                                   Sensitivity.RESTRICTED)
    assert marker in str(row["estimand"])  # the team's estimate is as it was
    release_estimate(linked, "tester", str(row["id"]), "public")
    with linked.reading() as conn:
        rel = conn.execute(select(s.estimate_releases)).mappings().one()
        body = get_event(conn, int(rel["ledger_index"])).body.decode()
    (public,) = released_estimates(linked, "public")
    shown = json.dumps(public.as_dict())
    for text in (body, shown):
        assert "Restrictedtitleqz" not in text and "detainees" not in text
        # The four linked lists are restricted too (import_list's default).
        assert "SYNTHETIC list" not in text
        assert "SYNTHETIC perpetrators (perpetrators)" in text
    assert "SYNTHETIC perpetrators" in {x["title"] for x in public.lists}
    withheld = [x for x in public.lists if x["title"] != "SYNTHETIC perpetrators"]
    assert len(withheld) == 5 and all(x["kind"] is None for x in withheld)
    assert {x["title"] for x in withheld} <= {WITHHELD_LIST.format(n=n) for n in range(1, 7)}
    assert (public.estimate, public.seed) == (row["estimate"], row["seed"])
    assert json.loads(body)["data"]["inputs_sha256"] == row["inputs_sha256"]
